"""Route diagnostics: few and certain, each with a stable code.

- ``duplicate-route``: a method and full path an app already serves; FastAPI matches the first,
  so the second is never reached.  Conditional routes and paths with unresolved parts are left
  out: two branches of an ``if`` may well declare the same route.
- ``path-param-missing``: ``{name}`` in the full path but no parameter ``name`` in the endpoint
  (nor in a dependency it declares, as far as those resolve; any dependency that does not
  resolve, or any router-level dependency, keeps the check quiet).
- ``router-not-included``: a router with routes that no app includes, directly or through
  other routers.  Off when any ``include_router`` call has an argument the index cannot
  resolve, as that call may be the one including it.
- ``depends-called``: ``Depends(fn())`` where ``fn`` is a function of the workspace that returns
  something that is not callable (a generator function, one returning ``None`` or a literal):
  the call's result is handed to FastAPI in place of the dependency.
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from collections.abc import Iterable

from .facts import FunctionFacts, ModuleFacts
from .linker import Linked, Linker
from .model import Diagnostic, Route

DUPLICATE_ROUTE = "duplicate-route"
PATH_PARAM_MISSING = "path-param-missing"
ROUTER_NOT_INCLUDED = "router-not-included"
DEPENDS_CALLED = "depends-called"

_PATH_PARAM = re.compile(r"\{([^{}:]+)(:[^{}]*)?\}")


@functools.lru_cache(maxsize=16_384)
def routing_key(method: str, path: str) -> tuple[str, str]:
    """Paths that route alike (``/items/{id}`` and ``/items/{item_id}``) get one key."""
    return method, _PATH_PARAM.sub(lambda match: "{" + (match.group(2) or "") + "}", path)


@functools.lru_cache(maxsize=16_384)
def path_params(path: str) -> tuple[str, ...]:
    return tuple(match.group(1).strip() for match in _PATH_PARAM.finditer(path))


def duplicate_routes(routes: Iterable[Route]) -> list[Diagnostic]:
    seen: dict[tuple, Route] = {}
    found = []
    for route in routes:
        if route.conditional or not route.resolved or route.app is None:
            continue
        for method in route.methods:
            key = (route.app, *routing_key(method, route.path))
            first = seen.get(key)
            if first is None:
                seen[key] = route
                continue
            if first.file == route.file and first.decorator == route.decorator:
                continue
            found.append(
                Diagnostic(
                    DUPLICATE_ROUTE,
                    route.file,
                    route.decorator,
                    f"{method} {route.path} is already served by {first.endpoint} "
                    f"({_where(first)}); this route is never reached",
                )
            )
    return found


def missing_path_params(routes: Iterable[Route]) -> list[Diagnostic]:
    found = []
    reported: set[tuple] = set()
    for route in routes:
        if not route.resolved or route.takes_any_keyword or route.router_dependencies:
            continue
        extra = route.dependency_params
        if extra is None:
            continue
        known = {*route.params, *extra}
        for name in path_params(route.path):
            key = (route.file, route.decorator, name)
            if name in known or key in reported:
                continue
            reported.add(key)
            found.append(
                Diagnostic(
                    PATH_PARAM_MISSING,
                    route.file,
                    route.decorator,
                    f"path parameter '{name}' of {route.path} is not a parameter of "
                    f"{route.endpoint}() nor of its dependencies: its value is never read",
                )
            )
    return found


def unincluded_routers(linked: Linked) -> list[Diagnostic]:
    if linked.unresolved_includes:
        return []
    return [
        Diagnostic(
            ROUTER_NOT_INCLUDED,
            router.file,
            router.span,
            f"router '{router.name}' has routes but no app includes it: they are never served",
        )
        for router in linked.unincluded_routers
    ]


def called_dependencies(linker: Linker, modules: dict[str, ModuleFacts]) -> list[Diagnostic]:
    found = []
    for path, facts in modules.items():
        for called in facts.called_dependencies:
            for sym in linker.resolve(path, "", called.callee):
                if sym[0] != "function":
                    continue
                target = linker.facts(sym[1])
                function = target.names.get(sym[2]) if target else None
                if isinstance(function, FunctionFacts) and function.returns_plain_value:
                    name = ".".join(called.callee)
                    found.append(
                        Diagnostic(
                            DEPENDS_CALLED,
                            path,
                            called.span,
                            f"{called.text} calls {name}() and gives FastAPI its result; "
                            f"pass the function itself: Depends({name})",
                        )
                    )
                    break
    return found


def all_diagnostics(
    linker: Linker, linked: Linked, modules: dict[str, ModuleFacts]
) -> dict[str, list[Diagnostic]]:
    by_file: dict[str, list[Diagnostic]] = defaultdict(list)
    for diagnostic in (
        *duplicate_routes(linked.routes),
        *missing_path_params((*linked.routes, *linked.orphan_routes)),
        *unincluded_routers(linked),
        *called_dependencies(linker, modules),
    ):
        by_file[diagnostic.file].append(diagnostic)
    return dict(by_file)


def _where(route: Route) -> str:
    return f"line {route.decorator[0] + 1}" + (
        "" if not route.file else f" of {route.file.rsplit('/', 1)[-1]}"
    )
