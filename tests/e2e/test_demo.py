"""The README's first command: the demo drives the real server on the example shop and runs it."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_readme_command_installs_what_the_demo_runs():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Set-up on a fresh machine", 1)[1]
    command = re.search(r"```sh\n(.*?)\n```", section, re.DOTALL).group(1).splitlines()[0]
    assert "-r examples/shop/requirements.txt" in command
    assert command.endswith(".venv/bin/python examples/demo.py")
    assert (ROOT / "examples" / "shop" / "requirements.txt").is_file()


def test_the_demo_shows_completions_routes_and_a_404(tmp_path):
    completed = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "demo.py")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    out = completed.stdout
    assert "FastAPI snippet" in out
    assert "POST /items/" in out and "app/routers/items.py:" in out, "route search"
    assert "GET /items/999 → 404 {'detail': 'Item not found'}" in out
    assert "Ignoring" not in completed.stderr + out
