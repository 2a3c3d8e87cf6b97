"""Unit tests of workspace facts: FastAPI projects, test files, interpreters."""

from __future__ import annotations

import sys

import pytest

from fastapi_ls.environment import find_interpreter, inspect
from fastapi_ls.project import depends_on_fastapi, is_test_file


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("pyproject.toml", '[project]\ndependencies = ["fastapi[standard]>=0.115"]\n', True),
        ("pyproject.toml", '[tool.poetry.dependencies]\nfastapi = "^0.110"\n', True),
        ("requirements.txt", "uvicorn\nFastAPI==0.115.0\n", True),
        ("requirements-dev.txt", "fastapi\n", True),
        ("setup.cfg", "[options]\ninstall_requires =\n    fastapi ~= 0.100\n", True),
        ("requirements.txt", "fastapi-users\nmyfastapi\n", False),
        ("pyproject.toml", '[project]\ndependencies = ["flask"]\n', False),
    ],
)
def test_depends_on_fastapi(tmp_path, name, content, expected):
    (tmp_path / name).write_text(content)
    assert depends_on_fastapi(tmp_path) is expected


def test_no_manifest(tmp_path):
    assert depends_on_fastapi(tmp_path) is False


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("tests/test_items.py", True),
        ("items_test.py", True),
        ("conftest.py", True),
        ("test_data.json", False),
        ("testing.py", False),
        ("app/main.py", False),
    ],
)
def test_is_test_file(path, expected):
    assert is_test_file(path) is expected


def test_interpreter_order(tmp_path):
    assert find_interpreter("/opt/python", [tmp_path]) == ("/opt/python", "setting")
    assert find_interpreter(None, [tmp_path]) == (sys.executable, "server")
    venv_python = tmp_path / ".venv" / "bin" / "python"
    venv_python.parent.mkdir(parents=True)
    venv_python.symlink_to(sys.executable)
    assert find_interpreter(None, [tmp_path]) == (str(venv_python), "workspace")


def test_inspect_reads_installed_versions():
    info = inspect(sys.executable, "server")
    assert info.error is None
    assert {"fastapi", "pydantic"} <= set(info.versions)


def test_inspect_a_missing_interpreter(tmp_path):
    info = inspect(str(tmp_path / "nope" / "python"), "setting")
    assert info.error and "nope" in info.error
    assert info.versions == {}
