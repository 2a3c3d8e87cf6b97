"""Pydantic 1 idioms that Pydantic 2 deprecates or removed (FAPI1xx)."""

from __future__ import annotations

import ast
import re

from ..imports import TextEdit
from .base import (
    Report,
    annotation_names,
    constant,
    insert_line,
    keyword,
    keyword_name_edit,
    remove_argument,
    rule,
)
from .model import Finding
from .source import Source, edit

VALIDATOR = ("pydantic.validator", "pydantic.class_validators.validator")
ROOT_VALIDATOR = ("pydantic.root_validator", "pydantic.class_validators.root_validator")
FIELD = ("pydantic.Field", "pydantic.fields.Field")
EXTRA = "pydantic.Extra"
_IDENTIFIER = re.compile(r"[A-Za-z_]\w*\Z")


def _function_nodes(source: Source) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    return [
        node for node in source.nodes if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    ]


def _is_classmethod(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return any(isinstance(d, ast.Name) and d.id == "classmethod" for d in function.decorator_list)


def _classmethod_edit(source: Source, function: ast.FunctionDef | ast.AsyncFunctionDef) -> list:
    if _is_classmethod(function):
        return []
    line = function.lineno - 1
    return [insert_line(line, f"{source.indent_of(line)}@classmethod{source.newline}")]


# ------------------------------------------------------------------------------- FAPI101


@rule("FAPI101")
def config_class(report: Report) -> list[Finding]:
    source = report.source
    findings = []
    for model in source.classes.values():
        kind = source.model_kind(model.name, report.context.known_models)
        if kind is None:
            continue
        for config in model.body:
            if isinstance(config, ast.ClassDef) and config.name == "Config":
                findings.append(_config_finding(report, model, config, kind))
    return findings


def _config_finding(
    report: Report, model: ast.ClassDef, config: ast.ClassDef, kind: str
) -> Finding:
    source = report.source
    factory = "SettingsConfigDict" if kind == "settings" else "ConfigDict"
    module = "pydantic_settings" if kind == "settings" else "pydantic"
    start = source.start(config)
    header = source.line_code(start[0])
    name_at = header.find("Config", start[1])
    end = (start[0], name_at + len("Config")) if name_at >= 0 else source.end(config)
    entries = _config_entries(report, config)
    renamed = [
        f"{old} → {new}"
        for old, new, _ in entries or []
        if new is not None and old != new.split("=")[0]
    ]
    fixes = []
    has_model_config = any(
        isinstance(stmt, ast.Assign | ast.AnnAssign)
        and any(
            isinstance(t, ast.Name) and t.id == "model_config"
            for t in (stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target])
        )
        for stmt in model.body
    )
    if entries is not None and not has_model_config:
        inexact = bool(config.bases) or any(new is None for _, new, _ in entries)

        def build() -> list[TextEdit]:
            return _config_edits(report, config, entries, factory, module)

        fixes.append(
            report.fix("replace", build, safe=not inexact, preferred=not inexact, kind=factory)
        )
    return report.finding(
        start,
        end,
        fixes,
        kind=factory,
        renamed=f" ({', '.join(renamed)})" if renamed else "",
    )


def _config_entries(
    report: Report, config: ast.ClassDef
) -> list[tuple[str, str | None, ast.stmt]] | None:
    """(old key, ``new_key=value`` or None when removed, statement) per setting; None when
    the Config holds anything but plain settings (methods, conditionals…)."""
    source = report.source
    entries: list[tuple[str, str | None, ast.stmt]] = []
    for stmt in config.body:
        if isinstance(stmt, ast.Pass) or (
            isinstance(stmt, ast.Expr) and isinstance(constant(stmt.value), str)
        ):
            continue
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            target, value = stmt.targets[0], stmt.value
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
            target, value = stmt.target, stmt.value
        else:
            return None
        if not isinstance(target, ast.Name):
            return None
        key = target.id
        value_text = source.segment(value)
        rename = report.book.renamed("config", key)
        if key == "extra" and source.origin(value) and source.origin(value).startswith(EXTRA + "."):  # type: ignore[union-attr]
            value_text = f'"{source.origin(value).rsplit(".", 1)[1]}"'  # type: ignore[union-attr]
        if rename is None:
            entries.append((key, f"{key}={value_text}", stmt))
        elif key == "allow_mutation":
            if not isinstance(constant(value), bool):
                entries.append((key, None, stmt))
            else:
                entries.append((key, f"frozen={not constant(value)}", stmt))
        elif not rename.new:
            entries.append((key, None, stmt))
        else:
            entries.append((key, f"{rename.replacement(report.context)}={value_text}", stmt))
    return entries


def _config_edits(
    report: Report,
    config: ast.ClassDef,
    entries: list[tuple[str, str | None, ast.stmt]],
    factory: str,
    module: str,
) -> list[TextEdit]:
    source = report.source
    nl = source.newline
    first, last = config.lineno - 1, config.end_lineno - 1  # type: ignore[operator]
    indent = source.indent_of(first)
    inner = indent + "    "
    todos = []
    if config.bases:
        bases = ", ".join(source.segment(base) for base in config.bases)
        todos.append(report.todo("inherited", indent, bases=bases))
    for key, new, stmt in entries:
        if new is None:
            rename = report.book.renamed("config", key)
            note = rename.note if rename else ""
            todos.append(report.todo("removed", indent, key=source.segment(stmt), note=note))
    # Comments inside the class body are kept: full-line ones in place, trailing ones after
    # their setting.
    by_line = {stmt.lineno - 1: (new, stmt) for _, new, stmt in entries if new is not None}
    body_lines: list[str] = []
    line = first + 1
    while line <= last:
        code = source.line_code(line)
        stripped = code.strip()
        if line in by_line:
            new, stmt = by_line[line]
            stmt_last = stmt.end_lineno - 1  # type: ignore[operator]
            tail = source.line_code(stmt_last)[source.end(stmt)[1] :].strip()
            comment = f"  {tail}" if tail.startswith("#") else ""
            body_lines.append(f"{inner}{new},{comment}")
            line = stmt_last + 1
            continue
        if stripped.startswith("#"):
            body_lines.append(f"{inner}{stripped}")
        line += 1
    settings = [text for text in body_lines if not text.strip().startswith("#")]
    call_name = _config_factory_name(source, factory)
    if len(settings) == 1 and len(body_lines) == 1:
        text = f"{indent}model_config = {call_name}({settings[0].strip().rstrip(',')})"
        if len(text) > 100:
            text = f"{indent}model_config = {call_name}({nl}{body_lines[0]}{nl}{indent})"
    elif not settings and not body_lines:
        text = f"{indent}model_config = {call_name}()"
    else:
        joined = nl.join(body_lines)
        text = f"{indent}model_config = {call_name}({nl}{joined}{nl}{indent})"
    header = source.line_code(first)
    if "#" in header:
        # The comment after "class Config:" stays on the first line of its replacement.
        first_line, _, rest = text.partition(nl)
        text = f"{first_line}  {header[header.index('#') :]}" + (nl + rest if rest else "")
    new_text = "".join(todos) + text + nl
    edits = [edit(*source.whole_lines(first, last), new_text)]
    replaced = [
        node
        for _, _, stmt in entries
        for node in ast.walk(stmt)
        if isinstance(node, ast.Name) and source.bindings.get(node.id) == EXTRA
    ]
    edits += source.without_import("Extra", replaced) if replaced else []
    if call_name == factory:
        edits += source.import_edits([f"from {module} import {factory}"])
    return edits


def _config_factory_name(source: Source, factory: str) -> str:
    """``ConfigDict`` when the module imports it or can; ``pydantic.ConfigDict`` when it only
    has ``import pydantic``."""
    for name, origin in source.bindings.items():
        if origin.endswith("." + factory):
            return name
    return factory


# ------------------------------------------------------------------------------- FAPI102


@rule("FAPI102")
def validator(report: Report) -> list[Finding]:
    source = report.source
    findings = []
    for function in _function_nodes(source):
        for decorator in function.decorator_list:
            if isinstance(decorator, ast.Call) and source.refers_to(decorator.func, *VALIDATOR):
                findings.append(_validator_finding(report, function, decorator))
    return findings


def _validator_finding(
    report: Report, function: ast.FunctionDef | ast.AsyncFunctionDef, decorator: ast.Call
) -> Finding:
    source = report.source
    plan = _validator_plan(source, function, decorator)
    fixes = []
    detail = ""
    if plan is not None:
        mode, always = plan
        if mode:
            detail = ' with mode="before"'

        def build() -> list[TextEdit]:
            return _validator_edits(report, function, decorator, mode, always)

        fixes.append(report.fix("replace", build, safe=not always, preferred=not always))
    return report.finding(source.start(decorator), source.end(decorator), fixes, detail=detail)


def _validator_plan(
    source: Source, function: ast.FunctionDef | ast.AsyncFunctionDef, decorator: ast.Call
) -> tuple[str, bool] | None:
    """(mode, always) when the validator can be rewritten; None when not exactly."""
    mode = ""
    always = False
    for kw in decorator.keywords:
        value = constant(kw.value)
        if kw.arg in ("allow_reuse", "check_fields"):
            continue
        if kw.arg == "pre" and isinstance(value, bool):
            mode = "before" if value else ""
        elif kw.arg == "always" and isinstance(value, bool):
            always = value
        else:  # each_item, whole, **kwargs: no exact field_validator equivalent
            return None
    if any(isinstance(arg, ast.Starred) for arg in decorator.args):
        return None
    args = function.args
    params = [a.arg for a in args.posonlyargs + args.args + args.kwonlyargs]
    if args.vararg or args.kwarg or len(params) < 2 or len(params) > 3:
        return None
    if len(params) == 3 and (params[2] != "values" or not source.is_free_in(function, "info")):
        return None
    return mode, always


def _validator_edits(
    report: Report,
    function: ast.FunctionDef | ast.AsyncFunctionDef,
    decorator: ast.Call,
    mode: str,
    always: bool,
) -> list[TextEdit]:
    source = report.source
    fields = [source.segment(arg) for arg in decorator.args]
    arguments = list(fields)
    if mode:
        arguments.append(f'mode="{mode}"')
    check_fields = keyword(decorator, "check_fields")
    if check_fields is not None:
        arguments.append(source.segment(check_fields))
    func = source.segment(decorator.func)
    new_func = func[: len(func) - len("validator")] + "field_validator"
    edits = [source.replace(decorator, f"{new_func}({', '.join(arguments)})")]
    edits += _import_swap(source, decorator.func, "validator", "field_validator")
    edits += _classmethod_edit(source, function)
    if always:
        line = decorator.lineno - 1
        edits.append(
            insert_line(
                line, report.todo("always", source.indent_of(line), fields=", ".join(fields))
            )
        )
    values = _values_param(function)
    if values is not None:
        edits.append(source.replace(values, "info: ValidationInfo"))
        for node in ast.walk(function):
            if isinstance(node, ast.Name) and node.id == "values":
                edits.append(source.replace(node, "info.data"))
        edits += source.import_edits(["from pydantic import ValidationInfo"])
    return edits


def _values_param(function: ast.FunctionDef | ast.AsyncFunctionDef) -> ast.arg | None:
    args = function.args
    return next(
        (a for a in args.posonlyargs + args.args + args.kwonlyargs if a.arg == "values"), None
    )


def _import_swap(source: Source, func: ast.AST, old: str, new: str) -> list[TextEdit]:
    """The import changes for a decorator whose name goes from ``old`` to ``new`` (the
    decorator's own text is rewritten by the caller)."""
    if not isinstance(func, ast.Name):
        return []
    unused = source.without_import(old, [func])
    if new in source.bindings:
        return unused
    if unused:
        renamed = source.renamed_import(old, new)
        if renamed is not None:
            return [renamed]
    return unused + source.import_edits([f"from pydantic import {new}"])


# ------------------------------------------------------------------------------- FAPI103


@rule("FAPI103")
def root_validator(report: Report) -> list[Finding]:
    source = report.source
    findings = []
    for function in _function_nodes(source):
        for decorator in function.decorator_list:
            func = decorator.func if isinstance(decorator, ast.Call) else decorator
            if source.refers_to(func, *ROOT_VALIDATOR):
                findings.append(_root_validator_finding(report, function, decorator))
    return findings


def _root_validator_finding(
    report: Report, function: ast.FunctionDef | ast.AsyncFunctionDef, decorator: ast.expr
) -> Finding:
    source = report.source
    pre = False
    exact = True
    if isinstance(decorator, ast.Call):
        for kw in decorator.keywords:
            value = constant(kw.value)
            if kw.arg == "pre" and isinstance(value, bool):
                pre = value
            elif kw.arg not in ("skip_on_failure", "allow_reuse") or not isinstance(value, bool):
                exact = False
        exact = exact and not decorator.args
    mode = "before" if pre else "after"
    params = [a.arg for a in function.args.posonlyargs + function.args.args]
    signature_ok = (
        len(params) == 2
        and not function.args.kwonlyargs
        and not function.args.vararg
        and not function.args.kwarg
    )
    rewrites = None if pre or not signature_ok else _after_rewrites(source, function, params[1])
    fixes = []
    if exact and signature_ok and (pre or rewrites is not None):
        model = source.enclosing(function, ast.ClassDef)
        # From attributes, a before validator gets the object itself where v1 gave a mapping.
        attributes = pre and isinstance(model, ast.ClassDef) and _reads_attributes(source, model)

        def build() -> list[TextEdit]:
            edits = _root_validator_edits(report, function, decorator, pre, rewrites or [])
            if attributes:
                line = decorator.lineno - 1
                todo = report.todo("attributes", source.indent_of(line), values=params[1])
                edits.append(insert_line(line, todo))
            return edits

        exact_fix = not attributes
        fixes.append(report.fix("replace", build, safe=exact_fix, preferred=exact_fix, mode=mode))
    return report.finding(source.start(decorator), source.end(decorator), fixes, mode=mode)


def _reads_attributes(source: Source, model: ast.ClassDef) -> bool:
    """The model sets ``orm_mode`` / ``from_attributes`` in its Config or model_config."""
    for node in ast.walk(model):
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id in ("orm_mode", "from_attributes")
            for t in node.targets
        ):
            return constant(node.value) is not False
        if isinstance(node, ast.keyword) and node.arg == "from_attributes":
            return constant(node.value) is not False
    return False


def _after_rewrites(
    source: Source, function: ast.FunctionDef | ast.AsyncFunctionDef, values: str
) -> list[tuple[ast.AST, str]] | None:
    """How the body of a v1 post root validator reads as an after model validator: each
    ``values["x"]`` / ``values.get("x")`` becomes ``self.x`` and ``return values`` becomes
    ``return self``.  None when ``values`` is used any other way (changed, passed on…)."""
    rewrites: list[tuple[ast.AST, str]] = []
    handled: set[int] = set()
    returns = [
        node
        for node in ast.walk(function)
        if isinstance(node, ast.Return)
        and source.enclosing(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)) is function
    ]
    if not returns or not isinstance(function.body[-1], ast.Return):
        return None
    for node in returns:
        if not (isinstance(node.value, ast.Name) and node.value.id == values):
            return None
        rewrites.append((node.value, "self"))
        handled.add(id(node.value))
    for node in ast.walk(function):
        if isinstance(node, ast.Subscript) and _is_name(node.value, values):
            key = constant(node.slice)
            if not isinstance(node.ctx, ast.Load) or not _is_field_name(key):
                return None
            rewrites.append((node, f"self.{key}"))
            handled.add(id(node.value))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "get"
            and _is_name(node.func.value, values)
        ):
            key = constant(node.args[0]) if node.args else None
            if not _is_field_name(key) or node.keywords or len(node.args) > 2:
                return None
            rewrites.append((node, f"self.{key}"))
            handled.add(id(node.func.value))
    for node in ast.walk(function):
        if _is_name(node, values) and id(node) not in handled:
            return None
    return rewrites


def _is_name(node: ast.AST, name: str) -> bool:
    return isinstance(node, ast.Name) and node.id == name


def _is_field_name(key: object) -> bool:
    return isinstance(key, str) and bool(_IDENTIFIER.match(key))


def _root_validator_edits(
    report: Report,
    function: ast.FunctionDef | ast.AsyncFunctionDef,
    decorator: ast.expr,
    pre: bool,
    rewrites: list[tuple[ast.AST, str]],
) -> list[TextEdit]:
    source = report.source
    func = decorator.func if isinstance(decorator, ast.Call) else decorator
    func_text = source.segment(func)
    new_func = func_text[: len(func_text) - len("root_validator")] + "model_validator"
    mode = "before" if pre else "after"
    edits = [source.replace(decorator, f'{new_func}(mode="{mode}")')]
    edits += _import_swap(source, func, "root_validator", "model_validator")
    if pre:
        return edits + _classmethod_edit(source, function)
    for other in function.decorator_list:
        if isinstance(other, ast.Name) and other.id == "classmethod":
            first, _ = source.start(other)[0], source.end(other)[0]
            edits.append(edit(*source.whole_lines(first, first), ""))
    args = function.args.posonlyargs + function.args.args
    edits.append(edit(source.start(args[0]), source.end(args[-1]), "self"))
    if function.returns is not None:
        close = source.end(args[-1])
        returns_end = source.end(function.returns)
        between = source.slice(close, returns_end)
        arrow = between.find("->")
        paren = between.rfind(")", 0, arrow)
        start = source_offset(source, close, paren + 1)
        edits.append(edit(start, returns_end, ""))
    edits += [source.replace(node, text) for node, text in rewrites]
    return edits


def source_offset(source: Source, start: tuple[int, int], count: int) -> tuple[int, int]:
    """The position ``count`` characters after ``start``."""
    line, column = start
    while count > 0 and line < len(source.lines):
        room = len(source.lines[line]) - column
        if count < room:
            return line, column + count
        count -= room
        line, column = line + 1, 0
    return line, column


# ------------------------------------------------------------------------------- FAPI104


@rule("FAPI104")
def model_methods(report: Report) -> list[Finding]:
    source = report.source
    findings = []
    known = report.context.known_models
    types = _TypeScopes(source, known)
    for node in source.nodes:
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        attribute = node.func
        receiver = attribute.value
        rename = report.book.renamed("classmethod", attribute.attr)
        if rename is not None:
            if not (isinstance(receiver, ast.Name) and source.model_kind(receiver.id, known)):
                continue
        else:
            rename = report.book.renamed("method", attribute.attr)
            if rename is None or not types.is_model(receiver):
                continue
        end = source.end(attribute)
        start = (end[0], end[1] - len(attribute.attr))
        fixes = []
        if _exact_call(attribute.attr, node):

            def build(start=start, end=end, new=rename.new) -> list[TextEdit]:
                return [edit(start, end, new)]

            fixes.append(report.fix("replace", build, safe=True, preferred=True, new=rename.new))
        findings.append(report.finding(start, end, fixes, old=attribute.attr, new=rename.new))
    return findings


#: The keyword arguments each v1 method shares with its v2 replacement.
_SAME_KEYWORDS = {
    "dict": {"include", "exclude", "by_alias", "exclude_unset", "exclude_defaults", "exclude_none"},
    "json": {
        "include",
        "exclude",
        "by_alias",
        "exclude_unset",
        "exclude_defaults",
        "exclude_none",
        "indent",
    },
    "copy": {"update", "deep"},
    "schema": {"by_alias", "ref_template"},
    "update_forward_refs": set(),
}


def _exact_call(method: str, call: ast.Call) -> bool:
    if any(kw.arg is None for kw in call.keywords) and method != "construct":
        return False
    if method in _SAME_KEYWORDS:
        return not call.args and all(kw.arg in _SAME_KEYWORDS[method] for kw in call.keywords)
    if method == "parse_raw":
        return len(call.args) == 1 and not call.keywords
    if method in ("parse_obj", "from_orm"):
        return len(call.args) == 1 and not call.keywords
    return True


class _TypeScopes:
    """Which plain names are known to hold a model instance, scope by scope."""

    def __init__(self, source: Source, known: frozenset[str]) -> None:
        self.source = source
        self.known = known
        self._scopes: dict[ast.AST, dict[str, bool]] = {}

    def is_model(self, node: ast.AST) -> bool:
        if isinstance(node, ast.Call):
            return self._makes_model(node)
        if not isinstance(node, ast.Name):
            return False
        scope = self.source.enclosing(
            node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
        )
        while isinstance(scope, ast.ClassDef):
            scope = self.source.enclosing(
                scope, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
            )
        scope = scope or self.source.tree
        if scope not in self._scopes:
            self._scopes[scope] = self._read_scope(scope)
        return self._scopes[scope].get(node.id, False)

    def _is_model_class(self, name: str) -> bool:
        return self.source.model_kind(name, self.known) is not None

    def _makes_model(self, node: ast.AST) -> bool:
        """``Model(...)``, ``Model.parse_obj(...)``, ``Model.model_validate(...)``…"""
        if not isinstance(node, ast.Call):
            return False
        func = node.func
        if isinstance(func, ast.Name):
            return self._is_model_class(func.id)
        return (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and func.attr
            in {"parse_obj", "parse_raw", "from_orm", "model_validate", "model_validate_json"}
            and self._is_model_class(func.value.id)
        )

    def _read_scope(self, scope: ast.AST) -> dict[str, bool]:
        """Name → whether every binding in the scope makes it a model."""
        known: dict[str, bool] = {}

        def bind(name: str, is_model: bool) -> None:
            known[name] = known.get(name, True) and is_model

        if isinstance(scope, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            args = scope.args
            every = args.posonlyargs + args.args + args.kwonlyargs
            parent = self.source.parents.get(scope)
            for index, arg in enumerate(every):
                names = annotation_names(arg.annotation)
                is_model = bool(names) and all(self._is_model_class(n) for n in names)
                if (
                    index == 0
                    and arg.arg == "self"
                    and isinstance(parent, ast.ClassDef)
                    and self._is_model_class(parent.name)
                ):
                    is_model = True
                bind(arg.arg, is_model)
            for extra in (args.vararg, args.kwarg):
                if extra is not None:
                    bind(extra.arg, False)
        body = (
            scope.body
            if isinstance(scope, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef)
            else []
        )
        for node in _scope_nodes(body):
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    for name in ast.walk(target):
                        if isinstance(name, ast.Name):
                            bind(
                                name.id,
                                isinstance(target, ast.Name) and self._makes_model(node.value),
                            )
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                names = annotation_names(node.annotation)
                bind(node.target.id, bool(names) and all(self._is_model_class(n) for n in names))
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store | ast.Del):
                parent = self.source.parents.get(node)
                if not isinstance(parent, ast.Assign | ast.AnnAssign):
                    bind(node.id, False)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                bind(node.name, False)
            elif isinstance(node, ast.alias):
                bind((node.asname or node.name).split(".")[0], False)
            elif isinstance(node, ast.Global | ast.Nonlocal):
                for name in node.names:
                    bind(name, False)
        return known


def _scope_nodes(body: list[ast.stmt]):
    """Nodes of a scope's body, not descending into nested functions, lambdas or classes."""
    stack: list[ast.AST] = list(reversed(body))
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
            continue
        stack.extend(reversed(list(ast.iter_child_nodes(node))))


# ------------------------------------------------------------------------------- FAPI105


@rule("FAPI105")
def field_arguments(report: Report) -> list[Finding]:
    source = report.source
    findings = []
    for call in (n for n in source.nodes if isinstance(n, ast.Call)):
        if not source.refers_to(call.func, *FIELD):
            continue
        for kw in call.keywords:
            rename = report.book.renamed("argument", kw.arg or "")
            if rename is None:
                continue
            findings.append(argument_finding(report, call, kw, allow_const=True))
    return findings


def argument_finding(
    report: Report, call: ast.Call, kw: ast.keyword, *, allow_const: bool, function: str = ""
) -> Finding:
    """A finding (with its fix) for a renamed or removed keyword argument of ``call``."""
    source = report.source
    rename = report.book.renamed("argument", kw.arg or "")
    assert rename is not None
    start, end = source.start(kw), source.end(kw)
    fixes = []
    if rename.new and keyword(call, rename.new) is None:
        if rename.new == "examples":

            def build() -> list[TextEdit]:
                return [edit(start, end, f"examples=[{source.segment(kw.value)}]")]

        else:

            def build() -> list[TextEdit]:
                return [keyword_name_edit(source, kw, rename.new)]

        fixes.append(report.fix("rename", build, safe=True, preferred=True, new=rename.new))
    elif kw.arg == "const" and allow_const:
        fix = _const_fix(report, call, kw)
        if fix is not None:
            fixes.append(fix)
    advice = f"`{rename.new}=`" if rename.new else rename.note
    if rename.new and rename.note:
        advice += f" ({rename.note})"
    return report.finding(
        start,
        end,
        fixes,
        old=kw.arg,
        new=rename.new,
        advice=advice,
        function=function,
        detail=f" ({rename.note})" if rename.note and rename.new else "",
    )


def _const_fix(report: Report, call: ast.Call, kw: ast.keyword):
    """``x: str = Field("a", const=True)`` → ``x: Literal["a"] = Field("a")``."""
    source = report.source
    if constant(kw.value) is not True:
        return None
    assignment = source.parents.get(call)
    if not isinstance(assignment, ast.AnnAssign) or assignment.value is not call:
        return None
    default = call.args[0] if call.args else getattr(keyword(call, "default"), "value", None)
    value = constant(default)
    if value is ... or value is None:
        return None

    def build() -> list[TextEdit]:
        literal = _literal_name(source)
        edits = [
            source.replace(assignment.annotation, f"{literal}[{source.segment(default)}]"),
            remove_argument(source, call, kw),
        ]
        if literal == "Literal":
            edits += source.import_edits(["from typing import Literal"])
        return edits

    return report.fix("const", build, safe=True, preferred=True, value=source.segment(default))


def _literal_name(source: Source) -> str:
    for name, origin in source.bindings.items():
        if origin in ("typing.Literal", "typing_extensions.Literal"):
            return name
    if source.bindings.get("typing") == "typing":
        return "typing.Literal"
    return "Literal"


# ------------------------------------------------------------------------------- FAPI106


@rule("FAPI106")
def basesettings_import(report: Report) -> list[Finding]:
    source = report.source
    findings = []
    for statement in source.tree.body:
        if not (isinstance(statement, ast.ImportFrom) and statement.module == "pydantic"):
            continue
        if statement.level:
            continue
        for alias in statement.names:
            if alias.name != "BaseSettings":
                continue

            def build(statement=statement, alias=alias) -> list[TextEdit]:
                return _basesettings_edits(source, statement, alias)

            fix = report.fix("replace", build, safe=True, preferred=True)
            findings.append(report.finding(source.start(alias), source.end(alias), [fix]))
    return findings


def _basesettings_edits(
    source: Source, statement: ast.ImportFrom, alias: ast.alias
) -> list[TextEdit]:
    name = alias.name + (f" as {alias.asname}" if alias.asname else "")
    if len(statement.names) == 1:
        start = source.start(statement)
        line = source.line_code(start[0])
        at = line.find("pydantic", start[1])
        return [edit((start[0], at), (start[0], at + len("pydantic")), "pydantic_settings")]
    (local,) = [alias.asname or alias.name]
    remove = source.without_import(local, source.uses_of(local))
    return remove + source.import_edits([f"from pydantic_settings import {name}"], [alias])


# ------------------------------------------------------------------------------- FAPI107


@rule("FAPI107")
def v1_import(report: Report) -> list[Finding]:
    source = report.source
    findings = []
    for node in source.nodes:
        if isinstance(node, ast.ImportFrom) and not node.level:
            module = node.module or ""
            if module == "pydantic.v1" or module.startswith("pydantic.v1."):
                findings.append(report.finding(source.start(node), source.end(node)))
            elif module == "pydantic":
                for alias in node.names:
                    if alias.name == "v1":
                        findings.append(report.finding(source.start(alias), source.end(alias)))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "pydantic.v1" or alias.name.startswith("pydantic.v1."):
                    findings.append(report.finding(source.start(alias), source.end(alias)))
    return findings
