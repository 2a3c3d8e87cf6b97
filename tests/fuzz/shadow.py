"""The client's side of a document: its text, and LSP positions computed independently of the
server's code (a character-by-character reference, not the server's fast paths)."""

from __future__ import annotations

import re

_BREAK = re.compile(r"\r\n|\r|\n")


def char_units(char: str, encoding: str) -> int:
    if encoding == "utf-32" or "\ud800" <= char <= "\udfff":
        return 1
    if encoding == "utf-8":
        return len(char.encode("utf-8"))
    return 2 if ord(char) > 0xFFFF else 1


def units(text: str, encoding: str) -> int:
    return sum(char_units(char, encoding) for char in text)


class Shadow:
    def __init__(self, text: str, encoding: str) -> None:
        self.text = text
        self.encoding = encoding

    def line_spans(self) -> list[tuple[int, int]]:
        """(start, end without the line break) of every line, LSP's way."""
        spans, start = [], 0
        for match in _BREAK.finditer(self.text):
            spans.append((start, match.start()))
            start = match.end()
        spans.append((start, len(self.text)))
        return spans

    def lines(self) -> list[str]:
        return [self.text[start:end] for start, end in self.line_spans()]

    def offset(self, line: int, character: int) -> int:
        """The text offset of a client position, clamped as the server clamps it."""
        spans = self.line_spans()
        if line >= len(spans):
            return spans[-1][1]
        start, end = spans[max(line, 0)]
        count = 0
        for index in range(start, end):
            if count >= character:
                return index
            count += char_units(self.text[index], self.encoding)
        return end

    def apply(self, start: tuple[int, int], end: tuple[int, int], new_text: str) -> None:
        first, last = sorted((self.offset(*start), self.offset(*end)))
        self.text = self.text[:first] + new_text + self.text[last:]

    def end_of_line(self, line: int) -> tuple[int, int]:
        return line, units(self.lines()[line], self.encoding)

    def position(self, offset: int) -> tuple[int, int]:
        """The client position of a text offset (which must not split a line break)."""
        line = len(_BREAK.findall(self.text, 0, offset))
        start = self.line_spans()[line][0]
        return line, units(self.text[start:offset], self.encoding)
