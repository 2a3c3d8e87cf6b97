"""The open documents, kept as lines: an edit changes only the lines it touches.

pygls keeps each open document as one string and rebuilds it on every incremental change (a
Python loop over all of its lines, then a split of the result); on a 5,000-line module that is
most of what a keystroke costs.  The server keeps its own documents instead (the protocol
routes ``didOpen``/``didChange``/``didClose`` here, see :mod:`fastapi_ls.protocol`): the lines
are what is kept up to date, and the text is joined only when something asks for it (the
analysis after a pause in typing).

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
from pygls.uris import to_fs_path
from pygls.workspace.position_codec import PositionCodec

from .files import read_source
from .positions import apply_change, document_lines

log = logging.getLogger(__name__)

#: Larger documents are not followed (no generated or data file needs completions).
MAX_FOLLOWED_CHARS = 5_000_000


class LineDocument:
    """One document's lines; once they exist they are the only copy of its text."""

    def __init__(
        self,
        uri: str,
        codec: PositionCodec,
        source: str | None = None,
        version: int | None = None,
        *,
        is_open: bool = True,
    ) -> None:
        self.uri = uri
        self.path = to_fs_path(uri) or ""
        self.position_codec = codec
        self.version = version
        #: False for a document the client has not opened (its text comes from disk).
        self.is_open = is_open
        #: False when the text should have come from disk but could not be read.
        self.readable = True
        #: True when the text is too large to be followed (see MAX_FOLLOWED_CHARS).
        self.oversized = False
        self._source: str | None = None
        self._lines: list[str] | None = None
        self._size: int | None = None
        if source is not None:
            self._set_source(source)

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

    def apply(self, change: types.TextDocumentContentChangeEvent) -> None:
        if not isinstance(change, types.TextDocumentContentChangePartial):
            self._lines = None
            self._set_source(change.text)
        elif not self.oversized:
            self._size = self.size + apply_change(self.lines, change, self.position_codec)

    def _set_source(self, text: str) -> None:
        self.oversized = len(text) > MAX_FOLLOWED_CHARS
        if self.oversized:
            log.info("%s has %d characters; it is not followed", self.uri, len(text))
            text = ""
        self._source = text
        self._size = len(text)

    def _read_from_disk(self) -> str:
        text = read_source(self.path) if self.path else None
        if text is None:
            log.debug("%s is neither open nor readable; taking it as empty", self.uri)
            self.readable = False
        return text or ""


class OpenDocuments:
    """The documents the client has opened, by URI."""

    def __init__(self) -> None:
        self._documents: dict[str, LineDocument] = {}
        self.codec = PositionCodec()

    def open(self, item: types.TextDocumentItem) -> None:
        self._documents[unquote(item.uri)] = LineDocument(
            item.uri, self.codec, item.text, item.version
        )

    def change(self, params: types.DidChangeTextDocumentParams) -> None:
        document = self._documents.get(unquote(params.text_document.uri))
        if document is None:
            log.debug("ignoring a change of %s, which is not open", params.text_document.uri)
            return
        for change in params.content_changes:
            document.apply(change)
        document.version = params.text_document.version

    def close(self, uri: str) -> None:
        self._documents.pop(unquote(uri), None)

    def uris(self) -> list[str]:
        return [document.uri for document in self._documents.values()]

    def get(self, uri: str) -> LineDocument:
        """The open document, or one read from disk for this request alone."""
        document = self._documents.get(unquote(uri))
        if document is None:
            document = LineDocument(uri, self.codec, is_open=False)
        return document
