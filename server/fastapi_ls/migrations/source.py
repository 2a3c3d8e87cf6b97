"""One parsed module as the migration rules see it: its lines, its AST in character columns,
what its imported names are, which classes are Pydantic models, and the edits rules build.

Positions are ``(line, column)`` pairs counted in Python ``str`` characters (the AST counts
UTF-8 bytes; conversion happens here, once per line that needs it).
"""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Iterable

from .. import imports
from ..imports import TextEdit

Position = tuple[int, int]

_OTHER_BREAKS = re.compile("[\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")

#: Classes whose subclasses are Pydantic models.
MODEL_BASES = frozenset(
    {"pydantic.BaseModel", "pydantic.BaseSettings", "pydantic_settings.BaseSettings"}
)
SETTINGS_BASES = frozenset({"pydantic.BaseSettings", "pydantic_settings.BaseSettings"})


def split_lines(text: str) -> list[str]:
    """Lines with their endings, broken where Python's tokenizer breaks them."""
    if _OTHER_BREAKS.search(text) is None:
        return text.splitlines(True)
    return _LINE.findall(text)


class Source:
    """A module that parses; build it with :func:`parse`."""

    def __init__(self, text: str, tree: ast.Module, module_name: str | None = None) -> None:
        self.text = text
        self.tree = tree
        self.lines = split_lines(text)
        self.module_name = module_name
        self.newline = "\r\n" if "\r\n" in text else "\n"
        self.parents: dict[ast.AST, ast.AST] = {}
        #: every ``Name`` node by identifier, and the names functions and classes define
        self.names: dict[str, list[ast.Name]] = {}
        self.defined: set[str] = set()
        #: every node, read once: the rules filter this list instead of walking the tree again
        self.nodes: list[ast.AST] = list(ast.walk(tree))
        for node in self.nodes:
            for child in ast.iter_child_nodes(node):
                self.parents[child] = node
            if isinstance(node, ast.Name):
                self.names.setdefault(node.id, []).append(node)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                self.defined.add(node.name)

    # ---------------------------------------------------------------------------- positions

    def position(self, lineno: int, col_offset: int) -> Position:
        """The AST's 1-based line and UTF-8 byte column as a (line, character) pair."""
        line = lineno - 1
        if line >= len(self.lines):
            return len(self.lines), 0
        text = self.lines[line]
        if text.isascii():
            return line, col_offset
        return line, len(text.encode("utf-8")[:col_offset].decode("utf-8", "replace"))

    def start(self, node: ast.AST) -> Position:
        return self.position(node.lineno, node.col_offset)  # type: ignore[attr-defined]

    def end(self, node: ast.AST) -> Position:
        return self.position(node.end_lineno, node.end_col_offset)  # type: ignore[attr-defined]

    def segment(self, node: ast.AST) -> str:
        return self.slice(self.start(node), self.end(node))

    def slice(self, start: Position, end: Position) -> str:
        if start[0] == end[0]:
            return self.lines[start[0]][start[1] : end[1]] if start[0] < len(self.lines) else ""
        parts = [self.lines[start[0]][start[1] :]]
        parts += self.lines[start[0] + 1 : end[0]]
        if end[0] < len(self.lines):
            parts.append(self.lines[end[0]][: end[1]])
        return "".join(parts)

    def indent_of(self, line: int) -> str:
        text = self.lines[line]
        return text[: len(text) - len(text.lstrip(" \t"))]

    def line_code(self, line: int) -> str:
        return self.lines[line].rstrip("\r\n")

    # ---------------------------------------------------------------------------- names

    @functools.cached_property
    def bindings(self) -> dict[str, str]:
        """Imported names and the qualified names they stand for (``jwt`` → ``jose.jwt``)."""
        bound: dict[str, str] = {}
        for node in self.nodes:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        bound[alias.asname] = alias.name
                    else:
                        top = alias.name.split(".")[0]
                        bound[top] = top
            elif isinstance(node, ast.ImportFrom):
                module = self._absolute(node)
                for alias in node.names:
                    if alias.name != "*":
                        bound[alias.asname or alias.name] = f"{module}.{alias.name}"
        return bound

    def _absolute(self, node: ast.ImportFrom) -> str:
        module = node.module or ""
        if not node.level:
            return module
        if self.module_name:
            package = self.module_name.split(".")[: -node.level]
            if package:
                return ".".join([*package, module] if module else package)
        return "." * node.level + module

    def origin(self, node: ast.AST) -> str | None:
        """The qualified name an expression stands for, through the module's imports."""
        if isinstance(node, ast.Name):
            return self.bindings.get(node.id)
        if isinstance(node, ast.Attribute):
            base = self.origin(node.value)
            return f"{base}.{node.attr}" if base else None
        return None

    def refers_to(self, node: ast.AST, *qualified: str) -> bool:
        return self.origin(node) in qualified

    def uses_of(self, name: str) -> list[ast.Name]:
        return self.names.get(name, [])

    def is_free(self, name: str) -> bool:
        """No binding or use of ``name`` anywhere in the module."""
        return name not in self.bindings and name not in self.names and name not in self.defined

    def is_free_in(self, scope: ast.AST, name: str) -> bool:
        """No name or parameter ``name`` inside ``scope``."""
        return not any(
            (isinstance(n, ast.Name) and n.id == name) or (isinstance(n, ast.arg) and n.arg == name)
            for n in ast.walk(scope)
        )

    # ---------------------------------------------------------------------------- models

    @functools.cached_property
    def classes(self) -> dict[str, ast.ClassDef]:
        return {node.name: node for node in self.nodes if isinstance(node, ast.ClassDef)}

    def model_kind(self, name: str, known_models: frozenset[str]) -> str | None:
        """``"settings"`` or ``"model"`` for a Pydantic class of this module or a known model
        imported from elsewhere; ``None`` otherwise."""
        return self._model_kind(name, known_models, frozenset())

    def _model_kind(self, name: str, known: frozenset[str], seen: frozenset[str]) -> str | None:
        node = self.classes.get(name)
        if node is None:
            origin = self.bindings.get(name)
            if origin in SETTINGS_BASES:
                return "settings"
            if origin in MODEL_BASES or (origin and origin.rsplit(".", 1)[-1] in known):
                return "model"
            return None
        kinds = set()
        for base in node.bases:
            origin = self.origin(base)
            if origin in SETTINGS_BASES:
                kinds.add("settings")
            elif origin in MODEL_BASES:
                kinds.add("model")
            elif isinstance(base, ast.Name) and base.id not in seen:
                kind = self._model_kind(base.id, known, seen | {name})
                if kind:
                    kinds.add(kind)
        if "settings" in kinds:
            return "settings"
        return "model" if kinds else None

    def enclosing(self, node: ast.AST, kinds: type | tuple[type, ...]) -> ast.AST | None:
        current = self.parents.get(node)
        while current is not None and not isinstance(current, kinds):
            current = self.parents.get(current)
        return current

    # ---------------------------------------------------------------------------- edits

    def replace(self, node: ast.AST, text: str) -> TextEdit:
        return edit(self.start(node), self.end(node), text)

    def whole_lines(self, first: int, last: int) -> tuple[Position, Position]:
        """The range of lines ``first``..``last`` including the last one's line break."""
        if last + 1 < len(self.lines):
            return (first, 0), (last + 1, 0)
        return (first, 0), (last, len(self.lines[last]))

    def import_edits(
        self, statements: Iterable[str], removing: Iterable[ast.stmt | ast.alias] = ()
    ) -> list[TextEdit]:
        """Edits adding import statements in the module's own style (merged, sorted, placed).

        ``removing``: import statements or imported names the same fix deletes.  They are
        read as blank (a statement as a comment line, a name as spaces), so their names can be
        imported again, nothing is merged into a deleted statement, and positions stay put.
        """
        lines = self.lines
        removed = list(removing)
        if removed:
            lines = list(lines)
            for node in removed:
                if isinstance(node, ast.alias):
                    (line, start), (_, end) = self.start(node), self.end(node)
                    text = lines[line]
                    if text[end:].lstrip().startswith(","):
                        end = text.index(",", end) + 1
                    lines[line] = text[:start] + " " * (end - start) + text[end:]
                    continue
                for line in range(node.lineno - 1, node.end_lineno):  # type: ignore[arg-type]
                    lines[line] = "#" + self.newline
        return imports.import_edits(lines, statements)

    def without_import(self, name: str, replaced: Iterable[ast.AST] = ()) -> list[TextEdit]:
        """Edits removing the import that binds ``name`` once the nodes in ``replaced`` are
        gone, when nothing else uses it; nothing when it is still used."""
        gone = {id(node) for node in replaced}
        if any(id(use) not in gone for use in self.uses_of(name)):
            return []
        found = self._import_binding(name)
        if found is None:
            return []
        statement, alias = found
        if len(statement.names) == 1:
            first, last = statement.lineno - 1, statement.end_lineno - 1  # type: ignore[operator]
            if self._alone_on_lines(statement):
                return [edit(*self.whole_lines(first, last), "")]
            return [self.replace(statement, "pass")]
        return [self._remove_alias(statement, alias)]

    def renamed_import(self, name: str, new_name: str) -> TextEdit | None:
        """An edit renaming the imported ``name`` where it is imported, keeping the statement."""
        found = self._import_binding(name)
        if found is None or found[1].asname:
            return None
        alias = found[1]
        start = self.start(alias)
        return edit(start, (start[0], start[1] + len(alias.name)), new_name)

    def _import_binding(self, name: str) -> tuple[ast.ImportFrom | ast.Import, ast.alias] | None:
        for node in self.tree.body:
            if isinstance(node, ast.Import | ast.ImportFrom):
                for alias in node.names:
                    if (alias.asname or alias.name.split(".")[0]) == name:
                        return node, alias
        return None

    def _alone_on_lines(self, node: ast.AST) -> bool:
        start, end = self.start(node), self.end(node)
        before = self.lines[start[0]][: start[1]].strip()
        after = self.line_code(end[0])[end[1] :]
        # A decorator's expression starts after its "@".
        return before in ("", "@") and not after.split("#", 1)[0].strip()

    def _remove_alias(self, statement: ast.Import | ast.ImportFrom, alias: ast.alias) -> TextEdit:
        index = statement.names.index(alias)
        start, end = self.start(alias), self.end(alias)
        line_text = self.line_code(start[0])
        if start[0] == end[0] and re.fullmatch(
            r"\s*" + re.escape(line_text[start[1] : end[1]]) + r"\s*,?\s*(#.*)?", line_text
        ):
            # One name per line: drop its line (and its comment).
            return edit(*self.whole_lines(start[0], start[0]), "")
        if index + 1 < len(statement.names):
            return edit(start, self.start(statement.names[index + 1]), "")
        return edit(self.end(statement.names[index - 1]), end, "")


def parse(text: str, module_name: str | None = None) -> Source | None:
    """The module, or ``None`` when it does not parse (rules stay silent on broken code)."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    return Source(text, tree, module_name)


def edit(start: Position, end: Position, text: str) -> TextEdit:
    return TextEdit(start[0], start[1], end[0], end[1], text)


def line_offsets(lines: list[str]) -> list[int]:
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))
    return offsets


def apply_edits(text: str, edits: Iterable[TextEdit]) -> str:
    """``text`` with non-overlapping edits applied; an insertion at the start of a replaced
    range goes before the replacement, as editors apply them."""
    lines = split_lines(text)
    offsets = line_offsets(lines)

    def offset(line: int, character: int) -> int:
        if line >= len(lines):
            return len(text)
        return offsets[line] + min(character, len(lines[line]))

    spans = sorted(
        (
            (offset(e.line, e.character), offset(e.end_line, e.end_character), i, e.new_text)
            for i, e in enumerate(edits)
        ),
    )
    parts: list[str] = []
    cursor = 0
    for start, end, _, new_text in spans:
        if start < cursor:
            raise ValueError("overlapping edits")
        parts.append(text[cursor:start])
        parts.append(new_text)
        cursor = end
    parts.append(text[cursor:])
    return "".join(parts)
