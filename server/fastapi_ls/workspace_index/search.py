"""Route search by label (``GET /api/v1/items/{id}``) and request paths matched to routes."""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

from .model import Route

#: What stands for an f-string placeholder in a request path: any one segment matches it.
_UNKNOWN = "\x00"
_PLACEHOLDER = re.compile(r"\{[^{}]*\}")
_PARAM = re.compile(r"\{([^{}:]+)(?::([^{}]*))?\}")
_CONVERTORS = {
    "path": ".+",
    "int": "(?:[0-9]+|\x00)",
    "float": "(?:[0-9]+(?:\\.[0-9]+)?|\x00)",
    "uuid": "(?:[0-9a-fA-F-]+|\x00)",
}


class RouteMatcher:
    def __init__(self, routes: Sequence[Route]) -> None:
        self.routes = tuple(routes)
        self.labels = tuple(route.label.lower() for route in self.routes)

    def match(self, method: str | None, path: str) -> list[Route]:
        wanted = method.upper() if method else None
        request = _PLACEHOLDER.sub(_UNKNOWN, path.split("?", 1)[0].split("#", 1)[0]) or "/"
        found = []
        for route in self.routes:
            if wanted is not None and wanted not in route.methods:
                continue
            if _path_pattern(route.path).fullmatch(request):
                found.append(route)
        # literal segments beat parameters: /items/me before /items/{id}
        found.sort(key=lambda route: -len(_PARAM.sub("", route.path)))
        return found


@functools.lru_cache(maxsize=16_384)
def _path_pattern(path: str) -> re.Pattern[str]:
    pieces = []
    position = 0
    for match in _PARAM.finditer(path):
        pieces.append(re.escape(path[position : match.start()]))
        pieces.append(_CONVERTORS.get((match.group(2) or "").strip(), "[^/]+"))
        position = match.end()
    pieces.append(re.escape(path[position:]))
    return re.compile("".join(pieces))


def rank_routes(matcher: RouteMatcher, query: str, limit: int) -> list[Route]:
    """Substring matches first (earlier and shorter first), then every word of the query as a
    substring, then the query's characters in order (the tighter the better)."""
    needle = query.strip().lower()
    if not needle:
        return list(matcher.routes[:limit])
    words = needle.split()
    compact = "".join(words)
    scored = []
    for index, label in enumerate(matcher.labels):
        position = label.find(needle)
        if position >= 0:
            scored.append(((0, position, len(label)), index))
        elif len(words) > 1 and all(word in label for word in words):
            scored.append(((1, 0, len(label)), index))
        else:
            spread = _subsequence_spread(compact, label)
            if spread is not None:
                scored.append(((2, spread, len(label)), index))
    scored.sort()
    return [matcher.routes[index] for _, index in scored[:limit]]


def _subsequence_spread(needle: str, text: str) -> int | None:
    start = text.find(needle[0])
    if start < 0:
        return None
    position = start
    for character in needle[1:]:
        position = text.find(character, position + 1)
        if position < 0:
            return None
    return position - start
