"""The names a snippet is pre-filled with: the file's own app, router, models and session.

Pure: from a module's analysis and the project conventions of ``snippets/conventions.toml``
to the values of the ``{{name}}`` variables, the conditions a snippet may be limited to, and
the imports the chosen names need.  Models are told apart by role: the *table* is what routes
query (SQLModel ``table=True``, a SQLAlchemy declarative class), the *create* and *update*
schemas are request bodies, the *public* schema is the ``response_model``.  Suffixes such as
``Create`` or ``Public`` are hints only; a class known to be a table is a table.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable

import attrs

from .analysis import ModuleAnalysis
from .knowledge import Conventions, Orm, Snippet

#: The table used when the file names none, and the session dependency FastAPI's SQL tutorial
#: defines; the snippets' own test module is built around these.
DEFAULT_TABLE = "Item"
DEFAULT_DB_DEPENDENCY = "get_session"
DEFAULT_USER_DEPENDENCY = "get_current_user"


@attrs.frozen
class Prefill:
    values: dict[str, str]
    #: the conditions that hold for the file (see ``knowledge.CONDITIONS``)
    conditions: frozenset[str]
    #: imports the chosen names need beyond the snippet's own ("from .models import Item")
    imports: tuple[str, ...] = ()

    def allows(self, snippet: Snippet, at_cursor: frozenset[str] = frozenset()) -> bool:
        """Whether the snippet's conditions hold, with those true at the cursor added."""
        conditions = self.conditions | at_cursor
        return all(
            condition.removeprefix("no_") not in conditions
            if condition.startswith("no_")
            else condition in conditions
            for condition in snippet.when
        )


def defaults(conventions: Conventions) -> dict[str, str]:
    """The values for a file that defines nothing the snippets could use."""
    return prefill(ModuleAnalysis(), conventions).values


def prefill(analysis: ModuleAnalysis, conventions: Conventions) -> Prefill:
    values = {"app": analysis.apps[0] if analysis.apps else "app"}
    values["router"] = analysis.routers[0] if analysis.routers else "router"
    defines_router = any(not analysis.is_imported(r) for r in analysis.routers)
    defines_app = any(not analysis.is_imported(a) for a in analysis.apps)
    router_module = defines_router and not defines_app
    values["target"] = values["router"] if router_module else values["app"]

    models = _Models(analysis, conventions)
    table = models.table()
    stem = conventions.stem(table)
    create = models.schema("create", stem) or (table if models.is_pydantic(table) else None)
    update = models.schema("update", stem)
    public = (
        models.schema("public", stem)
        or (table if models.is_pydantic(table) else None)
        or models.schema("base", stem)
        or create
        or table
    )
    values["model"] = table
    values["create_model"] = create or f"{stem}Create"
    values["update_model"] = update or f"{stem}Update"
    values["response_model"] = public
    values["collection"] = _collection(analysis, values["target"], stem, conventions)
    values["route_prefix"] = _route_prefix(analysis, values["target"])

    orm = _orm(analysis, conventions)
    db_dep = _dependency(analysis, conventions, "db") or DEFAULT_DB_DEPENDENCY
    values["db_dep"] = db_dep
    values["user_dep"] = _dependency(analysis, conventions, "user") or DEFAULT_USER_DEPENDENCY
    values["session_class"] = orm.session_class if orm else "Session"
    values["session_module"] = orm.session_module if orm else "sqlmodel"
    values["select_module"] = orm.select_module if orm else "sqlmodel"
    values["query"] = orm.query if orm else "exec"
    asynchronous = bool(orm and orm.asynchronous)
    values["async"] = "async " if asynchronous else ""
    values["await"] = "await " if asynchronous else ""
    alias = _session_alias(analysis, conventions, db_dep)
    values["session"] = alias or f"Annotated[{values['session_class']}, Depends({db_dep})]"

    conditions = set()
    if analysis.apps:
        conditions.add("app_in_scope")
    if update:
        conditions.add("update_model")
    return Prefill(values, frozenset(conditions), models.imports_for(table))


def snippet_imports(
    statements: Iterable[str], values: dict[str, str], code: str, extra: Iterable[str] = ()
) -> list[str]:
    """The import statements with variables filled, reduced to the names ``code`` uses.

    A snippet lists every import any of its pre-fillings may need (``Annotated`` and
    ``Depends`` for a spelled-out session parameter, none of them for ``SessionDep``); only
    the names the expanded code mentions are added to the user's file.
    """
    used = set(re.findall(r"\w+", code))
    kept: list[str] = []
    for raw in [*statements, *extra]:
        statement = re.sub(r"\{\{(\w+)\}\}", lambda m: values.get(m.group(1), ""), raw)
        if statement.startswith("import "):
            bound = statement.split()[-1].split(".", 1)[0]
            if bound in used:
                kept.append(statement)
            continue
        head, separator, names = statement.partition(" import ")
        if not separator:
            continue
        wanted = [n.strip() for n in names.split(",") if n.strip() and n.split()[-1] in used]
        if wanted:
            kept.append(f"{head} import {', '.join(wanted)}")
    return kept


class _Models:
    """The file's models (defined and imported) and the role each plays."""

    def __init__(self, analysis: ModuleAnalysis, conventions: Conventions) -> None:
        self._analysis = analysis
        self._conventions = conventions
        names = [*analysis.imported_models, *analysis.models, *analysis.tables]
        self.names = [n for n in dict.fromkeys(names) if conventions.role_of(n) != "settings"]

    def is_pydantic(self, name: str) -> bool:
        return name in self._analysis.models or name in self._analysis.imported_models

    def _role(self, name: str) -> str | None:
        if name in self._analysis.tables:
            return "table"
        return self._conventions.role_of(name)

    def table(self) -> str:
        """The class routes query: a known table, else the most likely one by its name."""
        if self._analysis.tables:
            return self._analysis.tables[-1]
        plain = [n for n in self.names if self._role(n) is None]
        stems = {self._conventions.stem(n) for n in self.names if self._role(n) is not None}
        matching = [n for n in plain if n in stems]
        if matching or plain:
            return (matching or plain)[-1]
        if stems:
            # Only schemas are in sight (``ItemCreate``, ``ItemPublic``): their table is
            # named by their stem and lives beside them.
            return sorted(stems, key=self._first_use)[0]
        return DEFAULT_TABLE

    def _first_use(self, stem: str) -> int:
        return next(i for i, n in enumerate(self.names) if self._conventions.stem(n) == stem)

    def schema(self, role: str, stem: str) -> str | None:
        """The schema playing ``role``, for the table's stem when there is one."""
        found = [n for n in self.names if self._role(n) == role]
        same = [n for n in found if self._conventions.stem(n) == stem]
        return (same or found or [None])[-1]

    def imports_for(self, table: str) -> tuple[str, ...]:
        """The import a guessed table needs: from the module its schemas come from."""
        if table in self.names or table in self._analysis.classes:
            return ()
        for name in self.names:
            origin = self._analysis.origin(name)
            if origin and self._conventions.stem(name) == table:
                module = origin.rsplit(".", 1)[0] if not origin.endswith(".") else origin
                if module.strip("."):
                    return (f"from {module} import {table}",)
        return ()


def _orm(analysis: ModuleAnalysis, conventions: Conventions) -> Orm | None:
    for orm in conventions.orms:
        if any(analysis.imports_module(module) for module in orm.detect):
            return orm
    return conventions.default_orm


def _dependency(analysis: ModuleAnalysis, conventions: Conventions, role: str) -> str | None:
    rule = conventions.dependency(role)
    if rule is None:
        return None
    for name in analysis.dependencies:
        if name in rule.names or any(word in name for word in rule.words):
            return name
    return None


def _session_alias(analysis: ModuleAnalysis, conventions: Conventions, db_dep: str) -> str | None:
    """A ``SessionDep``-like alias the file defines or imports, if any."""
    for alias, (annotation, dependency) in analysis.dependency_aliases.items():
        if dependency == db_dep or "Session" in annotation:
            return alias
    rule = conventions.dependency("db")
    known = rule.aliases if rule else ()
    return next((name for name in analysis.bindings if name in known), None)


def _collection(analysis: ModuleAnalysis, target: str, stem: str, conventions: Conventions) -> str:
    """The routes' path: "" under a router that has a prefix, else the table's plural."""
    if "prefix" in analysis.constructor_keywords.get(target, {}):
        return ""
    words = re.sub(r"(?<!^)(?=[A-Z])", "-", stem or DEFAULT_TABLE).lower().split("-")
    words[-1] = plural(words[-1], conventions)
    return "/" + "-".join(words)


def _route_prefix(analysis: ModuleAnalysis, target: str) -> str:
    """The target router's prefix as a URL relative to the root ("auth/"), for ``tokenUrl``.

    A prefix given at ``include_router`` in another module is not seen.
    """
    source = analysis.constructor_keywords.get(target, {}).get("prefix")
    try:
        prefix = ast.literal_eval(source) if source else ""
    except (ValueError, SyntaxError):
        return ""
    if not isinstance(prefix, str) or not prefix.strip("/"):
        return ""
    return prefix.strip("/") + "/"


def plural(word: str, conventions: Conventions) -> str:
    irregular = conventions.irregular_plurals.get(word)
    if irregular:
        return irregular
    if re.search(r"[^aeiou]y$", word):
        return word[:-1] + "ies"
    if word.endswith(("s", "x", "z", "ch", "sh")):
        return word + "es"
    return word + "s"
