"""The edits that give a module the imports a snippet needs.

Names already bound are left alone; ``from fastapi import X`` is merged into an existing
``from fastapi import …`` (single-line or parenthesised); new statements go after the last
import of the module's header, else after its docstring and ``__future__`` imports.  Only the
header is read (it ends at the first statement that is not an import), so the cost does not
grow with the file.
"""

from __future__ import annotations

import bisect
import functools
import re
import sys
from collections.abc import Iterable, Sequence
from typing import Any

import attrs

from .source_text import bracket_balance

#: Lines of header read at most; files with longer headers get imports after that.
MAX_HEADER_LINES = 1000

_FROM = re.compile(r"^from[ \t]+(\.*[\w.]*)[ \t]+import[ \t]*(.*)$")
_IMPORT = re.compile(r"^import[ \t]+(.+)$")
_DOCSTRING_START = re.compile(r"^[rRuUbB]{0,2}(\"\"\"|'''|\"|')")
_NAME_AS = re.compile(r"^([\w.]+)(?:\s+as\s+(\w+))?$")


@attrs.frozen
class TextEdit:
    """An edit in character columns; the server converts it to the client's encoding."""

    line: int
    character: int
    end_line: int
    end_character: int
    new_text: str


@attrs.define
class _FromStatement:
    module: str
    names: list[str]
    first_line: int
    last_line: int
    #: where ", X" goes: after the last imported name
    append_line: int
    append_character: int
    #: a parenthesised statement with one name per line and a trailing comma
    one_per_line: bool
    name_indent: str
    #: the length of the last name's line: a one-per-line name goes after its comment
    last_name_line_end: int = 0
    #: where each imported name starts (line, column), in the statement's order
    name_starts: list[tuple[int, int]] = attrs.field(factory=list)


@attrs.frozen
class _Statement:
    """One import statement of the header, for placing new ones beside it."""

    first_line: int
    last_line: int
    module: str
    is_from: bool
    #: statements not separated by a blank line share a block
    block: int

    @property
    def key(self) -> tuple[int, int, str]:
        return statement_key(self.module, self.is_from)


@attrs.define
class ImportHeader:
    """The imports at the top of a module, and where new ones go."""

    bound: set[str] = attrs.field(factory=set)
    from_statements: dict[str, _FromStatement] = attrs.field(factory=dict)
    statements: list[_Statement] = attrs.field(factory=list)
    #: where the first import goes in a module without any: after its docstring
    insert_line: int = 0
    #: the last line read: a change below it leaves the header as it is
    last_line: int = 0
    #: import edits already planned against this header, by (statements, names bound)
    planned: dict[tuple[Any, ...], list[TextEdit]] = attrs.field(factory=dict, eq=False, repr=False)


def import_edits(
    lines: Sequence[str],
    statements: Iterable[str],
    already_bound: Iterable[str] = (),
    header: ImportHeader | None = None,
) -> list[TextEdit]:
    """Edits adding what ``statements`` import and the module does not already bind."""
    if header is None:
        header = read_header(lines)
    bound = header.bound | set(already_bound)
    newline = _newline_of(lines)

    merged: dict[str, list[str]] = {}
    new_from: dict[str, list[str]] = {}
    new_plain: list[str] = []
    for statement in statements:
        parsed = _parse_statement(statement)
        if parsed is None:
            continue
        module, names = parsed
        if module is None:
            for name in names:
                if name.split(" as ")[-1].split(".")[0] not in bound:
                    new_plain.append(name)
                    bound.add(name.split(" as ")[-1].split(".")[0])
            continue
        for name in names:
            bound_name = name.split(" as ")[-1]
            if bound_name in bound:
                continue
            bound.add(bound_name)
            target = merged if module in header.from_statements else new_from
            target.setdefault(module, []).append(name)

    edits: list[TextEdit] = []
    for module, names in merged.items():
        edits.extend(_merge_edits(header.from_statements[module], names, newline))
    new_statements = [(name.split()[0], False, f"import {name}") for name in new_plain]
    new_statements += [
        (module, True, f"from {module} import {', '.join(sorted(names, key=member_key))}")
        for module, names in new_from.items()
    ]
    if not new_statements:
        return edits
    if not header.statements:
        new_statements.sort(key=lambda new: statement_key(new[0], new[1]))
        new_lines = [text for _, _, text in new_statements]
        edits.append(_insert_lines_edit(lines, header, new_lines, newline))
        return edits
    edits.extend(_placed_statements(lines, header, new_statements, newline))
    return edits


#: isort's and ruff's default sections, in their order.
FUTURE, STANDARD_LIBRARY, THIRD_PARTY, LOCAL = range(4)


@functools.lru_cache(maxsize=4096)
def section_of(module: str) -> int:
    """The section of an imported module: relative imports are local, the rest by name."""
    if module.startswith("."):
        return LOCAL
    top = module.split(".", 1)[0]
    if top == "__future__":
        return FUTURE
    return STANDARD_LIBRARY if top in sys.stdlib_module_names else THIRD_PARTY


@functools.lru_cache(maxsize=4096)
def statement_key(module: str, is_from: bool) -> tuple[int, int, str]:
    """The order of statements: by section, ``import m`` before ``from m import``, by module."""
    return section_of(module), int(is_from), module.lower()


def _placed_statements(
    lines: Sequence[str],
    header: ImportHeader,
    new_statements: list[tuple[str, bool, str]],
    newline: str,
) -> list[TextEdit]:
    """Edits putting each new statement in its section, sorted among the statements there.

    A section's statements are those of its first block (a blank line ends a block, so a
    separate block of the project's own modules is not mixed with the packages).  Sorted
    statements get the new one in its place; others get it after their last one.  A section
    the header lacks becomes a block of its own, before the first later section or after the
    last earlier one.
    """
    at: dict[int, list[str]] = {}
    new_blocks: dict[tuple[int, bool], list[tuple[tuple[int, int, str], str]]] = {}
    for module, is_from, text in sorted(new_statements, key=lambda n: statement_key(n[0], n[1])):
        key = statement_key(module, is_from)
        section = key[0]
        in_section = [st for st in header.statements if section_of(st.module) == section]
        if in_section:
            block = [st for st in in_section if st.block == in_section[0].block]
            keys = [st.key for st in block]
            after = (
                next((st for st in block if st.key > key), None) if keys == sorted(keys) else None
            )
            line = after.first_line if after is not None else block[-1].last_line + 1
            at.setdefault(line, []).append(text)
            continue
        later = next((st for st in header.statements if section_of(st.module) > section), None)
        if later is not None:
            new_blocks.setdefault((later.first_line, True), []).append((key, text))
        else:
            last = header.statements[-1].last_line + 1
            new_blocks.setdefault((last, False), []).append((key, text))
    edits = []
    for line, texts in at.items():
        edits.append(_insert_at(lines, line, "".join(t + newline for t in texts), newline))
    for (line, before), entries in new_blocks.items():
        # Sections that are new at the same place are blocks of their own.
        sections: dict[int, list[str]] = {}
        for key, text in entries:
            sections.setdefault(key[0], []).append(text + newline)
        block_text = newline.join("".join(texts) for texts in sections.values())
        text = block_text + newline if before else newline + block_text
        edits.append(_insert_at(lines, line, text, newline))
    return edits


def _insert_at(lines: Sequence[str], line: int, text: str, newline: str) -> TextEdit:
    """Insert whole lines before ``line``, or after the last line (adding the break it lacks)."""
    if line >= len(lines):
        if lines and not lines[-1].endswith(("\n", "\r")):
            last = len(lines) - 1
            end = len(lines[last])
            return TextEdit(last, end, last, end, newline + text)
        return TextEdit(len(lines), 0, len(lines), 0, text)
    return TextEdit(line, 0, line, 0, text)


def _parse_statement(statement: str) -> tuple[str | None, list[str]] | None:
    statement = statement.strip()
    match = _FROM.match(statement)
    if match:
        names = [n.strip() for n in match.group(2).strip("() ").split(",") if n.strip()]
        return match.group(1), names
    match = _IMPORT.match(statement)
    if match:
        return None, [n.strip() for n in match.group(1).split(",") if n.strip()]
    return None


def _newline_of(lines: Sequence[str]) -> str:
    for line in lines:
        if line.endswith("\r\n"):
            return "\r\n"
        if line.endswith("\n"):
            return "\n"
    return "\n"


def read_header(lines: Sequence[str]) -> ImportHeader:
    """Read the module's docstring and leading imports; stops at the first other statement."""
    header = ImportHeader()
    index = 0
    limit = min(len(lines), MAX_HEADER_LINES)
    seen_code = False
    block = 0
    while index < limit:
        text = lines[index].rstrip("\r\n")
        stripped = text.strip()
        if not stripped or stripped.startswith("#"):
            if not stripped:
                block += 1
            index += 1
            continue
        if not seen_code and _DOCSTRING_START.match(stripped):
            index = _skip_string(lines, index)
            header.insert_line = index
            seen_code = True
            continue
        seen_code = True
        if text[0] in " \t":
            break
        from_match = _FROM.match(text)
        if from_match is not None:
            start = index
            index = _read_from(lines, index, from_match, header)
            header.statements.append(
                _Statement(start, index - 1, from_match.group(1), is_from=True, block=block)
            )
            continue
        import_match = _IMPORT.match(text)
        if import_match is not None:
            for part in _logical_line(lines, index).split(",")[0:]:
                alias = _NAME_AS.match(part.strip().removeprefix("import").strip())
                if alias:
                    header.bound.add(alias.group(2) or alias.group(1).split(".")[0])
            start = index
            index = _end_of_logical_line(lines, index) + 1
            module = import_match.group(1).split(",")[0].split()[0]
            header.statements.append(
                _Statement(start, index - 1, module, is_from=False, block=block)
            )
            continue
        break
    header.last_line = index
    return header


def _skip_string(lines: Sequence[str], index: int) -> int:
    """The index of the line after the string literal that starts at ``index``."""
    text = lines[index].strip()
    quote_match = _DOCSTRING_START.match(text)
    assert quote_match is not None
    quote = quote_match.group(1)
    rest = text[quote_match.end() :]
    if len(quote) == 1 or quote in rest:
        return index + 1
    current = index + 1
    while current < len(lines):
        if quote in lines[current]:
            return current + 1
        current += 1
    return current


def _end_of_logical_line(lines: Sequence[str], index: int) -> int:
    depth = 0
    current = index
    while current < len(lines):
        code = lines[current].rstrip("\r\n")
        depth += bracket_balance(code)
        if depth <= 0 and not code.rstrip().endswith("\\"):
            return current
        current += 1
    return len(lines) - 1


def _logical_line(lines: Sequence[str], index: int) -> str:
    end = _end_of_logical_line(lines, index)
    joined = " ".join(
        line.split("#", 1)[0].rstrip("\r\n").rstrip("\\") for line in lines[index : end + 1]
    )
    return joined


def _read_from(lines: Sequence[str], index: int, match: re.Match[str], header: ImportHeader) -> int:
    module = match.group(1)
    end = _end_of_logical_line(lines, index)
    names_text = _logical_line(lines, index).split(" import", 1)[1]
    names = [n.strip() for n in names_text.strip().strip("()").split(",") if n.strip()]
    for name in names:
        alias = _NAME_AS.match(name)
        if alias:
            header.bound.add(alias.group(2) or alias.group(1))
    last_line, last_character = _after_last_name(lines, index, end)
    last_text = lines[last_line].rstrip("\r\n")
    one_per_line = end > index and last_text.split("#", 1)[0].rstrip().endswith(",")
    indent = last_text[: len(last_text) - len(last_text.lstrip(" \t"))] or "    "
    if module not in header.from_statements and "*" not in names:
        header.from_statements[module] = _FromStatement(
            module=module,
            names=names,
            first_line=index,
            last_line=end,
            append_line=last_line,
            append_character=last_character,
            one_per_line=one_per_line,
            name_indent=indent,
            last_name_line_end=len(last_text),
            name_starts=_name_starts(lines, index, end),
        )
    return end + 1


_IMPORTED_NAME = re.compile(r"[A-Za-z_][\w.]*(?:[ \t]+as[ \t]+\w+)?")


def _name_starts(lines: Sequence[str], first: int, last: int) -> list[tuple[int, int]]:
    """The (line, column) where each name of a ``from … import`` statement starts."""
    starts = []
    for current in range(first, last + 1):
        code = lines[current].rstrip("\r\n").split("#", 1)[0]
        offset = 0
        if current == first:
            offset = code.find(" import") + len(" import")
        for match in _IMPORTED_NAME.finditer(code, offset):
            starts.append((current, match.start()))
    return starts


@functools.lru_cache(maxsize=4096)
def member_key(name: str) -> tuple[int, str, str]:
    """The order of names within ``from m import …`` used by isort and ruff by default.

    Constants (``HTTP_404``) first, then classes (``Depends``, ``FastAPI``), then the rest
    (``status``); alphabetical within each group, ignoring case.
    """
    base = name.split(" as ")[0].strip()
    if len(base) > 1 and base.isupper():
        group = 0
    elif base[:1].isupper():
        group = 1
    else:
        group = 2
    return group, base.lower(), base


def _after_last_name(lines: Sequence[str], first: int, last: int) -> tuple[int, int]:
    """Position right after the last imported name (before a comma, ``)`` or comment)."""
    for current in range(last, first - 1, -1):
        text = lines[current].rstrip("\r\n")
        code = text.split("#", 1)[0]
        if current == first:
            code = code.split(" import", 1)[1] if " import" in code else code
            offset = len(text.split("#", 1)[0]) - len(code)
        else:
            offset = 0
        trimmed = code.rstrip().rstrip("\\").rstrip().rstrip(")").rstrip().rstrip(",").rstrip()
        if trimmed.strip().strip("("):
            return current, offset + len(trimmed)
    return first, len(lines[first].rstrip("\r\n"))


def _merge_edits(statement: _FromStatement, names: list[str], newline: str) -> list[TextEdit]:
    """Edits adding ``names`` to the statement: each in its sorted place when the statement's
    names are sorted (as isort and ruff keep them), else after the last one."""
    existing = [member_key(name) for name in statement.names]
    if existing != sorted(existing) or len(statement.name_starts) != len(statement.names):
        return [_append_edit(statement, names, newline)]
    before: dict[int, list[str]] = {}
    after: list[str] = []
    for name in sorted(names, key=member_key):
        place = bisect.bisect_right(existing, member_key(name))
        if place == len(existing):
            after.append(name)
        else:
            before.setdefault(place, []).append(name)
    edits = []
    for place, inserted in before.items():
        line, character = statement.name_starts[place]
        if statement.one_per_line and line != statement.first_line:
            text = "".join(f"{statement.name_indent}{name},{newline}" for name in inserted)
            edits.append(TextEdit(line, 0, line, 0, text))
        else:
            text = "".join(f"{name}, " for name in inserted)
            edits.append(TextEdit(line, character, line, character, text))
    if after:
        edits.append(_append_edit(statement, after, newline))
    return edits


def _append_edit(statement: _FromStatement, names: list[str], newline: str) -> TextEdit:
    if statement.one_per_line:
        text = "".join(f"{newline}{statement.name_indent}{name}," for name in names)
        # On a line of its own after the last name's (and after that line's comment).
        position = statement.last_name_line_end
        return TextEdit(statement.append_line, position, statement.append_line, position, text)
    text = "".join(f", {name}" for name in names)
    line, character = statement.append_line, statement.append_character
    return TextEdit(line, character, line, character, text)


def _insert_lines_edit(
    lines: Sequence[str], header: ImportHeader, new_lines: list[str], newline: str
) -> TextEdit:
    """The first imports of a module: after its docstring, apart from the code by a blank line."""
    line = header.insert_line
    text = "".join(f"{statement}{newline}" for statement in new_lines)
    if line < len(lines):
        following = lines[line].strip()
        if following and not following.startswith("#"):
            text = (newline if line > 0 else "") + text + newline
        elif line > 0 and lines[line - 1].strip():
            text = newline + text
    return _insert_at(lines, line, text, newline)
