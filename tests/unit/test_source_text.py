"""The one scanner of source text: code versus strings and comments, brackets, route decorators."""

from __future__ import annotations

import pytest

from fastapi_ls.source_text import (
    bracket_balance,
    closing_bracket,
    ends_in_comment_or_string,
    route_decorator,
    unclosed_bracket,
)


@pytest.mark.parametrize(
    ("text", "inside"),
    [
        ('x = "abc', True),
        ('x = "a"', False),
        ("x = 1  # note", True),
        ('f("""first line', True),
        ('f("""a""")', False),
        ("s = 'it\\'s", True),
        ("s = 'it\\'s'", False),
        ('x = "#"', False),
        ("x = 1", False),
        ("", False),
    ],
)
def test_ends_in_comment_or_string(text, inside):
    assert ends_in_comment_or_string(text) is inside


@pytest.mark.parametrize(
    ("text", "balance"),
    [
        ("f(a, [b", 2),
        ('f(")", {"k": "("})', 0),
        ("f(a)  # (((", 0),
        ("])", -2),
    ],
)
def test_bracket_balance(text, balance):
    assert bracket_balance(text) == balance


def test_closing_bracket_skips_strings_and_comments():
    text = 'f(a, ")", # )\n  (b)) + 1'
    assert text[closing_bracket(text, 1, 100)] == ")"
    assert closing_bracket(text, 1, 100) == text.index(") + 1")
    assert closing_bracket("f(a, (b", 1, 100) is None
    assert closing_bracket("f(" + "x" * 50 + ")", 1, 10) is None


def test_unclosed_bracket():
    text = 'Depends(get(x), "(", ['
    assert unclosed_bracket(text) == len(text) - 1
    assert unclosed_bracket('Depends(get(x), "("') == len("Depends")
    assert unclosed_bracket("f(x)") is None


@pytest.mark.parametrize(
    ("line", "found"),
    [
        ('@app.get("/")', ("app", "get")),
        ('    @router.post("/items", status_code=201)', ("router", "post")),
        ('@api.v1.get("/")', ("api.v1", "get")),
        ("@ app . websocket", ("app", "websocket")),
        ('@app.api_route("/", methods=["GET"])', ("app", "api_route")),
        ('@app.middleware("http")', None),
        ("@property", None),
        ("app.get('/')", None),
    ],
)
def test_route_decorator(line, found):
    assert route_decorator(line) == found
