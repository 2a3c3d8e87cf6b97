"""The workspace index in the server: built in the background, kept current, and served as
the Routes view's own protocol.

The index (:mod:`fastapi_ls.workspace_index`) is created for the workspace folders at
``initialized`` and built in a worker thread: no request waits for it, each answers from the
snapshot it finds.  Open documents reach it after a typing pause, files changed on disk through
``workspace/didChangeWatchedFiles`` (watched dynamically when the client allows it, else the
file is read again on save), and a change of workspace folders builds it afresh.  The test
modules' client calls (:mod:`fastapi_ls.route_calls`) are kept beside it.

Own protocol (the VS Code Routes view): the request ``fastapiLs/routes`` (params ``{}`` or
``{"query": "…"}``) answers ``{"ready", "apps", "routes"}``; the notification
``fastapiLs/routesChanged`` (params ``{}``) is sent, after a pause, when the table changes.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.uris import to_fs_path

from ..documents import MAX_ANALYSED_CHARS
from ..files import read_source
from ..protocol import ROUTES_CHANGED_NOTIFICATION, ROUTES_REQUEST
from ..route_calls import PathTable, RouteHits, RouteTargets, TestCalls
from .errors import guarded
from .route_diagnostics import ROUTE_CHECKS
from .view import WorkspaceFiles

if TYPE_CHECKING:
    from ..server import FastApiLanguageServer
    from ..workspace_index import App, Route, WorkspaceIndex

log = logging.getLogger(__name__)

#: Seconds without changes before an open document's text reaches the index.
UPDATE_DELAY = 0.3
#: Seconds after ``initialized`` before the first build starts: the build holds the GIL for
#: seconds on a big workspace, and the editor's first requests come in this window.
BUILD_DELAY = 0.5
#: Seconds the first build waits at most for the client to pause.
BUILD_QUIET_LIMIT = 2.0
#: Seconds the table must stay unchanged before ``fastapiLs/routesChanged`` is sent.
CHANGED_DELAY = 0.5
WATCHER_ID = "fastapi-ls-python-files"
_INCLUDED = re.compile(r"(?:include_router|mount)\s*\(\s*(?:[\"'][^\"']*[\"']\s*,\s*)?([\w.]+)")


class RouteService:
    """The index, the test calls and what is derived from them, for the adapters."""

    def __init__(self, ls: FastApiLanguageServer) -> None:
        self.ls = ls
        self.index: WorkspaceIndex | None = None
        self.calls = TestCalls()
        #: the first build is done (before that, answers come from what is indexed so far)
        self.ready = False
        #: counts :meth:`start` calls: a build that a newer start replaced ends early
        self._generation = 0
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._changed_timer: asyncio.TimerHandle | None = None
        self._table_key: Any = None
        self._targets: tuple[Any, RouteTargets] | None = None
        self._paths: tuple[Any, PathTable] | None = None
        self._hits: tuple[Any, RouteHits] | None = None
        #: path -> the route diagnostics last computed for it (after an update, in the thread)
        self.diagnosed: dict[str, tuple] = {}

    # --- state for the adapters ------------------------------------------------------------

    @property
    def active(self) -> bool:
        """The workspace is a FastAPI project: the route features answer."""
        return self.index is not None and self.index.is_fastapi_project()

    def targets(self) -> RouteTargets:
        index = self.index
        snapshot = index.snapshot if index else None
        if self._targets is None or self._targets[0] is not snapshot:
            self._targets = (snapshot, RouteTargets(index.routes() if index else ()))
        return self._targets[1]

    def paths(self) -> PathTable:
        index = self.index
        snapshot = index.snapshot if index else None
        if self._paths is None or self._paths[0] is not snapshot:
            self._paths = (snapshot, PathTable(index.routes() if index else ()))
        return self._paths[1]

    def hits(self) -> RouteHits:
        """Which test calls reach which route (rebuilt when either side changed)."""
        index = self.index
        key = (index.snapshot if index else None, self.calls.version)
        if self._hits is None or self._hits[0] != key:
            self._hits = (key, RouteHits(self.targets(), self.calls.hits(), self.resolver()))
        return self._hits[1]

    def resolver(self, timeout: float = 0.05) -> Callable[[str, str], str | None]:
        """(file, dotted name) -> the constant string it holds, through the index."""
        index = self.index

        def resolve(path: str, name: str) -> str | None:
            return index.resolve_string(path, name, timeout) if index else None

        return resolve

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self, delay: float = 0.0) -> None:
        """A new index for the current workspace folders, built in the background."""
        self.index, self.ready = None, False
        self._generation += 1
        self._spawn(self._build(self._generation, delay))

    async def _build(self, generation: int, delay: float) -> None:
        await asyncio.sleep(delay)
        # Route features need the index: wait for a pause, but not long.
        await self.ls.protocol.quiet(limit=BUILD_QUIET_LIMIT)
        if generation != self._generation:
            return
        # Imported here, not at start-up: nothing needs it before the first build.
        from ..workspace_index import WorkspaceIndex

        index = self.index = WorkspaceIndex(self.ls.workspace_roots())
        open_texts = [
            (document.path, document.source)
            for document in map(self.ls.fetch_document, self.ls.protocol.open_documents.uris())
            if document.path.endswith(".py")
        ]
        await self.ls.in_background(lambda: self._build_now(index, open_texts))
        if index is self.index:
            self.ready = True
            log.info(
                "workspace index: %d modules, %d routes",
                index.snapshot.module_count,
                len(index.routes()),
            )
            self._changed()

    def _build_now(self, index: WorkspaceIndex, open_texts: list[tuple[str, str]]) -> None:
        open_texts = [(path, text) for path, text in open_texts if len(text) <= MAX_ANALYSED_CHARS]
        for path, text in open_texts:
            index.update_document(path, text)
        index.build()
        calls = TestCalls()
        calls.scan(index.files(), read_source)
        for path, text in open_texts:
            calls.update(path, text)
        calls.version = self.calls.version + 1
        self.calls = calls
        self._diagnose_open(index)

    def document_changed(self, uri: str, delay: float = UPDATE_DELAY) -> None:
        if self.index is None or not uri.endswith(".py"):
            return
        timer = self._timers.pop(uri, None)
        if timer is not None:
            timer.cancel()
        loop = asyncio.get_running_loop()
        self._timers[uri] = loop.call_later(delay, lambda: self._spawn(self._update(uri)))

    async def _update(self, uri: str) -> None:
        self._timers.pop(uri, None)
        await self.ls.protocol.quiet()
        index = self.index
        document = self.ls.fetch_document(uri)
        if index is None or not document.is_open or not document.path:
            return
        if document.size > MAX_ANALYSED_CHARS:
            return  # beyond the analysis limit: the index keeps what it read before
        path, text = document.path, document.source

        def update() -> None:
            index.update_document(path, text)
            self.calls.update(path, text)
            self._diagnose_open(index)

        await self._in_thread(update)

    def document_closed(self, uri: str) -> None:
        timer = self._timers.pop(uri, None)
        if timer is not None:
            timer.cancel()
        path = to_fs_path(uri)
        index = self.index
        if index is None or not path:
            return

        def close() -> None:
            index.close_document(path)
            self.calls.update(path, read_source(path))

        self._spawn(self._in_thread(close))

    def files_changed(self, changes: list[types.FileEvent]) -> None:
        index = self.index
        if index is None:
            return
        events = [(to_fs_path(change.uri), change.type) for change in changes]

        def apply() -> None:
            for path, kind in events:
                if not path:
                    continue
                if kind == types.FileChangeType.Deleted:
                    index.file_deleted(path)
                    self.calls.remove(path)
                else:
                    index.file_changed(path)
                    if not self.ls.protocol.open_documents.get(Path(path).as_uri()).is_open:
                        self.calls.update(path, read_source(path))
            self._diagnose_open(index)

        self._spawn(self._in_thread(apply))

    async def _in_thread(self, work: Callable[[], None]) -> None:
        await self.ls.in_background(work)
        self._changed()

    def _diagnose_open(self, index: WorkspaceIndex) -> None:
        """Compute the open documents' route diagnostics here, in the worker thread."""
        for uri in self.ls.protocol.open_documents.uris():
            path = to_fs_path(uri)
            if path:
                self.diagnosed[path] = tuple(index.diagnostics(path))

    def _changed(self) -> None:
        """After any update: republish diagnostics that moved, tell the Routes view."""
        index = self.index
        if index is None:
            return
        for uri in self.ls.protocol.open_documents.uris():
            path = to_fs_path(uri)
            if path and ROUTE_CHECKS.published.get(uri, ()) != self.diagnosed.get(path, ()):
                self.ls.diagnostics.schedule(uri, 0)
        key = (
            tuple(
                (route.label, route.file, route.decorator, route.app) for route in index.routes()
            ),
            self.calls.version,
        )
        if key == self._table_key:
            return
        self._table_key = key
        if self._changed_timer is not None:
            self._changed_timer.cancel()
        self._changed_timer = asyncio.get_running_loop().call_later(
            CHANGED_DELAY, self._notify_changed
        )

    def _notify_changed(self) -> None:
        self._changed_timer = None
        self.ls.protocol.notify(ROUTES_CHANGED_NOTIFICATION, {})

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        self.ls.spawn(work, "updating the workspace index failed")

    def watch_files(self) -> None:
        """Ask the client to report ``**/*.py`` changes on disk (git checkouts, generated
        code); without a watcher, files are read again when saved or opened."""
        if self.ls.support.watched_files_registration:
            self._spawn(_register_watcher(self.ls))


async def _register_watcher(ls: FastApiLanguageServer) -> None:
    try:
        await ls.client_register_capability_async(
            types.RegistrationParams(
                registrations=[
                    types.Registration(
                        id=WATCHER_ID,
                        method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                        register_options=types.DidChangeWatchedFilesRegistrationOptions(
                            watchers=[types.FileSystemWatcher(glob_pattern="**/*.py")]
                        ),
                    )
                ]
            )
        )
    except Exception as error:  # the client refused: files are read again on save
        log.info("the client did not register the file watcher: %s", error)


# --- handlers --------------------------------------------------------------------------------


def did_change_watched_files(
    ls: FastApiLanguageServer, params: types.DidChangeWatchedFilesParams
) -> None:
    ls.routes.files_changed(params.changes)


def did_change_workspace_folders(
    ls: FastApiLanguageServer, params: types.DidChangeWorkspaceFoldersParams
) -> None:
    ls.routes.start()


def routes(ls: FastApiLanguageServer, params: Any) -> dict[str, Any]:
    """The route table for the Routes view; see the module's docstring for its shape."""
    service = ls.routes
    index = service.index
    if index is None or not service.active:
        return {"ready": service.ready, "apps": [], "routes": []}
    query = params.get("query") if isinstance(params, dict) else getattr(params, "query", None)
    served = (
        index.find_routes(query, limit=len(index.routes()) or 1)
        if isinstance(query, str) and query.strip()
        else index.routes()
    )
    files = WorkspaceFiles(ls.fetch_document)
    hits = service.hits()
    return {
        "ready": service.ready,
        "apps": [
            {
                "id": app_id(app),
                "label": app.label,
                "uri": Path(app.file).as_uri(),
                "range": _json(files.range(app.file, app.span)),
            }
            for app in index.apps()
        ],
        "routes": [route_json(route, files, hits.test_count(route)) for route in served],
    }


def app_id(app: App) -> str:
    return f"{Path(app.file).as_uri()}#{app.label}"


def chain_names(route: Route, files: WorkspaceFiles) -> list[str]:
    """The app, then each router as the include call names it (``api_router``,
    ``items.router``)."""
    names = [route.app.label] if route.app else []
    for link in route.chain:
        lines = files.lines(link.include_file)
        start, end = link.include_span[0], link.include_span[2]
        text = "".join(lines[start : end + 1])
        written = _INCLUDED.search(text)
        names.append(written.group(1) if written else link.name)
    return names


def route_json(route: Route, files: WorkspaceFiles, tests: int) -> dict[str, Any]:
    app = route.app
    return {
        "id": f"{app_id(app) if app else ''}|{route.label}|{Path(route.file).as_uri()}"
        f":{route.decorator[0]}|{'/'.join(link.name for link in route.chain)}",
        "label": route.label,
        "methods": list(route.methods),
        "path": route.path,
        "endpoint": route.endpoint,
        "uri": Path(route.file).as_uri(),
        "range": _json(files.range(route.file, route.decorator)),
        "selectionRange": _json(files.range(route.file, route.definition)),
        "app": app_id(app) if app else None,
        "chain": chain_names(route, files),
        "conditional": route.conditional,
        "condition": route.condition,
        "tags": list(route.tags),
        "responseModel": route.response_model,
        "statusCode": route.status_code,
        "tests": tests,
    }


def _json(range_: types.Range) -> dict[str, Any]:
    return {
        "start": {"line": range_.start.line, "character": range_.start.character},
        "end": {"line": range_.end.line, "character": range_.end.character},
    }


def register(server: FastApiLanguageServer) -> None:
    server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)(guarded(did_change_watched_files))
    server.feature(types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)(
        guarded(did_change_workspace_folders)
    )
    server.feature(ROUTES_REQUEST)(guarded(routes, {"ready": False, "apps": [], "routes": []}))
