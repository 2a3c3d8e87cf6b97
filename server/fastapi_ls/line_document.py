"""Text documents that apply an edit to the lines it touches, not to the whole text.

pygls rebuilds a document's whole text on every incremental change (a Python loop over all of
its lines, then a split of the result); on a 5,000-line module that is most of what a
keystroke costs.  Here the lines are what is kept up to date, and the text is joined only
when something asks for it (the analysis after a pause in typing), without keeping a second
copy of every open file.
"""

from __future__ import annotations

from lsprotocol import types
from pygls.workspace import TextDocument, Workspace

from .positions import apply_change, document_lines


class LineDocument(TextDocument):
    """Once its lines exist they are the only copy: the text is joined from them on demand."""

    _lines: list[str] | None = None

    @property
    def source(self) -> str:
        if self._lines is not None:
            return "".join(self._lines)
        return super().source

    @property
    def lines(self) -> list[str]:
        """The lines with their endings; the last is empty when the text ends with a newline."""
        if self._lines is None:
            self._lines = document_lines(super().source)
            self._source = None
        return self._lines

    def _apply_incremental_change(self, change: types.TextDocumentContentChangePartial) -> None:
        apply_change(self.lines, change, self.position_codec)

    def _apply_full_change(self, change: types.TextDocumentContentChangeEvent) -> None:
        self._source = change.text
        self._lines = None


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
