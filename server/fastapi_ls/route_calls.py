"""Test-client calls (``client.get("/items/")``, ``await ac.post(f"{settings.API_V1_STR}/x")``,
``client.websocket_connect("/ws")``) and the routes they reach.

Read as text, line by line: a call's path is its first argument when that is a one-line string
literal (plain or f-string).  A placeholder of an f-string is resolved through a callback
(``settings.API_V1_STR`` → ``/api/v1``); one that does not resolve matches any one segment.
No LSP types here: positions are 0-based lines and character columns.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Sequence

import attrs

from . import project
from .workspace_index import Route

#: What a client's method sends: the HTTP method, or ``WS`` for a WebSocket connection.
CLIENT_METHODS = {
    "get": "GET",
    "post": "POST",
    "put": "PUT",
    "patch": "PATCH",
    "delete": "DELETE",
    "head": "HEAD",
    "options": "OPTIONS",
    "websocket_connect": "WS",
}
_CALL = re.compile(
    r"(?P<receiver>[A-Za-z_][\w.]*)\s*\.\s*(?P<method>"
    + "|".join(CLIENT_METHODS)
    + r")\s*\(\s*(?:url\s*=\s*)?(?P<prefix>[rRfF]{0,2})(?P<quote>[\"'])"
)
_DEF = re.compile(r"^([ \t]*)(?:async[ \t]+)?def[ \t]+(\w+)")
#: A file with calls worth scanning (besides test files): it builds a client.
_CLIENT_HINT = re.compile(r"TestClient|AsyncClient|websocket_connect")
#: A placeholder that no name resolves: matches any one path segment.
UNKNOWN = "\x00"
_PARAM = re.compile(r"\{([^{}:]+)(?::([^{}]*))?\}")


@attrs.frozen
class Placeholder:
    """``{expression}`` in an f-string, and its columns (braces included)."""

    expression: str
    start: int
    end: int


Piece = "str | Placeholder"


@attrs.frozen
class ClientCall:
    method: str
    line: int
    #: the string's content: from after the opening quote to the closing one (or the line end)
    start: int
    end: int
    pieces: tuple[str | Placeholder, ...]
    closed: bool
    fstring: bool
    #: the function the call is made in ("" at module level)
    function: str = ""

    def text(self, resolve: Callable[[str], str | None]) -> str:
        """The request path, each placeholder resolved or :data:`UNKNOWN`."""
        parts = []
        for piece in self.pieces:
            if isinstance(piece, str):
                parts.append(piece)
            else:
                value = resolve(piece.expression)
                parts.append(value if value is not None else UNKNOWN)
        return "".join(parts)

    def columns_of(self, piece_index: int) -> tuple[int, int]:
        column = self.start
        for index, piece in enumerate(self.pieces):
            if isinstance(piece, Placeholder):
                if index == piece_index:
                    return piece.start, piece.end
                column = piece.end
            else:
                if index == piece_index:
                    return column, column + len(piece)
                column += len(piece)
        return column, column


def find_calls(lines: Sequence[str]) -> list[ClientCall]:
    """Every test-client call in the text whose path is a string literal."""
    calls = []
    functions: list[tuple[int, str]] = []
    for number, line in enumerate(lines):
        text = line.rstrip("\r\n")
        stripped = text.lstrip()
        if stripped and not stripped.startswith("#"):
            indent = len(text) - len(stripped)
            while functions and functions[-1][0] >= indent:
                functions.pop()
            definition = _DEF.match(text)
            if definition:
                functions.append((indent, definition.group(2)))
        if "(" not in text:
            continue
        for match in _CALL.finditer(text):
            call = _call(text, number, match)
            if call is not None:
                function = next((name for _, name in reversed(functions)), "")
                calls.append(attrs.evolve(call, function=function))
    return calls


def call_at(lines: Sequence[str], line: int, column: int) -> ClientCall | None:
    """The call whose path string holds the cursor (also while the string is still open)."""
    if not 0 <= line < len(lines):
        return None
    text = lines[line].rstrip("\r\n")
    for match in _CALL.finditer(text):
        call = _call(text, line, match)
        if call is not None and call.start <= column <= call.end:
            return call
    return None


def _call(text: str, line: int, match: re.Match[str]) -> ClientCall | None:
    if text[: match.start()].rstrip().endswith("@"):
        return None  # a route decorator (``@app.get("/")``), not a request
    prefix = match.group("prefix").lower()
    if "b" in prefix:
        return None
    quote = match.group("quote")
    start = match.end()
    fstring = "f" in prefix
    pieces: list[str | Placeholder] = []
    literal: list[str] = []
    position = start
    closed = False
    while position < len(text):
        char = text[position]
        if char == quote:
            closed = True
            break
        if char == "\\" and "r" not in prefix and position + 1 < len(text):
            literal.append(text[position + 1])
            position += 2
            continue
        if fstring and char in "{}":
            if text.startswith(char * 2, position):
                literal.append(char)
                position += 2
                continue
            if char == "{":
                end = text.find("}", position)
                if end == -1:
                    end = len(text)
                if literal:
                    pieces.append("".join(literal))
                    literal = []
                expression = text[position + 1 : end].split("!", 1)[0].split(":", 1)[0]
                pieces.append(Placeholder(expression.strip(), position, min(end + 1, len(text))))
                position = end + 1
                continue
        literal.append(char)
        position += 1
    if literal:
        pieces.append("".join(literal))
    end = min(position, len(text))
    call = ClientCall(
        method=CLIENT_METHODS[match.group("method")],
        line=line,
        start=start,
        end=end,
        pieces=tuple(pieces),
        closed=closed,
        fstring=fstring,
    )
    return call if _looks_like_a_path(call) else None


def _looks_like_a_path(call: ClientCall) -> bool:
    """Only paths of the app: ``/…``, a placeholder first (a prefix), or still empty."""
    if not call.pieces:
        return True
    first = call.pieces[0]
    return isinstance(first, Placeholder) or first.startswith("/")


def scans_calls(path: str, text: str) -> bool:
    """Whether ``path`` is a module whose client calls count (tests, or code building a
    client)."""
    return (
        project.is_test_file(path)
        or f"{os.sep}tests{os.sep}" in path
        or bool(_CLIENT_HINT.search(text))
    )


# completion ------------------------------------------------------------------------------


@attrs.frozen
class PathCompletion:
    """One path offered in a call's string."""

    path: str
    #: what replaces the string from ``start`` to ``end`` (plain text)
    text: str
    #: the same with each path parameter as a snippet placeholder
    snippet: str
    start: int
    end: int
    routes: tuple[Route, ...]


def complete_path(
    call: ClientCall,
    column: int,
    routes: Iterable[Route],
    resolve: Callable[[str], str | None],
) -> list[PathCompletion]:
    """The paths the call's method reaches, for the string around ``column``.

    The literal text holding the cursor is replaced; what comes before it
    (``{settings.API_V1_STR}``) must resolve and is kept, so only paths under it are offered.
    """
    anchor = end = column
    for index, piece in enumerate(call.pieces):
        start, stop = call.columns_of(index)
        if isinstance(piece, str) and start <= column <= stop:
            anchor, end = start, stop
            break
        if isinstance(piece, Placeholder) and start < column < stop:
            return []  # inside the placeholder: Python code, not the path
    head_parts = []
    for index, piece in enumerate(call.pieces):
        start, _ = call.columns_of(index)
        if start >= anchor:
            break
        value = piece if isinstance(piece, str) else resolve(piece.expression)
        if value is None:
            return []
        head_parts.append(value)
    head = "".join(head_parts)
    by_path: dict[str, list[Route]] = {}
    for route in routes:
        if call.method in route.methods and route.path.startswith(head):
            by_path.setdefault(route.path, []).append(route)
    return [
        PathCompletion(
            path=path,
            text=path[len(head) :],
            snippet=snippet_text(path[len(head) :]),
            start=anchor,
            end=end,
            routes=tuple(found),
        )
        for path, found in sorted(by_path.items())
    ]


def snippet_text(path: str) -> str:
    """``/items/{id}`` as ``/items/${1:id}``; the rest escaped for snippet syntax."""
    pieces = []
    position = 0
    for number, match in enumerate(_PARAM.finditer(path), start=1):
        pieces.append(_escape(path[position : match.start()]))
        pieces.append(f"${{{number}:{_escape(match.group(1).strip())}}}")
        position = match.end()
    pieces.append(_escape(path[position:]))
    return "".join(pieces)


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("$", "\\$").replace("}", "\\}")


# matching --------------------------------------------------------------------------------


class _Node:
    __slots__ = ("literal", "param", "rest", "routes")

    def __init__(self) -> None:
        self.literal: dict[str, _Node] = {}
        self.param: _Node | None = None
        #: routes whose last parameter is ``{name:path}``: the rest of the request matches
        self.rest: list[Route] = []
        self.routes: list[Route] = []


class RouteTargets:
    """The served routes as a tree of path segments: a request path finds its routes in a
    few dictionary lookups, whatever the number of routes."""

    def __init__(self, routes: Iterable[Route]) -> None:
        self.root = _Node()
        for route in routes:
            node = self.root
            segments = route.path.split("/")
            for position, segment in enumerate(segments):
                param = _PARAM.fullmatch(segment)
                if param and (param.group(2) or "").strip() == "path":
                    node.rest.append(route)
                    break
                if param:
                    node.param = node.param or _Node()
                    node = node.param
                else:
                    node = node.literal.setdefault(segment, _Node())
                if position == len(segments) - 1:
                    node.routes.append(route)

    def match(self, method: str | None, path: str) -> list[Route]:
        """The routes the request reaches, the most specific ones (ties all kept)."""
        request = path.split("?", 1)[0].split("#", 1)[0] or "/"
        segments = request.split("/")
        found: list[tuple[int, Route]] = []
        self._walk(self.root, segments, 0, 0, found)
        found = [
            (score, route)
            for score, route in found
            if method is None or method.upper() in route.methods
        ]
        if not found:
            return []
        best = max(score for score, _ in found)
        return list(dict.fromkeys(route for score, route in found if score == best))

    def _walk(self, node: _Node, segments: list[str], position: int, score: int, found) -> None:
        if node.rest and position < len(segments) and any(segments[position:]):
            found.extend((score, route) for route in node.rest)
        if position == len(segments):
            found.extend((score, route) for route in node.routes)
            return
        segment = segments[position]
        # a literal segment scores over a parameter, a parameter over a guess for an unknown
        if segment == UNKNOWN:
            for name, child in node.literal.items():
                if name:
                    self._walk(child, segments, position + 1, score, found)
        else:
            child = node.literal.get(segment)
            if child is not None:
                self._walk(child, segments, position + 1, score + 2, found)
        if node.param is not None and segment:
            self._walk(node.param, segments, position + 1, score + 1, found)


@attrs.frozen
class Hit:
    """A call and the file it is in."""

    file: str
    call: ClientCall


class TestCalls:
    """The client calls of every test module of the workspace, by file."""

    __test__ = False  # not a pytest test class, whatever its name

    def __init__(self) -> None:
        self._calls: dict[str, tuple[ClientCall, ...]] = {}
        #: bumped by every change, so derived tables know when to be rebuilt
        self.version = 0

    def scan(self, files: Iterable[str], read: Callable[[str], str | None]) -> None:
        found = {}
        for path in files:
            text = read(path)
            if text is not None and scans_calls(path, text):
                calls = find_calls(text.splitlines())
                if calls:
                    found[path] = tuple(calls)
        self._calls = found
        self.version += 1

    def update(self, path: str, text: str | None) -> None:
        calls = (
            tuple(find_calls(text.splitlines()))
            if text is not None and scans_calls(path, text)
            else ()
        )
        if self._calls.get(path, ()) == calls:
            return
        if calls:
            self._calls[path] = calls
        else:
            self._calls.pop(path, None)
        self.version += 1

    def remove(self, path: str) -> None:
        prefix = path + os.sep
        gone = [known for known in self._calls if known == path or known.startswith(prefix)]
        for known in gone:
            del self._calls[known]
        if gone:
            self.version += 1

    def hits(self) -> Iterable[Hit]:
        for path, calls in list(self._calls.items()):
            for call in calls:
                yield Hit(path, call)


class RouteHits:
    """Which calls reach which route, for one state of the routes and of the calls."""

    def __init__(
        self,
        targets: RouteTargets,
        hits: Iterable[Hit],
        resolve: Callable[[str, str], str | None],
    ) -> None:
        self.by_route: dict[Route, list[Hit]] = {}
        for hit in hits:
            path = hit.call.text(lambda name, file=hit.file: resolve(file, name))
            for route in targets.match(hit.call.method, path):
                self.by_route.setdefault(route, []).append(hit)

    def calls(self, route: Route) -> list[Hit]:
        return self.by_route.get(route, [])

    def test_count(self, route: Route) -> int:
        """Distinct test functions (or modules, for module-level calls) that call the route."""
        return len({(hit.file, hit.call.function) for hit in self.calls(route)})
