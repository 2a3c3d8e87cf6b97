"""Reading Python source text as the server needs it while the user types.

Broken code is the normal case (an unclosed call, a string half typed), so these helpers
never parse: one scanner walks the text and knows what is code and what is a string literal
or a comment; the other helpers ask it.  ``statement_starts``, which reads whole modules, has
a scanner of its own that jumps from quote to quote with regular expressions (the character
walk takes 30 ms on a 5,000-line module, this one a few).  Also here: what a route decorator
looks like, in one place for every feature that needs to recognise one.
"""

from __future__ import annotations

import re
from collections.abc import Generator, Iterator

#: The methods of ``FastAPI``/``APIRouter`` named after the HTTP method they serve.
HTTP_METHODS = ("get", "post", "put", "delete", "patch", "options", "head", "trace")
#: The methods of ``FastAPI``/``APIRouter`` that declare a path operation.
ROUTE_METHODS = frozenset({*HTTP_METHODS, "api_route", "websocket"})

#: ``@target.method`` at the start of a line; the target may be dotted (``@api.v1.get``).
_ROUTE_DECORATOR = re.compile(r"^[ \t]*@[ \t]*([A-Za-z_][\w.]*)[ \t]*\.[ \t]*([A-Za-z_]\w*)\b")
_OPENERS, _CLOSERS = "([{", ")]}"

#: What changes the state of ``statement_starts``: a quote, a comment, a backslash, brackets,
#: a line end.
_SCAN = re.compile(r"'{3}|\"{3}|['\"#\\\n]|[()\[\]{}]+")
_STRING_END = {
    quote: re.compile(pattern, re.DOTALL)
    for quote, pattern in (
        ("'", r"[^'\\\n]*(?:\\.[^'\\\n]*)*'"),
        ('"', r'[^"\\\n]*(?:\\.[^"\\\n]*)*"'),
        ("'''", r"[^'\\]*(?:(?:\\.|'(?!''))[^'\\]*)*'''"),
        ('"""', r'[^"\\]*(?:(?:\\.|"(?!""))[^"\\]*)*"""'),
    )
}
#: Lines that continue the statement above them although they start where statements start.
_CLAUSE = re.compile(r"(?:else|elif|except|finally)\b")
_NOT_CODE = " \t\f\r\n#"


def route_decorator(line: str) -> tuple[str, str] | None:
    """(target, method) when ``line`` starts a route decorator (``@router.get(...)``)."""
    match = _ROUTE_DECORATOR.match(line)
    if match is None or match.group(2) not in ROUTE_METHODS:
        return None
    return match.group(1), match.group(2)


def code_characters(text: str, start: int = 0, end: int | None = None) -> Iterator[int]:
    """Indices of the characters of ``text[start:end]`` that are code: outside string literals
    (single, triple-quoted, with escapes) and comments.  ``start`` must be outside a string."""
    yield from _walk(text, start, len(text) if end is None else min(end, len(text)))


def _walk(text: str, index: int, end: int) -> Generator[int, None, bool]:
    """Yield the code characters' indices; return whether ``end`` lies in a string or a
    comment."""
    quote = ""
    while index < end:
        char = text[index]
        if quote:
            if char == "\\":
                index += 1
            elif text.startswith(quote, index):
                index += len(quote) - 1
                quote = ""
        elif char == "#":
            newline = text.find("\n", index, end)
            if newline == -1:
                return True
            index = newline
            continue
        elif char in "\"'":
            quote = char * 3 if text.startswith(char * 3, index) else char
            index += len(quote) - 1
        else:
            yield index
        index += 1
    return bool(quote)


def ends_in_comment_or_string(text: str) -> bool:
    """Whether the end of ``text`` lies inside a comment or an unclosed string literal."""
    walk = _walk(text, 0, len(text))
    while True:
        try:
            next(walk)
        except StopIteration as stop:
            return bool(stop.value)


def bracket_balance(text: str) -> int:
    """Brackets opened minus brackets closed in the code of ``text``."""
    balance = 0
    for index in code_characters(text):
        char = text[index]
        if char in _OPENERS:
            balance += 1
        elif char in _CLOSERS:
            balance -= 1
    return balance


def closing_bracket(text: str, open_index: int, limit: int) -> int | None:
    """The index of the bracket closing the one at ``open_index``, looking at most ``limit``
    characters ahead; None when it is not closed there."""
    depth = 0
    for index in code_characters(text, open_index, open_index + limit):
        char = text[index]
        if char in _OPENERS:
            depth += 1
        elif char in _CLOSERS:
            depth -= 1
            if depth == 0:
                return index
    return None


def unclosed_bracket(text: str) -> int | None:
    """The index of the innermost bracket still open at the end of ``text``."""
    stack: list[int] = []
    for index in code_characters(text):
        char = text[index]
        if char in _OPENERS:
            stack.append(index)
        elif char in _CLOSERS and stack:
            stack.pop()
    return stack[-1] if stack else None


def statement_starts(text: str, indent: str = "") -> Iterator[tuple[int, int]]:
    """(offset, 0-based line) of each line where a statement starts at ``indent`` (column 0:
    a top-level statement) and the statement before it is not a decorator, so that the text
    before it holds only whole statements.  Outside strings and brackets, not continuing the
    line above, not an ``else``/``elif``/``except``/``finally``.

    Made for valid code: in a module with an unclosed string or bracket, some starts after it
    are wrong or missing.
    """
    depth = line = 0
    width = len(indent)
    after_decorator = text.startswith(indent + "@")
    scan = _SCAN.search
    position = 0
    while (match := scan(text, position)) is not None:
        token = match.group()
        position = match.end()
        first = token[0]
        if first == "\n":
            line += 1
            code = position + width
            if (
                depth
                or code >= len(text)
                or text[code] in _NOT_CODE
                or not text.startswith(indent, position)
                or _CLAUSE.match(text, code)
            ):
                continue
            if not after_decorator:
                yield position, line
            after_decorator = text[code] == "@"
        elif first in "'\"":
            end = _STRING_END[token].match(text, position)
            if end is None:
                if len(token) == 3:
                    return  # the string runs to the end of the text
                continue  # an unclosed string ends at its line's end
            line += text.count("\n", position, end.end())
            position = end.end()
        elif first == "#":
            newline = text.find("\n", position)
            if newline < 0:
                return
            position = newline
        elif first == "\\":
            if text.startswith("\n", position):
                line += 1
                position += 1
            elif text.startswith("\r\n", position):
                line += 1
                position += 2
        else:
            for bracket in token:
                depth += 1 if bracket in _OPENERS else -1
