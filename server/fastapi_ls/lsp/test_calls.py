"""Test-client calls and the endpoints they reach: path completion, go-to-definition, hover,
references from an endpoint to its tests, and CodeLens on both sides.

The calls are read by :mod:`fastapi_ls.route_calls`; the routes come from the workspace index
(:class:`~fastapi_ls.lsp.routes.RouteService`).  Nothing here answers outside a FastAPI project.

A lens names :data:`SHOW_LOCATIONS` with the arguments of VS Code's
``editor.action.showReferences`` (uri, position, locations): the VS Code extension turns it
into that command, which only the editor can run.  Other editors send it back to the server,
which opens the one location, or asks which one to open.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types
from pygls.uris import to_fs_path

from .. import hover, route_calls
from .errors import guarded
from .view import WorkspaceFiles

if TYPE_CHECKING:
    from ..server import FastApiLanguageServer
    from ..workspace_index import Route
    from .view import DocumentView

#: At most this many paths are offered at once.
MAX_PATHS = 50
#: The lenses' command: (uri, position, locations), as ``editor.action.showReferences`` takes.
SHOW_LOCATIONS = "fastapiLs.showLocations"
#: At most this many locations are offered to choose from.
MAX_CHOICES = 20


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
    resolve = ls.routes.resolver()
    completions, more = route_calls.complete_path(
        call,
        column,
        ls.routes.paths(),
        lambda name: resolve(str(view.path), name),
        MAX_PATHS,
    )
    snippets = ls.support.completion.snippets
    items = []
    for rank, completion in enumerate(completions):
        new_text = completion.snippet if snippets else completion.text
        items.append(
            types.CompletionItem(
                label=completion.path,
                kind=types.CompletionItemKind.Reference,
                detail=" · ".join(sorted({f"{route.endpoint}()" for route in completion.routes})),
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
            )
        )
    # past the cap, the client asks again as more of the path is typed
    return types.CompletionList(is_incomplete=more, items=items)


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
    locations: dict[tuple, types.Location] = {}
    if params.context.include_declaration:
        for route in routes:
            locations[(route.file, route.definition)] = files.location(route.file, route.definition)
    locations.update(call_locations(files, ls.routes.hits(), routes))
    return list(locations.values()) or None


def call_locations(
    files: WorkspaceFiles, hits: route_calls.RouteHits, routes: list[Route]
) -> dict[tuple, types.Location]:
    """The test calls reaching ``routes``, each once, by (file, span)."""
    locations: dict[tuple, types.Location] = {}
    for route in routes:
        for hit in hits.calls(route):
            call = hit.call
            span = (call.line, call.start, call.line, call.end)
            locations[(hit.file, span)] = files.location(hit.file, span)
    return locations


def code_lens(ls: FastApiLanguageServer, params: types.CodeLensParams) -> list[types.CodeLens]:
    """ "3 tests" above each endpoint; the route (and endpoint) above each test call."""
    if not ls.settings.routes.code_lens or not ls.routes.active:
        return []
    view = ls.view(params.text_document.uri)
    index = ls.routes.index
    if index is None or not view.state.tier2_enabled:
        return []
    lenses = []
    files = WorkspaceFiles(ls.fetch_document)
    hits = ls.routes.hits()
    by_endpoint: dict[tuple, list[Route]] = {}
    for route in index.routes_in_file(view.path):
        if route.app is not None:
            by_endpoint.setdefault(route.definition, []).append(route)
    for span, routes in by_endpoint.items():
        tests = {(hit.file, hit.call.function) for route in routes for hit in hits.calls(route)}
        count = len(tests)
        lenses.append(
            _lens(
                view.uri,
                view.client_range((span[0], span[1]), (span[2], span[3])),
                f"{count} test" if count == 1 else f"{count} tests",
                list(call_locations(files, hits, routes).values()),
            )
        )
    for call in route_calls.find_calls(view.lines):
        routes = reached_routes(ls, view, call)
        if not routes:
            continue
        route = routes[0]
        lenses.append(
            _lens(
                view.uri,
                view.client_range((call.line, call.start), (call.line, call.end)),
                f"{route.label} → {route.endpoint}()",
                [files.location(route.file, route.definition)],
            )
        )
    return lenses


def _lens(
    uri: str, range_: types.Range, title: str, locations: list[types.Location]
) -> types.CodeLens:
    """A lens showing ``locations``; only a title when there are none (nothing to show)."""
    if not locations:
        return types.CodeLens(range=range_, command=types.Command(title=title, command=""))
    return types.CodeLens(
        range=range_,
        command=types.Command(
            title=title, command=SHOW_LOCATIONS, arguments=[uri, range_.start, locations]
        ),
    )


async def show_locations(
    ls: FastApiLanguageServer,
    uri: str,
    position: types.Position,
    locations: list[types.Location],
) -> list[types.Location]:
    """Open the one location, or the one the user picks of several; answer them all.

    ``uri`` and ``position`` (where the lens is) are there for VS Code's
    ``editor.action.showReferences``; opening a location needs neither.
    """
    chosen = locations[0] if len(locations) == 1 else await _choose(ls, locations)
    if chosen is not None:
        await ls.show_document(chosen.uri, _describe(ls, chosen), chosen.range)
    return locations


async def _choose(
    ls: FastApiLanguageServer, locations: list[types.Location]
) -> types.Location | None:
    by_title: dict[str, types.Location] = {}
    for location in locations[:MAX_CHOICES]:
        by_title.setdefault(_describe(ls, location), location)
    if not by_title:
        return None
    shown = f" (the first {MAX_CHOICES})" if len(locations) > MAX_CHOICES else ""
    answer = await ls.window_show_message_request_async(
        types.ShowMessageRequestParams(
            type=types.MessageType.Info,
            message=f"Open one of {len(locations)} locations{shown}",
            actions=[types.MessageActionItem(title=title) for title in by_title],
        )
    )
    return by_title.get(answer.title) if answer is not None else None


def _describe(ls: FastApiLanguageServer, location: types.Location) -> str:
    """``tests/test_items.py:12``: the path from its workspace folder, and the line."""
    path = Path(to_fs_path(location.uri) or location.uri)
    for root in ls.workspace_roots():
        if path.is_relative_to(root):
            path = path.relative_to(root)
            break
    return f"{path.as_posix()}:{location.range.start.line + 1}"


def register(server: FastApiLanguageServer) -> None:
    server.command(SHOW_LOCATIONS)(guarded(show_locations, []))
    server.feature(types.TEXT_DOCUMENT_DEFINITION)(guarded(definition))
    server.feature(types.TEXT_DOCUMENT_REFERENCES)(guarded(references))
    server.feature(types.TEXT_DOCUMENT_CODE_LENS)(guarded(code_lens, []))
