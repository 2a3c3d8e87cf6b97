"""The README's editor recipes for Helix and Zed are data: parse them so they cannot rot.

Neither editor can be installed here, so these tests check what can be checked: the snippets
parse as the editors' own formats, name the server's real command, and attach it to Python.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from helpers import readme_block

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]


def console_script() -> str:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    (name,) = project["project"]["scripts"]
    return name


def test_helix_recipe():
    config = tomllib.loads(readme_block("Helix", "toml"))
    server = config["language-server"]["fastapi-ls"]
    assert server["command"] == console_script()
    (python,) = [language for language in config["language"] if language["name"] == "python"]
    assert "fastapi-ls" in python["language-servers"]
    assert python["language-servers"][0] != "fastapi-ls", "the type checker stays first"


def test_zed_recipe():
    config = json.loads(readme_block("Zed", "json"))
    binary = config["lsp"]["fastapi-ls"]["binary"]
    assert binary["path"] == console_script()
    assert binary["arguments"] == []
    options = config["lsp"]["fastapi-ls"]["initialization_options"]
    assert options["snippets"]["enabled"] is True
    assert "fastapi-ls" in config["languages"]["Python"]["language_servers"]


def test_the_command_the_recipes_name_runs():
    command = shutil.which(console_script(), path=str(Path(sys.executable).parent))
    assert command, "the console script is installed next to the interpreter"
    output = subprocess.run([command, "--version"], capture_output=True, text=True, check=True)
    assert output.stdout.startswith("fastapi-ls ")
