"""The language server: LSP glue between the client and the pure modules.

Handlers fetch the document, ask the document store and the pure modules, and translate the
answer to lsprotocol types.  None of them raises into the client: an unexpected error is
logged and answered with "nothing".
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from lsprotocol import types
from packaging.version import Version
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from . import __version__, completion, environment, knowledge, settings
from .context import cursor_context
from .documents import DocumentStore
from .line_document import LineWorkspace
from .positions import to_client, to_server

log = logging.getLogger(__name__)

SERVER_NAME = "fastapi-ls"
CONFIGURATION_SECTION = "fastapiLs"
COMPLETION_TRIGGERS = ["@", "=", "(", ".", ","]

F = TypeVar("F", bound=Callable[..., Any])


class FastApiLanguageServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__(SERVER_NAME, __version__)
        self.settings = settings.Settings()
        self.knowledge = knowledge.load()
        self.client_features = completion.ClientFeatures()
        self.documents = DocumentStore(self.workspace_roots, self.fetch_document)
        self.environment: environment.EnvironmentInfo | None = None
        self.pending_problems: list[str] = []

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

    @property
    def versions(self) -> completion.Versions:
        found: dict[str, Version] = self.environment.versions if self.environment else {}
        return completion.Versions(fastapi=found.get("fastapi"), pydantic=found.get("pydantic"))

    def apply_settings(self, raw: Any) -> None:
        parsed, problems = settings.parse(raw)
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

        async def run() -> None:
            info = await asyncio.to_thread(environment.inspect, interpreter, source)
            self.environment = info
            if info.error:
                self.tell_user(
                    f"fastapi-ls could not read the Python environment: {info.error}. "
                    "All snippets are offered regardless of versions.",
                    types.MessageType.Warning,
                )

        asyncio.get_running_loop().create_task(run())


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
    document = ls.workspace.get_text_document(params.text_document.uri)
    state = ls.documents.get(document)
    if not state.is_fastapi:
        return None
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
