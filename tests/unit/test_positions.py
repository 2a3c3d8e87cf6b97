"""Unit tests of line splitting, incremental changes and position conversion."""

from __future__ import annotations

import random

import pytest
from helpers import units as client_units
from lsprotocol import types
from pygls.workspace.position_codec import PositionCodec

from fastapi_ls.line_document import LineDocument
from fastapi_ls.positions import apply_change, document_lines, to_client, to_server

ENCODINGS = ["utf-8", "utf-16", "utf-32"]
ALPHABET = ["a", "b", " ", "\n", "\r\n", "\r", "é", "😀", "\t", "\x0c", "\u2028", "("]


def test_only_lsp_line_breaks_split():
    assert document_lines("a\x0cb\u2028c\nd") == ["a\x0cb\u2028c\n", "d"]
    assert document_lines("a\r\nb\rc\n") == ["a\r\n", "b\r", "c\n", ""]
    assert document_lines("") == [""]


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_round_trip_positions(encoding):
    codec = PositionCodec(encoding)
    lines = document_lines('x = "😀é"  # ok\n')
    for column in range(len(lines[0]) - 1):
        position = to_client(lines, codec, 0, column)
        assert position.character == client_units(lines[0][:column], encoding)
        assert to_server(lines, codec, position) == (0, column)


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_clamping(encoding):
    codec = PositionCodec(encoding)
    lines = document_lines("ab😀\ncd\n")
    assert to_server(lines, codec, types.Position(line=0, character=99)) == (0, 3)
    assert to_server(lines, codec, types.Position(line=99, character=0)) == (2, 0)


def offset_of(text: str, line: int, column: int) -> int:
    lines = document_lines(text)
    return sum(len(piece) for piece in lines[:line]) + column


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_incremental_changes_match_a_full_split(encoding):
    codec = PositionCodec(encoding)
    generator = random.Random(f"changes-{encoding}")
    text = "from fastapi import FastAPI\r\napp = FastAPI()\n😀 = 1\n"
    lines = document_lines(text)
    for _ in range(3000):
        start_line = generator.randrange(len(lines))
        start_column = generator.randrange(len(lines[start_line].rstrip("\r\n")) + 1)
        end_line = min(len(lines) - 1, start_line + generator.choice([0, 0, 0, 1, 2]))
        end_column = generator.randrange(len(lines[end_line].rstrip("\r\n")) + 1)
        if (end_line, end_column) < (start_line, start_column):
            end_line, end_column = start_line, start_column
        inserted = "".join(generator.choice(ALPHABET) for _ in range(generator.randrange(4)))
        change = types.TextDocumentContentChangePartial(
            range=types.Range(
                start=to_client(lines, codec, start_line, start_column),
                end=to_client(lines, codec, end_line, end_column),
            ),
            text=inserted,
        )
        start = offset_of(text, start_line, start_column)
        end = offset_of(text, end_line, end_column)
        text = text[:start] + inserted + text[end:]
        apply_change(lines, change, codec)
        assert lines == document_lines(text)


def test_whole_document_change():
    lines = document_lines("a\nb\n")
    apply_change(lines, types.TextDocumentContentChangeWholeDocument(text="x"), PositionCodec())
    assert lines == ["x"]


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_line_document_agrees_with_the_text(encoding):
    codec = PositionCodec(encoding)
    generator = random.Random(f"document-{encoding}")
    text = "from fastapi import FastAPI\napp = FastAPI()\n# é 😀\n"
    document = LineDocument("file:///tmp/m.py", codec, text, version=1)
    for _ in range(500):
        lines = document.lines
        start_line = generator.randrange(len(lines))
        start_column = generator.randrange(len(lines[start_line].rstrip("\r\n")) + 1)
        end_line = min(len(lines) - 1, start_line + generator.choice([0, 1]))
        end_column = generator.randrange(len(lines[end_line].rstrip("\r\n")) + 1)
        if (end_line, end_column) < (start_line, start_column):
            end_line, end_column = start_line, start_column
        inserted = "".join(generator.choice(ALPHABET) for _ in range(generator.randrange(4)))
        start = offset_of(text, start_line, start_column)
        end = offset_of(text, end_line, end_column)
        text = text[:start] + inserted + text[end:]
        document.apply(
            types.TextDocumentContentChangePartial(
                range=types.Range(
                    start=to_client(lines, codec, start_line, start_column),
                    end=to_client(lines, codec, end_line, end_column),
                ),
                text=inserted,
            )
        )
        if generator.random() < 0.3:
            assert document.source == text
    assert document.source == text
    assert document.lines == document_lines(text)
    document.apply(types.TextDocumentContentChangeWholeDocument(text="x = 1\n"))
    assert document.lines == ["x = 1\n", ""] and document.source == "x = 1\n"


SURROGATE_ALPHABET = ["a", "é", "😀", "\ud800", "\udfff", "\udc00\ud83d", "\u0301", "中"]


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_every_client_offset_maps_to_the_first_column_reaching_it(encoding):
    """Lone surrogates count one unit each; an offset inside a character lands after it."""
    codec = PositionCodec(encoding)
    generator = random.Random(f"offsets-{encoding}")
    for _ in range(200):
        text = "".join(generator.choice(SURROGATE_ALPHABET) for _ in range(12))
        lines = document_lines(text + "\n")
        total = client_units(text, encoding)
        for offset in range(total + 3):
            expected = next(
                (c for c in range(len(text) + 1) if client_units(text[:c], encoding) >= offset),
                len(text),
            )
            position = types.Position(line=0, character=offset)
            assert to_server(lines, codec, position) == (0, expected)
        assert to_client(lines, codec, 0, len(text)).character == total


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_lone_surrogates_never_break_incremental_edits(encoding):
    codec = PositionCodec(encoding)
    lines = document_lines("a\ud800b😀c\n")
    # Replace "b" (after one unit "a" and one unit for the surrogate) with a lone low half.
    change = types.TextDocumentContentChangePartial(
        range=types.Range(start=types.Position(0, 2), end=types.Position(0, 3)), text="\udc00"
    )
    apply_change(lines, change, codec)
    assert "".join(lines) == "a\ud800\udc00😀c\n"
