"""Text documents that apply an edit to the lines it touches, not to the whole text.

pygls rebuilds a document's whole text on every incremental change (a Python loop over all of
its lines, then a split of the result); on a 5,000-line module that is most of what a
keystroke costs.  Here the lines are what is kept up to date, and the text is joined only
when something asks for it (the analysis after a pause in typing), without keeping a second
copy of every open file.

A request may name a document the client never opened, or closed a moment ago (every editor
can produce that race): such a document is read from disk through :mod:`files` (regular files
only, size-capped) and is empty when that fails.  A ``didChange`` for a document that is not
open is ignored.  Both are logged at debug, since they are normal.

A document opened with more than :data:`MAX_FOLLOWED_CHARS` characters is not kept at all:
splitting 50 MB into lines alone would stall every request for half a second.  It reads as
empty and gets no service until the client replaces its whole text with a smaller one or
opens it again.
"""

from __future__ import annotations

import logging
from urllib.parse import unquote

from lsprotocol import types
from pygls.workspace import TextDocument, Workspace

from .files import read_source
from .positions import apply_change, document_lines

log = logging.getLogger(__name__)

#: Larger documents are not followed (no generated or data file needs completions).
MAX_FOLLOWED_CHARS = 5_000_000


class LineDocument(TextDocument):
    """Once its lines exist they are the only copy: the text is joined from them on demand."""

    _lines: list[str] | None = None
    _size: int | None = None
    #: False for a document the client has not opened (its text comes from disk).
    is_open = True
    #: False when the text should have come from disk but could not be read.
    readable = True
    #: True when the text is too large to be followed (see MAX_FOLLOWED_CHARS).
    oversized = False

    @property
    def source(self) -> str:
        if self._lines is not None:
            return "".join(self._lines)
        if self._source is None:
            self._source = self._read_from_disk()
        return self._source

    @property
    def lines(self) -> list[str]:
        """The lines with their endings; the last is empty when the text ends with a newline."""
        if self._lines is None:
            source = self.source
            self._size = len(source)
            self._lines = document_lines(source)
            self._source = None
        return self._lines

    @property
    def size(self) -> int:
        """Characters in the document, known without joining its lines."""
        if self._size is None:
            self._size = len(self.source)
        return self._size

    def _read_from_disk(self) -> str:
        text = read_source(self.path) if self.path else None
        if text is None:
            log.debug("%s is neither open nor readable; taking it as empty", self.uri)
            self.readable = False
        return text or ""

    def _apply_incremental_change(self, change: types.TextDocumentContentChangePartial) -> None:
        if self.oversized:
            return
        size = self.size
        self._size = size + apply_change(self.lines, change, self.position_codec)

    def _apply_full_change(self, change: types.TextDocumentContentChangeEvent) -> None:
        self._lines = None
        self._set_source(change.text)

    def _set_source(self, text: str) -> None:
        self.oversized = len(text) > MAX_FOLLOWED_CHARS
        if self.oversized:
            log.info("%s has %d characters; it is not followed", self.uri, len(text))
            text = ""
        self._source = text
        self._size = len(text)


class LineWorkspace(Workspace):
    """A pygls workspace whose open documents are :class:`LineDocument`."""

    def get_text_document(self, doc_uri: str) -> TextDocument:
        document = self._text_documents.get(unquote(doc_uri))
        if document is None:
            document = self._create_text_document(doc_uri)
            document.is_open = False
        return document

    def update_text_document(
        self,
        text_doc: types.VersionedTextDocumentIdentifier,
        change: types.TextDocumentContentChangeEvent,
    ) -> None:
        if unquote(text_doc.uri) not in self._text_documents:
            log.debug("ignoring a change of %s, which is not open", text_doc.uri)
            return
        super().update_text_document(text_doc, change)

    def _create_text_document(
        self,
        doc_uri: str,
        source: str | None = None,
        version: int | None = None,
        language_id: str | None = None,
    ) -> TextDocument:
        document = LineDocument(
            doc_uri,
            version=version,
            language_id=language_id,
            sync_kind=self._sync_kind,
            position_codec=self.position_codec,
        )
        if source is not None:
            document._set_source(source)
        return document
