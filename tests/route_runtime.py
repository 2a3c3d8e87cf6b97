"""Print the routes FastAPI serves for fixture apps, as JSON (run in a subprocess by tests).

Usage: ``python route_runtime.py SPEC_JSON``, where the spec is a list of
``{"root": folder, "sys_path": [folders], "module": "pkg.main", "attr": "app"}``.  Each app is
imported with its folders first on ``sys.path``; the modules it loaded from its folder are
dropped afterwards, so the next fixture may reuse a package name (``app``).
"""

from __future__ import annotations

import importlib
import inspect
import json
import re
import sys
from pathlib import Path

from fastapi.routing import APIRoute, APIWebSocketRoute
from starlette.routing import Mount


def route_contexts(routes):
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # FastAPI before route contexts: included routes are copied in
        return list(routes)
    return list(iter_route_contexts(routes))


def def_line(endpoint) -> int:
    """1-based line of the ``def`` (``co_firstlineno`` is the first decorator's)."""
    lines, start = inspect.getsourcelines(endpoint)
    pattern = re.compile(rf"^\s*(async\s+)?def\s+{re.escape(endpoint.__name__)}\b")
    for offset, text in enumerate(lines):
        if pattern.match(text):
            return start + offset
    return start


def served(routes, prefix: str, root: Path) -> list[dict]:
    found = []
    for context in route_contexts(routes):
        original = getattr(context, "original_route", context)
        if isinstance(original, Mount):
            sub_routes = getattr(original.app, "routes", None)
            if sub_routes is not None:
                found += served(sub_routes, prefix + original.path, root)
            continue
        if isinstance(original, APIWebSocketRoute):
            methods = ["WS"]
        elif isinstance(original, APIRoute):
            methods = sorted(context.methods or ())
        else:
            continue
        endpoint = context.endpoint
        source = Path(inspect.getsourcefile(endpoint)).resolve()
        if root not in source.parents:
            continue
        for method in methods:
            found.append(
                {
                    "method": method,
                    "path": prefix + context.path,
                    "file": str(source),
                    "line": def_line(endpoint),
                    "endpoint": endpoint.__name__,
                }
            )
    return found


def main() -> None:
    results = []
    for spec in json.loads(sys.argv[1]):
        root = Path(spec["root"]).resolve()
        saved_path = list(sys.path)
        loaded_before = set(sys.modules)
        sys.path[:0] = [str(root / folder) for folder in spec["sys_path"]]
        try:
            module = importlib.import_module(spec["module"])
            results.append(served(getattr(module, spec["attr"]).routes, "", root))
        finally:
            sys.path[:] = saved_path
            for name in set(sys.modules) - loaded_before:
                origin = getattr(sys.modules[name], "__file__", None)
                if origin is None or root in Path(origin).resolve().parents:
                    del sys.modules[name]
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
