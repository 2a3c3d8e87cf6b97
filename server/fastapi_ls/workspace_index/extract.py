"""Read one module's text into ``ModuleFacts``: statements only, never running anything.

Only statements are walked (plus the few expressions that matter: decorators, signatures and
the arguments of ``include_router``/``mount``), which keeps a module of a few hundred lines
well under a millisecond once parsed.  A large module is read a piece at a time and each
piece's tree dropped before the next is parsed; only the few nodes a later statement may need
(the signatures of endpoints an ``add_api_route`` can name) outlive their piece.
"""

from __future__ import annotations

import ast
import copy
import time

from ..source_text import HTTP_METHODS
from .facts import (
    CalledDependency,
    CallSite,
    ClassFacts,
    Construction,
    Dependency,
    ElementOf,
    FunctionFacts,
    Import,
    IncludeDecl,
    ModuleFacts,
    NameValue,
    Ref,
    RouteDecl,
    SeqValue,
    Span,
    StrParts,
    StrValue,
)
from .parsing import parse_module, parse_pieces

_DEPENDENCY_CALLS = ("Depends", "Security")
_ROUTE_REGISTRATIONS = ("add_api_route", "add_api_websocket_route")
_FUNCTION_NODES = (ast.FunctionDef, ast.AsyncFunctionDef)
_PLAIN_VALUES = (ast.Constant, ast.JoinedStr, ast.List, ast.Dict, ast.Tuple, ast.Set)


def extract(
    text: str, *, repair: bool = True, piece_chars: int | None = None
) -> ModuleFacts | None:
    """The module's facts, or None when even the repaired text does not parse.

    ``repair=False``: None as soon as the text does not parse as written (the caller keeps
    facts of an earlier text then, so repairing would be wasted).  ``piece_chars``: the size
    of the pieces a module is parsed in (default: only large modules are cut).
    """
    lines = text.splitlines()
    try:
        extractor = _Extractor(lines)
        for tree in parse_pieces(text, piece_chars):
            extractor.add(tree.body)
            # Parsing holds the GIL: let a waiting request in between pieces.
            time.sleep(0)
        return extractor.facts(clean=True)
    except RecursionError:
        return None
    except (SyntaxError, ValueError, MemoryError):
        if not repair:
            return None
    # Broken code: the repairs need the whole module (they may reach back a statement).
    tree, clean = parse_module(text)
    if tree is None:
        return None
    try:
        extractor = _Extractor(lines)
        extractor.add(tree.body)
        return extractor.facts(clean)
    except RecursionError:
        return None


def ref_of(node: ast.expr) -> Ref | None:
    if isinstance(node, ast.Name):
        return (node.id,)
    if isinstance(node, ast.Attribute):
        base = ref_of(node.value)
        return None if base is None else (*base, node.attr)
    if isinstance(node, ast.Call) and not node.args and not node.keywords:
        base = ref_of(node.func)
        return None if base is None else (*base, "()")
    return None


def str_parts(node: ast.expr | None) -> StrParts | None:
    if node is None:
        return None
    if isinstance(node, ast.Constant):
        return (node.value,) if isinstance(node.value, str) else None
    if isinstance(node, ast.JoinedStr):
        parts: list[str | Ref] = []
        for value in node.values:
            if isinstance(value, ast.FormattedValue):
                if value.format_spec is not None or value.conversion not in (-1, ord("s")):
                    return None
                inner = str_parts(value.value)
                if inner is None:
                    return None
                parts.extend(inner)
            else:
                inner = str_parts(value)
                if inner is None:
                    return None
                parts.extend(inner)
        return tuple(parts)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = str_parts(node.left), str_parts(node.right)
        return None if left is None or right is None else (*left, *right)
    ref = ref_of(node)
    return None if ref is None else (ref,)


def _keyword(call: ast.Call, name: str, position: int | None = None) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg == name:
            return keyword.value
    if position is not None and len(call.args) > position:
        argument = call.args[position]
        return None if isinstance(argument, ast.Starred) else argument
    return None


def _strings(node: ast.expr | None) -> tuple[str, ...]:
    if not isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return ()
    return tuple(
        str(element.value)
        for element in node.elts
        if isinstance(element, ast.Constant) and isinstance(element.value, str)
    )


def _is_dependency_call(node: ast.AST) -> bool:
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
    return name in _DEPENDENCY_CALLS


class _Extractor:
    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.module_names: dict = {}
        self.star_imports: list[str] = []
        self.routes: list[RouteDecl] = []
        self.includes: list[IncludeDecl] = []
        self.calls: list[CallSite] = []
        self.called: list[CalledDependency] = []
        self.imports_fastapi = False
        self.registrations: list[tuple[str, ast.Call, str | None, str]] = []
        self.defs: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}

    def add(self, statements: list[ast.stmt]) -> None:
        """The module's next top-level statements."""
        self.block(statements, "", self.module_names, ())

    def facts(self, clean: bool) -> ModuleFacts:
        """The facts of every statement added."""
        for scope, call, condition, method in self.registrations:
            self.registration(scope, call, condition, method)
        return ModuleFacts(
            names=self.module_names,
            star_imports=tuple(self.star_imports),
            routes=tuple(self.routes),
            includes=tuple(self.includes),
            calls=tuple(self.calls),
            called_dependencies=tuple(self.called),
            imports_fastapi=self.imports_fastapi,
            clean=clean,
        )

    # positions ---------------------------------------------------------------------------

    def column(self, line: int, byte_column: int) -> int:
        if not 0 <= line < len(self.lines):
            return byte_column
        text = self.lines[line]
        if text.isascii():
            return byte_column
        return len(text.encode("utf-8")[:byte_column].decode("utf-8", errors="ignore"))

    def span(self, node: ast.AST) -> Span:
        line = node.lineno - 1
        end_line = (node.end_lineno or node.lineno) - 1
        end_column = node.end_col_offset if node.end_col_offset is not None else node.col_offset
        return (
            line,
            self.column(line, node.col_offset),
            end_line,
            self.column(end_line, end_column),
        )

    def name_span(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> Span:
        line = node.lineno - 1
        start = self.column(line, node.col_offset)
        text = self.lines[line] if 0 <= line < len(self.lines) else ""
        found = text.find(node.name, start)
        column = found if found >= 0 else start
        return (line, column, line, column + len(node.name))

    def decorator_span(self, node: ast.expr) -> Span:
        line, column, end_line, end_column = self.span(node)
        text = self.lines[line] if 0 <= line < len(self.lines) else ""
        at = text.rfind("@", 0, column)
        return (line, at if at >= 0 else column, end_line, end_column)

    def text(self, node: ast.AST) -> str:
        try:
            return ast.unparse(node)
        except (ValueError, AttributeError, RecursionError):
            return ""

    # statements --------------------------------------------------------------------------

    def block(self, body: list[ast.stmt], scope: str, names: dict, conditions: tuple) -> None:
        for statement in body:
            self.statement(statement, scope, names, conditions)

    def statement(self, node: ast.stmt, scope: str, names: dict, conditions: tuple) -> None:
        condition = " and ".join(conditions) or None
        if isinstance(node, ast.Assign):
            value = self.value(node.value)
            for target in node.targets:
                if isinstance(target, ast.Name):
                    self.bind(names, target.id, value)
            self.expression_call(node.value, scope, condition)
        elif isinstance(node, ast.AnnAssign):
            if isinstance(node.target, ast.Name) and node.value is not None:
                self.bind(names, node.target.id, self.value(node.value))
        elif isinstance(node, ast.Expr):
            self.expression_call(node.value, scope, condition)
        elif isinstance(node, _FUNCTION_NODES):
            self.function(node, scope, names, conditions)
        elif isinstance(node, ast.ClassDef):
            if not scope:
                names[node.name] = self.class_facts(node)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                self.note_import(alias.name)
                if alias.asname:
                    names[alias.asname] = Import(alias.name, None)
                else:
                    top = alias.name.split(".")[0]
                    names[top] = Import(top, None)
        elif isinstance(node, ast.ImportFrom):
            module = "." * node.level + (node.module or "")
            if node.level == 0:
                self.note_import(module)
            for alias in node.names:
                if alias.name == "*":
                    if not scope:
                        self.star_imports.append(module)
                else:
                    names[alias.asname or alias.name] = Import(module, alias.name)
        elif isinstance(node, (ast.If, ast.While)):
            test = self.text(node.test)
            self.block(node.body, scope, names, (*conditions, test))
            self.block(node.orelse, scope, names, (*conditions, f"not ({test})"))
        elif isinstance(node, (ast.For, ast.AsyncFor)):
            if isinstance(node.target, ast.Name):
                source = self.value(node.iter)
                self.bind(names, node.target.id, ElementOf(source) if source else None)
            self.block(node.body, scope, names, conditions)
            self.block(node.orelse, scope, names, conditions)
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            self.block(node.body, scope, names, conditions)
        elif isinstance(node, ast.Try) or type(node).__name__ == "TryStar":
            self.block(node.body, scope, names, conditions)
            for handler in node.handlers:
                caught = self.text(handler.type) if handler.type else "any exception"
                self.block(handler.body, scope, names, (*conditions, f"except {caught}"))
            self.block(node.orelse, scope, names, conditions)
            self.block(node.finalbody, scope, names, conditions)
        elif isinstance(node, ast.Match):
            for case in node.cases:
                pattern = f"case {self.text(case.pattern)}"
                self.block(case.body, scope, names, (*conditions, pattern))

    def note_import(self, module: str) -> None:
        if module == "fastapi" or module.startswith("fastapi."):
            self.imports_fastapi = True

    @staticmethod
    def bind(names: dict, name: str, value: object) -> None:
        if value is None:
            names.pop(name, None)
        else:
            names[name] = value

    def value(self, node: ast.expr):
        if isinstance(node, ast.Call):
            callee = ref_of(node.func)
            if callee is None:
                return None
            self.check_dependencies(node)
            prefix = _keyword(node, "prefix")
            return Construction(
                callee=callee,
                prefix=("",) if prefix is None else str_parts(prefix),
                dependencies=self.dependencies(_keyword(node, "dependencies")),
                tags=_strings(_keyword(node, "tags")),
                span=self.span(node),
            )
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            return SeqValue(tuple(self.value(element) for element in node.elts))
        if isinstance(node, (ast.Name, ast.Attribute)):
            ref = ref_of(node)
            return None if ref is None else NameValue(ref)
        parts = str_parts(node)
        return None if parts is None else StrValue(parts)

    def dependencies(self, node: ast.expr | None) -> tuple[Dependency, ...]:
        if not isinstance(node, (ast.List, ast.Tuple)):
            return ()
        return tuple(self.dependency(element) for element in node.elts)

    def dependency(self, node: ast.expr) -> Dependency:
        callee = None
        if _is_dependency_call(node):
            argument = _keyword(node, "dependency", 0)
            if argument is not None:
                callee = ref_of(argument) if not isinstance(argument, ast.Call) else None
        return Dependency(self.text(node), callee)

    def check_dependencies(self, node: ast.AST) -> None:
        """Record each ``Depends(fn())`` inside ``node``: a call where a callable belongs."""
        for inner in ast.walk(node):
            if not _is_dependency_call(inner):
                continue
            argument = _keyword(inner, "dependency", 0)
            if isinstance(argument, ast.Call):
                callee = ref_of(argument.func)
                if callee is not None:
                    self.called.append(
                        CalledDependency(callee, self.text(inner), self.span(argument))
                    )

    # calls -------------------------------------------------------------------------------

    def expression_call(self, node: ast.expr, scope: str, condition: str | None) -> None:
        if isinstance(node, ast.Await):
            node = node.value
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            if isinstance(node, ast.Call):
                self.call_site(node, scope)
            return
        method = node.func.attr
        owner = ref_of(node.func.value)
        if owner is None:
            return
        if method == "include_router":
            self.check_dependencies(node)
            child = _keyword(node, "router", 0)
            prefix = _keyword(node, "prefix")
            self.includes.append(
                IncludeDecl(
                    scope=scope,
                    parent=owner,
                    child=None if child is None else self.value(child),
                    prefix=("",) if prefix is None else str_parts(prefix),
                    dependencies=self.dependencies(_keyword(node, "dependencies")),
                    tags=_strings(_keyword(node, "tags")),
                    span=self.span(node),
                    condition=condition,
                )
            )
        elif method == "mount":
            child = _keyword(node, "app", 1)
            self.includes.append(
                IncludeDecl(
                    scope=scope,
                    parent=owner,
                    child=None if child is None else self.value(child),
                    prefix=str_parts(_keyword(node, "path", 0)),
                    dependencies=(),
                    tags=(),
                    span=self.span(node),
                    condition=condition,
                    mount=True,
                )
            )
        elif method in _ROUTE_REGISTRATIONS:
            self.registrations.append((scope, node, condition, method))
        else:
            self.call_site(node, scope)

    def call_site(self, node: ast.Call, scope: str) -> None:
        callee = ref_of(node.func)
        if callee is None:
            return
        args = tuple(ref_of(argument) for argument in node.args)
        kwargs = tuple(
            (keyword.arg, ref)
            for keyword in node.keywords
            if keyword.arg and (ref := ref_of(keyword.value)) is not None
        )
        if any(args) or kwargs:
            self.calls.append(CallSite(scope, callee, args, kwargs))

    # definitions -------------------------------------------------------------------------

    def class_facts(self, node: ast.ClassDef) -> ClassFacts:
        bases = tuple(ref for base in node.bases if (ref := ref_of(base)) is not None)
        strings: dict[str, StrParts] = {}
        for statement in node.body:
            target = value = None
            if isinstance(statement, ast.AnnAssign):
                target, value = statement.target, statement.value
            elif isinstance(statement, ast.Assign) and len(statement.targets) == 1:
                target, value = statement.targets[0], statement.value
            if isinstance(target, ast.Name) and value is not None:
                parts = str_parts(value)
                if parts is not None and all(isinstance(part, str) for part in parts):
                    strings[target.id] = parts
        return ClassFacts(bases, strings, node.lineno - 1)

    def function(
        self,
        node: ast.FunctionDef | ast.AsyncFunctionDef,
        scope: str,
        names: dict,
        conditions: tuple,
    ) -> None:
        params = _parameters(node.args)
        for decorator in node.decorator_list:
            self.route_decorator(node, decorator, scope, params, conditions)
        if scope:
            # A function defined inside another: its routes were taken above; its body binds
            # nothing the enclosing scope can see.
            return
        # Kept for an ``add_api_route`` further down; its body would keep the piece's tree.
        signature = copy.copy(node)
        signature.body = []
        signature.decorator_list = []
        self.defs[node.name] = signature
        local: dict = {}
        self.block(node.body, node.name, local, conditions)
        returns, plain = self.returns(node)
        names[node.name] = FunctionFacts(params, returns, local, plain, node.lineno - 1)

    def returns(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[tuple, bool]:
        """What the function returns, and whether that is surely not callable.

        Only statements are walked (expressions would cost a walk of the whole module); a
        ``yield`` is looked for in the function's lines.
        """
        values = []
        plain = True
        nested = False
        pending: list[ast.stmt] = list(node.body)
        while pending:
            current = pending.pop()
            if isinstance(current, (*_FUNCTION_NODES, ast.ClassDef)):
                nested = True
                continue
            if isinstance(current, ast.Return) and current.value is not None:
                value = self.value(current.value)
                if value is not None:
                    values.append(value)
                if not isinstance(current.value, _PLAIN_VALUES):
                    plain = False
            for field in ("body", "orelse", "finalbody", "handlers", "cases"):
                pending.extend(getattr(current, field, ()))
        end = node.end_lineno or node.lineno
        generator = not nested and any("yield" in line for line in self.lines[node.lineno : end])
        return tuple(reversed(values)), generator or (plain and not nested)

    def route_decorator(
        self,
        node: ast.FunctionDef | ast.AsyncFunctionDef,
        decorator: ast.expr,
        scope: str,
        params: tuple[str, ...],
        conditions: tuple,
    ) -> None:
        if not isinstance(decorator, ast.Call) or not isinstance(decorator.func, ast.Attribute):
            return
        method = decorator.func.attr
        if method in HTTP_METHODS:
            methods: tuple[str, ...] = (method.upper(),)
        elif method == "api_route":
            methods = tuple(m.upper() for m in _strings(_keyword(decorator, "methods"))) or ("GET",)
        elif method == "websocket":
            methods = ("WS",)
        else:
            return
        target = ref_of(decorator.func.value)
        if target is None:
            return
        self.check_dependencies(decorator)
        self.check_dependencies(node.args)
        self.routes.append(
            self.route(
                scope,
                target,
                methods,
                decorator,
                node,
                params,
                " and ".join(conditions) or None,
            )
        )

    def route(
        self,
        scope: str,
        target: Ref,
        methods: tuple[str, ...],
        call: ast.Call,
        node: ast.FunctionDef | ast.AsyncFunctionDef,
        params: tuple[str, ...],
        condition: str | None,
        decorator_span: Span | None = None,
    ) -> RouteDecl:
        response_model = _keyword(call, "response_model")
        if response_model is None:
            response_model = node.returns
        status_code = _keyword(call, "status_code")
        return RouteDecl(
            scope=scope,
            target=target,
            methods=methods,
            path=str_parts(_keyword(call, "path", 0)),
            endpoint=node.name,
            decorator=decorator_span or self.decorator_span(call),
            definition=self.name_span(node),
            params=params,
            takes_any_keyword=node.args.kwarg is not None,
            response_model=None if response_model is None else self.text(response_model),
            status_code=None if status_code is None else self.text(status_code),
            dependencies=self.dependencies(_keyword(call, "dependencies")),
            param_dependencies=self.parameter_dependencies(node.args),
            tags=_strings(_keyword(call, "tags")),
            condition=condition,
            websocket=methods == ("WS",),
        )

    def registration(self, scope: str, call: ast.Call, condition: str | None, method: str) -> None:
        """``router.add_api_route("/path", endpoint, methods=[...])``."""
        assert isinstance(call.func, ast.Attribute)
        target = ref_of(call.func.value)
        endpoint = _keyword(call, "endpoint", 1)
        if target is None or not isinstance(endpoint, ast.Name):
            return
        node = self.defs.get(endpoint.id)
        if node is None:
            return
        self.check_dependencies(call)
        if method == "add_api_websocket_route":
            methods: tuple[str, ...] = ("WS",)
        else:
            methods = tuple(m.upper() for m in _strings(_keyword(call, "methods"))) or ("GET",)
        self.routes.append(
            self.route(
                scope,
                target,
                methods,
                call,
                node,
                _parameters(node.args),
                condition,
                self.span(call),
            )
        )

    def parameter_dependencies(self, arguments: ast.arguments) -> tuple[Dependency, ...]:
        found = []
        nodes = [*arguments.defaults, *(d for d in arguments.kw_defaults if d is not None)]
        for argument in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs):
            if argument.annotation is not None:
                nodes.append(argument.annotation)
        for node in nodes:
            for inner in ast.walk(node):
                if _is_dependency_call(inner):
                    found.append(self.dependency(inner))
        return tuple(found)


def _parameters(arguments: ast.arguments) -> tuple[str, ...]:
    return tuple(
        argument.arg
        for argument in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs)
    )
