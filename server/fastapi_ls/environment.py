"""The user's Python environment: which interpreter, and which FastAPI and Pydantic it has.

Finding out means starting the interpreter (through jedi), which takes from a few hundred
milliseconds to seconds, so the server calls :func:`inspect` in a worker thread and answers
requests with what is known so far.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import Iterable
from pathlib import Path

import attrs
from packaging.version import InvalidVersion, Version

log = logging.getLogger(__name__)

_VENV_DIRS = (".venv", "venv")
#: Always looked up: snippets depend on them.
CORE_PACKAGES = ("fastapi", "pydantic", "starlette")


@attrs.frozen
class EnvironmentInfo:
    interpreter: str
    #: how the interpreter was chosen: "setting", "workspace", "server"
    source: str
    versions: dict[str, Version] = attrs.field(factory=dict)
    #: the interpreter's import path, where installed sources are read from
    sys_path: tuple[str, ...] = ()
    error: str | None = None


#: Variables that look like credentials by name; no child process gets them.
_SECRET_NAME = re.compile(
    r"(KEY|TOKEN|SECRET|PASSW|CREDENTIAL|AUTH|COOKIE|SESSION|PRIVATE)", re.IGNORECASE
)
#: Variables that would make the user's interpreter import the server's packages.
_FOREIGN_PATHS = ("PYTHONPATH", "PYTHONHOME")


def child_environment(environ: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for any process the server starts: no secrets, no foreign paths.

    The interpreter probed may be one a cloned repository planted (``.venv/bin/python``); it
    must not learn the Context7 key or any other credential the editor was started with.
    """
    source = os.environ if environ is None else environ
    return {
        name: value
        for name, value in source.items()
        if name not in _FOREIGN_PATHS and not _SECRET_NAME.search(name)
    }


def find_interpreter(setting: str | None, roots: list[Path]) -> tuple[str, str]:
    """The interpreter to inspect: the setting, else a workspace virtualenv, else our own.

    A relative setting is taken relative to the first workspace folder (not to wherever the
    editor started the server), and the log says so.
    """
    if setting:
        path = Path(setting).expanduser()
        if not path.is_absolute() and roots and (len(path.parts) > 1 or setting.startswith(".")):
            resolved = roots[0] / path
            log.info(
                "the interpreter setting %s is relative: resolved against the workspace "
                "folder, to %s",
                setting,
                resolved,
            )
            return str(resolved), "setting"
        return str(path), "setting"
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
        environment = jedi.create_environment(interpreter, safe=False, env_vars=child_environment())
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
