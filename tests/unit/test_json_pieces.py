"""Large JSON bodies decoded in pieces: always what json.loads gives, errors included."""

from __future__ import annotations

import json
import random
import re

import pytest

from fastapi_ls import json_pieces

#: Characters and sequences that make escapes, multi-byte characters and pairs in JSON.
ALPHABET = [
    "a",
    "b c",
    '"',
    "\\",
    "\r\n",
    "\n",
    "\r",
    "\t",
    "\x00",
    "\x1f",
    "/",
    "é",
    "€",
    "😀",
    "\U0010ffff",
    "\ud800",
    "\udfff",
    "\u2028",
    "\ufeff",
]


@pytest.fixture
def small_pieces(monkeypatch):
    # Tiny pieces put a border at nearly every kind of place an escape or character can be.
    monkeypatch.setattr(json_pieces, "SLICED_BODY_BYTES", 64)
    monkeypatch.setattr(json_pieces, "LONG_LITERAL_BYTES", 24)
    monkeypatch.setattr(json_pieces, "PIECE_BYTES", 16)


def random_text(generator: random.Random, size: int) -> str:
    return "".join(generator.choice(ALPHABET) for _ in range(size))


def literal(text: str, generator: random.Random) -> bytes:
    """A JSON string literal for ``text``, escaped in one of the ways clients do it."""
    style = generator.choice(["ascii", "utf-8", "upper-hex"])
    if style == "utf-8":
        return json.dumps(text, ensure_ascii=False).encode("utf-8", "surrogatepass")
    escaped = json.dumps(text)
    if style == "upper-hex":
        escaped = upper_hex(escaped)
    return escaped.encode()


def upper_hex(escaped: str) -> str:
    return re.sub(r"\\u([0-9a-f]{4})", lambda found: "\\u" + found.group(1).upper(), escaped)


def body_with(generator: random.Random, texts: list[str]) -> bytes:
    first, second, key = (literal(text, generator) for text in texts)
    return (
        b'{"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"text": %s, '
        b'"more": [1, %s, {%s: null}], "version": 3}}' % (first, second, key)
    )


@pytest.mark.parametrize("seed", range(200))
def test_random_bodies_decode_as_json_loads_does(small_pieces, seed):
    generator = random.Random(seed)
    texts = [random_text(generator, generator.randrange(30, 120)) for _ in range(3)]
    body = body_with(generator, texts)
    assert len(list(json_pieces._long_literals(body))) == 3
    assert json_pieces.loads(body) == json.loads(body)


def test_every_border_position_of_pairs_and_escapes(small_pieces):
    # Shifting the content one byte at a time moves each border across every escape kind.
    for shift in range(20):
        text = "x" * shift + '😀\\"é\r\n\ud83d' + "\ud83d\ude00" * 8 + "\\\\" * 9 + "end"
        for style in (json.dumps(text), upper_hex(json.dumps(text))):
            body = b'{"text": %s}' % style.encode()
            assert json_pieces.loads(body) == json.loads(body)


@pytest.mark.parametrize(
    "content",
    [
        b"abc\ndef" * 10,  # a raw control character
        b"abc\\xdef" * 10,  # an unknown escape
        b"abcdefgh" * 10 + b"\\u12",  # a cut-short \\u escape
        b"abcdefgh" * 10 + b"\xff\xfe",  # not UTF-8
        b"abc\xc3" + b"defgh" * 20,  # a character cut short
    ],
    ids=["control", "escape", "short-u", "not-utf8", "cut-character"],
)
def test_invalid_long_literals_fail_as_json_loads_does(small_pieces, content):
    body = b'{"text": "%s"}' % content
    with pytest.raises(ValueError):
        json.loads(body)
    with pytest.raises(ValueError):
        json_pieces.loads(body)


@pytest.mark.parametrize(
    "body",
    [
        b'{"text": "' + b"a" * 100,  # unterminated
        b'{"text": "' + b"a" * 100 + b'"} trailing',
        b'{"text": "' + b"a" * 100 + b'",}',
        b'{"text" "' + b"a" * 100 + b'"}',
        b'["' + b"a" * 100 + b'", ]',
    ],
    ids=["unterminated", "trailing", "trailing-comma", "no-colon", "array-comma"],
)
def test_invalid_structure_around_long_literals_fails(small_pieces, body):
    with pytest.raises(ValueError):
        json.loads(body)
    with pytest.raises(ValueError):
        json_pieces.loads(body)


def test_a_long_literal_alone_and_as_the_whole_body(small_pieces):
    text = 'a\\b"c😀' * 40
    for body in (json.dumps(text).encode(), json.dumps([text, text]).encode()):
        assert json_pieces.loads(body) == json.loads(body)


def test_a_large_document_at_the_real_sizes():
    text = 'def f():\n\treturn "é\\\\😀"\r\n' * 60_000
    body = json.dumps({"params": {"textDocument": {"text": text}}}).encode()
    assert len(body) > json_pieces.SLICED_BODY_BYTES
    assert json_pieces.loads(body)["params"]["textDocument"]["text"] == text
