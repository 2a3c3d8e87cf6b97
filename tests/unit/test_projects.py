"""Which files belong to a FastAPI project, and what each kind of file gets.

Real fixture projects on disk (``tests/fixtures/tier2``) and real pygls documents: a FastAPI
shop whose database, Celery and Alembic modules never import FastAPI, and a batch project that
uses the same libraries without FastAPI.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from pygls.workspace.position_codec import PositionCodec

from fastapi_ls import project
from fastapi_ls.documents import DocumentStore
from fastapi_ls.line_document import LineDocument
from fastapi_ls.projects import FastApiProjects

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "tier2"
SHOP = FIXTURES / "shop"
BATCH = FIXTURES / "batch"


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


class Workspace:
    """Open documents of one workspace folder, as the server keeps them."""

    def __init__(self, root: Path) -> None:
        self.documents: dict[str, LineDocument] = {}
        self.store = DocumentStore(lambda: [root], self.documents.__getitem__)

    def state(self, path: Path):
        document = LineDocument(path.as_uri(), PositionCodec(), path.read_text(encoding="utf-8"))
        self.documents[document.uri] = document
        return self.store.get(document)


# --------------------------------------------------------------------------------------------
# The scan of the modules' imports


def test_a_module_importing_fastapi_makes_a_fastapi_project(tmp_path):
    write(tmp_path, {"app/db.py": "import sqlalchemy\n", "app/main.py": "from fastapi import X\n"})
    assert project.imports_fastapi_somewhere(tmp_path)


def test_fastapi_submodules_and_plain_imports_count(tmp_path):
    write(tmp_path, {"a.py": "import os\nimport fastapi.routing\n"})
    assert project.imports_fastapi_somewhere(tmp_path)


def test_look_alike_packages_do_not_count(tmp_path):
    write(tmp_path, {"a.py": "from fastapi_users import FastAPIUsers\nimport fastapix\n"})
    assert not project.imports_fastapi_somewhere(tmp_path)


def test_installed_packages_and_hidden_folders_are_not_the_project(tmp_path):
    write(
        tmp_path,
        {
            "env/pyvenv.cfg": "home = /usr/bin\n",
            "env/lib/site.py": "import fastapi\n",
            ".venv/lib/fastapi_app.py": "import fastapi\n",
            "node_modules/x/y.py": "import fastapi\n",
            "jobs/tasks.py": "from celery import Celery\n",
        },
    )
    assert not project.imports_fastapi_somewhere(tmp_path)


def test_only_the_head_of_a_module_is_read(tmp_path):
    padding = "x = 1\n" * (project.MAX_HEAD_BYTES // 6 + 1)
    write(tmp_path, {"late.py": padding + "import fastapi\n"})
    assert not project.imports_fastapi_somewhere(tmp_path)


def test_the_scan_stops_after_its_module_budget(tmp_path, monkeypatch):
    write(tmp_path, {"a.py": "", "b.py": "", "c.py": "import fastapi\n"})
    assert project.imports_fastapi_somewhere(tmp_path)
    monkeypatch.setattr(project, "MAX_SCANNED_MODULES", 2)
    assert not project.imports_fastapi_somewhere(tmp_path)


def test_the_fixture_projects():
    assert project.depends_on_fastapi(SHOP)
    assert not project.depends_on_fastapi(BATCH)
    assert not project.imports_fastapi_somewhere(BATCH)


# --------------------------------------------------------------------------------------------
# Answers per project


def test_without_an_event_loop_the_scan_answers_at_once(tmp_path):
    write(tmp_path, {"main.py": "from fastapi import FastAPI\n"})
    projects = FastApiProjects()
    assert projects.depends_on_fastapi(tmp_path)
    assert projects.depends_on_fastapi(SHOP)
    assert not projects.depends_on_fastapi(BATCH)


async def wait_for(condition, timeout: float = 5.0) -> bool:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            return False
        await asyncio.sleep(0.01)
    return True


async def test_the_scan_runs_in_the_background_and_the_answer_follows(tmp_path):
    write(tmp_path, {"main.py": "from fastapi import FastAPI\n"})
    projects = FastApiProjects()
    assert projects.depends_on_fastapi(SHOP), "a manifest answers at once"
    projects.depends_on_fastapi(tmp_path)
    assert await wait_for(lambda: projects.depends_on_fastapi(tmp_path))


async def test_after_forget_the_old_answer_serves_until_the_new_one_is_known(tmp_path):
    write(tmp_path, {"main.py": "from fastapi import FastAPI\n"})
    projects = FastApiProjects()
    projects.depends_on_fastapi(tmp_path)
    assert await wait_for(lambda: projects.depends_on_fastapi(tmp_path))
    (tmp_path / "main.py").write_text("print('no more FastAPI')\n")
    projects.forget()
    assert projects.depends_on_fastapi(tmp_path)
    assert await wait_for(lambda: not projects.depends_on_fastapi(tmp_path))


# --------------------------------------------------------------------------------------------
# What each document gets


def test_files_of_a_fastapi_project_get_tier2_but_only_fastapi_modules_get_snippets():
    workspace = Workspace(SHOP)
    for name in ("app/db.py", "app/tasks.py", "migrations/env.py", "app/models.py"):
        state = workspace.state(SHOP / name)
        assert (state.is_fastapi, state.in_fastapi_project, state.tier2_enabled) == (
            False,
            True,
            True,
        ), name
    main = workspace.state(SHOP / "app/main.py")
    assert main.is_fastapi and main.tier2_enabled
    conftest = workspace.state(SHOP / "tests/conftest.py")
    assert conftest.is_fastapi, "a test file of a FastAPI project keeps its snippets"


def test_files_outside_a_fastapi_project_get_nothing():
    workspace = Workspace(BATCH)
    state = workspace.state(BATCH / "jobs/tasks.py")
    assert (state.is_fastapi, state.in_fastapi_project, state.tier2_enabled) == (
        False,
        False,
        False,
    )


def test_a_project_without_a_manifest_counts_by_its_modules(tmp_path):
    write(
        tmp_path,
        {
            "app/main.py": "from fastapi import FastAPI\n\napp = FastAPI()\n",
            "app/db.py": "from sqlalchemy.ext.asyncio import create_async_engine\n",
        },
    )
    state = Workspace(tmp_path).state(tmp_path / "app/db.py")
    assert state.in_fastapi_project and not state.is_fastapi
