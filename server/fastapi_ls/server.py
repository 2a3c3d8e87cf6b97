"""The language server: LSP glue between the client and the pure modules.

Handlers fetch the document, ask the document store and the pure modules, and translate the
answer to lsprotocol types.  None of them raises into the client: an unexpected error is
logged and answered with "nothing".
"""

from __future__ import annotations

import asyncio
import functools
import logging
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import attrs
from lsprotocol import types
from packaging.version import Version
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path
from pygls.workspace import TextDocument

from . import __version__, completion, environment, escalation, hover, knowledge, settings
from .context import cursor_context
from .context7 import Context7Client
from .doc_cache import DocCache, default_cache_dir
from .docs_service import DocsService
from .documents import DocumentState, DocumentStore
from .line_document import LineWorkspace
from .param_docs import ParamDocs
from .positions import to_client, to_server
from .protocol import STATUS_REQUEST, FastApiProtocol
from .workspace_modules import ModuleIndex

log = logging.getLogger(__name__)

SERVER_NAME = "fastapi-ls"
CONFIGURATION_SECTION = "fastapiLs"
COMPLETION_TRIGGERS = ["@", "=", "(", ".", ","]

F = TypeVar("F", bound=Callable[..., Any])


class FastApiLanguageServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__(SERVER_NAME, __version__, protocol_cls=FastApiProtocol)
        self.settings = settings.Settings()
        self.knowledge = knowledge.load()
        self.client_features = completion.ClientFeatures()
        self.documents = DocumentStore(self.workspace_roots, self.fetch_document)
        self.environment: environment.EnvironmentInfo | None = None
        self.pending_problems: list[str] = []
        self.initialization_options: Any = None
        self._docs: tuple[settings.Context7Settings, DocsService] | None = None
        self.param_docs = ParamDocs()
        self.hover_markdown = True
        self.modules = ModuleIndex(self.open_analysis)

    def workspace_roots(self) -> list[Path]:
        roots = []
        for folder in self.workspace.folders.values():
            path = to_fs_path(folder.uri)
            if path:
                roots.append(Path(path))
        if not roots and self.workspace.root_path:
            roots.append(Path(self.workspace.root_path))
        return roots

    def fetch_document(self, uri: str):
        return self.workspace.get_text_document(uri)

    def fastapi_document(self, uri: str) -> tuple[TextDocument, DocumentState] | None:
        """The document and its state; None when it is not FastAPI code (we stay silent)."""
        document = self.workspace.get_text_document(uri)
        state = self.documents.get(document)
        return (document, state) if state.is_fastapi else None

    def open_analysis(self, path: Path):
        """The analysis of an open document at ``path``, or None when it is not open."""
        return self.documents.analysis_of(path.as_uri())

    def parameter_doc(self, signature: str, parameter: str):
        """A keyword argument's docs from the installed package; None until they are parsed."""
        if self.environment is None:
            return None
        package = signature.split(".", 1)[0]
        version = self.environment.versions.get(package)
        if version is None:
            return None
        return self.param_docs.get(signature, str(version), self.environment.sys_path, parameter)

    @property
    def installed(self) -> dict[str, Version]:
        return self.environment.versions if self.environment else {}

    @property
    def cache_root(self) -> Path:
        configured = self.settings.context7.cache_dir
        return Path(configured).expanduser() if configured else default_cache_dir()

    def docs_service(self) -> DocsService | None:
        """Context7 behind the cache, built again when its settings change; None when off."""
        current = self.settings.context7
        if not current.enabled:
            return None
        if self._docs is None or self._docs[0] != current:
            frozen = attrs.evolve(current)
            service = DocsService(
                lambda: Context7Client(frozen.base_url, frozen.api_key, frozen.timeout),
                DocCache(self.cache_root, timedelta(seconds=frozen.cache_ttl)),
                offline=frozen.offline,
            )
            self._docs = (frozen, service)
        return self._docs[1]

    @property
    def versions(self) -> completion.Versions:
        found: dict[str, Version] = self.environment.versions if self.environment else {}
        return completion.Versions(fastapi=found.get("fastapi"), pydantic=found.get("pydantic"))

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
        if interpreter_changed and self.environment is not None:
            self.inspect_environment()

    def tell_user(self, message: str, kind: types.MessageType) -> None:
        log.warning(message)
        self.window_show_message(types.ShowMessageParams(type=kind, message=message))

    def inspect_environment(self) -> None:
        """Find the user's FastAPI/Pydantic versions in a worker thread; requests don't wait."""
        interpreter, source = environment.find_interpreter(
            self.settings.interpreter, self.workspace_roots()
        )

        packages = [
            *environment.CORE_PACKAGES,
            *(topic.package for topic in self.knowledge.topics if topic.package),
        ]

        async def run() -> None:
            info = await asyncio.to_thread(environment.inspect, interpreter, source, packages)
            self.environment = info
            self.prepare_parameter_docs()
            if info.error:
                self.tell_user(
                    f"fastapi-ls could not read the Python environment: {info.error}. "
                    "All snippets are offered regardless of versions.",
                    types.MessageType.Warning,
                )

        asyncio.get_running_loop().create_task(run())

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


server = FastApiLanguageServer()


def answers_nothing_on_error(handler: F) -> F:
    """Log an unexpected error and answer None instead of raising into the client."""

    @functools.wraps(handler)
    def safe(ls: FastApiLanguageServer, params: Any) -> Any:
        try:
            return handler(ls, params)
        except Exception:
            log.exception("%s failed", handler.__name__)
            return None

    return safe  # type: ignore[return-value]


@server.feature(types.INITIALIZE)
@answers_nothing_on_error
def initialize(ls: FastApiLanguageServer, params: types.InitializeParams) -> None:
    # pygls has just created its workspace; from now on the documents it opens keep their
    # lines up to date edit by edit (see line_document).
    ls.workspace.__class__ = LineWorkspace
    ls.client_features = completion.ClientFeatures.from_capabilities(params.capabilities)
    text_document = params.capabilities.text_document
    formats = text_document.hover.content_format if text_document and text_document.hover else None
    ls.hover_markdown = types.MarkupKind.Markdown in (formats or [])
    ls.initialization_options = params.initialization_options
    parsed, problems = settings.parse(params.initialization_options)
    ls.settings = parsed
    ls.pending_problems = problems


@server.feature(types.INITIALIZED)
@answers_nothing_on_error
def initialized(ls: FastApiLanguageServer, params: types.InitializedParams) -> None:
    for problem in ls.pending_problems:
        ls.tell_user(f"fastapi-ls settings: {problem}", types.MessageType.Warning)
    ls.pending_problems = []
    ls.inspect_environment()


@server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
async def did_change_configuration(
    ls: FastApiLanguageServer, params: types.DidChangeConfigurationParams
) -> None:
    try:
        workspace = ls.client_capabilities.workspace
        if workspace and workspace.configuration:
            (raw,) = await ls.workspace_configuration_async(
                types.ConfigurationParams(
                    items=[types.ConfigurationItem(section=CONFIGURATION_SECTION)]
                )
            )
        else:
            raw = params.settings
            if isinstance(raw, dict) and CONFIGURATION_SECTION in raw:
                raw = raw[CONFIGURATION_SECTION]
        ls.apply_settings(raw)
    except Exception:
        log.exception("reading the configuration failed")


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
@answers_nothing_on_error
def did_open(ls: FastApiLanguageServer, params: types.DidOpenTextDocumentParams) -> None:
    ls.documents.refresh(ls.workspace.get_text_document(params.text_document.uri))


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
@answers_nothing_on_error
def did_change(ls: FastApiLanguageServer, params: types.DidChangeTextDocumentParams) -> None:
    document = ls.workspace.get_text_document(params.text_document.uri)
    ls.documents.changed(document, params.content_changes)


@server.feature(types.TEXT_DOCUMENT_DID_SAVE)
@answers_nothing_on_error
def did_save(ls: FastApiLanguageServer, params: types.DidSaveTextDocumentParams) -> None:
    ls.documents.forget_projects()


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
@answers_nothing_on_error
def did_close(ls: FastApiLanguageServer, params: types.DidCloseTextDocumentParams) -> None:
    ls.documents.forget(params.text_document.uri)


@server.feature(
    types.TEXT_DOCUMENT_COMPLETION,
    types.CompletionOptions(trigger_characters=COMPLETION_TRIGGERS, resolve_provider=True),
)
@answers_nothing_on_error
def complete(
    ls: FastApiLanguageServer, params: types.CompletionParams
) -> types.CompletionList | None:
    if not ls.settings.snippets.enabled:
        return None
    found = ls.fastapi_document(params.text_document.uri)
    if found is None:
        return None
    document, state = found
    lines = state.lines
    codec = document.position_codec
    line, column = to_server(lines, codec, params.position)
    context = cursor_context(lines, line, column, state.analysis, is_test_file=state.is_test_file)
    if context is None:
        return None
    return completion.complete(
        completion.Request(
            context=context,
            line=line,
            column=column,
            lines=lines,
            header=state.header,
            analysis=state.analysis,
            knowledge=ls.knowledge,
            client=ls.client_features,
            versions=ls.versions,
            to_client=lambda at_line, at_column: to_client(lines, codec, at_line, at_column),
            add_imports=ls.settings.snippets.add_imports,
            excluded=frozenset(ls.settings.snippets.exclude),
        )
    )


@server.feature(types.COMPLETION_ITEM_RESOLVE)
def resolve_completion(
    ls: FastApiLanguageServer, item: types.CompletionItem
) -> types.CompletionItem:
    try:
        return completion.resolve(item, ls.knowledge, ls.client_features)
    except Exception:
        log.exception("resolving a completion item failed")
        return item


@server.feature(
    types.TEXT_DOCUMENT_CODE_ACTION,
    types.CodeActionOptions(
        code_action_kinds=[types.CodeActionKind.QuickFix, types.CodeActionKind.Empty]
    ),
)
@answers_nothing_on_error
def code_actions(
    ls: FastApiLanguageServer, params: types.CodeActionParams
) -> list[types.CodeAction | types.Command] | None:
    if not ls.settings.context7.enabled:
        return None
    found = ls.fastapi_document(params.text_document.uri)
    if found is None:
        return None
    document, state = found
    lines, codec = state.lines, document.position_codec
    start = to_server(lines, codec, params.range.start)
    end = to_server(lines, codec, params.range.end)
    selection = selected_text(lines, start, end)
    text = selection if "\n" in selection else lines[start[0]]
    diagnostics = [d.message for d in params.context.diagnostics]
    lookups = escalation.lookups_at(
        text,
        selection=selection,
        diagnostics=diagnostics,
        analysis=state.analysis,
        path=document.path,
        knowledge=ls.knowledge,
        installed=ls.installed,
    )
    return [action for lookup in lookups if (action := code_action(ls, params, lookup)) is not None]


def selected_text(lines: list[str], start: tuple[int, int], end: tuple[int, int]) -> str:
    if start == end:
        return ""
    if start[0] == end[0]:
        return lines[start[0]][start[1] : end[1]]
    middle = lines[start[0] + 1 : end[0]]
    return "".join([lines[start[0]][start[1] :], *middle, lines[end[0]][: end[1]]])


def code_action(
    ls: FastApiLanguageServer, params: types.CodeActionParams, lookup: escalation.Lookup
) -> types.CodeAction | types.Command | None:
    is_error = lookup.kind == "error"
    kind = types.CodeActionKind.QuickFix if is_error else types.CodeActionKind.Empty
    only = params.context.only
    if only and not any(kind == k or kind.startswith(f"{k}.") for k in only):
        return None
    command = types.Command(
        title=escalation.action_title(lookup),
        command=escalation.COMMAND,
        arguments=[lookup.to_json()],
    )
    text_document = ls.client_capabilities.text_document
    literals = text_document and text_document.code_action
    if not (literals and literals.code_action_literal_support):
        return command
    diagnostics = [
        d for d in params.context.diagnostics if is_error and d.message.strip() == lookup.query
    ]
    return types.CodeAction(
        title=command.title, kind=kind, command=command, diagnostics=diagnostics or None
    )


@server.command(escalation.COMMAND)
async def look_up(ls: FastApiLanguageServer, *arguments: Any) -> dict[str, str] | None:
    """Answer a Tier 2 lookup with one document: curated notes, then Context7's docs."""
    try:
        lookup = escalation.Lookup.from_json(arguments[0] if arguments else None)
    except ValueError as error:
        ls.tell_user(f"Context7 lookup: {error}.", types.MessageType.Error)
        return None
    progress = await Progress.start(ls, f"Context7: {lookup.title}")
    try:
        progress.report("fetching current docs")
        work = asyncio.ensure_future(
            escalation.answer(lookup, ls.knowledge, ls.docs_service(), ls.installed)
        )
        timeout = ls.settings.context7.timeout
        answer = await progress.until_done(work, timeout)
        if progress.cancelled:
            return None
        if answer is None:
            answer = escalation.unanswered(
                lookup,
                ls.knowledge,
                ls.installed,
                f"Context7 did not answer within {timeout:g} s (fastapiLs.context7.timeout).",
            )
        path = escalation.write_document(answer, ls.cache_root / "documents")
        await open_document(ls, path, answer)
        return {"uri": path.as_uri(), "path": str(path)}
    except Exception:
        log.exception("the Context7 lookup failed")
        ls.tell_user(
            f"Context7 lookup of {lookup.title!r} failed unexpectedly; see the server log.",
            types.MessageType.Error,
        )
        return None
    finally:
        progress.end()


@server.command(escalation.CLEAR_CACHE_COMMAND)
def clear_cache(ls: FastApiLanguageServer, *arguments: Any) -> int:
    service = ls.docs_service()
    removed = service.clear_cache() if service else 0
    ls.tell_user(f"Context7 cache cleared ({removed} entries).", types.MessageType.Info)
    return removed


async def open_document(ls: FastApiLanguageServer, path: Path, answer: escalation.Answer) -> None:
    window = ls.client_capabilities.window
    if window and window.show_document and window.show_document.support:
        result = await ls.window_show_document_async(
            types.ShowDocumentParams(uri=path.as_uri(), external=False, take_focus=True)
        )
        if result.success:
            return
    ls.window_show_message(
        types.ShowMessageParams(
            type=types.MessageType.Info,
            message=f"{escalation.summary(answer)}. The document is at {path}",
        )
    )


class Progress:
    """Work-done progress for a lookup, when the client supports it, with its cancel button."""

    def __init__(self, ls: FastApiLanguageServer, token: str | None) -> None:
        self.ls = ls
        self.token = token

    @classmethod
    async def start(cls, ls: FastApiLanguageServer, title: str) -> Progress:
        window = ls.client_capabilities.window
        if not (window and window.work_done_progress):
            return cls(ls, None)
        token = f"fastapi-ls-{uuid.uuid4()}"
        try:
            await ls.work_done_progress.create_async(token)
        except Exception:
            log.warning("the client refused a progress token")
            return cls(ls, None)
        ls.work_done_progress.begin(
            token, types.WorkDoneProgressBegin(title=title, cancellable=True)
        )
        return cls(ls, token)

    def report(self, message: str) -> None:
        if self.token:
            self.ls.work_done_progress.report(
                self.token, types.WorkDoneProgressReport(message=message)
            )

    @property
    def cancelled(self) -> bool:
        future = self.ls.work_done_progress.tokens.get(self.token) if self.token else None
        return bool(future and future.cancelled())

    async def until_done(self, work: asyncio.Future[Any], timeout: float) -> Any:
        """The work's result; None when the user cancelled or ``timeout`` seconds passed."""
        deadline = asyncio.get_running_loop().time() + timeout
        while not work.done():
            remaining = deadline - asyncio.get_running_loop().time()
            if self.cancelled or remaining <= 0:
                work.cancel()
                return None
            await asyncio.wait({work}, timeout=min(0.1, remaining))
        return work.result()

    def end(self) -> None:
        if self.token:
            message = "cancelled" if self.cancelled else "done"
            self.ls.work_done_progress.end(self.token, types.WorkDoneProgressEnd(message=message))
            self.token = None


@server.feature(types.TEXT_DOCUMENT_HOVER)
@answers_nothing_on_error
def hover_card(ls: FastApiLanguageServer, params: types.HoverParams) -> types.Hover | None:
    if not ls.settings.hover.enabled:
        return None
    found = ls.fastapi_document(params.text_document.uri)
    if found is None:
        return None
    document, state = found
    lines, codec = state.lines, document.position_codec
    line, column = to_server(lines, codec, params.position)
    importer = Path(document.path)
    found = hover.hover(
        hover.HoverRequest(
            lines=lines,
            line=line,
            column=column,
            analysis=state.analysis,
            knowledge=ls.knowledge,
            path=document.path,
            markdown=ls.hover_markdown,
            param_docs=ls.parameter_doc,
            imports=lambda origin: ls.modules.resolve(importer, origin, ls.workspace_roots()),
            installed={name: str(version) for name, version in ls.installed.items()},
        )
    )
    if found is None:
        return None
    kind = types.MarkupKind.Markdown if ls.hover_markdown else types.MarkupKind.PlainText
    return types.Hover(
        contents=types.MarkupContent(kind=kind, value=found.text),
        range=types.Range(
            start=to_client(lines, codec, found.line, found.start),
            end=to_client(lines, codec, found.line, found.end),
        ),
    )


@server.feature(STATUS_REQUEST)
@answers_nothing_on_error
def status(ls: FastApiLanguageServer, params: Any) -> dict[str, Any]:
    """What the server found, for an editor's status bar: versions, interpreter, Context7 mode."""
    info = ls.environment
    context7 = ls.settings.context7
    mode = "disabled" if not context7.enabled else "offline" if context7.offline else "online"
    return {
        "serverVersion": __version__,
        "interpreter": info.interpreter if info else None,
        "environmentReady": info is not None,
        "environmentError": info.error if info else None,
        "fastapi": str(info.versions["fastapi"]) if info and "fastapi" in info.versions else None,
        "pydantic": str(info.versions["pydantic"])
        if info and "pydantic" in info.versions
        else None,
        "context7": mode,
        "cacheDir": str(ls.cache_root),
    }
