"""Test-client calls and the endpoints they reach: path completion, go-to-definition, hover,
references from an endpoint to its tests, and CodeLens on both sides.

The calls are read by :mod:`fastapi_ls.route_calls`; the routes come from the workspace index
(:class:`~fastapi_ls.lsp.routes.RouteService`).  Nothing here answers outside a FastAPI project.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types

from .. import hover, route_calls
from ..workspace_index import Route
from .errors import guarded
from .view import WorkspaceFiles

if TYPE_CHECKING:
    from ..server import FastApiLanguageServer
    from .view import DocumentView


def call_under_cursor(
    ls: FastApiLanguageServer, uri: str, position: types.Position
) -> tuple[DocumentView, route_calls.ClientCall, int] | None:
    """The document, the client call whose path string holds the cursor, and the column."""
    if not ls.routes.active:
        return None
    view = ls.view(uri)
    if not view.state.tier2_enabled:
        return None
    line, column = view.position(position)
    call = route_calls.call_at(view.lines, line, column)
    return (view, call, column) if call is not None else None


def reached_routes(
    ls: FastApiLanguageServer, view: DocumentView, call: route_calls.ClientCall
) -> list[Route]:
    if not call.pieces:
        return []
    resolve = ls.routes.resolver()
    path = call.text(lambda name: resolve(str(view.path), name))
    return ls.routes.targets().match(call.method, path)


def path_items(
    ls: FastApiLanguageServer, params: types.CompletionParams
) -> types.CompletionList | None:
    """The project's paths for the call's method, in the call's string (None: not in one)."""
    found = call_under_cursor(ls, params.text_document.uri, params.position)
    if found is None:
        return None
    view, call, column = found
    index = ls.routes.index
    resolve = ls.routes.resolver()
    completions = route_calls.complete_path(
        call,
        column,
        index.routes() if index else (),
        lambda name: resolve(str(view.path), name),
    )
    snippets = ls.support.completion.snippets
    items = []
    for rank, completion in enumerate(completions):
        route = completion.routes[0]
        new_text = completion.snippet if snippets else completion.text
        items.append(
            types.CompletionItem(
                label=completion.path,
                kind=types.CompletionItemKind.Reference,
                detail=" · ".join(sorted({f"{r.endpoint}()" for r in completion.routes})),
                filter_text=completion.text,
                sort_text=f"{rank:05d}",
                insert_text_format=(
                    types.InsertTextFormat.Snippet if snippets else types.InsertTextFormat.PlainText
                ),
                text_edit=types.TextEdit(
                    range=view.client_range(
                        (call.line, completion.start), (call.line, completion.end)
                    ),
                    new_text=new_text,
                ),
                documentation=_documentation(ls, [route]),
            )
        )
    return types.CompletionList(is_incomplete=False, items=items)


def _documentation(ls: FastApiLanguageServer, routes: list[Route]) -> types.MarkupContent:
    markdown = ls.support.completion.markdown
    return types.MarkupContent(
        kind=types.MarkupKind.Markdown if markdown else types.MarkupKind.PlainText,
        value=hover.route_card(routes, markdown),
    )


def call_hover(ls: FastApiLanguageServer, params: types.HoverParams) -> types.Hover | None:
    """The route card of what a test call's path reaches."""
    found = call_under_cursor(ls, params.text_document.uri, params.position)
    if found is None:
        return None
    view, call, _ = found
    routes = reached_routes(ls, view, call)
    if not routes:
        return None
    markdown = ls.support.hover_markdown
    return types.Hover(
        contents=types.MarkupContent(
            kind=types.MarkupKind.Markdown if markdown else types.MarkupKind.PlainText,
            value=hover.route_card(routes, markdown),
        ),
        range=view.client_range((call.line, call.start), (call.line, call.end)),
    )


def definition(
    ls: FastApiLanguageServer, params: types.DefinitionParams
) -> list[types.Location] | None:
    found = call_under_cursor(ls, params.text_document.uri, params.position)
    if found is None:
        return None
    view, call, _ = found
    files = WorkspaceFiles(ls.fetch_document)
    locations = {(route.file, route.definition): None for route in reached_routes(ls, view, call)}
    return [files.location(path, span) for path, span in locations] or None


def routes_of_endpoint(ls: FastApiLanguageServer, view: DocumentView, line: int) -> list[Route]:
    """The routes whose decorators or ``def`` line hold ``line``."""
    index = ls.routes.index
    if index is None or not ls.routes.active:
        return []
    return list(index.route_at(view.path, line))


def references(
    ls: FastApiLanguageServer, params: types.ReferenceParams
) -> list[types.Location] | None:
    """From an endpoint (its decorator or ``def`` line), the test calls that reach it."""
    view = ls.view(params.text_document.uri)
    line, _ = view.position(params.position)
    routes = routes_of_endpoint(ls, view, line)
    if not routes:
        return None
    files = WorkspaceFiles(ls.fetch_document)
    hits = ls.routes.hits()
    locations: dict[tuple, types.Location] = {}
    if params.context.include_declaration:
        for route in routes:
            locations[(route.file, route.definition)] = files.location(route.file, route.definition)
    for route in routes:
        for hit in hits.calls(route):
            call = hit.call
            span = (call.line, call.start, call.line, call.end)
            locations[(hit.file, span)] = files.location(hit.file, span)
    return list(locations.values()) or None


def code_lens(ls: FastApiLanguageServer, params: types.CodeLensParams) -> list[types.CodeLens]:
    """ "3 tests" above each endpoint; the route (and endpoint) above each test call."""
    if not ls.settings.routes.code_lens or not ls.routes.active:
        return []
    view = ls.view(params.text_document.uri)
    index = ls.routes.index
    if index is None or not view.state.tier2_enabled:
        return []
    lenses = []
    hits = ls.routes.hits()
    by_endpoint: dict[tuple, list[Route]] = {}
    for route in index.routes_in_file(view.path):
        if route.app is not None:
            by_endpoint.setdefault(route.definition, []).append(route)
    for span, routes in by_endpoint.items():
        tests = {(hit.file, hit.call.function) for route in routes for hit in hits.calls(route)}
        count = len(tests)
        lenses.append(
            types.CodeLens(
                range=view.client_range((span[0], span[1]), (span[2], span[3])),
                command=types.Command(
                    title=f"{count} test" if count == 1 else f"{count} tests", command=""
                ),
            )
        )
    for call in route_calls.find_calls(view.lines):
        routes = reached_routes(ls, view, call)
        if not routes:
            continue
        route = routes[0]
        lenses.append(
            types.CodeLens(
                range=view.client_range((call.line, call.start), (call.line, call.end)),
                command=types.Command(title=f"{route.label} → {route.endpoint}()", command=""),
            )
        )
    return lenses


def register(server: FastApiLanguageServer) -> None:
    server.feature(types.TEXT_DOCUMENT_DEFINITION)(guarded(definition))
    server.feature(types.TEXT_DOCUMENT_REFERENCES)(guarded(references))
    server.feature(types.TEXT_DOCUMENT_CODE_LENS)(guarded(code_lens, []))
