"""Per-document state: the module analysis and the import header.

The analysis of a large file costs milliseconds, so it is not redone on each keystroke: after
a change it is refreshed once typing pauses, and requests in between use the latest one (the
names a file defines rarely change between two keystrokes).  The import header is read again
only after a change that may have touched it.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from pathlib import Path

import attrs
from lsprotocol import types
from pygls.workspace import TextDocument

from . import project
from .analysis import ModuleAnalysis, analyse
from .imports import ImportHeader, read_header
from .line_document import LineDocument
from .positions import document_lines

#: Seconds without changes before a document is analysed again.
REFRESH_DELAY = 0.3

_SINGLE_WORD = re.compile(r"\s*\w*\s*")


@attrs.define
class _Entry:
    analysis: ModuleAnalysis
    analysed_version: int | None
    #: the import header, valid for ``header_version``; None when a change may have touched it
    header: ImportHeader | None = None
    header_version: int | None = None
    timer: asyncio.TimerHandle | None = None


@attrs.frozen
class DocumentState:
    lines: list[str]
    header: ImportHeader
    analysis: ModuleAnalysis
    is_test_file: bool
    is_fastapi: bool


def _may_touch(change: types.TextDocumentContentChangeEvent, header: ImportHeader) -> bool:
    if not isinstance(change, types.TextDocumentContentChangePartial):
        return True
    return change.range.start.line <= header.last_line + 1


class DocumentStore:
    def __init__(
        self, roots: Callable[[], list[Path]], fetch: Callable[[str], TextDocument]
    ) -> None:
        self._roots = roots
        self._fetch = fetch
        self._entries: dict[str, _Entry] = {}
        self._fastapi_projects: dict[Path, bool] = {}

    def refresh(self, document: TextDocument) -> _Entry:
        entry = self._entries.get(document.uri)
        source = document.source
        analysis = analyse(source)
        if entry is None:
            entry = self._entries[document.uri] = _Entry(analysis, document.version)
        else:
            entry.analysis, entry.analysed_version = analysis, document.version
        entry.header = None
        return entry

    def changed(
        self,
        document: TextDocument,
        changes: list[types.TextDocumentContentChangeEvent],
    ) -> None:
        """Follow a ``didChange``: the header if it was touched, the analysis after a pause."""
        entry = self._entries.get(document.uri)
        if entry is None:
            self.refresh(document)
            return
        if entry.header is not None and entry.header_version is not None:
            if any(_may_touch(change, entry.header) for change in changes):
                entry.header = None
            else:
                entry.header_version = document.version
        self._refresh_later(document.uri, entry)

    def _refresh_later(self, uri: str, entry: _Entry) -> None:
        if entry.timer is not None:
            entry.timer.cancel()

        def run() -> None:
            entry.timer = None
            if uri in self._entries:
                self.refresh(self._fetch(uri))

        entry.timer = asyncio.get_running_loop().call_later(REFRESH_DELAY, run)

    def get(self, document: TextDocument) -> DocumentState:
        entry = self._entries.get(document.uri) or self.refresh(document)
        lines = document.lines if isinstance(document, LineDocument) else None
        if lines is None:
            lines = document_lines(document.source)
        if entry.header is None or entry.header_version != document.version:
            entry.header = read_header(lines)
            entry.header_version = document.version
        is_test_file = project.is_test_file(document.path)
        return DocumentState(
            lines=lines,
            header=entry.header,
            analysis=entry.analysis,
            is_test_file=is_test_file,
            is_fastapi=entry.analysis.imports_fastapi
            or self._counts_as_fastapi(document, lines, is_test_file),
        )

    def analysis_of(self, uri: str) -> ModuleAnalysis | None:
        entry = self._entries.get(uri)
        return entry.analysis if entry else None

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
