"""The user's Python environment: which interpreter, and which FastAPI and Pydantic it has.

Finding out means starting the interpreter (through jedi), which takes from a few hundred
milliseconds to seconds, so the server calls :func:`inspect` in a worker thread and answers
requests with what is known so far.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterable
from pathlib import Path

import attrs
from packaging.version import InvalidVersion, Version

log = logging.getLogger(__name__)

_VENV_DIRS = (".venv", "venv")
#: Always looked up: snippets depend on them.
CORE_PACKAGES = ("fastapi", "pydantic")


@attrs.frozen
class EnvironmentInfo:
    interpreter: str
    #: how the interpreter was chosen: "setting", "workspace", "server"
    source: str
    versions: dict[str, Version] = attrs.field(factory=dict)
    #: the interpreter's import path, where installed sources are read from
    sys_path: tuple[str, ...] = ()
    error: str | None = None


def find_interpreter(setting: str | None, roots: list[Path]) -> tuple[str, str]:
    """The interpreter to inspect: the setting, else a workspace virtualenv, else our own."""
    if setting:
        return setting, "setting"
    for root in roots:
        for name in _VENV_DIRS:
            for candidate in (
                root / name / "bin" / "python",
                root / name / "Scripts" / "python.exe",
            ):
                if candidate.is_file() and os.access(candidate, os.X_OK):
                    return str(candidate), "workspace"
    return sys.executable, "server"


def inspect(
    interpreter: str, source: str, packages: Iterable[str] = CORE_PACKAGES
) -> EnvironmentInfo:
    """Read the installed versions of ``packages`` through jedi's view of the interpreter."""
    # Imported here, in the worker thread, not at start-up: together they take ~150 ms.
    from importlib import metadata

    import jedi

    try:
        # The user's interpreter must see its own packages, not the ones a bundled server
        # was started with (the VS Code extension sets PYTHONPATH to them).
        variables = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
        environment = jedi.create_environment(interpreter, safe=False, env_vars=variables)
        sys_path = [p for p in environment.get_sys_path() if os.path.isdir(p)]
    except Exception as error:  # jedi raises InvalidPythonEnvironment and OS errors
        log.warning("cannot inspect interpreter %s: %s", interpreter, error)
        return EnvironmentInfo(interpreter, source, error=f"cannot start {interpreter}: {error}")
    versions: dict[str, Version] = {}
    for package in dict.fromkeys(packages):
        for distribution in metadata.distributions(name=package, path=sys_path):
            try:
                versions[package] = Version(distribution.version)
            except InvalidVersion:
                continue
            break
    log.info("interpreter %s (%s): %s", interpreter, source, versions or "no FastAPI/Pydantic")
    return EnvironmentInfo(interpreter, source, versions, tuple(sys_path))
