"""Make (once) the virtual environment with the oldest supported FastAPI, Starlette, Pydantic and
pydantic-settings, for tests/e2e/test_oldest_versions.py, and print its Python.

The environment holds tests/fixtures/oldest/requirements.txt and the server's own dependencies
(read from pyproject.toml), so that the snippet tests, which import fastapi_ls from server/, run
in it. It lives in .cache/oldest/<hash>/ (or $OLDEST_ENV_DIR/<hash>/), the hash taken over
those requirements and this Python's version: a second run with the same inputs does nothing,
changed inputs make a new one and remove the old. Exit status 2 when pip cannot install the
requirements (offline, say), with pip's own output on stderr.

    .venv/bin/python scripts/oldest_env.py
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - the server's Python floor is 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
REQUIREMENTS = ROOT / "tests/fixtures/oldest/requirements.txt"
#: Marks an environment whose installation finished; a directory without it is made again.
COMPLETE = "fastapi-ls-oldest-complete"
PIP_FAILED = 2


def server_dependencies() -> list[str]:
    with (ROOT / "pyproject.toml").open("rb") as file:
        return tomllib.load(file)["project"]["dependencies"]


def environment_dir() -> Path:
    inputs = "\n".join(
        [REQUIREMENTS.read_text(encoding="utf-8"), *server_dependencies(), sys.version]
    )
    digest = hashlib.sha256(inputs.encode("utf-8")).hexdigest()[:12]
    base = Path(os.environ.get("OLDEST_ENV_DIR", ROOT / ".cache" / "oldest"))
    return base / digest


def python_of(venv: Path) -> Path:
    return venv / "bin" / "python"


def create(venv: Path) -> None:
    shutil.rmtree(venv, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    command = [str(python_of(venv)), "-m", "pip", "install", "--quiet", "--no-input"]
    command += ["--disable-pip-version-check", "-r", str(REQUIREMENTS), *server_dependencies()]
    installed = subprocess.run(command, capture_output=True, text=True, check=False)
    if installed.returncode != 0:
        shutil.rmtree(venv, ignore_errors=True)
        sys.stderr.write(installed.stdout + installed.stderr)
        raise SystemExit(PIP_FAILED)
    (venv / COMPLETE).write_text(REQUIREMENTS.read_text(encoding="utf-8"), encoding="utf-8")


def main() -> None:
    venv = environment_dir()
    venv.parent.mkdir(parents=True, exist_ok=True)
    # test.sh and a pytest run of its own may both get here; one installs, the other waits.
    with (venv.parent / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (venv / COMPLETE).is_file():
            create(venv)
            for stale in venv.parent.iterdir():
                if stale.is_dir() and stale != venv:
                    shutil.rmtree(stale, ignore_errors=True)
    print(python_of(venv))


if __name__ == "__main__":
    main()
