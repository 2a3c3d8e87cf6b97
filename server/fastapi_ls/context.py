"""Where the cursor is: the completion context, read from the lines around it.

Only the cursor's line and the enclosing block are looked at (scanning upwards a bounded
number of lines), so this costs the same on a 50-line and a 10,000-line file.  The result
tells completion which kind of items fit and which text the chosen item replaces.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import attrs

from .analysis import ModuleAnalysis
from .source_text import bracket_balance, ends_in_comment_or_string, route_decorator

#: How far up the enclosing block or an unclosed parenthesis is looked for.
MAX_SCAN_LINES = 400

_WORD_BEFORE = re.compile(r"[A-Za-z_]\w*$|$")
#: How far before the cursor the patterns that end at it look.
_REACH = 500
_RESPONSE_MODEL = re.compile(r"\bresponse_model\s*=\s*([\w.\[\], |]*)$")
_STATUS_CODE = re.compile(r"\bstatus_code\s*=\s*([\w.]*)$")
_DEPENDS = re.compile(r"\b(?:Depends|Security)\(\s*([\w.]*)$")
_DECORATOR = re.compile(r"^@([\w.]*)$")
_DEF_OPEN = re.compile(r"^([ \t]*)(?:async[ \t]+)?def[ \t]+(\w+)[ \t]*\(")
_BLOCK_HEADER = re.compile(r"^[ \t]*(class|def|async[ \t]+def)\b[ \t]*(\w*)[ \t]*(?:\(([^)]*)\)?)?")


@attrs.frozen
class CursorContext:
    #: one of the knowledge contexts, or "response_model" / "status_code" / "depends"
    kind: str
    #: the identifier-ish text typed before the cursor that the item replaces
    typed: str
    #: column (in characters) where the replaced text starts on the cursor's line
    start: int
    #: leading whitespace of the cursor's line, for re-indenting multi-line bodies
    indent: str = ""
    #: the enclosing class or function, when it matters
    scope: str = ""


def cursor_context(
    lines: Sequence[str],
    line: int,
    column: int,
    analysis: ModuleAnalysis,
    *,
    is_test_file: bool,
) -> CursorContext | None:
    """The completion context at (line, column); columns count characters.  None: offer nothing."""
    if not 0 <= line < len(lines):
        return None
    text = lines[line].rstrip("\r\n")
    column = min(max(column, 0), len(text))
    before = text[:column]
    if ends_in_comment_or_string(before):
        return None
    indent = before[: len(before) - len(before.lstrip(" \t"))]

    # The patterns below end at the cursor, and a search tries them at every position: on the
    # whole of a long line that costs its length squared.  What they match is short.
    skipped = max(0, len(before) - _REACH)
    tail = before[skipped:]
    for pattern, kind in (
        (_RESPONSE_MODEL, "response_model"),
        (_STATUS_CODE, "status_code"),
        (_DEPENDS, "depends"),
    ):
        match = pattern.search(tail)
        if match:
            return CursorContext(kind, match.group(1), skipped + match.start(1), indent)

    match = _DECORATOR.match(before)
    if match:
        return CursorContext("decorator", before, 0, "")

    word = _WORD_BEFORE.search(tail)
    typed = word.group(0) if word else ""
    start = column - len(typed)
    prefix = before[:start]

    signature = _enclosing_signature(lines, line, prefix) if indent or prefix else None
    if signature is not None:
        function, decorated_as_route = signature
        if not decorated_as_route:
            return None
        if prefix.strip() and not prefix.rstrip().endswith((",", "(")):
            return None
        return CursorContext("signature", typed, start, indent, function)

    if prefix.strip():
        return None
    if not indent:
        if is_test_file:
            return CursorContext("test_module", typed, start, "")
        if not text[column:].strip() and all(
            not candidate.strip() for index, candidate in enumerate(lines) if index != line
        ):
            return CursorContext("empty", typed, start, "")
        return CursorContext("module", typed, start, "")

    header = _enclosing_block(lines, line, len(indent.expandtabs()))
    if header is None:
        return None
    keyword, name, bases = header
    if keyword == "class":
        if any(analysis.is_model_base(base) for base in bases.split(",") if base.strip()):
            return CursorContext("model_body", typed, start, indent, name)
        return None
    return CursorContext("function_body", typed, start, indent, name)


def _enclosing_signature(lines: Sequence[str], line: int, prefix: str) -> tuple[str, bool] | None:
    """If the cursor is inside a ``def``'s parameter list: (function name, is a path operation)."""
    depth = bracket_balance(prefix)
    current = line
    text = prefix
    while True:
        if depth > 0:
            match = _DEF_OPEN.match(text)
            if match and depth == 1:
                return match.group(2), _is_route_function(lines, current)
            return None
        if depth < 0 or current == 0 or line - current >= MAX_SCAN_LINES:
            return None
        current -= 1
        text = lines[current].rstrip("\r\n")
        stripped = text.strip()
        if stripped.endswith(":") and depth == 0 and not stripped.startswith("@"):
            return None
        depth += bracket_balance(text)


def _is_route_function(lines: Sequence[str], def_line: int) -> bool:
    """Whether the decorators right above ``def_line`` include a route decorator."""
    current = def_line - 1
    while current >= 0 and def_line - current < MAX_SCAN_LINES:
        text = lines[current]
        stripped = text.strip()
        if route_decorator(text):
            return True
        if stripped.startswith("@") or not stripped or _continues_decorator(stripped):
            current -= 1
            continue
        return False
    return False


def _continues_decorator(stripped: str) -> bool:
    """Lines inside a multi-line decorator call (arguments, closing parenthesis)."""
    return stripped.endswith((",", "(", ")")) or stripped.startswith((")", "]"))


def _enclosing_block(lines: Sequence[str], line: int, width: int) -> tuple[str, str, str] | None:
    """The nearest ``class``/``def`` header above with less indentation than ``width``."""
    current = line - 1
    while current >= 0 and line - current < MAX_SCAN_LINES:
        text = lines[current]
        stripped = text.strip()
        if stripped and not stripped.startswith("#"):
            if _width(text) < width:
                # A header spread over lines ends with the line closing its brackets, often
                # less indented than the parameters (``) -> Item:`` at the def's own column).
                start = _bracket_opener(lines, current)
                if start != current:
                    current, text = start, " ".join(lines[start : current + 1])
            line_width = _width(text)
            if line_width < width:
                match = _BLOCK_HEADER.match(text)
                if match:
                    keyword = "class" if match.group(1) == "class" else "def"
                    return keyword, match.group(2), match.group(3) or ""
                if line_width == 0:
                    return None
                width = line_width
        current -= 1
    return None


def _width(text: str) -> int:
    """The width of the line's indentation, tabs expanded."""
    indent = len(text) - len(text.lstrip(" \t"))
    return len(text[:indent].expandtabs())


def _bracket_opener(lines: Sequence[str], line: int) -> int:
    """The line opening the brackets that ``line`` closes (``line`` when it closes none)."""
    depth = bracket_balance(lines[line])
    start = line
    while depth < 0 and start > 0 and line - start < MAX_SIGNATURE_LINES:
        start -= 1
        depth += bracket_balance(lines[start])
    return start if depth >= 0 else line


#: How many lines a ``def``'s parameter list may span.
MAX_SIGNATURE_LINES = 40


def cursor_conditions(context: CursorContext, lines: Sequence[str], line: int) -> frozenset[str]:
    """The snippet conditions that hold at the cursor (see ``knowledge.CONDITIONS``): in a
    function body, "background_tasks" when the function takes a ``background_tasks``
    parameter."""
    if context.kind != "function_body" or not context.scope:
        return frozenset()
    header = re.compile(rf"^[ \t]*(async[ \t]+)?def[ \t]+{re.escape(context.scope)}\b")
    start = next(
        (
            current
            for current in range(min(line, len(lines) - 1), max(-1, line - MAX_SCAN_LINES), -1)
            if header.match(lines[current])
        ),
        None,
    )
    if start is None:
        return frozenset()
    signature = []
    for text in lines[start : min(start + MAX_SIGNATURE_LINES, line)]:
        signature.append(text)
        if text.rstrip().endswith(":"):
            break
    found = re.search(r"\bbackground_tasks\s*:", "\n".join(signature))
    return frozenset({"background_tasks"}) if found else frozenset()
