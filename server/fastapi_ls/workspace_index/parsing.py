"""Parse Python source into an ``ast`` tree, tolerating syntax the running Python lacks.

``ast`` of the running interpreter is fast (parso is about six times slower, too slow for a
2,000-module workspace in 3 s), but it rejects a whole module for one statement it does not
know: Python 3.14's ``except A, B:``, 3.12's ``def f[T]()`` on 3.11, or a half-typed line.  So a
module that fails is repaired and parsed again: the logical line the error points at (found
with ``tokenize``, which knows statement boundaries without knowing the grammar) is replaced by
a neutral statement of the same shape, keeping the line count so every position stays right.
A ``def``/``class`` header keeps its name (its routes survive), an ``except`` header stays an
``except``, any other block header becomes ``if True:``, and a simple statement becomes
``pass``.

A large module is parsed a piece at a time (``parse_pieces``): its syntax tree takes about
twenty times the text's size (19 MB for a 5,000-line module), so the whole tree at once would
be the largest allocation of the server.  The pieces are cut between top-level statements, so
their trees hold exactly the statements of the module's tree; a cut in the wrong place (inside
a string the scanner misread, say) leaves a piece that does not parse, and the caller then
parses the whole module.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from collections.abc import Iterator

from ..source_text import statement_starts

#: A module needing more repairs than this is given up (the caller keeps its last good parse).
MAX_REPAIRS = 25
#: Each repair parses the whole module again, holding the interpreter meanwhile; a module
#: larger than this gets only a few.
LARGE_MODULE_CHARS = 50_000
MAX_REPAIRS_OF_LARGE = 3

#: Modules longer than ``LARGE_MODULE_CHARS`` are parsed in pieces of about this many
#: characters (smaller ones whole: finding the cuts would cost more than their tree weighs).
#: A piece's parse holds the interpreter for about 0.5 ms, so a request waits no longer; the
#: whole module costs about 10% more than in pieces four times this size.
PIECE_CHARS = 2_000

#: A lone carriage return ends a line for ``ast`` but not for ``statement_starts``.
_LONE_CR = re.compile(r"\r(?!\n)")

_HEADER = re.compile(r"^(\s*)(async\s+def|def|class)\s+([^\W\d]\w*)")
_KEYWORD = re.compile(r"^(\s*)(\w+)")


def parse_module(text: str) -> tuple[ast.Module | None, bool]:
    """The module's tree and whether it parsed as written (False: it needed repairs)."""
    try:
        return ast.parse(text), True
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        pass
    lines = text.splitlines()
    logical = _logical_lines(text, len(lines))
    repaired: set[int] = set()
    for _ in range(MAX_REPAIRS if len(text) <= LARGE_MODULE_CHARS else MAX_REPAIRS_OF_LARGE):
        try:
            return ast.parse("\n".join(lines) + "\n"), False
        except SyntaxError as error:
            line = (error.lineno or 1) - 1
        except (ValueError, RecursionError, MemoryError):
            return None, False
        line = min(max(line, 0), max(len(lines) - 1, 0))
        if not lines:
            return None, False
        start, end = logical.get(line, (line, line))
        if start in repaired:
            # The neutral form did not help: the block it opened is the trouble, so drop the
            # statement before it as well.
            start = _previous_code_line(lines, start)
            end = max(end, start)
            if start in repaired and lines[start].strip() == "pass":
                return None, False
        _neutralise(lines, start, end)
        repaired.add(start)
    return None, False


def parse_pieces(text: str, piece_chars: int | None = None) -> Iterator[ast.Module]:
    """The trees of consecutive pieces of ``text``, each cut at the start of a top-level
    statement once it is ``piece_chars`` long, each numbering its lines as the module does.

    Raises what ``ast.parse`` raises when a piece does not parse: then the module has an error
    (or was cut in the wrong place) and must be parsed whole.
    """
    if piece_chars is None:
        piece_chars = PIECE_CHARS if len(text) > LARGE_MODULE_CHARS else len(text)
    if len(text) <= piece_chars or _LONE_CR.search(text):
        yield ast.parse(text)
        return
    start = line = 0
    for cut, cut_line in statement_starts(text):
        if cut - start < piece_chars:
            continue
        # Blank lines in front number the piece's lines as in the module; the tokenizer skips
        # them in microseconds.
        yield ast.parse("\n" * line + text[start:cut])
        start, line = cut, cut_line
    yield ast.parse("\n" * line + text[start:])


def _neutralise(lines: list[str], start: int, end: int) -> None:
    first = lines[start]
    indent = first[: len(first) - len(first.lstrip())]
    stripped = _strip_comment(" ".join(lines[start : end + 1])).rstrip()
    header = _HEADER.match(first)
    keyword = _KEYWORD.match(first)
    word = keyword.group(2) if keyword else ""
    if not stripped.endswith(":"):
        replacement = indent + "pass"
    elif header and header.group(2) == "class":
        replacement = f"{indent}class {header.group(3)}:"
    elif header:
        replacement = f"{indent}{header.group(2)} {header.group(3)}():"
    elif word == "except":
        replacement = indent + "except Exception:"
    elif word == "elif":
        replacement = indent + "elif True:"
    elif word in ("else", "finally", "try"):
        replacement = f"{indent}{word}:"
    else:
        replacement = indent + "if True:"
    lines[start] = replacement
    for index in range(start + 1, end + 1):
        lines[index] = ""


def _strip_comment(line: str) -> str:
    position = line.find("#")
    return line if position < 0 else line[:position]


def _previous_code_line(lines: list[str], line: int) -> int:
    for index in range(line - 1, -1, -1):
        if lines[index].strip() and not lines[index].lstrip().startswith("#"):
            return index
    return line


def _logical_lines(text: str, count: int) -> dict[int, tuple[int, int]]:
    """Map each physical line (0-based) to the logical line holding it."""
    spans: dict[int, tuple[int, int]] = {}
    start: int | None = None
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            kind = token.type
            if kind in (tokenize.NL, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT):
                continue
            if kind == tokenize.ENDMARKER:
                break
            if start is None:
                start = token.start[0] - 1
            if kind == tokenize.NEWLINE:
                end = token.start[0] - 1
                for line in range(start, end + 1):
                    spans[line] = (start, end)
                start = None
    except (tokenize.TokenError, SyntaxError, ValueError):
        pass
    if start is not None:
        # An unclosed bracket or string runs to the end: it is one broken statement.
        for line in range(start, count):
            spans.setdefault(line, (start, start))
    return spans
