"""Per-document state: the module analysis and the import header.

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
from pygls.workspace import TextDocument

from . import project
from .analysis import ModuleAnalysis, analyse
from .imports import ImportHeader, read_header
from .line_document import MAX_FOLLOWED_CHARS, LineDocument
from .positions import document_lines

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
        """Analyse ``document`` again (at most its first :data:`MAX_ANALYSED_CHARS`)."""
        if not _is_open(document):
            return self._transient_entry(document)
        entry = self._entries.get(document.uri)
        if entry is None:
            entry = self._entries[document.uri] = _Entry(_EMPTY_ANALYSIS, None)
        entry.header = None
        served = self._is_served(document, entry)
        entry.analysis = analyse(_analysed_text(document)) if served else _EMPTY_ANALYSIS
        entry.analysed_version = document.version
        return entry

    def _transient_entry(self, document: TextDocument) -> _Entry:
        """An entry for one request on a document that is not open; it is not kept."""
        entry = _Entry(_EMPTY_ANALYSIS, document.version)
        if self._is_served(document, entry):
            entry.analysis = analyse(_analysed_text(document))
        return entry

    def _is_served(self, document: TextDocument, entry: _Entry) -> bool:
        """Whether ``document`` is within the size limits (decided once per version)."""
        if entry.served_version == document.version and entry.served_version is not None:
            return entry.served
        size = _size(document)
        served = size <= MAX_SERVED_CHARS and not getattr(document, "oversized", False)
        if served and size > MAX_LINE_CHARS:
            served = max(map(len, _lines(document))) <= MAX_LINE_CHARS + 2
        if not served and entry.served:
            log.info("%s is beyond the size limits; it gets no service", document.uri)
        # A document that is neither open nor on disk gets nothing, not the service of an
        # empty file.
        served = served and getattr(document, "readable", True)
        entry.served, entry.served_version = served, document.version
        return served

    def changed(
        self,
        document: TextDocument,
        changes: list[types.TextDocumentContentChangeEvent],
    ) -> None:
        """Follow a ``didChange``: the header if it was touched, the analysis after a pause."""
        if not _is_open(document):
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

    def get(self, document: TextDocument) -> DocumentState:
        entry = self._entries.get(document.uri) if _is_open(document) else None
        if entry is None:
            entry = self.refresh(document)
        lines = _lines(document)
        if not self._is_served(document, entry):
            return DocumentState(lines, read_header([""]), _EMPTY_ANALYSIS, False, False)
        if entry.analysis is _EMPTY_ANALYSIS:
            # Back within the limits after an edit: analyse now, not after the next pause.
            entry = self.refresh(document)
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


def _is_open(document: TextDocument) -> bool:
    return not isinstance(document, LineDocument) or document.is_open


def _size(document: TextDocument) -> int:
    return document.size if isinstance(document, LineDocument) else len(document.source)


def _lines(document: TextDocument) -> list[str]:
    if isinstance(document, LineDocument):
        return document.lines
    return document_lines(document.source)


def _analysed_text(document: TextDocument) -> str:
    """The document's text up to the last whole line within :data:`MAX_ANALYSED_CHARS`."""
    if _size(document) <= MAX_ANALYSED_CHARS:
        return document.source
    kept: list[str] = []
    size = 0
    for line in _lines(document):
        size += len(line)
        if size > MAX_ANALYSED_CHARS:
            break
        kept.append(line)
    return "".join(kept)
