"""Route search by label (``GET /api/v1/items/{id}``) and request paths matched to routes."""

from __future__ import annotations

import bisect
import functools
import itertools
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
        # one text, one label a line: the regular expressions below scan it in C
        self.text = "\n".join(self.labels)
        self.starts = list(
            itertools.accumulate((len(label) + 1 for label in self.labels), initial=0)
        )

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
    best: dict[int, tuple] = {}

    def score(pattern: str, rank: int) -> None:
        for match in re.finditer(pattern, matcher.text, re.MULTILINE):
            index = bisect.bisect_right(matcher.starts, match.start()) - 1
            if index in best and best[index][0] <= rank:
                continue
            label = matcher.labels[index]
            spread = match.end() - match.start() if rank == 2 else 0
            best[index] = (rank, spread, match.start() - matcher.starts[index], len(label))

    score(re.escape(needle), 0)
    if len(words) > 1:
        score("^" + "".join(f"(?=[^\n]*{re.escape(word)})" for word in words), 1)
    # each character's gap stops at that character's first occurrence: no backtracking
    characters = "".join(words)
    gaps = "".join(f"[^{re.escape(c)}\\n]*{re.escape(c)}" for c in characters[1:])
    score(re.escape(characters[0]) + gaps, 2)
    ranked = sorted(best, key=lambda index: (best[index], index))
    return [matcher.routes[index] for index in ranked[:limit]]
