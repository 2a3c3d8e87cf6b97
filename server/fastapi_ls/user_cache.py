"""The user's cache directory for fastapi-ls: the Context7 pages and the knowledge base."""

from __future__ import annotations

from pathlib import Path

import platformdirs


def root() -> Path:
    """``$XDG_CACHE_HOME/fastapi-ls`` or ``~/.cache/fastapi-ls`` on Linux, the platform's own
    elsewhere."""
    path = platformdirs.user_cache_path("fastapi-ls", appauthor=False)
    if not path.is_absolute():
        # The XDG spec says a relative XDG_CACHE_HOME is invalid and must be ignored.
        path = Path.home() / ".cache" / "fastapi-ls"
    return path
