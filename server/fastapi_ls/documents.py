"""Per-document state: the module analysis, the import header, and what kind of code it is.

Two notions decide what a document gets.  ``is_fastapi``: the module imports FastAPI (or is a
new file or a test file of a FastAPI project); it gets Tier 1 snippet completions.
``in_fastapi_project``: the file belongs to a project that depends on FastAPI (see
:mod:`projects`); every such file, FastAPI module or not (``db.py``, ``tasks.py``,
``migrations/env.py``), gets Tier 2 actions and the hover cards of the libraries it uses.

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
from .projects import FastApiProjects, ProjectFacts

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
    #: the root of the project the document belongs to, once looked for
    project_root: Path | None = None
    project_looked_up: bool = False


@attrs.frozen
class DocumentState:
    lines: list[str]
    header: ImportHeader
    analysis: ModuleAnalysis
    is_test_file: bool
    is_fastapi: bool
    in_fastapi_project: bool = False

    @property
    def tier2_enabled(self) -> bool:
        """Whether Tier 2 code actions and hover cards are offered in this document."""
        return self.is_fastapi or self.in_fastapi_project


def _may_touch(change: types.TextDocumentContentChangeEvent, header: ImportHeader) -> bool:
    if not isinstance(change, types.TextDocumentContentChangePartial):
        return True
    return change.range.start.line <= header.last_line + 1


class DocumentStore:
    def __init__(
        self,
        roots: Callable[[], list[Path]],
        fetch: Callable[[str], TextDocument],
        projects: ProjectFacts | None = None,
    ) -> None:
        self._roots = roots
        self._fetch = fetch
        self._entries: dict[str, _Entry] = {}
        self._projects = projects or FastApiProjects()

    def refresh(self, document: TextDocument) -> _Entry:
        entry = self._entries.get(document.uri)
        source = document.source
        analysis = analyse(source)
        if entry is None:
            entry = self._entries[document.uri] = _Entry(analysis, document.version)
            # Start finding out about the project now, so the first request finds the answer.
            self._in_fastapi_project(document, entry)
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
        in_project = self._in_fastapi_project(document, entry)
        return DocumentState(
            lines=lines,
            header=entry.header,
            analysis=entry.analysis,
            is_test_file=is_test_file,
            is_fastapi=entry.analysis.imports_fastapi
            or (in_project and _new_or_test_file(lines, is_test_file)),
            in_fastapi_project=in_project,
        )

    def tier2_document(self, uri: str) -> tuple[TextDocument, DocumentState] | None:
        """The document and its state when Tier 2 actions and hovers apply to it, else None."""
        document = self._fetch(uri)
        state = self.get(document)
        return (document, state) if state.tier2_enabled else None

    def analysis_of(self, uri: str) -> ModuleAnalysis | None:
        entry = self._entries.get(uri)
        return entry.analysis if entry else None

    def forget(self, uri: str) -> None:
        entry = self._entries.pop(uri, None)
        if entry is not None and entry.timer is not None:
            entry.timer.cancel()

    def forget_projects(self) -> None:
        self._projects.forget()

    def _in_fastapi_project(self, document: TextDocument, entry: _Entry) -> bool:
        if not entry.project_looked_up:
            entry.project_root = self._project_root(Path(document.path))
            entry.project_looked_up = True
        root = entry.project_root
        return root is not None and self._projects.depends_on_fastapi(root)

    def _project_root(self, path: Path) -> Path | None:
        for root in self._roots():
            if path.is_relative_to(root):
                return root
        for parent in path.parents:
            if (parent / "pyproject.toml").is_file():
                return parent
        return None


def _new_or_test_file(lines: list[str], is_test_file: bool) -> bool:
    """A test file, or a new file with at most one word typed: FastAPI code to be."""
    return is_test_file or (len(lines) <= 3 and bool(_SINGLE_WORD.fullmatch("".join(lines))))
