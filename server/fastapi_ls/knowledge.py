"""The knowledge base: Tier 1 snippets and reference data loaded from ``snippets/``.

The data files are the single source of truth; this module only reads and validates them.
A broken data file is a packaging bug, so loading fails loudly with the file and entry named.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import pickle
import re
import stat
import sys
import tempfile
from pathlib import Path

import attrs
import cattrs
from packaging.version import InvalidVersion, Version

from . import __version__, snippet_syntax, user_cache

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

log = logging.getLogger(__name__)

#: Bumped when the compiled copy's layout changes in a way its digest cannot see.
_COMPILED_FORMAT = 1
#: Where the cursor may be for a snippet to be offered.
CONTEXTS = frozenset(
    {
        "empty",  # an empty file in a FastAPI workspace: starters
        "module",  # top level of a FastAPI module
        "test_module",  # top level of a test file
        "model_body",  # body of a class deriving from BaseModel
        "decorator",  # right after "@" at top level; expanded once per app/router
        "signature",  # parameter list of a path-operation function
        "function_body",  # inside a function body
    }
)

#: The ``{{name}}`` variables a body may use; the server fills them from the user's file.
VARIABLES = frozenset(
    {
        "target",  # the router in a router module, else the app
        "app",
        "router",
        "db_dep",
        "user_dep",
        "model",
        "create_model",
        "response_model",
        "collection",  # the path of the model's collection ("/items"); "" under a prefixed router
        "route_prefix",  # the target router's prefix as a relative URL ("auth/"), else ""
        "update_model",  # the file's update schema ("ItemUpdate"), else the table's name + Update
        "session",  # the session parameter's annotation: "SessionDep" or Annotated[...]
        "session_class",  # "Session" or "AsyncSession", as the project's ORM names it
        "session_module",  # where session_class is imported from
        "select_module",  # where select() is imported from
        "query",  # the session method that runs a select(): "exec" (SQLModel) or "scalars"
        "async",  # "async " when the session is asynchronous, else ""
        "await",  # "await " when the session is asynchronous, else ""
    }
)

#: Conditions a snippet may be limited to (``when``); "no_X" is the opposite of "X".
CONDITIONS = frozenset(
    {
        "app_in_scope",  # the file creates or imports the FastAPI app
        "update_model",  # the file has (or imports) an update schema for its table
        "background_tasks",  # the enclosing function has a BackgroundTasks parameter
    }
)


@attrs.frozen
class Snippet:
    id: str
    label: str
    prefixes: tuple[str, ...]
    description: str
    body: str
    contexts: tuple[str, ...]
    docs: str
    imports: tuple[str, ...] = ()
    min_fastapi: str | None = None
    min_pydantic: str | None = None
    min_starlette: str | None = None
    #: Names the snippet expects the file to define already (its app, a model…).
    requires: tuple[str, ...] = ()
    #: conditions on the file (see CONDITIONS), all of which must hold for it to be offered
    when: tuple[str, ...] = ()
    #: what the user must install for the body to run ("pyjwt", "pwdlib[argon2]")
    packages: tuple[str, ...] = ()
    source: str = ""


@attrs.frozen
class StatusCode:
    code: int
    name: str
    phrase: str
    #: offered before the others (after the route method's own code)
    common: bool = False
    #: the Starlette release that added the name
    min_starlette: str | None = None
    #: the first Starlette release where the name is deprecated (offered only below it)
    below_starlette: str | None = None


@attrs.frozen
class Category:
    """One of the seed's Tier 2 categories; every topic belongs to one."""

    id: str
    title: str


@attrs.frozen
class Trigger:
    """A regular expression searched in the cursor's line or the selection."""

    pattern: str
    #: the file must import one of these modules (or a submodule)
    imports: tuple[str, ...] = ()
    #: the file's path must match one of these globs
    paths: tuple[str, ...] = ()

    @functools.cached_property
    def compiled(self) -> re.Pattern[str]:
        return re.compile(self.pattern)


@attrs.frozen
class Topic:
    """An advanced topic answered by Context7 on top of the curated text."""

    id: str
    title: str
    category: str
    #: the library's display name, and the name to resolve when no id is pinned
    library_name: str
    query: str
    #: what the curated tier says, in Markdown
    curated: str
    docs: str
    triggers: tuple[Trigger, ...] = ()
    #: a pinned Context7 library id ("/websites/fastapi_tiangolo")
    library_id: str | None = None
    #: the PyPI distribution whose installed version the docs are pinned to
    package: str | None = None
    #: what a name must be to belong to the topic: qualified names ("httpx.ASGITransport") or
    #: module prefixes ("sqlalchemy.ext.asyncio"), matched after resolving the file's imports
    origins: tuple[str, ...] = ()


@attrs.frozen
class Packages:
    """Top-level import packages the server knows by role."""

    #: importing one of them makes a module FastAPI code
    fastapi: tuple[str, ...] = ()
    #: other libraries whose classes are never the user's own models
    libraries: tuple[str, ...] = ()


@attrs.frozen
class VersionGate:
    """A construct that needs a newer FastAPI or Pydantic than some users have."""

    pattern: str
    package: str
    min_version: str
    feature: str
    #: the topic whose curated text and library answer it
    topic: str

    @functools.cached_property
    def compiled(self) -> re.Pattern[str]:
        return re.compile(self.pattern)


@attrs.frozen
class Card:
    """A hover card: what a FastAPI, Starlette or Pydantic symbol is and how to use it."""

    id: str
    #: what the card describes: import origins ("fastapi.Depends"), methods of an app or router
    #: ("fastapi.FastAPI.get"), class-body names ("pydantic.BaseModel.model_config")
    symbols: tuple[str, ...]
    title: str
    summary: str
    docs: str
    #: the idiom, as Python code
    idiom: str = ""
    mistake: str = ""
    #: the minimum version where it matters ("FastAPI 0.95 for Annotated")
    since: str = ""
    #: where the installed package documents its parameters: "module:Qualified.name"
    signature: str | None = None
    #: curated text per keyword argument, used when the installed package has none
    params: dict[str, str] = attrs.field(factory=dict)


@attrs.frozen
class ModelRole:
    """Model names ending in one of ``suffixes`` play ``role`` (a hint, never proof)."""

    role: str
    suffixes: tuple[str, ...]


@attrs.frozen
class DependencyRole:
    role: str
    names: tuple[str, ...]
    #: a dependency whose name contains one of these plays the role too
    words: tuple[str, ...] = ()
    #: names of the ``Annotated[..., Depends(...)]`` alias projects give it
    aliases: tuple[str, ...] = ()


@attrs.frozen
class Orm:
    """How the CRUD snippets use a session of one database library."""

    id: str
    #: modules whose import shows that the file uses this library
    detect: tuple[str, ...]
    session_class: str
    session_module: str
    select_module: str
    #: the session method running a select() and giving model instances
    query: str
    asynchronous: bool
    default: bool = False


@attrs.frozen
class Plural:
    singular: str
    plural: str


@attrs.frozen
class Conventions:
    model_roles: tuple[ModelRole, ...] = ()
    dependency_roles: tuple[DependencyRole, ...] = ()
    orms: tuple[Orm, ...] = ()
    plurals: tuple[Plural, ...] = ()

    @functools.cached_property
    def irregular_plurals(self) -> dict[str, str]:
        return {p.singular: p.plural for p in self.plurals}

    def suffixes(self, role: str) -> tuple[str, ...]:
        return next((r.suffixes for r in self.model_roles if r.role == role), ())

    @functools.cached_property
    def all_suffixes(self) -> tuple[str, ...]:
        return tuple(s for r in self.model_roles for s in r.suffixes)

    @functools.cached_property
    def _suffix_roles(self) -> tuple[tuple[str, str], ...]:
        """(suffix, role), longest suffixes first."""
        pairs = [(s, r.role) for r in self.model_roles for s in r.suffixes]
        return tuple(sorted(pairs, key=lambda pair: len(pair[0]), reverse=True))

    @functools.cached_property
    def _roles(self) -> dict[str, str | None]:
        """Roles already worked out, by model name (completion asks for each model often)."""
        return {}

    def role_of(self, model: str) -> str | None:
        """The role a model's name hints at, the longest matching suffix winning."""
        roles = self._roles
        if model not in roles:
            roles[model] = next((r for s, r in self._suffix_roles if model.endswith(s)), None)
        return roles[model]

    def stem(self, model: str) -> str:
        """The model's name without its role suffix: "HeroPublic" -> "Hero"."""
        for suffix, _role in self._suffix_roles:
            if model.endswith(suffix) and len(model) > len(suffix):
                return model[: -len(suffix)]
        return model

    def dependency(self, role: str) -> DependencyRole | None:
        return next((r for r in self.dependency_roles if r.role == role), None)

    @property
    def default_orm(self) -> Orm | None:
        return next((o for o in self.orms if o.default), self.orms[-1] if self.orms else None)


@attrs.frozen
class KnowledgeBase:
    snippets: tuple[Snippet, ...]
    status_codes: tuple[StatusCode, ...]
    topics: tuple[Topic, ...] = ()
    version_gates: tuple[VersionGate, ...] = ()
    cards: tuple[Card, ...] = ()
    packages: Packages = Packages()
    categories: tuple[Category, ...] = ()

    @functools.cached_property
    def fastapi_packages(self) -> frozenset[str]:
        return frozenset(self.packages.fastapi)

    @functools.cached_property
    def library_packages(self) -> frozenset[str]:
        """Every top-level package the data names: the FastAPI family, the other libraries,
        and the packages of the cards' symbols and of the topics' origins."""
        named = [*self.packages.fastapi, *self.packages.libraries]
        named += [symbol for card in self.cards for symbol in card.symbols]
        named += [origin for topic in self.topics for origin in topic.origins]
        return frozenset(name.split(".", 1)[0] for name in named)

    conventions: Conventions = Conventions()

    def card(self, symbol: str) -> Card | None:
        return self._cards_by_symbol.get(symbol)

    @functools.cached_property
    def _cards_by_symbol(self) -> dict[str, Card]:
        return {symbol: card for card in self.cards for symbol in card.symbols}

    def for_context(self, context: str) -> list[Snippet]:
        return self._by_context.get(context, [])

    @functools.cached_property
    def _by_context(self) -> dict[str, list[Snippet]]:
        grouped: dict[str, list[Snippet]] = {}
        for snippet in self.snippets:
            for context in snippet.contexts:
                grouped.setdefault(context, []).append(snippet)
        return grouped

    def snippet(self, snippet_id: str) -> Snippet | None:
        return self._snippets_by_id.get(snippet_id)

    def topic(self, topic_id: str) -> Topic | None:
        return next((topic for topic in self.topics if topic.id == topic_id), None)

    @functools.cached_property
    def _snippets_by_id(self) -> dict[str, Snippet]:
        return {snippet.id: snippet for snippet in self.snippets}


class KnowledgeError(ValueError):
    """The data in ``snippets/`` is invalid."""


_converter = cattrs.Converter(forbid_extra_keys=True)

#: The arrays of tables a data file may hold.
#: The single tables a data file may hold.
_SINGLE_TABLES = frozenset({"packages"})
_DOTTED_NAME = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*")
_TABLES = frozenset(
    {
        "snippet",
        "status",
        "topic",
        "version_gate",
        "card",
        "category",
        "model_role",
        "dependency_role",
        "orm",
        "plural",
    }
)
#: Tables of ``migrations.toml``, read and checked by ``fastapi_ls.migrations``.
_MIGRATION_TABLES = frozenset({"rule", "rename"})


def data_dir() -> Path:
    """The ``snippets`` directory: inside the installed package, or at the checkout's root."""
    packaged = Path(__file__).with_name("snippets")
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "snippets"


@functools.cache
def load(directory: Path | None = None) -> KnowledgeBase:
    """The knowledge base in ``directory``; by default the packaged one, through its compiled
    copy in the user's cache (:func:`load_compiled`)."""
    if directory is None:
        return load_compiled(data_dir(), user_cache.root() / "knowledge")
    return read(directory)


def load_compiled(directory: Path, cache_dir: Path) -> KnowledgeBase:
    """The knowledge base in ``directory``, from its compiled copy in ``cache_dir`` when one was
    made from exactly these files; otherwise read, checked, and compiled for the next start.

    Reading and checking the TOML files is most of the server's start-up after its imports
    (tens of milliseconds); unpickling the result takes about one.  The copy is named by a
    digest of the data files, the package version and the Python version, so any change to
    them misses it; it is used only when it belongs to this user and no one else may write it.
    """
    texts = _data_files(directory)
    digest = hashlib.sha256(f"{_COMPILED_FORMAT} {__version__} {sys.version}".encode())
    for name, text in texts:
        data = text.encode("utf-8")
        digest.update(b"%s\0%d\0" % (name.encode(), len(data)) + data)
    compiled = cache_dir / f"knowledge-{digest.hexdigest()[:32]}.pickle"
    knowledge = _read_compiled(compiled)
    if knowledge is None:
        knowledge = _parse(texts)
        _write_compiled(compiled, knowledge)
    return knowledge


def read(directory: Path) -> KnowledgeBase:
    """The knowledge base in ``directory``'s TOML files, read and checked."""
    return _parse(_data_files(directory))


def _data_files(directory: Path) -> list[tuple[str, str]]:
    """(file name, text) of ``directory``'s TOML files, in name order."""
    texts = []
    for path in sorted(directory.glob("*.toml")):
        try:
            texts.append((path.name, path.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError) as error:
            raise KnowledgeError(f"{path.name}: {error}") from error
    return texts


def _read_compiled(path: Path) -> KnowledgeBase | None:
    try:
        with open(path, "rb") as file:
            if not _is_private(os.fstat(file.fileno())):
                log.warning("ignoring %s: another user may write it", path)
                return None
            knowledge = pickle.load(file)
    except FileNotFoundError:
        return None
    except Exception as error:  # a truncated or foreign file: the data files are read instead
        log.info("ignoring the compiled knowledge base %s: %s", path, error)
        return None
    return knowledge if isinstance(knowledge, KnowledgeBase) else None


def _is_private(info: os.stat_result) -> bool:
    if not hasattr(os, "getuid"):
        return True  # Windows: the cache is in the user's own profile
    return info.st_uid == os.getuid() and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _write_compiled(path: Path, knowledge: KnowledgeBase) -> None:
    """Keep ``knowledge`` at ``path`` (replacing other versions' copies); failing is harmless."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(
            "wb", dir=path.parent, prefix=".tmp-", suffix=".pickle", delete=False
        ) as file:
            pickle.dump(knowledge, file, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(file.name, path)
        for other in path.parent.glob("knowledge-*.pickle"):
            if other != path:
                other.unlink(missing_ok=True)
    except (OSError, pickle.PicklingError) as error:
        log.info("the knowledge base is not compiled for the next start: %s", error)


def _parse(texts: list[tuple[str, str]]) -> KnowledgeBase:
    snippets: list[Snippet] = []
    status_codes: list[StatusCode] = []
    topics: list[Topic] = []
    gates: list[VersionGate] = []
    cards: list[Card] = []
    categories: list[Category] = []
    packages: Packages | None = None
    model_roles: list[ModelRole] = []
    dependency_roles: list[DependencyRole] = []
    orms: list[Orm] = []
    plurals: list[Plural] = []
    for filename, text in texts:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            raise KnowledgeError(f"{filename}: {error}") from error
        unknown = set(data) - _TABLES - _SINGLE_TABLES - _MIGRATION_TABLES
        if unknown:
            raise KnowledgeError(f"{filename}: unknown tables {sorted(unknown)}")
        for name in _TABLES & set(data):
            if not isinstance(data[name], list):
                raise KnowledgeError(f"{filename}: write [[{name}]], an array of tables")
        for raw in data.get("snippet", []):
            snippets.append(_snippet(filename, raw))
        for raw in data.get("status", []):
            status_codes.append(_structure(filename, raw, StatusCode))
        for raw in data.get("topic", []):
            topics.append(_topic(filename, raw))
        for raw in data.get("version_gate", []):
            gates.append(_structure(filename, raw, VersionGate))
        for raw in data.get("card", []):
            cards.append(_card(filename, raw))
        categories += [_structure(filename, raw, Category) for raw in data.get("category", [])]
        if "packages" in data:
            if packages is not None or not isinstance(data["packages"], dict):
                raise KnowledgeError(f"{filename}: write one [packages] table in one file")
            packages = _packages(filename, data["packages"])
        model_roles += [_structure(filename, raw, ModelRole) for raw in data.get("model_role", [])]
        dependency_roles += [
            _structure(filename, raw, DependencyRole) for raw in data.get("dependency_role", [])
        ]
        orms += [_structure(filename, raw, Orm) for raw in data.get("orm", [])]
        plurals += [_structure(filename, raw, Plural) for raw in data.get("plural", [])]
    _check_unique(snippets)
    _check_unique_status(status_codes)
    _check_unique_symbols(cards)
    _check_gates(gates, topics)
    _check_categories(topics, categories)
    return KnowledgeBase(
        snippets=tuple(snippets),
        status_codes=tuple(status_codes),
        topics=tuple(topics),
        version_gates=tuple(gates),
        cards=tuple(cards),
        packages=packages or Packages(),
        categories=tuple(categories),
        conventions=Conventions(
            tuple(model_roles), tuple(dependency_roles), tuple(orms), tuple(plurals)
        ),
    )


def _check_categories(topics: list[Topic], categories: list[Category]) -> None:
    known = {category.id for category in categories}
    for topic in topics:
        if topic.category not in known:
            raise KnowledgeError(f"topic {topic.id!r}: unknown category {topic.category!r}")


def _structure(filename: str, raw: dict, cls: type):
    try:
        return _converter.structure(raw, cls)
    except Exception as error:  # cattrs raises several exception groups
        name = raw.get("id") or raw.get("name") or "?"
        detail = (
            "; ".join(cattrs.transform_error(error))
            if isinstance(error, cattrs.BaseValidationError)
            else str(error)
        )
        raise KnowledgeError(f"{filename}: entry {name!r}: {detail}") from error


def _snippet(filename: str, raw: dict) -> Snippet:
    snippet: Snippet = _structure(filename, {**raw, "source": filename}, Snippet)
    where = f"{filename}: snippet {snippet.id!r}"
    unknown_contexts = set(snippet.contexts) - CONTEXTS
    if unknown_contexts:
        raise KnowledgeError(f"{where}: unknown contexts {sorted(unknown_contexts)}")
    unknown_variables = snippet_syntax.variables_in(snippet.body) - VARIABLES
    if unknown_variables:
        raise KnowledgeError(f"{where}: unknown variables {sorted(unknown_variables)}")
    if not snippet.prefixes:
        raise KnowledgeError(f"{where}: no prefixes")
    unknown_requires = set(snippet.requires) - VARIABLES
    if unknown_requires:
        raise KnowledgeError(f"{where}: unknown names in requires {sorted(unknown_requires)}")
    unknown_conditions = {c.removeprefix("no_") for c in snippet.when} - CONDITIONS
    if unknown_conditions:
        raise KnowledgeError(f"{where}: unknown conditions in when {sorted(unknown_conditions)}")
    for minimum in (snippet.min_fastapi, snippet.min_pydantic, snippet.min_starlette):
        if minimum is not None:
            try:
                Version(minimum)
            except InvalidVersion as error:
                raise KnowledgeError(f"{where}: bad version {minimum!r}") from error
    try:
        snippet_syntax.check(snippet.body)
    except snippet_syntax.SnippetSyntaxError as error:
        raise KnowledgeError(f"{where}: {error}") from error
    unknown_in_imports = snippet_syntax.variables_in(" ".join(snippet.imports)) - VARIABLES
    if unknown_in_imports:
        raise KnowledgeError(f"{where}: unknown variables in imports {sorted(unknown_in_imports)}")
    for statement in snippet.imports:
        if not statement.startswith(("from ", "import ")):
            raise KnowledgeError(f"{where}: not an import statement: {statement!r}")
    return snippet


def _topic(filename: str, raw: dict) -> Topic:
    topic: Topic = _structure(filename, raw, Topic)
    where = f"{filename}: topic {topic.id!r}"
    for trigger in topic.triggers:
        _compile(where, trigger.pattern)
    for origin in topic.origins:
        if not _DOTTED_NAME.fullmatch(origin):
            raise KnowledgeError(f"{where}: origin {origin!r} is not a dotted name")
    return topic


def _packages(filename: str, raw: dict) -> Packages:
    packages: Packages = _structure(filename, raw, Packages)
    for name in (*packages.fastapi, *packages.libraries):
        if not _DOTTED_NAME.fullmatch(name) or "." in name:
            raise KnowledgeError(f"{filename}: packages: {name!r} is not a top-level package")
    return packages


def _card(filename: str, raw: dict) -> Card:
    card: Card = _structure(filename, raw, Card)
    where = f"{filename}: card {card.id!r}"
    if not card.symbols:
        raise KnowledgeError(f"{where}: no symbols")
    if card.signature is not None and ":" not in card.signature:
        raise KnowledgeError(f"{where}: signature must be 'module:Qualified.name'")
    return card


def _check_unique_symbols(cards: list[Card]) -> None:
    seen: dict[str, str] = {}
    for card in cards:
        for symbol in card.symbols:
            if symbol in seen:
                raise KnowledgeError(
                    f"symbol {symbol!r} has two cards: {seen[symbol]!r} and {card.id!r}"
                )
            seen[symbol] = card.id


def _check_gates(gates: list[VersionGate], topics: list[Topic]) -> None:
    known = {topic.id for topic in topics}
    for gate in gates:
        where = f"version gate {gate.feature!r}"
        _compile(where, gate.pattern)
        if gate.topic not in known:
            raise KnowledgeError(f"{where}: unknown topic {gate.topic!r}")


def _compile(where: str, pattern: str) -> None:
    try:
        re.compile(pattern)
    except re.error as error:
        raise KnowledgeError(f"{where}: bad pattern {pattern!r}: {error}") from error


def _check_unique_status(status_codes: list[StatusCode]) -> None:
    for status in status_codes:
        for bound in (status.min_starlette, status.below_starlette):
            if bound is not None:
                try:
                    Version(bound)
                except InvalidVersion as error:
                    raise KnowledgeError(f"status {status.name}: bad version {bound!r}") from error
    names = [status.name for status in status_codes]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise KnowledgeError(f"duplicate status codes {duplicates}")


def _check_unique(snippets: list[Snippet]) -> None:
    seen: set[str] = set()
    for snippet in snippets:
        if snippet.id in seen:
            raise KnowledgeError(f"{snippet.source}: duplicate snippet id {snippet.id!r}")
        seen.add(snippet.id)
