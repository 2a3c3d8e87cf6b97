"""The static route table of each fixture layout against what FastAPI serves.

Every fixture under ``tests/fixtures/routes/<layout>/`` is imported by FastAPI (in one
subprocess, ``tests/route_runtime.py``) and the routes it serves (method, full path, endpoint,
file and ``def`` line) must be exactly those the index lists for that app.  Routes the index
marks conditional may be served or not; every other one must be served.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from fastapi_ls.workspace_index import WorkspaceIndex

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "routes"
RUNTIME = Path(__file__).resolve().parents[1] / "route_runtime.py"

#: layout -> apps: (sys.path folders, module, attribute, file of the app in the index, its label)
APPS = {
    "flat": [(["."], "main", "app", "main.py", "app")],
    "packages": [(["."], "shop.main", "app", "shop/main.py", "app")],
    "namespace": [(["."], "storefront.app", "app", "storefront/app.py", "app")],
    "src_layout": [(["src"], "inventory.main", "app", "src/inventory/main.py", "app")],
    "monorepo": [
        (["services/billing"], "app.main", "app", "services/billing/app/main.py", "app"),
        (["services/search"], "app.main", "app", "services/search/app/main.py", "app"),
    ],
    "several_apps": [
        (["."], "apps", "public", "apps.py", "public"),
        (["."], "apps", "admin", "apps.py", "admin"),
    ],
    "several_routers": [(["."], "main", "app", "main.py", "app")],
    "nested": [(["."], "main", "app", "main.py", "app")],
    "helper_collect": [(["."], "app.main", "app", "app/main.py", "app")],
    "include_elsewhere": [(["."], "project.server", "app", "project/application.py", "app")],
    "conditional": [(["."], "main", "app", "main.py", "app")],
    "aliased": [(["."], "main", "application", "main.py", "application")],
    "factory": [(["."], "webapp.main", "app", "webapp/main.py", "create_app().application")],
    "py314_syntax": [(["."], "main", "app", "main.py", "app")],
    "template": [(["."], "app.main", "app", "app/main.py", "app")],
}


def importable_copy(layout: str, folder: Path) -> Path:
    """The fixture as the running Python can import it: ``except A, B:`` (3.14) is written
    ``except (A, B):`` there, on the same line, so every position stays the same."""
    source = FIXTURES / layout
    if layout != "py314_syntax" or sys.version_info >= (3, 14):
        return source
    target = folder / layout
    shutil.copytree(source, target)
    for path in target.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        path.write_text(
            text.replace("except ValueError, TypeError:", "except (ValueError, TypeError):")
        )
    return target


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> dict[tuple[str, str], Counter]:
    folder = tmp_path_factory.mktemp("importable")
    specs, keys = [], []
    for layout, apps in APPS.items():
        root = importable_copy(layout, folder)
        for sys_path, module, attribute, app_file, label in apps:
            specs.append(
                {"root": str(root), "sys_path": sys_path, "module": module, "attr": attribute}
            )
            keys.append((layout, root, app_file, label))
    completed = subprocess.run(
        [sys.executable, str(RUNTIME), json.dumps(specs)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    results = {}
    for (layout, root, app_file, label), routes in zip(
        keys, json.loads(completed.stdout), strict=True
    ):
        results[(layout, app_file, label)] = Counter(
            (
                route["method"],
                route["path"],
                str(Path(route["file"]).relative_to(root.resolve())),
                route["line"],
                route["endpoint"],
            )
            for route in routes
        )
    return results


def static_routes(layout: str, app_file: str, label: str) -> tuple[Counter, Counter]:
    """(unconditional, conditional) routes the index lists for that app."""
    root = FIXTURES / layout
    index = WorkspaceIndex([root])
    index.build()
    table = {
        (str(Path(app.file).relative_to(root.resolve())), app.label): routes
        for app, routes in index.route_table().items()
    }
    assert (app_file, label) in table, f"no app {label} in {app_file}: {list(table)}"
    always, maybe = Counter(), Counter()
    for route in table[(app_file, label)]:
        assert route.resolved, route
        for method in route.methods:
            key = (
                method,
                route.path,
                str(Path(route.file).relative_to(root.resolve())),
                route.definition[0] + 1,
                route.endpoint,
            )
            (maybe if route.conditional else always)[key] += 1
    return always, maybe


@pytest.mark.parametrize(
    ("layout", "app_file", "label"),
    [(layout, app[3], app[4]) for layout, apps in APPS.items() for app in apps],
)
def test_static_table_is_what_fastapi_serves(served, layout, app_file, label):
    runtime = served[(layout, app_file, label)]
    always, maybe = static_routes(layout, app_file, label)
    assert runtime, "the fixture serves no route: the comparison would prove nothing"
    assert not always - runtime, "listed but not served"
    assert not runtime - (always + maybe), "served but not listed"


def test_conditional_includes_are_listed_with_their_condition():
    index = WorkspaceIndex([FIXTURES / "conditional"])
    index.build()
    conditions = {route.path: route.condition for route in index.routes()}
    assert conditions == {
        "/hello": None,
        "/debug/config": "settings.ENVIRONMENT == 'local'",
        "/metrics/": "settings.ENABLE_METRICS",
    }


@pytest.mark.parametrize("layout", sorted(APPS))
def test_no_diagnostic_on_correct_projects(layout):
    index = WorkspaceIndex([FIXTURES / layout])
    index.build()
    assert index.snapshot.diagnostics == {}
    assert index.unincluded_routers() == ()
    assert index.is_fastapi_project()
