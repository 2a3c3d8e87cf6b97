"""Conversions between the client's positions and character columns.

The client counts columns in UTF-8, UTF-16 or UTF-32 code units, whichever was negotiated;
the server's modules count characters.  Positions out of range are clamped, never an error.
"""

from __future__ import annotations

from collections.abc import Sequence

from lsprotocol import types
from pygls.workspace.position_codec import PositionCodec


def document_lines(source: str) -> list[str]:
    """The document's lines with their endings, including the empty last line after a newline."""
    lines = source.splitlines(True)
    if not lines or lines[-1].endswith(("\n", "\r")):
        lines.append("")
    return lines


def to_server(
    lines: Sequence[str], codec: PositionCodec, position: types.Position
) -> tuple[int, int]:
    """(line, character column) for a client position, clamped to the document."""
    if not lines:
        return 0, 0
    if position.line >= len(lines):
        return len(lines) - 1, len(lines[-1].rstrip("\r\n"))
    line = max(position.line, 0)
    text = lines[line].rstrip("\r\n")
    wanted = max(position.character, 0)
    units = 0
    for column, char in enumerate(text):
        if units >= wanted:
            return line, column
        units += codec.client_num_units(char)
    return line, len(text)


def to_client(lines: Sequence[str], codec: PositionCodec, line: int, column: int) -> types.Position:
    """The client position of (line, character column)."""
    if line >= len(lines):
        return types.Position(line=line, character=0)
    return types.Position(line=line, character=codec.client_num_units(lines[line][:column]))
