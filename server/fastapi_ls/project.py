"""Facts about the workspace: does the project depend on FastAPI, is a file a test file."""

from __future__ import annotations

import os
import re
from collections import deque
from pathlib import Path, PurePath

from .files import read_source

_FASTAPI_REQUIREMENT = re.compile(
    r"""(?im)(?:^|[\s\[,"'])fastapi(?:\[[^\]]*\])?(?=\s*(?:[<>=!~;\]"',]|$))"""
)
_MANIFESTS = ("pyproject.toml", "setup.cfg", "Pipfile")
#: Bigger manifests are not read: a dependency list is never this long.
MAX_MANIFEST_BYTES = 1_000_000


def depends_on_fastapi(root: Path) -> bool:
    """Whether the project at ``root`` declares a dependency on FastAPI."""
    candidates = [root / name for name in _MANIFESTS]
    try:
        candidates += sorted(root.glob("requirements*.txt"))
        candidates += sorted(root.glob("requirements/*.txt"))
    except OSError:
        return False
    for path in candidates:
        text = read_source(path, MAX_MANIFEST_BYTES)
        if text is not None and _FASTAPI_REQUIREMENT.search(text):
            return True
    return False


def is_test_file(path: str) -> bool:
    name = PurePath(path).name
    return name == "conftest.py" or (
        name.endswith(".py") and (name.startswith("test_") or name.endswith("_test.py"))
    )


#: At most this many modules are read when looking for one that imports FastAPI.
MAX_SCANNED_MODULES = 2000
#: Only a module's head is read: that is where its imports are.
MAX_HEAD_BYTES = 8192
_IMPORTS_FASTAPI = re.compile(rb"^[ \t]*(?:from[ \t]+fastapi[ \t.]|import[ \t]+fastapi\b)", re.M)
#: Folders that hold other people's code or generated files, never the project's modules.
_SKIPPED_FOLDERS = frozenset({"node_modules", "site-packages", "__pycache__", "build", "dist"})


def imports_fastapi_somewhere(root: Path) -> bool:
    """Whether a module of the project at ``root`` imports FastAPI in its head.

    Folders are read breadth first (an app's modules sit near the top), skipping hidden
    folders, virtual environments and installed packages; the scan stops at the first import
    found or after :data:`MAX_SCANNED_MODULES` modules.
    """
    folders = deque([root])
    scanned = 0
    while folders and scanned < MAX_SCANNED_MODULES:
        folder = folders.popleft()
        try:
            entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    if _is_project_folder(entry):
                        folders.append(Path(entry.path))
                    continue
                if not entry.name.endswith(".py") or not entry.is_file():
                    continue
                with open(entry.path, "rb") as module:
                    head = module.read(MAX_HEAD_BYTES)
            except OSError:
                continue
            scanned += 1
            if _IMPORTS_FASTAPI.search(head):
                return True
            if scanned >= MAX_SCANNED_MODULES:
                break
    return False


def _is_project_folder(entry: os.DirEntry) -> bool:
    if entry.name.startswith(".") or entry.name in _SKIPPED_FOLDERS:
        return False
    return not os.path.exists(os.path.join(entry.path, "pyvenv.cfg"))
