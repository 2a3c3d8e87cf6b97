"""The composition root: the server's state, settings, environment and Context7 stack.

Handlers live in the :mod:`fastapi_ls.lsp` package, one module per LSP method family; they
reach the state through the :class:`FastApiLanguageServer` instance they are given.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import attrs
from lsprotocol import types
from packaging.version import Version
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from . import __version__, completion, environment, knowledge, settings
from .documents import DocumentStore
from .line_document import LineDocument
from .lsp import DIAGNOSTIC_SOURCES, register
from .lsp.capabilities import ClientSupport
from .lsp.diagnostics import DiagnosticsPublisher
from .lsp.routes import RouteService
from .lsp.view import DocumentView
from .param_docs import ParamDocs
from .protocol import FastApiProtocol
from .workspace_modules import ModuleIndex

if TYPE_CHECKING:
    from .docs_service import DocsService

log = logging.getLogger(__name__)

T = TypeVar("T")

SERVER_NAME = "fastapi-ls"


class FastApiLanguageServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__(SERVER_NAME, __version__, protocol_cls=FastApiProtocol)
        self.settings = settings.Settings()
        #: One thread for the analysis that runs in the background (indexing, diagnostics):
        #: one at a time, so they hold one syntax tree in memory and compete less with
        #: requests for the GIL.
        self._background = ThreadPoolExecutor(max_workers=1, thread_name_prefix="background")
        self._knowledge: knowledge.KnowledgeBase | None = None
        self._knowledge_lock = threading.Lock()
        self.support = ClientSupport()
        self.documents = DocumentStore(self.workspace_roots, self.fetch_document)
        self.environment: environment.EnvironmentInfo | None = None
        self.pending_problems: list[str] = []
        self.initialization_options: Any = None
        self._docs: tuple[settings.Context7Settings, DocsService] | None = None
        self._environment_task: asyncio.Task[None] | None = None
        #: Background tasks, kept until they end (the event loop holds only weak references).
        self._tasks: set[asyncio.Task[Any]] = set()
        self.param_docs = ParamDocs()
        self.modules = ModuleIndex(self.open_analysis)
        self.diagnostics = DiagnosticsPublisher(self, DIAGNOSTIC_SOURCES)
        self.routes = RouteService(self)

    @property
    def knowledge(self) -> knowledge.KnowledgeBase:
        """The knowledge base, read once; :meth:`preload` reads it while the client starts."""
        with self._knowledge_lock:
            if self._knowledge is None:
                self._knowledge = knowledge.load()
            return self._knowledge

    def preload(self) -> None:
        """Read the knowledge base in a worker thread: the server answers ``initialize``
        sooner, and the first completion finds it ready."""
        threading.Thread(target=lambda: self.knowledge, name="knowledge", daemon=True).start()

    def spawn(self, work: Coroutine[Any, Any, T], failure: str) -> asyncio.Task[T]:
        """Run ``work`` as a task the server keeps until it ends; an error is logged as
        ``failure``, with its traceback."""
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)

        def ended(task: asyncio.Task[T]) -> None:
            self._tasks.discard(task)
            if not task.cancelled() and task.exception() is not None:
                log.error(failure, exc_info=task.exception())

        task.add_done_callback(ended)
        return task

    async def in_background(self, work: Callable[[], T]) -> T:
        """Run ``work`` on the background analysis thread."""
        return await asyncio.get_running_loop().run_in_executor(self._background, work)

    # --- documents -----------------------------------------------------------------------

    def workspace_roots(self) -> list[Path]:
        roots = []
        for folder in self.workspace.folders.values():
            path = to_fs_path(folder.uri)
            if path:
                roots.append(Path(path))
        if not roots and self.workspace.root_path:
            roots.append(Path(self.workspace.root_path))
        return roots

    def fetch_document(self, uri: str) -> LineDocument:
        """The open document at ``uri``, or one read from disk for this request alone."""
        return self.protocol.open_documents.get(uri)

    def view(self, uri: str) -> DocumentView:
        document = self.fetch_document(uri)
        return DocumentView(document, self.documents.get(document))

    def fastapi_view(self, uri: str) -> DocumentView | None:
        """The document's view; None when it is not FastAPI code (the server stays silent)."""
        view = self.view(uri)
        return view if view.is_fastapi else None

    def open_analysis(self, path: Path):
        """The analysis of an open document at ``path``, or None when it is not open."""
        return self.documents.analysis_of(path.as_uri())

    # --- the user's environment ----------------------------------------------------------

    @property
    def installed(self) -> dict[str, Version]:
        return self.environment.versions if self.environment else {}

    @property
    def versions(self) -> completion.Versions:
        found = self.installed
        return completion.Versions(
            fastapi=found.get("fastapi"),
            pydantic=found.get("pydantic"),
            starlette=found.get("starlette"),
        )

    def parameter_doc(self, signature: str, parameter: str):
        """A keyword argument's docs from the installed package; None until they are parsed."""
        if self.environment is None:
            return None
        package = signature.split(".", 1)[0]
        version = self.environment.versions.get(package)
        if version is None:
            return None
        return self.param_docs.get(signature, str(version), self.environment.sys_path, parameter)

    def inspect_environment(self) -> None:
        """Find the user's FastAPI/Pydantic versions in a worker thread; requests don't wait.

        A newer inspection replaces one still running: the interpreter may have changed twice,
        and only the last one counts.
        """
        interpreter, source = environment.find_interpreter(
            self.settings.interpreter, self.workspace_roots()
        )
        packages = [
            *environment.CORE_PACKAGES,
            *(topic.package for topic in self.knowledge.topics if topic.package),
        ]
        if self._environment_task is not None:
            self._environment_task.cancel()

        async def run() -> None:
            info = await asyncio.to_thread(environment.inspect, interpreter, source, packages)
            self.environment = info
            self.prepare_parameter_docs()
            self.diagnostics.schedule_all()
            if info.error:
                self.tell_user(
                    f"fastapi-ls could not read the Python environment: {info.error}. "
                    "All snippets are offered regardless of versions.",
                    types.MessageType.Warning,
                )

        self._environment_task = self.spawn(run(), "reading the Python environment failed")

    def prepare_parameter_docs(self) -> None:
        """Parse the installed packages' parameter docs in the background, before any hover."""
        info = self.environment
        if info is None:
            return
        by_version: dict[str, list[str]] = {}
        for card in self.knowledge.cards:
            if card.signature:
                version = info.versions.get(card.signature.split(".", 1)[0])
                if version is not None:
                    by_version.setdefault(str(version), []).append(card.signature)
        for version, signatures in by_version.items():
            self.param_docs.prepare(signatures, version, info.sys_path)

    # --- settings ------------------------------------------------------------------------

    def initialize_settings(self, options: Any) -> None:
        self.initialization_options = options
        self.settings, self.pending_problems = settings.parse(options)

    def apply_settings(self, raw: Any) -> None:
        """Settings pulled from the client, over those given at initialization.

        An editor that passes some values only in ``initializationOptions`` (the VS Code
        extension passes the interpreter it found) keeps them when other settings change.
        """
        parsed, problems = settings.parse(settings.merged(self.initialization_options, raw))
        interpreter_changed = parsed.interpreter != self.settings.interpreter
        self.settings = parsed
        for problem in problems:
            self.tell_user(f"fastapi-ls settings: {problem}", types.MessageType.Warning)
        if interpreter_changed and self._environment_task is not None:
            self.inspect_environment()

    async def show_document(
        self, uri: str, otherwise: str, selection: types.Range | None = None
    ) -> None:
        """Open ``uri`` in the editor; where the client cannot (or did not), say ``otherwise``."""
        if self.support.show_document:
            result = await self.window_show_document_async(
                types.ShowDocumentParams(
                    uri=uri, external=False, take_focus=True, selection=selection
                )
            )
            if result.success:
                return
        self.window_show_message(
            types.ShowMessageParams(type=types.MessageType.Info, message=otherwise)
        )

    def tell_user(self, message: str, kind: types.MessageType) -> None:
        """Show ``message`` and log it at its own level."""
        log.log(_LOG_LEVELS.get(kind, logging.INFO), message)
        self.window_show_message(types.ShowMessageParams(type=kind, message=message))

    # --- Context7 ------------------------------------------------------------------------

    @property
    def cache_root(self) -> Path:
        from .doc_cache import default_cache_dir

        configured = self.settings.context7.cache_dir
        return Path(configured).expanduser() if configured else default_cache_dir()

    def docs_service(self) -> DocsService | None:
        """Context7 behind the cache, built again when its settings change; None when off."""
        # The Context7 stack (HTTP client, cache) is imported at the first lookup: start-up
        # does not need it.
        from .context7 import Context7Client
        from .doc_cache import DocCache
        from .docs_service import DocsService

        current = self.settings.context7
        if not current.enabled:
            return None
        if self._docs is None or self._docs[0] != current:
            frozen = attrs.evolve(current)
            service = DocsService(
                lambda: Context7Client(frozen.base_url, frozen.api_key, frozen.timeout),
                DocCache(self.cache_root, timedelta(seconds=frozen.cache_ttl)),
                offline=frozen.offline,
                # Leave time to render the stale copy before the whole lookup times out.
                deadline=max(0.5, 0.8 * frozen.timeout),
            )
            self._docs = (frozen, service)
        return self._docs[1]


_LOG_LEVELS = {
    types.MessageType.Error: logging.ERROR,
    types.MessageType.Warning: logging.WARNING,
    types.MessageType.Info: logging.INFO,
    types.MessageType.Log: logging.DEBUG,
}


server = FastApiLanguageServer()
register(server)
