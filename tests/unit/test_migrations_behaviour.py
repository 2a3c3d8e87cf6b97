"""Migrated fixture modules run under the current Pydantic and FastAPI and behave as before.

Each v1-era fixture in ``tests/fixtures/migrations`` is migrated (fix-all, then the quick fixes
that fix-all leaves to the user), written into a package, and exercised by a probe script in a
fresh interpreter with warnings as errors; the probe's JSON must equal the behaviour recorded in
``expected/`` (what the original code did under Pydantic 1 and the FastAPI of its time).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from fastapi_ls import migrations

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "migrations"
#: As the server sees the project: the installed Pydantic picks the names fixes use.
CONTEXT = migrations.MigrationContext(
    apps_with_lifespan=frozenset({"orders.main.app"}),
    versions={"pydantic": metadata.version("pydantic")},
)
#: Starlette 1.x warns when its TestClient runs on httpx rather than httpx2.
HTTPX_WARNING = "ignore:Using `httpx` with `starlette.testclient`:UserWarning"

#: fixture → (module in the package, whether quick fixes beyond fix-all are applied)
MODULES = {
    "v1_models.py": ("models.py", False),
    "v1_settings.py": ("settings.py", False),
    "on_event_app.py": ("main.py", False),
    "jose_auth.py": ("auth.py", True),
    "test_lifespan_client.py": ("test_client.py", True),
}


def migrate(name: str, quick_fixes: bool) -> str:
    path = FIXTURES / name
    text = migrations.fix_all(path.read_text(encoding="utf-8"), str(path), CONTEXT)
    while quick_fixes:
        fixable = [f for f in migrations.check(text, str(path), CONTEXT) if f.fixes]
        if not fixable:
            break
        fix = next((fix for fix in fixable[0].fixes if fix.preferred), fixable[0].fixes[0])
        text = migrations.apply_edits(text, fix.edits)
    return text


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("migrated")
    (root / "orders").mkdir()
    (root / "orders" / "__init__.py").write_text("", encoding="utf-8")
    for name, (module, quick_fixes) in MODULES.items():
        (root / "orders" / module).write_text(migrate(name, quick_fixes), encoding="utf-8")
    return root


def run(root: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(root), "PYTHONDONTWRITEBYTECODE": "1"}
    command = [sys.executable, "-W", "error", "-W", HTTPX_WARNING, *arguments]
    return subprocess.run(
        command, cwd=root, env=env, capture_output=True, text=True, timeout=60, check=False
    )


@pytest.mark.parametrize("probe", ["models", "settings", "app", "auth"])
def test_migrated_module_behaves_as_recorded(package: Path, probe: str) -> None:
    result = run(package, str(FIXTURES / "probes" / f"probe_{probe}.py"))
    assert result.returncode == 0, result.stderr
    expected = json.loads((FIXTURES / "expected" / f"{probe}.json").read_text(encoding="utf-8"))
    assert json.loads(result.stdout) == expected


def test_migrated_tests_run_the_lifespan(package: Path) -> None:
    """The module-level TestClient became a fixture: the tests now see the start-up events."""
    result = run(
        package,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:asyncio",
        "-W",
        "error",
        "-W",
        HTTPX_WARNING,
        str(package / "orders" / "test_client.py"),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout


@pytest.mark.parametrize("name", sorted(MODULES))
def test_migrated_module_has_nothing_left_to_fix(name: str) -> None:
    text = migrate(name, quick_fixes=True)
    assert [f.code for f in migrations.check(text, name, CONTEXT) if f.fixes] == []
