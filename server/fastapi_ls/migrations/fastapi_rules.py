"""Older FastAPI idioms and the libraries its documentation has moved away from (FAPI2xx)."""

from __future__ import annotations

import ast
from pathlib import PurePath

from ..imports import TextEdit
from .base import Report, add_keyword, constant, insert_line, keyword, rule
from .model import Finding
from .pydantic_rules import argument_finding
from .source import Source, edit

FASTAPI = ("fastapi.FastAPI", "fastapi.applications.FastAPI")
PARAMS = frozenset(
    f"{module}.{name}"
    for module in ("fastapi", "fastapi.params", "fastapi.param_functions")
    for name in ("Query", "Path", "Body", "Header", "Cookie", "Form", "File")
)
TEST_CLIENT = ("fastapi.testclient.TestClient", "starlette.testclient.TestClient")
UTCNOW = "datetime.datetime.utcnow"
EVENTS = ("startup", "shutdown")


# ------------------------------------------------------------------------------- FAPI201


def _on_event_handlers(source: Source) -> list[tuple[ast.AST, ast.Call, str, ast.AST]]:
    """(function, decorator, event, app expression) for each ``@x.on_event("…")`` handler."""
    found = []
    for node in source.nodes:
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for decorator in node.decorator_list:
            if (
                isinstance(decorator, ast.Call)
                and isinstance(decorator.func, ast.Attribute)
                and decorator.func.attr == "on_event"
                and len(decorator.args) == 1
                and not decorator.keywords
            ):
                event = constant(decorator.args[0])
                found.append((node, decorator, event, decorator.func.value))
    return found


def _app_assignment(source: Source, name: str) -> ast.Assign | None:
    """The one module-level ``name = FastAPI(...)`` of the module."""
    assignments = [
        node
        for node in source.tree.body
        if isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == name for t in node.targets)
    ]
    if len(assignments) != 1:
        return None
    (assignment,) = assignments
    value = assignment.value
    if (
        len(assignment.targets) == 1
        and isinstance(value, ast.Call)
        and source.refers_to(value.func, *FASTAPI)
    ):
        return assignment
    return None


@rule("FAPI201")
def on_event(report: Report) -> list[Finding]:
    source = report.source
    handlers = _on_event_handlers(source)
    findings = []
    for _, decorator, event, app in handlers:
        if not isinstance(event, str):
            continue
        app_name = source.segment(app)
        fixes = []
        plan = _lifespan_plan(source, handlers, app)
        if plan is not None:

            def build(plan=plan) -> list[TextEdit]:
                return _lifespan_edits(source, *plan)

            fixes.append(report.fix("replace", build, safe=True, preferred=True, app=app_name))
        findings.append(
            report.finding(
                source.start(decorator), source.end(decorator), fixes, app=app_name, event=event
            )
        )
    return findings


def _lifespan_plan(source: Source, handlers: list, app: ast.AST):
    if not isinstance(app, ast.Name) or not source.is_free("lifespan"):
        return None
    assignment = _app_assignment(source, app.id)
    if assignment is None or keyword(assignment.value, "lifespan") is not None:  # type: ignore[arg-type]
        return None
    mine = [h for h in handlers if isinstance(h[3], ast.Name) and h[3].id == app.id]
    for function, decorator, event, _ in mine:
        args = function.args
        if (
            event not in EVENTS
            or function not in source.tree.body
            or args.posonlyargs
            or args.args
            or args.kwonlyargs
            or args.vararg
            or args.kwarg
            or not source._alone_on_lines(decorator)
        ):
            return None
    return assignment, mine


def _lifespan_edits(source: Source, assignment: ast.Assign, handlers: list) -> list[TextEdit]:
    nl = source.newline
    call = assignment.value
    assert isinstance(call, ast.Call)
    factory = source.segment(call.func)
    calls = {event: [] for event in EVENTS}
    edits = []
    for function, decorator, event, _ in handlers:
        awaited = "await " if isinstance(function, ast.AsyncFunctionDef) else ""
        calls[event].append(f"    {awaited}{function.name}(){nl}")
        first = decorator.lineno - 1
        edits.append(edit(*source.whole_lines(first, decorator.end_lineno - 1), ""))
    context_manager = _name_for(source, "contextlib.asynccontextmanager", "asynccontextmanager")
    body = (
        f"@{context_manager}{nl}"
        f"async def lifespan(app: {factory}):{nl}"
        + "".join(calls["startup"])
        + f"    yield{nl}"
        + "".join(calls["shutdown"])
        + nl
        + nl
    )
    first = assignment.lineno - 1
    # Comments right above the app stay with it.
    while first > 0 and source.line_code(first - 1).lstrip().startswith("#"):
        first -= 1
    blank = 0
    while blank < 2 and first - blank > 0 and not source.line_code(first - blank - 1).strip():
        blank += 1
    if first > 0:
        body = nl * (2 - blank) + body
    edits.append(insert_line(first, body))
    edits.append(add_keyword(source, call, "lifespan=lifespan"))
    if context_manager == "asynccontextmanager":
        edits += source.import_edits(["from contextlib import asynccontextmanager"])
    return edits


def _name_for(source: Source, origin: str, default: str) -> str:
    """The module's own name for ``origin`` (``contextlib.asynccontextmanager`` when it only
    imports ``contextlib``), else ``default``, which the fix imports."""
    for name, bound in source.bindings.items():
        if bound == origin:
            return name
    module, _, attribute = origin.rpartition(".")
    for name, bound in source.bindings.items():
        if bound == module:
            return f"{name}.{attribute}"
    return default


# ------------------------------------------------------------------------------- FAPI202


@rule("FAPI202")
def param_arguments(report: Report) -> list[Finding]:
    source = report.source
    findings = []
    for call in (n for n in source.nodes if isinstance(n, ast.Call)):
        origin = source.origin(call.func)
        if origin not in PARAMS:
            continue
        for kw in call.keywords:
            if kw.arg in ("regex", "example"):
                findings.append(
                    argument_finding(
                        report, call, kw, allow_const=False, function=origin.rsplit(".", 1)[1]
                    )
                )
    return findings


# ------------------------------------------------------------------------------- FAPI203


@rule("FAPI203")
def python_jose(report: Report) -> list[Finding]:
    source = report.source
    statements = [
        node
        for node in source.tree.body
        if isinstance(node, ast.ImportFrom)
        and not node.level
        and (node.module == "jose" or (node.module or "").startswith("jose."))
    ]
    statements += [
        node
        for node in source.tree.body
        if isinstance(node, ast.Import)
        and any(a.name == "jose" or a.name.startswith("jose.") for a in node.names)
    ]
    if not statements:
        return []
    plan = _jose_plan(source, statements)
    fixes = []
    if plan is not None:

        def build() -> list[TextEdit]:
            return _jose_edits(source, statements, *plan)

        fixes.append(report.fix("replace", build, safe=False, preferred=True))
    return [report.finding(source.start(node), source.end(node), fixes) for node in statements]


_JOSE_NAMES = {
    "jose.jwt": "jwt",
    "jose.JWTError": "jwt.exceptions.InvalidTokenError",
    "jose.exceptions.JWTError": "jwt.exceptions.InvalidTokenError",
    "jose.ExpiredSignatureError": "jwt.exceptions.ExpiredSignatureError",
    "jose.exceptions.ExpiredSignatureError": "jwt.exceptions.ExpiredSignatureError",
}
_JWT_KEYWORDS = {"encode": {"algorithm", "headers"}, "decode": {"algorithms", "audience", "issuer"}}


def _jose_plan(source: Source, statements: list[ast.stmt]):
    """The imports PyJWT needs and the rewrites of the code, or None when not exact."""
    new_imports: list[str] = []
    renames: dict[str, str] = {}
    module_names: list[str] = []
    for statement in statements:
        if not isinstance(statement, ast.ImportFrom):
            return None
        for alias in statement.names:
            target = _JOSE_NAMES.get(f"{statement.module}.{alias.name}")
            if target is None:
                return None
            local = alias.asname or alias.name
            if target == "jwt":
                new_imports.append(f"import jwt as {local}" if local != "jwt" else "import jwt")
                module_names.append(local)
                continue
            module, _, name = target.rpartition(".")
            if alias.asname:
                new_imports.append(f"from {module} import {name} as {alias.asname}")
            else:
                if name != local and not source.is_free(name):
                    return None
                new_imports.append(f"from {module} import {name}")
                if name != local:
                    renames[local] = name
    rewrites: list[tuple[ast.AST, str]] = []
    for local in module_names:
        for use in source.uses_of(local):
            attribute = source.parents.get(use)
            call = source.parents.get(attribute) if attribute is not None else None
            if not (
                isinstance(attribute, ast.Attribute)
                and attribute.attr in _JWT_KEYWORDS
                and isinstance(call, ast.Call)
                and call.func is attribute
            ):
                return None
            if any(kw.arg not in _JWT_KEYWORDS[attribute.attr] for kw in call.keywords):
                return None
            if attribute.attr == "decode":
                rewrite = _algorithms_rewrite(source, call)
                if rewrite is None:
                    return None
                if rewrite:
                    rewrites.append(rewrite)
    for local, name in renames.items():
        rewrites += [(use, name) for use in source.uses_of(local)]
    return new_imports, rewrites


def _algorithms_rewrite(source: Source, call: ast.Call) -> tuple[ast.AST, str] | tuple | None:
    """PyJWT wants a list of algorithms: ``()`` when the call has one, a rewrite wrapping a
    single algorithm in a list, None when the call has none or it cannot tell."""
    given = keyword(call, "algorithms")
    value = given.value if given is not None else (call.args[2] if len(call.args) > 2 else None)
    if value is None:
        return None
    if isinstance(value, ast.List | ast.Tuple):
        return ()
    if isinstance(constant(value), str) or _is_string_constant(source, value):
        return value, f"[{source.segment(value)}]"
    return None


def _is_string_constant(source: Source, node: ast.AST) -> bool:
    if not isinstance(node, ast.Name):
        return False
    values = [
        stmt.value
        for stmt in source.tree.body
        if isinstance(stmt, ast.Assign | ast.AnnAssign)
        and any(
            isinstance(t, ast.Name) and t.id == node.id
            for t in (stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target])
        )
    ]
    return len(values) == 1 and isinstance(constant(values[0]), str)


def _jose_edits(
    source: Source,
    statements: list[ast.stmt],
    new_imports: list[str],
    rewrites: list[tuple[ast.AST, str]],
) -> list[TextEdit]:
    edits = [edit(*source.whole_lines(s.lineno - 1, s.end_lineno - 1), "") for s in statements]  # type: ignore[operator]
    edits += source.import_edits(new_imports, statements)
    edits += [source.replace(node, text) for node, text in rewrites]
    return edits


# ------------------------------------------------------------------------------- FAPI204


@rule("FAPI204")
def passlib(report: Report) -> list[Finding]:
    source = report.source
    statements = [
        node
        for node in source.tree.body
        if isinstance(node, ast.ImportFrom)
        and node.module == "passlib.context"
        and [a.name for a in node.names] == ["CryptContext"]
    ]
    findings = []
    for statement in statements:
        plan = _passlib_plan(source, statement)
        fixes = []
        if plan is not None:

            def build(statement=statement, plan=plan) -> list[TextEdit]:
                return _passlib_edits(report, statement, *plan)

            fixes.append(report.fix("replace", build, safe=False, preferred=True))
        findings.append(report.finding(source.start(statement), source.end(statement), fixes))
    return findings


_PASSWORD_METHODS = {"hash": 1, "verify": 2, "verify_and_update": 2}


def _passlib_plan(source: Source, statement: ast.ImportFrom):
    local = statement.names[0].asname or "CryptContext"
    contexts = []
    for use in source.uses_of(local):
        call = source.parents.get(use)
        assignment = source.parents.get(call) if call is not None else None
        if not (
            isinstance(call, ast.Call)
            and call.func is use
            and isinstance(assignment, ast.Assign)
            and assignment in source.tree.body
            and len(assignment.targets) == 1
            and isinstance(assignment.targets[0], ast.Name)
        ):
            return None
        contexts.append((assignment, call))
    if len(contexts) != 1 or not source.is_free("PasswordHash"):
        return None
    assignment, call = contexts[0]
    name = assignment.targets[0].id  # type: ignore[attr-defined]
    for use in source.uses_of(name):
        if use is assignment.targets[0]:
            continue
        attribute = source.parents.get(use)
        method_call = source.parents.get(attribute) if attribute is not None else None
        if not (
            isinstance(attribute, ast.Attribute)
            and attribute.attr in _PASSWORD_METHODS
            and isinstance(method_call, ast.Call)
            and method_call.func is attribute
            and len(method_call.args) == _PASSWORD_METHODS[attribute.attr]
            and not method_call.keywords
        ):
            return None
    schemes = keyword(call, "schemes")
    names = []
    if schemes is not None and isinstance(schemes.value, ast.List | ast.Tuple):
        names = [constant(e) for e in schemes.value.elts]
    if not names or not all(isinstance(n, str) for n in names):
        names = ["passlib's schemes"]
    return assignment, call, [n for n in names if n != "argon2"]


def _passlib_edits(
    report: Report, statement: ast.ImportFrom, assignment: ast.Assign, call: ast.Call, others
) -> list[TextEdit]:
    source = report.source
    edits = [source.replace(call, "PasswordHash.recommended()")]
    if others:
        line = assignment.lineno - 1
        todo = report.todo("rehash", source.indent_of(line), schemes=", ".join(others))
        edits.append(insert_line(line, todo))
    first, last = statement.lineno - 1, statement.end_lineno - 1  # type: ignore[operator]
    edits.append(edit(*source.whole_lines(first, last), ""))
    edits += source.import_edits(["from pwdlib import PasswordHash"], [statement])
    return edits


# ------------------------------------------------------------------------------- FAPI205


@rule("FAPI205")
def utcnow(report: Report) -> list[Finding]:
    source = report.source
    findings = []
    for node in source.nodes:
        if not (isinstance(node, ast.Attribute) and node.attr == "utcnow"):
            continue
        if source.origin(node) != UTCNOW:
            continue
        parent = source.parents.get(node)
        called = isinstance(parent, ast.Call) and parent.func is node and not parent.args
        target = parent if called else node
        timezone = _timezone_name(source, node)
        if timezone is None:
            findings.append(report.finding(source.start(node), source.end(node), call="()"))
            continue
        now = f"{source.segment(node.value)}.now({timezone}.utc)"
        fixes = []
        for fix_id, text, safe in (
            ("aware", now, False),
            ("naive", f"{now}.replace(tzinfo=None)", True),
        ):
            replacement = text if called else f"lambda: {text}"

            def build(target=target, replacement=replacement, timezone=timezone) -> list:
                edits = [source.replace(target, replacement)]
                if timezone == "timezone" and "timezone" not in source.bindings:
                    edits += source.import_edits(["from datetime import timezone"])
                return edits

            fixes.append(report.fix(fix_id, build, safe=safe))
        findings.append(
            report.finding(
                source.start(node), source.end(target), fixes, call="()" if called else ""
            )
        )
    return findings


def _timezone_name(source: Source, node: ast.Attribute) -> str | None:
    """How the module names ``datetime.timezone``: its own import, ``datetime.timezone`` next
    to ``datetime.datetime``, or ``timezone`` imported by the fix."""
    if isinstance(node.value, ast.Attribute):
        return f"{source.segment(node.value.value)}.timezone"
    for name, origin in source.bindings.items():
        if origin == "datetime.timezone":
            return name
    return "timezone" if source.is_free("timezone") else None


# ------------------------------------------------------------------------------- FAPI206


def _is_test_file(path: str) -> bool:
    name = PurePath(path).name
    return name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py"


@rule("FAPI206")
def module_test_client(report: Report) -> list[Finding]:
    source = report.source
    if not _is_test_file(report.path) and "pytest" not in source.bindings:
        return []
    findings = []
    for statement in source.tree.body:
        if not (
            isinstance(statement, ast.Assign)
            and len(statement.targets) == 1
            and isinstance(statement.targets[0], ast.Name)
            and isinstance(statement.value, ast.Call)
            and source.refers_to(statement.value.func, *TEST_CLIENT)
            and statement.value.args
        ):
            continue
        app = statement.value.args[0]
        if not _has_lifespan(report, app):
            continue
        client = statement.targets[0].id
        plan = _fixture_plan(source, statement, client)
        fixes = []
        if plan is not None:

            def build(statement=statement, plan=plan, client=client) -> list[TextEdit]:
                return _fixture_edits(source, statement, client, plan)

            fixes.append(report.fix("fixture", build, safe=False, client=client))
        findings.append(
            report.finding(
                source.start(statement),
                source.end(statement),
                fixes,
                client=client,
                app=source.segment(app),
            )
        )
    return findings


def _has_lifespan(report: Report, app: ast.AST) -> bool:
    source = report.source
    origin = source.origin(app)
    if origin is not None:
        return origin in report.context.apps_with_lifespan
    if not isinstance(app, ast.Name):
        return False
    assignment = _app_assignment(source, app.id)
    if assignment is None:
        return False
    if keyword(assignment.value, "lifespan") is not None:  # type: ignore[arg-type]
        return True
    return any(isinstance(h[3], ast.Name) and h[3].id == app.id for h in _on_event_handlers(source))


def _fixture_plan(source: Source, statement: ast.Assign, client: str):
    """The test functions to give a ``client`` parameter; None when ``client`` is used
    anywhere else (a helper, a class, module-level code) or pytest is not at hand."""
    tests = []
    for use in source.uses_of(client):
        if use is statement.targets[0]:
            continue
        function = source.enclosing(use, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
        if not (
            isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef)
            and function in source.tree.body
            and function.name.startswith("test")
        ):
            return None
        args = function.args
        if any(a.arg == client for a in args.posonlyargs + args.args + args.kwonlyargs):
            return None
        if function not in tests:
            tests.append(function)
    pytest_bound = source.bindings.get("pytest") == "pytest"
    if not pytest_bound and not source.is_free("pytest"):
        return None
    return tests


def _fixture_edits(
    source: Source, statement: ast.Assign, client: str, tests: list
) -> list[TextEdit]:
    nl = source.newline
    call = source.segment(statement.value)
    fixture = (
        f"@pytest.fixture{nl}def {client}():{nl}"
        f"    with {call} as {client}:{nl}        yield {client}"
    )
    first = statement.lineno - 1
    blank = 0
    while blank < 2 and first - blank > 0 and not source.line_code(first - blank - 1).strip():
        blank += 1
    if first > 0:
        fixture = nl * (2 - blank) + fixture
    edits = [source.replace(statement, fixture)]
    for function in tests:
        args = function.args
        every = args.posonlyargs + args.args
        if every:
            end = source.end(every[-1])
            edits.append(edit(end, end, f", {client}"))
        else:
            line = source.line_code(function.lineno - 1)
            paren = line.index("(", line.index(function.name))
            at = (function.lineno - 1, paren + 1)
            edits.append(edit(at, at, client))
    edits += source.import_edits(["import pytest"])
    return edits
