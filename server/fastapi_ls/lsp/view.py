"""One open document as a handler sees it: its state, and positions in both directions.

The client counts columns in its negotiated encoding; the pure modules count characters.
Every conversion between the two goes through a view, so no handler slices text with a raw
LSP ``character``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import attrs
from lsprotocol import types

from ..documents import DocumentState
from ..line_document import LineDocument
from ..positions import to_client, to_server

ServerPosition = tuple[int, int]


@attrs.frozen
class DocumentView:
    document: LineDocument
    state: DocumentState

    @property
    def uri(self) -> str:
        return self.document.uri

    @property
    def path(self) -> Path:
        return Path(self.document.path)

    @property
    def lines(self) -> list[str]:
        return self.state.lines

    @property
    def is_fastapi(self) -> bool:
        return self.state.is_fastapi

    def position(self, position: types.Position) -> ServerPosition:
        """The client's position as (line, character column), clamped into the text."""
        return to_server(self.lines, self.document.position_codec, position)

    def client_position(self, line: int, column: int) -> types.Position:
        return to_client(self.lines, self.document.position_codec, line, column)

    def client_range(self, start: ServerPosition, end: ServerPosition | None = None) -> types.Range:
        end = end or start
        return types.Range(start=self.client_position(*start), end=self.client_position(*end))

    def text_in(self, range_: types.Range) -> str:
        """The text the client's range covers ("" for an empty range)."""
        return self._text_between(self.position(range_.start), self.position(range_.end))

    def _text_between(self, start: ServerPosition, end: ServerPosition) -> str:
        if start >= end:
            return ""
        lines = self.lines
        if start[0] == end[0]:
            return lines[start[0]][start[1] : end[1]]
        middle = lines[start[0] + 1 : end[0]]
        return "".join([lines[start[0]][start[1] :], *middle, lines[end[0]][: end[1]]])

    @property
    def version(self) -> int | None:
        return self.document.version


class WorkspaceFiles:
    """Client ranges in any file of the workspace, open or not, for one request: each file's
    lines are read once (from the open document, else from disk)."""

    def __init__(self, fetch: Callable[[str], LineDocument]) -> None:
        self._fetch = fetch
        self._documents: dict[str, LineDocument] = {}

    def document(self, path: str) -> LineDocument:
        document = self._documents.get(path)
        if document is None:
            document = self._documents[path] = self._fetch(Path(path).as_uri())
        return document

    def lines(self, path: str) -> list[str]:
        return self.document(path).lines

    def range(self, path: str, span: tuple[int, int, int, int]) -> types.Range:
        document = self.document(path)
        lines, codec = document.lines, document.position_codec
        return types.Range(
            start=to_client(lines, codec, span[0], span[1]),
            end=to_client(lines, codec, span[2], span[3]),
        )

    def location(self, path: str, span: tuple[int, int, int, int]) -> types.Location:
        return types.Location(uri=Path(path).as_uri(), range=self.range(path, span))
