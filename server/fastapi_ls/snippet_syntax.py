"""The snippet body language: VS Code / LSP snippet syntax plus ``{{name}}`` variables.

Bodies in ``snippets/`` are written in the LSP snippet grammar (``$1``, ``${1:default}``,
``${1|a,b|}``, ``$0``, ``\\$`` escapes).  On top of it, ``{{name}}`` marks a value the server
fills in from the user's file (their app, router, models, dependencies) before the body is
sent.  This module parses that grammar so a body can be

* filled with the file's names (escaped so a name never breaks the snippet grammar),
* turned into plain text for clients without snippet support (defaults kept, stops removed),
* checked for syntax errors when the knowledge base is loaded.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Set as AbstractSet

VARIABLE = re.compile(r"\{\{(\w+)\}\}")


class SnippetSyntaxError(ValueError):
    """A body that does not follow the snippet grammar."""


def fill_variables(body: str, values: dict[str, str]) -> str:
    """Replace each ``{{name}}`` by its value, escaped for the snippet grammar.

    Unknown names are an error: a typo in the data must not reach a user's file.
    """

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise SnippetSyntaxError(f"unknown snippet variable {{{{{name}}}}}")
        return escape(values[name])

    return VARIABLE.sub(replace, body)


#: A module-level function named by a placeholder, after an optional fixed start:
#: ``async def ${2:read_item}(``, ``def test_${2:read_main}(``.
_DEFINED_FUNCTION = re.compile(
    r"^(?:async[ \t]+|\{\{async\}\})?def[ \t]+(\w*)\$\{(\d+):(\w+)\}\(", re.MULTILINE
)


@functools.lru_cache(maxsize=512)
def defined_functions(body: str) -> tuple[tuple[str, str, str], ...]:
    """(fixed start, tab stop, default) of each function the body defines at its top level."""
    return tuple((m[1], m[2], m[3]) for m in _DEFINED_FUNCTION.finditer(body))


def renames_for(body: str, taken: AbstractSet[str]) -> tuple[tuple[str, str], ...]:
    """The placeholder replacements giving each top-level function a name free in the module.

    Accepting "GET one item" in a module that already has ``read_item`` gives
    ``read_item_2``: the user may still overwrite the placeholder, but skipping it no longer
    redefines a function silently (or hides a test of the same name).  Each pair replaces every
    occurrence of the placeholder.
    """
    renames = []
    for start, stop, name in defined_functions(body):
        if start + name not in taken:
            continue
        number = 2
        while f"{start}{name}_{number}" in taken:
            number += 1
        renames.append((f"${{{stop}:{name}}}", f"${{{stop}:{name}_{number}}}"))
    return tuple(renames)


def apply_renames(body: str, renames: tuple[tuple[str, str], ...]) -> str:
    """The body with the replacements of :func:`renames_for` made."""
    for old, new in renames:
        body = body.replace(old, new)
    return body


def variables_in(body: str) -> set[str]:
    return set(VARIABLE.findall(body))


def escape(text: str) -> str:
    """Escape text so that it is inserted literally inside a snippet."""
    return text.replace("\\", "\\\\").replace("$", "\\$").replace("}", "\\}")


def to_plain_text(body: str) -> str:
    """The text a snippet inserts when every stop keeps its default value.

    A bare tab stop that mirrors a placeholder (``${1:item} … $1``) repeats its default, as
    editors do, wherever the placeholder stands.
    """
    first_pass = _Parser(body)
    first_pass.parse_until(end=None)
    return _Parser(body, first_pass.defaults).parse_until(end=None)


def check(body: str) -> None:
    """Raise :class:`SnippetSyntaxError` if the body does not parse."""
    to_plain_text(VARIABLE.sub("x", body))


_INT = re.compile(r"\d+")
_NAME = re.compile(r"[A-Za-z_]\w*")


class _Parser:
    """Recursive descent over the snippet grammar, producing the default text."""

    def __init__(self, source: str, defaults: dict[str, str] | None = None) -> None:
        self.source = source
        self.pos = 0
        #: the default text of each numbered placeholder, for mirrors
        self.defaults: dict[str, str] = dict(defaults or {})

    def parse_until(self, end: str | None) -> str:
        out: list[str] = []
        src = self.source
        while self.pos < len(src):
            char = src[self.pos]
            if end is not None and char == end:
                return "".join(out)
            if char == "\\" and self.pos + 1 < len(src) and src[self.pos + 1] in "\\$}":
                out.append(src[self.pos + 1])
                self.pos += 2
            elif char == "$":
                out.append(self._parse_dollar())
            else:
                out.append(char)
                self.pos += 1
        if end is not None:
            raise SnippetSyntaxError(f"missing {end!r} at end of snippet")
        return "".join(out)

    def _parse_dollar(self) -> str:
        src = self.source
        self.pos += 1
        if self.pos < len(src) and src[self.pos] == "{":
            self.pos += 1
            return self._parse_braced()
        match = _INT.match(src, self.pos) or _NAME.match(src, self.pos)
        if match is None:
            return "$"
        self.pos = match.end()
        return self.defaults.get(match.group(0), "")

    def _parse_braced(self) -> str:
        src = self.source
        match = _INT.match(src, self.pos) or _NAME.match(src, self.pos)
        if match is None:
            raise SnippetSyntaxError(f"bad placeholder at offset {self.pos}")
        self.pos = match.end()
        if self.pos >= len(src):
            raise SnippetSyntaxError("unterminated placeholder")
        char = src[self.pos]
        if char == "}":
            self.pos += 1
            return self.defaults.get(match.group(0), "")
        if char == ":":
            self.pos += 1
            text = self.parse_until(end="}")
            self.pos += 1
            self.defaults.setdefault(match.group(0), text)
            return text
        if char == "|":
            self.pos += 1
            text = self._parse_choice()
            self.defaults.setdefault(match.group(0), text)
            return text
        raise SnippetSyntaxError(f"unexpected {char!r} in placeholder at offset {self.pos}")

    def _parse_choice(self) -> str:
        src = self.source
        options: list[str] = []
        current: list[str] = []
        while self.pos < len(src):
            char = src[self.pos]
            if char == "\\" and self.pos + 1 < len(src) and src[self.pos + 1] in "\\,|$}":
                current.append(src[self.pos + 1])
                self.pos += 2
            elif char == ",":
                options.append("".join(current))
                current = []
                self.pos += 1
            elif char == "|" and src.startswith("|}", self.pos):
                options.append("".join(current))
                self.pos += 2
                return options[0]
            else:
                current.append(char)
                self.pos += 1
        raise SnippetSyntaxError("unterminated choice")
