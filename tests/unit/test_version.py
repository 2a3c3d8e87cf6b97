"""One version: the server's, package.json's and the CHANGELOG's latest entry agree, and the
release check (scripts/check_release.py) refuses a version without an entry."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from fastapi_ls import __version__
from fastapi_ls.cli import main

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "release"

_spec = importlib.util.spec_from_file_location("check_release", ROOT / "scripts/check_release.py")
assert _spec and _spec.loader
check_release = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(check_release)


def test_the_server_package_json_and_changelog_carry_one_version():
    package = json.loads((ROOT / "package.json").read_text(encoding="utf-8"))
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert check_release.server_version() == __version__
    assert package["version"] == __version__
    assert check_release.changelog_versions(changelog)[0] == __version__
    assert check_release.problems(__version__, package["version"], changelog) == []


def test_the_python_package_reads_the_same_version():
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'dynamic = ["version"]' in pyproject
    assert 'path = "server/fastapi_ls/__init__.py"' in pyproject


def test_the_command_prints_the_version(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"fastapi-ls {__version__}"


def test_the_release_notes_are_the_entry_body():
    changelog = (FIXTURES / "released.md").read_text(encoding="utf-8")
    assert check_release.changelog_versions(changelog) == ["1.1.0", "1.0.0"]
    notes = check_release.release_notes(changelog, "1.1.0")
    assert notes == "### Fixed\n\n- Hover on aliased imports."
    assert check_release.release_notes(changelog, "1.0.0") == "### Added\n\n- Everything."
    assert check_release.release_notes(changelog, "0.9.0") is None


@pytest.mark.parametrize(
    ("fixture", "version", "package_version", "tag", "expected"),
    [
        ("released.md", "1.1.0", "1.1.0", "v1.1.0", []),
        ("released.md", "1.1.0", "1.1.0", None, []),
        (
            "unreleased-only.md",
            "1.1.0",
            "1.1.0",
            None,
            ["CHANGELOG.md has no '## [1.1.0] - YYYY-MM-DD' entry"],
        ),
        (
            "released.md",
            "1.0.0",
            "1.0.0",
            None,
            ["CHANGELOG.md's latest entry is 1.1.0, not 1.0.0"],
        ),
        ("empty-entry.md", "1.1.0", "1.1.0", None, ["CHANGELOG.md's entry for 1.1.0 is empty"]),
        (
            "released.md",
            "1.1.0",
            "1.0.0",
            "1.1.0",
            [
                "package.json says version 1.0.0, the server 1.1.0",
                "tag 1.1.0 does not name version 1.1.0 (expected v1.1.0)",
            ],
        ),
    ],
)
def test_release_problems(fixture, version, package_version, tag, expected):
    changelog = (FIXTURES / fixture).read_text(encoding="utf-8")
    assert check_release.problems(version, package_version, changelog, tag) == expected


def test_the_check_runs_on_this_tree_with_only_the_standard_library():
    result = subprocess.run(
        [sys.executable, "-I", str(ROOT / "scripts/check_release.py"), "--tag", f"v{__version__}"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (result.returncode, result.stdout.strip(), result.stderr) == (0, __version__, "")


def test_the_readme_names_no_other_version():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    named = re.findall(r"(?:fastapi-ls-|fastapi_language_server-)(\d+\.\d+\.\d+)", readme)
    assert set(named) <= {__version__}
