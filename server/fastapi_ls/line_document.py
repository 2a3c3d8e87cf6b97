"""Text documents that apply an edit to the lines it touches, not to the whole text.

pygls rebuilds a document's whole text on every incremental change (a Python loop over all of
its lines, then a split of the result); on a 5,000-line module that is most of what a
keystroke costs.  Here the lines are what is kept up to date, and the text is joined only
when something asks for it (the analysis after a pause in typing).
"""

from __future__ import annotations

from lsprotocol import types
from pygls.workspace import TextDocument, Workspace

from .positions import apply_change, document_lines


class LineDocument(TextDocument):
    _lines: list[str] | None = None
    _text_is_stale = False

    @property
    def source(self) -> str:
        if self._text_is_stale and self._lines is not None:
            self._source = "".join(self._lines)
            self._text_is_stale = False
        return super().source

    @property
    def lines(self) -> list[str]:
        """The lines with their endings; the last is empty when the text ends with a newline."""
        if self._lines is None:
            self._lines = document_lines(self.source)
        return self._lines

    def _apply_incremental_change(self, change: types.TextDocumentContentChangePartial) -> None:
        apply_change(self.lines, change, self.position_codec)
        self._text_is_stale = True

    def _apply_full_change(self, change: types.TextDocumentContentChangeEvent) -> None:
        self._source = change.text
        self._lines = None
        self._text_is_stale = False


class LineWorkspace(Workspace):
    """A pygls workspace whose open documents are :class:`LineDocument`."""

    def _create_text_document(
        self,
        doc_uri: str,
        source: str | None = None,
        version: int | None = None,
        language_id: str | None = None,
    ) -> TextDocument:
        return LineDocument(
            doc_uri,
            source=source,
            version=version,
            language_id=language_id,
            sync_kind=self._sync_kind,
            position_codec=self.position_codec,
        )
