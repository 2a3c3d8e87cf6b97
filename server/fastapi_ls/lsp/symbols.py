"""``workspace/symbol`` (routes by ``METHOD /full/path``) and ``textDocument/documentSymbol``
(the file's routes under their router), from the workspace index."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types

from ..workspace_index import Route
from .errors import guarded
from .view import WorkspaceFiles

if TYPE_CHECKING:
    from ..server import FastApiLanguageServer

#: At most this many routes answer one workspace/symbol query.
MAX_SYMBOLS = 200


def container(route: Route) -> str:
    """``app · read_item``, with the condition of a conditional route."""
    parts = [route.app.label if route.app else "", route.endpoint]
    name = " · ".join(part for part in parts if part)
    return f"{name} (if {route.condition})" if route.condition else name


def _kind(route: Route) -> types.SymbolKind:
    return types.SymbolKind.Event if route.websocket else types.SymbolKind.Method


def workspace_symbols(
    ls: FastApiLanguageServer, params: types.WorkspaceSymbolParams
) -> list[types.SymbolInformation] | None:
    index = ls.routes.index
    if index is None or not ls.routes.active:
        return None
    files = WorkspaceFiles(ls.fetch_document)
    return [
        types.SymbolInformation(
            name=route.label,
            kind=_kind(route),
            location=files.location(route.file, route.decorator),
            container_name=container(route),
        )
        for route in index.find_routes(params.query, MAX_SYMBOLS)
    ]


def document_symbols(
    ls: FastApiLanguageServer, params: types.DocumentSymbolParams
) -> list[types.DocumentSymbol] | None:
    index = ls.routes.index
    if index is None or not ls.routes.active:
        return None
    view = ls.view(params.text_document.uri)
    routers: dict[str, list[types.DocumentSymbol]] = {}
    seen: set[tuple] = set()
    for route in index.routes_in_file(view.path):
        # one symbol per decorator, whichever app serves it (the first one's path is shown)
        if route.decorator in seen:
            continue
        seen.add(route.decorator)
        decorator, name = route.decorator, route.definition
        full = view.client_range((decorator[0], decorator[1]), (name[2], name[3]))
        routers.setdefault(_router_name(view.lines, decorator), []).append(
            types.DocumentSymbol(
                name=route.label,
                detail=f"{route.endpoint}()",
                kind=_kind(route),
                range=full,
                selection_range=view.client_range((name[0], name[1]), (name[2], name[3])),
            )
        )
    symbols = []
    for router, children in routers.items():
        start, end = children[0].range.start, children[-1].range.end
        symbols.append(
            types.DocumentSymbol(
                name=router,
                kind=types.SymbolKind.Namespace,
                range=types.Range(start=start, end=end),
                selection_range=children[0].selection_range,
                children=children,
            )
        )
    return symbols or None


def _router_name(lines: list[str], decorator: tuple[int, int, int, int]) -> str:
    """``router`` of ``@router.get(...)``: the decorator's target as written."""
    text = lines[decorator[0]][decorator[1] :] if decorator[0] < len(lines) else ""
    target = text.lstrip("@").split("(", 1)[0]
    return target.rsplit(".", 1)[0].strip() or "routes"


def register(server: FastApiLanguageServer) -> None:
    server.feature(types.WORKSPACE_SYMBOL)(guarded(workspace_symbols))
    server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)(guarded(document_symbols))
