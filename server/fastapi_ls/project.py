"""Facts about the workspace: does the project depend on FastAPI, is a file a test file."""

from __future__ import annotations

import re
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
