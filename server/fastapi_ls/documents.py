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

Size limits keep every request fast whatever the client opens: only the first
:data:`MAX_ANALYSED_CHARS` of a document are analysed, and a document larger than
:data:`MAX_SERVED_CHARS`, or with a line longer than :data:`MAX_LINE_CHARS`, is not served at
all (no analysis, no completion, hover or code actions), like a file that is not FastAPI code.

A document the client has not opened (a request racing a ``didClose``) is read from disk by
the workspace and analysed for that request only; a ``didChange`` for it is ignored.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from pathlib import Path

import attrs
from lsprotocol import types

from . import project
from .analysis import ModuleAnalysis, analyse
from .imports import ImportHeader, read_header
from .line_document import MAX_FOLLOWED_CHARS, LineDocument
from .projects import FastApiProjects, ProjectFacts

#: Seconds without changes before a document is analysed again.
REFRESH_DELAY = 0.3
#: Only this much of a document is analysed (about 25 ms): the lines after it are served, but
#: the names they define are not known.  A thread would not help: the analysis is made of
#: regular-expression scans that hold the GIL for tens of milliseconds each.
MAX_ANALYSED_CHARS = 200_000
#: Documents larger than this get no service: a hand-written module is far smaller.
MAX_SERVED_CHARS = MAX_FOLLOWED_CHARS
#: A document with a longer line (minified or generated code) gets no service.
MAX_LINE_CHARS = 20_000

log = logging.getLogger(__name__)
_EMPTY_ANALYSIS = analyse("")

_SINGLE_WORD = re.compile(r"\s*\w*\s*")


@attrs.define
class _Entry:
    analysis: ModuleAnalysis
    analysed_version: int | None
    #: whether the document is within the size limits, for ``served_version``
    served: bool = True
    served_version: int | None = None
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
        fetch: Callable[[str], LineDocument],
        projects: ProjectFacts | None = None,
    ) -> None:
        self._roots = roots
        self._fetch = fetch
        self._entries: dict[str, _Entry] = {}
        self._projects = projects or FastApiProjects()

    def refresh(self, document: LineDocument) -> _Entry:
        """Analyse ``document`` again (at most its first :data:`MAX_ANALYSED_CHARS`)."""
        if not document.is_open:
            return self._transient_entry(document)
        entry = self._entries.get(document.uri)
        if entry is None:
            entry = self._entries[document.uri] = _Entry(_EMPTY_ANALYSIS, None)
            # Start finding out about the project now, so the first request finds the answer.
            self._in_fastapi_project(document, entry)
        entry.header = None
        served = self._is_served(document, entry)
        entry.analysis = analyse(_analysed_text(document)) if served else _EMPTY_ANALYSIS
        entry.analysed_version = document.version
        return entry

    def _transient_entry(self, document: LineDocument) -> _Entry:
        """An entry for one request on a document that is not open; it is not kept."""
        entry = _Entry(_EMPTY_ANALYSIS, document.version)
        if self._is_served(document, entry):
            entry.analysis = analyse(_analysed_text(document))
        return entry

    def _is_served(self, document: LineDocument, entry: _Entry) -> bool:
        """Whether ``document`` is within the size limits (decided once per version)."""
        if entry.served_version == document.version and entry.served_version is not None:
            return entry.served
        size = document.size
        served = size <= MAX_SERVED_CHARS and not document.oversized
        if served and size > MAX_LINE_CHARS:
            served = all(
                len(line.rstrip("\r\n")) <= MAX_LINE_CHARS
                for line in document.lines
                if len(line) > MAX_LINE_CHARS
            )
        if not served and entry.served:
            log.info("%s is beyond the size limits; it gets no service", document.uri)
        # A document that is neither open nor on disk gets nothing, not the service of an
        # empty file.
        served = served and getattr(document, "readable", True)
        entry.served, entry.served_version = served, document.version
        return served

    def changed(
        self,
        document: LineDocument,
        changes: list[types.TextDocumentContentChangeEvent],
    ) -> None:
        """Follow a ``didChange``: the header if it was touched, the analysis after a pause."""
        if not document.is_open:
            return
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

    def get(self, document: LineDocument) -> DocumentState:
        entry = self._entries.get(document.uri) if document.is_open else None
        if entry is None:
            entry = self.refresh(document)
        lines = document.lines
        if not self._is_served(document, entry):
            return DocumentState(lines, read_header([""]), _EMPTY_ANALYSIS, False, False)
        if entry.analysis is _EMPTY_ANALYSIS:
            # Back within the limits after an edit: analyse now, not after the next pause.
            entry = self.refresh(document)
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

    def analysis_of(self, uri: str) -> ModuleAnalysis | None:
        entry = self._entries.get(uri)
        return entry.analysis if entry else None

    def forget(self, uri: str) -> None:
        entry = self._entries.pop(uri, None)
        if entry is not None and entry.timer is not None:
            entry.timer.cancel()

    def forget_projects(self) -> None:
        self._projects.forget()

    def _in_fastapi_project(self, document: LineDocument, entry: _Entry) -> bool:
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


def _analysed_text(document: LineDocument) -> str:
    """The document's text up to the last whole line within :data:`MAX_ANALYSED_CHARS`."""
    if document.size <= MAX_ANALYSED_CHARS:
        return document.source
    kept: list[str] = []
    size = 0
    for line in document.lines:
        size += len(line)
        if size > MAX_ANALYSED_CHARS:
            break
        kept.append(line)
    return "".join(kept)
