"""The wheel carries the knowledge base, so an installed server works without a checkout."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_wheel_contains_the_knowledge_and_runs_outside_the_checkout(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(tmp_path), ROOT],
        check=True,
    )
    (wheel,) = tmp_path.glob("fastapi_language_server-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    data = {Path(name).name for name in names if name.startswith("fastapi_ls/snippets/")}
    assert {path.name for path in (ROOT / "snippets").glob("*.toml")} <= data
    assert any(name.endswith("entry_points.txt") for name in names)

    target = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(target)
    dependencies = sysconfig.get_paths()["purelib"]
    probe = (
        "import fastapi_ls.knowledge as k, pathlib;"
        "kb = k.load();"
        "assert kb.snippets and kb.status_codes;"
        "print(pathlib.Path(k.__file__).parent)"
    )
    result = subprocess.run(
        [
            sys.executable,
            "-S",
            "-c",
            f"import sys; sys.path[:0] = {[str(target), dependencies]!r};" + probe,
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert Path(result.stdout.strip()) == target / "fastapi_ls"
