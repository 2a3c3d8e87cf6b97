"""What a module defines, read from its text without executing or fully parsing it.

The analysis must survive broken code (the normal state while typing) and be cheap enough to
redo after a pause in typing on a 5,000-line file, so it reads top-level lines with a few
regular expressions instead of building an AST.  It answers: is this FastAPI code, which
apps, routers, models and dependencies does it define or import, and which names are bound
by its imports.
"""

from __future__ import annotations

import ast
import re
import sys

import attrs

from . import knowledge
from .source_text import closing_bracket, route_decorator

#: Base classes that make a class a Pydantic model, by their fully qualified origin.
MODEL_BASES = frozenset(
    {
        "pydantic.BaseModel",
        "pydantic.main.BaseModel",
        "sqlmodel.SQLModel",
        "pydantic_settings.BaseSettings",
        "pydantic.RootModel",
    }
)

_FROM_IMPORT = re.compile(
    r"^[ \t]*from[ \t]+(\.*[\w.]*)[ \t]+import[ \t]+(\([^)]*\)?|[^\n#;]*)", re.MULTILINE
)
_IMPORT = re.compile(r"^[ \t]*import[ \t]+([^\n#;]+)", re.MULTILINE)
_ASSIGN_CALL = re.compile(r"^(\w+)[ \t]*(?::[^=\n]*)?=[ \t]*([\w.]+)[ \t]*\(", re.MULTILINE)
#: ``name = callee(…)``, ``name = await callee(…)`` or ``name = some.attribute``
_ASSIGN_ANY = re.compile(
    r"^[ \t]*(\w+)[ \t]*(?::[^=\n]*)?=[ \t]*(?:await[ \t]+)?([\w.]+)[ \t]*(?:\(|#|$)",
    re.MULTILINE,
)
_CLASS = re.compile(r"^class[ \t]+(\w+)[ \t]*(?:\(([^)]*)\)?)?", re.MULTILINE)
_DEF = re.compile(r"^(?:async[ \t]+)?def[ \t]+(\w+)", re.MULTILINE)
#: A decorator line of a top-level function or class.
_TOP_LEVEL_DECORATOR = re.compile(r"^@[^\n]*", re.MULTILINE)
#: ``Depends(name`` / ``Security(name`` (a word boundary in front is checked apart: with ``\b``
#: in the pattern, the scan costs five times as much).
_DEPENDS_ARG = re.compile(r"(?:Depends|Security)\(\s*(?:dependency\s*=\s*)?([A-Za-z_]\w*)")
_IMPORT_ALIAS = re.compile(r"([\w.]+)(?:\s+as\s+(\w+))?")
_TABLE_KEYWORD = re.compile(r"\btable\s*=\s*True\b")
#: ``SessionDep = Annotated[Session, Depends(get_session)]``: a named dependency.
_DEPENDENCY_ALIAS = re.compile(
    r"^(\w+)[ \t]*(?::[ \t]*\w+[ \t]*)?=[ \t]*(?:\w+\.)?Annotated\[[ \t]*([^,\n]+?)[ \t]*,"
    r"[ \t]*(?:\w+\.)?(?:Depends|Security)\([ \t]*(\w+)",
    re.MULTILINE,
)
#: ``Base = declarative_base()``: a SQLAlchemy base class made by a call.
_BASE_FACTORIES = ("sqlalchemy.orm.declarative_base", "sqlalchemy.ext.declarative.declarative_base")
#: Classes whose subclasses are SQLAlchemy declarative bases (the 2.0 style).
DECLARATIVE_BASES = frozenset(
    {"sqlalchemy.orm.DeclarativeBase", "sqlalchemy.orm.DeclarativeBaseNoMeta"}
)

_DEPENDENCY_NAME = re.compile(r"^(get|require|verify|current|valid|check|authenticate)_\w+$")


@attrs.frozen
class ModuleAnalysis:
    """Names a module defines and imports, in source order."""

    #: name bound by an import -> its origin ("fastapi.Depends", "fastapi", ".deps.get_db")
    bindings: dict[str, str] = attrs.field(factory=dict)
    apps: tuple[str, ...] = ()
    routers: tuple[str, ...] = ()
    models: tuple[str, ...] = ()
    functions: tuple[str, ...] = ()
    #: the module-level function names, for membership tests
    function_names: frozenset[str] = frozenset()
    classes: tuple[str, ...] = ()
    path_operations: frozenset[str] = frozenset()
    dependencies: tuple[str, ...] = ()
    #: CapWords names imported from the project's own modules: most likely its models.
    imported_models: tuple[str, ...] = ()
    #: for each app and router the file creates: its keyword arguments, as source text
    constructor_keywords: dict[str, dict[str, str]] = attrs.field(factory=dict)
    #: names bound to what an imported callable returns (or to an imported object's attribute)
    #: -> its qualified name (``engine = create_async_engine(url)``: "sqlalchemy.ext.asyncio.…")
    instances: dict[str, str] = attrs.field(factory=dict)
    #: classes mapped to a database table: SQLModel ``table=True``, SQLAlchemy declarative
    tables: tuple[str, ...] = ()
    #: ``Name = Annotated[Type, Depends(dependency)]`` -> (Type, dependency)
    dependency_aliases: dict[str, tuple[str, str]] = attrs.field(factory=dict)

    @property
    def imports_fastapi(self) -> bool:
        packages = knowledge.load().fastapi_packages
        return any(origin.split(".", 1)[0] in packages for origin in self.bindings.values())

    def qualified(self, chain: str) -> str | None:
        """What a dotted name of this module is, through its imports: ``AsyncSession`` ->
        "sqlalchemy.ext.asyncio.AsyncSession", ``engine.begin`` (an instance) ->
        "sqlalchemy.ext.asyncio.create_async_engine.begin"; None for the module's own names."""
        head, _, rest = chain.partition(".")
        origin = self.bindings.get(head) or self.instances.get(head)
        if origin is None or origin.startswith("."):
            return None
        return f"{origin}.{rest}" if rest else origin

    def is_imported(self, name: str) -> bool:
        return name in self.bindings

    def imports_module(self, module: str) -> bool:
        """Whether one of the file's imports comes from ``module`` or a submodule of it."""
        return any(
            origin == module or origin.startswith(module + ".") for origin in self.bindings.values()
        )

    def origin(self, name: str) -> str | None:
        return self.bindings.get(name)

    def resolves_to(self, name: str, qualified: str) -> bool:
        """Whether ``name`` (possibly dotted, like ``fastapi.FastAPI``) means ``qualified``."""
        head, _, rest = name.partition(".")
        origin = self.bindings.get(head)
        if origin is None:
            return False
        full = f"{origin}.{rest}" if rest else origin
        if full == qualified:
            return True
        # "fastapi.applications.FastAPI" and "fastapi.FastAPI" are the same object.
        same_package = full.split(".", 1)[0] == qualified.split(".", 1)[0]
        return same_package and full.rsplit(".", 1)[-1] == qualified.rsplit(".", 1)[-1]

    def is_model_base(self, base: str) -> bool:
        base = base.strip()
        if base in self.models:
            return True
        return any(self.resolves_to(base, qualified) for qualified in MODEL_BASES)


def analyse(source: str) -> ModuleAnalysis:
    bindings = _bindings(source)
    partial = ModuleAnalysis(bindings=bindings)

    apps: list[str] = []
    routers: list[str] = []
    arguments: dict[str, dict[str, str]] = {}
    for match in _ASSIGN_CALL.finditer(source):
        name, callee = match.groups()
        if partial.resolves_to(callee, "fastapi.FastAPI") or partial.resolves_to(
            callee, "starlette.applications.Starlette"
        ):
            apps.append(name)
        elif partial.resolves_to(callee, "fastapi.APIRouter") or partial.resolves_to(
            callee, "fastapi.routing.APIRouter"
        ):
            routers.append(name)
        else:
            continue
        arguments[name] = call_keywords(source, match.end() - 1)

    declarative = {
        name
        for name, callee in (m.groups() for m in _ASSIGN_CALL.finditer(source))
        if any(partial.resolves_to(callee, factory) for factory in _BASE_FACTORIES)
    }
    # A project's own "Base", imported from its database module, is its declarative base.
    declarative |= {n for n, origin in bindings.items() if n == "Base" and _is_project(origin)}
    # Names are rarely rebound to something else in one module, local ones included: the first
    # call or attribute that binds a name tells what it is.
    instances: dict[str, str] = {}
    for match in _ASSIGN_ANY.finditer(source):
        name, callee = match.groups()
        callee_origin = partial.qualified(callee)
        if callee_origin is not None and name not in bindings:
            instances.setdefault(name, callee_origin)

    classes: list[str] = []
    models: list[str] = []
    model_names: set[str] = set()
    tables: list[str] = []
    for match in _CLASS.finditer(source):
        name, bases = match.group(1), match.group(2) or ""
        classes.append(name)
        split = _split_bases(bases)
        # A model's base is a model class of this module (defined above) or an imported one.
        if any(base.strip() in model_names or partial.is_model_base(base) for base in split):
            models.append(name)
            model_names.add(name)
            if _TABLE_KEYWORD.search(bases):
                tables.append(name)
        elif any(partial.resolves_to(b.strip(), q) for b in split for q in DECLARATIVE_BASES):
            declarative.add(name)
        elif any(b.strip() in declarative or b.strip() in tables for b in split):
            tables.append(name)

    functions = [m.group(1) for m in _DEF.finditer(source)]
    path_operations = _path_operations(source)
    used_as_dependency = [
        m.group(1)
        for m in _DEPENDS_ARG.finditer(source)
        if not (m.start() and _is_word_char(source[m.start() - 1]))
    ]

    dependencies: list[str] = []
    for name in [*used_as_dependency, *functions, *bindings]:
        if name in dependencies or name in path_operations:
            continue
        if name in used_as_dependency or _DEPENDENCY_NAME.match(name):
            dependencies.append(name)

    imported_apps = [n for n in bindings if n == "app" and n not in apps]
    imported_routers = [
        n for n in bindings if (n == "router" or n.endswith("_router")) and n not in routers
    ]
    return attrs.evolve(
        partial,
        imported_models=tuple(
            name for name, origin in bindings.items() if _is_project_class(name, origin)
        ),
        apps=_unique(apps + imported_apps),
        routers=_unique(routers + imported_routers),
        models=tuple(models),
        functions=_unique(functions),
        function_names=frozenset(functions),
        classes=tuple(classes),
        path_operations=frozenset(path_operations),
        dependencies=tuple(dependencies),
        constructor_keywords=arguments,
        instances=instances,
        tables=tuple(tables),
        dependency_aliases={
            m.group(1): (m.group(2).strip(), m.group(3)) for m in _DEPENDENCY_ALIAS.finditer(source)
        },
    )


#: A call's arguments are looked for in at most this many characters.
MAX_CALL_LENGTH = 4000


def call_keywords(source: str, open_paren: int) -> dict[str, str]:
    """The keyword arguments of the call whose "(" is at ``open_paren``, as source text."""
    return call_arguments(source, open_paren)[1]


def call_arguments(source: str, open_paren: int) -> tuple[list[str], dict[str, str]]:
    """Positional and keyword arguments of the call whose "(" is at ``open_paren``.

    Empty when the call is unfinished or not valid Python (the normal case while typing).
    """
    end = closing_bracket(source, open_paren, MAX_CALL_LENGTH)
    if end is None:
        return [], {}
    try:
        call = ast.parse(f"f{source[open_paren : end + 1]}", mode="eval").body
    except SyntaxError:
        return [], {}
    assert isinstance(call, ast.Call)
    positional = [ast.unparse(argument) for argument in call.args]
    keywords = {k.arg: ast.unparse(k.value) for k in call.keywords if k.arg is not None}
    return positional, keywords


def _bindings(source: str) -> dict[str, str]:
    bindings: dict[str, str] = {}
    for match in _FROM_IMPORT.finditer(source):
        module, names = match.group(1), match.group(2)
        names = names.strip().strip("()").replace("\\\n", " ")
        for part in names.split(","):
            part = part.split("#", 1)[0].strip()
            alias = _IMPORT_ALIAS.fullmatch(part)
            if not alias or part == "*":
                continue
            original, bound = alias.group(1), alias.group(2) or alias.group(1)
            separator = "" if module.endswith(".") else "."
            bindings[bound] = f"{module}{separator}{original}"
    for match in _IMPORT.finditer(source):
        for part in match.group(1).split(","):
            alias = _IMPORT_ALIAS.fullmatch(part.strip())
            if not alias:
                continue
            module, bound = alias.group(1), alias.group(2)
            if bound:
                bindings[bound] = module
            else:
                bindings[module.split(".", 1)[0]] = module.split(".", 1)[0]
    return bindings


def _is_project_class(name: str, origin: str) -> bool:
    if not name[:1].isupper() or name.isupper() or "." not in origin.lstrip("."):
        return False
    return _is_project(origin)


def _is_project(origin: str) -> bool:
    """Whether an import origin is one of the project's own modules (not a library)."""
    package = origin.split(".", 1)[0]
    return origin.startswith(".") or (
        package not in sys.stdlib_module_names and package not in knowledge.load().library_packages
    )


def _split_bases(bases: str) -> list[str]:
    return [b for b in (part.split("[", 1)[0] for part in bases.split(",")) if "=" not in b]


def _path_operations(source: str) -> set[str]:
    """Top-level functions carrying a route decorator (``@app.get(...)``, ``@router.post``…)."""
    operations: set[str] = set()
    decorated_at: list[int] = [
        m.start() for m in _TOP_LEVEL_DECORATOR.finditer(source) if route_decorator(m.group())
    ]
    if not decorated_at:
        return operations
    for position in decorated_at:
        match = _DEF.search(source, position)
        if match:
            operations.add(match.group(1))
    return operations


def _is_word_char(char: str) -> bool:
    return char.isalnum() or char == "_"


def _unique(names: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(names))
