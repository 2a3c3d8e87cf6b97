"""Lines, and conversions between the client's positions and character columns.

The client counts columns in UTF-8, UTF-16 or UTF-32 code units, whichever was negotiated;
the server's modules count characters.  Positions out of range are clamped, never an error.
Lines end at ``\\n``, ``\\r\\n`` or ``\\r`` only, as LSP says (``str.splitlines`` would also
break at form feeds and Unicode separators, which would shift every line after them).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from lsprotocol import types
from pygls.workspace.position_codec import PositionCodec

#: Characters that ``str.splitlines`` treats as line breaks but LSP does not.
_OTHER_BREAKS = re.compile("[\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
_LSP_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")


def split_lines(text: str) -> list[str]:
    """The lines of ``text`` with their endings (no empty piece after a final newline)."""
    if _OTHER_BREAKS.search(text) is None:
        return text.splitlines(True)
    return _LSP_LINE.findall(text)


def document_lines(source: str) -> list[str]:
    """The document's lines with their endings, including the empty last line after a newline."""
    lines = split_lines(source)
    if not lines or lines[-1].endswith(("\n", "\r")):
        lines.append("")
    return lines


def apply_change(
    lines: list[str],
    change: types.TextDocumentContentChangeEvent,
    codec: PositionCodec,
) -> int:
    """Apply one ``didChange`` content change to ``lines`` (as made by :func:`document_lines`).

    Returns by how many characters the text grew (negative when it shrank).
    """
    if not isinstance(change, types.TextDocumentContentChangePartial):
        before = sum(map(len, lines))
        lines[:] = document_lines(change.text)
        return len(change.text) - before
    start_line, start_column = to_server(lines, codec, change.range.start)
    end_line, end_column = to_server(lines, codec, change.range.end)
    if (end_line, end_column) < (start_line, start_column):
        start_line, start_column, end_line, end_column = (
            end_line,
            end_column,
            start_line,
            start_column,
        )
    removed = sum(map(len, lines[start_line : end_line + 1]))
    follows_cr = start_line > 0 and lines[start_line - 1].endswith("\r")
    if start_line == end_line and not follows_cr and not _BREAKS.search(change.text):
        # Typing within a line: no splitting (the line may be megabytes long).
        line = lines[start_line]
        lines[start_line] = line[:start_column] + change.text + line[end_column:]
        return len(lines[start_line]) - removed
    joined = lines[start_line][:start_column] + change.text + lines[end_line][end_column:]
    # A "\r" and a "\n" brought together by the edit become one line break.
    if follows_cr:
        start_line -= 1
        removed += len(lines[start_line])
        joined = lines[start_line] + joined
    if joined.endswith("\r") and end_line + 1 < len(lines):
        end_line += 1
        removed += len(lines[end_line])
        joined += lines[end_line]
    pieces = split_lines(joined)
    if end_line == len(lines) - 1 and (not pieces or pieces[-1].endswith(("\n", "\r"))):
        pieces.append("")
    lines[start_line : end_line + 1] = pieces
    return sum(map(len, pieces)) - removed


_BREAKS = re.compile("[\r\n]")


def units(text: str, codec: PositionCodec) -> int:
    """How many of the client's code units ``text`` takes (a lone surrogate takes one)."""
    if text.isascii() or codec.encoding == types.PositionEncodingKind.Utf32:
        return len(text)
    if codec.encoding == types.PositionEncodingKind.Utf8:
        # Lone surrogates cannot be encoded; "replace" makes each of them one byte.
        return len(text.encode("utf-8", "replace"))
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def to_server(
    lines: Sequence[str], codec: PositionCodec, position: types.Position
) -> tuple[int, int]:
    """(line, character column) for a client position, clamped to the document.

    A position inside a character (between the bytes of "é" in UTF-8, between the halves of an
    emoji in UTF-16) is taken to be just after it.  The work is done by C-level string
    operations, not a loop over characters: lines can be megabytes long.
    """
    if not lines:
        return 0, 0
    if position.line >= len(lines):
        return len(lines) - 1, len(lines[-1].rstrip("\r\n"))
    line = max(position.line, 0)
    text = lines[line].rstrip("\r\n")
    wanted = max(position.character, 0)
    if text.isascii() or codec.encoding == types.PositionEncodingKind.Utf32:
        return line, min(wanted, len(text))
    if codec.encoding == types.PositionEncodingKind.Utf8:
        # Each byte that does not continue a character starts one.
        head = text.encode("utf-8", "replace")[:wanted]
        return line, len(head) - len(head.translate(None, _UTF8_LEAD_BYTES))
    return line, min(_utf16_column(text, wanted), len(text))


#: Every byte except UTF-8 continuation bytes (0x80-0xBF), for ``bytes.translate``'s delete.
_UTF8_LEAD_BYTES = bytes(b for b in range(256) if not 0x80 <= b <= 0xBF)
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


def _utf16_column(text: str, wanted: int) -> int:
    """The column of UTF-16 offset ``wanted``: astral characters take two units, others one."""
    extra = 0
    for match in _ASTRAL.finditer(text):
        before = match.start() + extra
        if before >= wanted:
            break
        if before + 1 == wanted:
            return match.start() + 1
        extra += 1
    return wanted - extra


def to_client(lines: Sequence[str], codec: PositionCodec, line: int, column: int) -> types.Position:
    """The client position of (line, character column)."""
    if line >= len(lines):
        return types.Position(line=line, character=0)
    return types.Position(line=line, character=units(lines[line][:column], codec))
