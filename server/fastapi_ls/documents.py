"""Per-document state: the lines of the current version and the module analysis.

The analysis of a large file costs milliseconds, so it is not redone on each keystroke: after
a change it is refreshed once typing pauses, and requests in between use the latest one (the
names a file defines rarely change between two keystrokes).  The lines are split once per
version.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from pathlib import Path

import attrs
from pygls.workspace import TextDocument

from . import project
from .analysis import ModuleAnalysis, analyse
from .positions import document_lines

#: Seconds without changes before a document is analysed again.
REFRESH_DELAY = 0.3

_SINGLE_WORD = re.compile(r"\s*\w*\s*")


@attrs.define
class _Entry:
    analysis: ModuleAnalysis
    analysed_version: int | None
    lines: list[str] | None = None
    lines_version: int | None = None
    timer: asyncio.TimerHandle | None = None


@attrs.frozen
class DocumentState:
    lines: list[str]
    analysis: ModuleAnalysis
    is_test_file: bool
    is_fastapi: bool


class DocumentStore:
    def __init__(self, roots: Callable[[], list[Path]]) -> None:
        self._roots = roots
        self._entries: dict[str, _Entry] = {}
        self._fastapi_projects: dict[Path, bool] = {}

    def refresh(self, document: TextDocument) -> _Entry:
        entry = self._entries.get(document.uri)
        analysis = analyse(document.source)
        if entry is None:
            entry = self._entries[document.uri] = _Entry(analysis, document.version)
        else:
            entry.analysis, entry.analysed_version = analysis, document.version
        return entry

    def refresh_later(self, uri: str, fetch: Callable[[], TextDocument]) -> None:
        entry = self._entries.get(uri)
        if entry is None:
            self.refresh(fetch())
            return
        if entry.timer is not None:
            entry.timer.cancel()

        def run() -> None:
            entry.timer = None
            if uri in self._entries:
                self.refresh(fetch())

        entry.timer = asyncio.get_running_loop().call_later(REFRESH_DELAY, run)

    def get(self, document: TextDocument) -> DocumentState:
        entry = self._entries.get(document.uri) or self.refresh(document)
        if entry.lines is None or entry.lines_version != document.version:
            entry.lines = document_lines(document.source)
            entry.lines_version = document.version
        is_test_file = project.is_test_file(document.path)
        return DocumentState(
            lines=entry.lines,
            analysis=entry.analysis,
            is_test_file=is_test_file,
            is_fastapi=entry.analysis.imports_fastapi
            or self._counts_as_fastapi(document, entry.lines, is_test_file),
        )

    def forget(self, uri: str) -> None:
        entry = self._entries.pop(uri, None)
        if entry is not None and entry.timer is not None:
            entry.timer.cancel()

    def forget_projects(self) -> None:
        self._fastapi_projects.clear()

    def _counts_as_fastapi(
        self, document: TextDocument, lines: list[str], is_test_file: bool
    ) -> bool:
        """A new, still empty file or a test file in a project that depends on FastAPI."""
        if not is_test_file and (len(lines) > 3 or not _SINGLE_WORD.fullmatch("".join(lines))):
            return False
        root = self._project_root(Path(document.path))
        if root is None:
            return False
        if root not in self._fastapi_projects:
            self._fastapi_projects[root] = project.depends_on_fastapi(root)
        return self._fastapi_projects[root]

    def _project_root(self, path: Path) -> Path | None:
        for root in self._roots():
            if path.is_relative_to(root):
                return root
        for parent in path.parents:
            if (parent / "pyproject.toml").is_file():
                return parent
        return None
