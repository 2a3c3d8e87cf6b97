"""What a module defines, read from its text without executing or fully parsing it.

The analysis must survive broken code (the normal state while typing) and be cheap enough to
redo after a pause in typing on a 5,000-line file, so it reads top-level lines with a few
regular expressions instead of building an AST.  It answers: is this FastAPI code, which
apps, routers, models and dependencies does it define or import, and which names are bound
by its imports.
"""

from __future__ import annotations

import ast
import functools
import re
import sys

import attrs

from . import knowledge

ROUTE_METHODS = frozenset(
    {"get", "post", "put", "patch", "delete", "head", "options", "trace", "api_route", "websocket"}
)

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
_ROUTE_DECORATOR = re.compile(r"^@(\w+)\.(\w+)\b", re.MULTILINE)
_DEPENDS_ARG = re.compile(r"\b(?:Depends|Security)\(\s*(?:dependency\s*=\s*)?([A-Za-z_]\w*)")
_IMPORT_ALIAS = re.compile(r"([\w.]+)(?:\s+as\s+(\w+))?")

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

    @functools.cached_property
    def variables(self) -> dict[str, str]:
        """The snippet variables for this module (see :func:`snippet_variables`)."""
        return snippet_variables(self)

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
    for match in _CLASS.finditer(source):
        name, bases = match.group(1), match.group(2) or ""
        classes.append(name)
        candidate = attrs.evolve(partial, models=tuple(models))
        if any(candidate.is_model_base(base) for base in _split_bases(bases)):
            models.append(name)

    functions = [m.group(1) for m in _DEF.finditer(source)]
    path_operations = _path_operations(source)
    used_as_dependency = [m.group(1) for m in _DEPENDS_ARG.finditer(source)]

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
    end = _closing_paren(source, open_paren)
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


def _closing_paren(source: str, open_paren: int) -> int | None:
    depth = 0
    limit = min(len(source), open_paren + MAX_CALL_LENGTH)
    quote = ""
    index = open_paren
    while index < limit:
        char = source[index]
        if quote:
            if char == "\\":
                index += 1
            elif char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char == "#":
            newline = source.find("\n", index)
            index = limit if newline == -1 else newline
            continue
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
            if depth == 0:
                return index
        index += 1
    return None


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
        m.start() for m in _ROUTE_DECORATOR.finditer(source) if m.group(2) in ROUTE_METHODS
    ]
    if not decorated_at:
        return operations
    for position in decorated_at:
        match = _DEF.search(source, position)
        if match:
            operations.add(match.group(1))
    return operations


def _unique(names: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(names))


DEFAULT_VARIABLES: dict[str, str] = {
    "target": "app",
    "app": "app",
    "router": "router",
    "db_dep": "get_db",
    "user_dep": "get_current_user",
    "model": "Item",
    "create_model": "ItemCreate",
    "response_model": "Item",
    "collection": "/items",
}

_CREATE_SUFFIXES = ("Create", "In", "Input")
_RESPONSE_SUFFIXES = ("Response", "Public", "Read", "Out", "Output")
_DB_NAMES = ("get_db", "get_session", "get_db_session", "get_async_session", "get_conn")
_USER_NAMES = ("get_current_user", "get_current_active_user", "current_user", "get_user")


def snippet_variables(analysis: ModuleAnalysis) -> dict[str, str]:
    """Values for the ``{{name}}`` variables of snippet bodies, taken from the file."""
    values = dict(DEFAULT_VARIABLES)
    if analysis.apps:
        values["app"] = analysis.apps[0]
    if analysis.routers:
        values["router"] = analysis.routers[0]
    defines_router = any(not _is_imported(analysis, r) for r in analysis.routers)
    defines_app = any(not _is_imported(analysis, a) for a in analysis.apps)
    router_module = defines_router and not defines_app
    values["target"] = values["router"] if router_module else values["app"]
    for name in analysis.dependencies:
        if name in _DB_NAMES or "db" in name or "session" in name:
            values["db_dep"] = name
            break
    for name in analysis.dependencies:
        if name in _USER_NAMES or name.endswith("_user"):
            values["user_dep"] = name
            break
    models = [*analysis.imported_models, *analysis.models]
    settings_like = {m for m in models if m.endswith(("Settings", "Config"))}
    plain_models = [m for m in models if m not in settings_like]
    if plain_models:
        values["model"] = plain_models[-1]
        values["response_model"] = plain_models[-1]
        values["create_model"] = plain_models[-1]
    for model in plain_models:
        if model.endswith(_CREATE_SUFFIXES):
            values["create_model"] = model
    for model in plain_models:
        if model.endswith(_RESPONSE_SUFFIXES):
            values["response_model"] = model
    values["collection"] = _collection(analysis, values)
    return values


_MODEL_ROLE = re.compile(r"(Create|Update|In|Input|Public|Read|Out|Output|Response|Base)$")


def _collection(analysis: ModuleAnalysis, values: dict[str, str]) -> str:
    """The routes' path: "" under a router that has a prefix, else the model's plural."""
    if "prefix" in analysis.constructor_keywords.get(values["target"], {}):
        return ""
    noun = _MODEL_ROLE.sub("", values["model"]) or "Item"
    words = re.sub(r"(?<!^)(?=[A-Z])", "-", noun).lower()
    plural = words + ("es" if words.endswith(("s", "x", "ch", "sh")) else "s")
    return f"/{plural}"


def _is_imported(analysis: ModuleAnalysis, name: str) -> bool:
    return name in analysis.bindings
