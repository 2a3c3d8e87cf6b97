"""JSON decoding of large message bodies in bounded pieces, so that other threads keep running.

CPython's JSON decoder is one C call that holds the GIL from the first byte to the last: a
``didOpen`` of a 50 MB module keeps every other thread, the event loop's included, waiting for
about a quarter of a second.  Nearly all of such a body is one string (the document's text).
:func:`loads` therefore finds the long string literals in the raw bytes, decodes each of them
in pieces of at most :data:`PIECE_BYTES` (one short C call each, so the interpreter can switch
threads in between), and lets :func:`json.loads` parse the rest of the body with each long
literal replaced by a unique stand-in.

The result equals ``json.loads(body)`` for every body, valid or not: the same values, and a
:class:`ValueError` (or :class:`RecursionError`) where ``json.loads`` raises one.  Pieces are
cut only in front of an escape sequence or where no escape is near, never inside a UTF-8
character, and never between the two ``\\uXXXX`` halves of a surrogate pair (which JSON joins
into one character).  Bodies below :data:`SLICED_BODY_BYTES` and bodies in an encoding other
than UTF-8 go to ``json.loads`` at once.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterator
from json.decoder import scanstring
from typing import Any

#: Bodies from this size on are decoded in pieces; smaller ones take a few milliseconds.
SLICED_BODY_BYTES = 1 << 20
#: String literals longer than this are decoded in pieces.
LONG_LITERAL_BYTES = 64 * 1024
#: Bytes of a long literal decoded in one C call (about a millisecond); at least 16, so that a
#: piece always keeps something after stepping back from an escape sequence.
PIECE_BYTES = 64 * 1024

_BACKSLASH = ord("\\")
_HIGH_SURROGATE = re.compile(rb"\\u[dD][89abAB][0-9a-fA-F]{2}")
_LOW_SURROGATE = re.compile(rb"\\u[dD][c-fC-F][0-9a-fA-F]{2}")


def loads(body: bytes) -> Any:
    """``json.loads(body)``, decoding long strings in pieces (see the module's docstring)."""
    if len(body) < SLICED_BODY_BYTES or json.detect_encoding(body) not in ("utf-8", "utf-8-sig"):
        return json.loads(body)
    nonce = secrets.token_hex(16)
    skeleton: list[bytes] = []
    values: dict[str, str] = {}
    position = 0
    for start, value, end in _long_literals(body):
        stand_in = f"{nonce}:{len(values)}"
        skeleton += (body[position:start], b'"', stand_in.encode(), b'"')
        values[stand_in] = value
        position = end + 1
    if not values:
        return json.loads(body)
    skeleton.append(body[position:])
    return _substitute(json.loads(b"".join(skeleton)), values)


def _long_literals(body: bytes) -> Iterator[tuple[int, str, int]]:
    """(opening quote, value, closing quote) of each string literal longer than
    LONG_LITERAL_BYTES, in order.

    In a body that is not valid JSON, what is taken for a literal may be none; ``json.loads``
    of the skeleton then fails as ``json.loads`` of the body would have (each literal taken
    out is decoded as strictly as ``json.loads`` would).
    """
    position = 0
    while (start := body.find(b'"', position)) >= 0:
        end = start
        while True:
            end = body.find(b'"', end + 1)
            if end < 0 or end - start > LONG_LITERAL_BYTES:
                # Long (or unterminated): its decoding finds where it ends.
                value, end = _decode_from(body, start + 1)
                yield start, value, end
                break
            if (end - _run_start(body, start + 1, end - 1)) % 2 == 0:
                break  # preceded by an even number of backslashes: not escaped
        position = end + 1


def _run_start(data: bytes, floor: int, last: int) -> int:
    """Where the run of backslashes ending at ``last`` starts (not before ``floor``).

    Returns ``last + 1`` when ``data[last]`` is not a backslash.
    """
    first = last + 1
    while first > floor and data[first - 1] == _BACKSLASH:
        first -= 1
    return first


def _decode_from(body: bytes, start: int) -> tuple[str, int]:
    """(the string whose literal's content starts at ``start``, its closing quote's index)."""
    pieces: list[str] = []
    while True:
        cut = _cut(body, start, min(len(body), start + PIECE_BYTES), len(body))
        chunk = body[start:cut].decode("utf-8", "surrogatepass")
        # The added quote ends the piece unless a quote of the body ends the literal first.
        value, stop = scanstring(chunk + '"', 0, True)
        pieces.append(value)
        if stop <= len(chunk):
            closing = start + len(chunk[: stop - 1].encode("utf-8", "surrogatepass"))
            return "".join(pieces), closing
        if cut >= len(body):
            raise ValueError("Unterminated string")
        start = cut


def _cut(data: bytes, start: int, wanted: int, end: int) -> int:
    """A position near ``wanted`` where the literal's content can be split.

    ``start`` is a position where a character or an escape sequence begins.
    """
    if wanted >= end:
        return end
    cut = wanted
    while cut > start + 1 and 0x80 <= data[cut] < 0xC0:
        cut -= 1  # inside a UTF-8 character
    # An escape sequence is at most six bytes (\uXXXX): only a backslash among the five bytes
    # before the cut can start one that the cut would split.
    backslash = data.rfind(b"\\", max(start, cut - 5), cut)
    # Unless it is the second half of an escaped backslash (the escape then ends before the
    # cut), that backslash starts an escape: cut in front of it.
    if backslash >= 0 and (backslash + 1 - _run_start(data, start, backslash)) % 2 == 1:
        cut = backslash
    if (
        _LOW_SURROGATE.match(data, cut)
        and cut - 6 > start
        and _HIGH_SURROGATE.match(data, cut - 6)
        and (cut - 5 - _run_start(data, start, cut - 6)) % 2 == 1
    ):
        cut -= 6  # keep the pair together
    return cut


def _substitute(value: Any, values: dict[str, str]) -> Any:
    """``value`` with every stand-in string (as a value or a key) replaced by its string."""
    if isinstance(value, str):
        return values.get(value, value)
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if any(key in values for key in item):
                replaced = {values.get(key, key): entry for key, entry in item.items()}
                item.clear()
                item.update(replaced)
            for key, entry in item.items():
                if isinstance(entry, str):
                    if entry in values:
                        item[key] = values[entry]
                elif isinstance(entry, (dict, list)):
                    stack.append(entry)
        elif isinstance(item, list):
            for index, entry in enumerate(item):
                if isinstance(entry, str):
                    if entry in values:
                        item[index] = values[entry]
                elif isinstance(entry, (dict, list)):
                    stack.append(entry)
    return value
