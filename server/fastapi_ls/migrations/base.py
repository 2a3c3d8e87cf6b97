"""What every rule shares: the registry, the wording from the data file, and edit helpers."""

from __future__ import annotations

import ast
import textwrap
from collections.abc import Callable, Iterable
from typing import Any

import attrs

from ..imports import TextEdit
from .model import Finding, Fix, MigrationContext, Position, RuleBook
from .source import Source, edit

#: TODO comments are wrapped to this many columns.
TODO_WIDTH = 100


class _Blank(dict):
    """Format fields a rule leaves out read as empty text."""

    def __missing__(self, key: str) -> str:
        return ""


def wording(template: str, fields: dict[str, Any]) -> str:
    return template.format_map(_Blank(fields))


@attrs.define
class Report:
    """The state one rule works with while it checks one module."""

    source: Source
    context: MigrationContext
    book: RuleBook
    code: str
    #: the file's path, as the client gave it
    path: str = ""

    def finding(
        self, start: Position, end: Position, fixes: Iterable[Fix] = (), **fields: Any
    ) -> Finding:
        rule = self.book.rule(self.code)
        return Finding(
            code=rule.code,
            message=wording(rule.message, fields),
            severity=rule.severity,
            deprecated=rule.deprecated,
            link=rule.link,
            start=start,
            end=end,
            fixes=list(fixes),
        )

    def fix(
        self,
        fix_id: str,
        build: Callable[[], list[TextEdit]],
        *,
        safe: bool,
        preferred: bool = False,
        **fields: Any,
    ) -> Fix:
        title = wording(self.book.rule(self.code).fixes[fix_id], fields)
        return Fix(title=title, preferred=preferred, safe=safe, build=build)

    def todo(self, todo_id: str, indent: str, **fields: Any) -> str:
        """A ``# TODO:`` comment line saying why a fix is not exact."""
        text = wording(self.book.rule(self.code).todos[todo_id], fields)
        width = max(40, TODO_WIDTH - len(indent))
        lines = textwrap.wrap(f"TODO: {text}", width - 2, subsequent_indent="  ")
        return "".join(f"{indent}# {line}{self.source.newline}" for line in lines)


Checker = Callable[[Report], Iterable[Finding]]
CHECKERS: dict[str, Checker] = {}


def rule(code: str) -> Callable[[Checker], Checker]:
    def register(checker: Checker) -> Checker:
        CHECKERS[code] = checker
        return checker

    return register


# -------------------------------------------------------------------------------- edit helpers


def constant(node: ast.AST | None) -> Any:
    """The value of a literal ``True``/``"x"``/``3``; ``Ellipsis`` when not a literal."""
    if isinstance(node, ast.Constant):
        return node.value
    return ...


def keyword(call: ast.Call, name: str) -> ast.keyword | None:
    return next((kw for kw in call.keywords if kw.arg == name), None)


def arguments_of(call: ast.Call) -> list[ast.AST]:
    """Positional and keyword arguments in source order."""
    nodes: list[ast.AST] = [*call.args, *call.keywords]
    return sorted(nodes, key=lambda node: (node.lineno, node.col_offset))  # type: ignore[attr-defined]


def remove_argument(source: Source, call: ast.Call, node: ast.AST) -> TextEdit:
    """Remove one argument of a call with the comma that joins it to its neighbour."""
    nodes = arguments_of(call)
    index = nodes.index(node)
    if index > 0:
        return edit(source.end(nodes[index - 1]), source.end(node), "")
    if len(nodes) > 1:
        return edit(source.start(node), source.start(nodes[1]), "")
    return edit(source.start(node), source.end(node), "")


def add_keyword(source: Source, call: ast.Call, text: str) -> TextEdit:
    """Append ``name=value`` to a call's arguments, in the call's own layout."""
    nodes = arguments_of(call)
    end = source.end(call)
    close = (end[0], end[1] - 1)
    if not nodes:
        return edit(close, close, text)
    last_end = source.end(nodes[-1])
    between = source.slice(last_end, close)
    if between.lstrip().startswith(","):
        # A trailing comma: one argument per line, so the new one gets its own line.
        comma = (last_end[0], last_end[1] + between.index(",") + 1)
        indent = source.indent_of(source.start(nodes[-1])[0])
        if source.start(nodes[-1])[0] == source.start(call)[0]:
            return edit(comma, comma, f" {text},")
        return edit(comma, comma, f"{source.newline}{indent}{text},")
    return edit(last_end, last_end, f", {text}")


def keyword_name_edit(source: Source, node: ast.keyword, new_name: str) -> TextEdit:
    start = source.start(node)
    return edit(start, (start[0], start[1] + len(node.arg or "")), new_name)


def decorator_lines(source: Source, decorator: ast.AST) -> tuple[int, int]:
    start, end = source.start(decorator), source.end(decorator)
    return start[0], end[0]


def insert_line(line: int, text: str) -> TextEdit:
    return edit((line, 0), (line, 0), text)


def annotation_names(node: ast.AST | None) -> list[str]:
    """Class names an annotation may stand for: ``X``, ``Annotated[X, ...]``, ``X | None``,
    ``Optional[X]``."""
    if node is None:
        return []
    if isinstance(node, ast.Name):
        return [node.id]
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        try:
            return annotation_names(ast.parse(node.value, mode="eval").body)
        except SyntaxError:
            return []
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        names = annotation_names(node.left) + annotation_names(node.right)
        return [name for name in names if name != "None"]
    if isinstance(node, ast.Subscript):
        head = node.value
        head_name = head.attr if isinstance(head, ast.Attribute) else getattr(head, "id", "")
        inner = node.slice
        if head_name == "Annotated" and isinstance(inner, ast.Tuple) and inner.elts:
            return annotation_names(inner.elts[0])
        if head_name == "Optional":
            return annotation_names(inner)
    return []
