"""What the migration checker returns, what it is told, and the rules it reads from data."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path

import attrs
import cattrs
from packaging.version import InvalidVersion, Version

from .. import knowledge
from ..imports import TextEdit

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

Position = tuple[int, int]

SEVERITIES = frozenset({"hint", "information", "warning"})


@attrs.frozen
class Rule:
    """One diagnostic: its stable code, its prose and when it applies (from the data file)."""

    code: str
    name: str
    title: str
    #: the diagnostic's text; ``{name}``-style fields are filled by the rule
    message: str
    severity: str
    link: str
    #: the construct is deprecated (editors strike it through)
    deprecated: bool = False
    enabled: bool = True
    #: the distribution whose installed version decides whether the rule applies, and from
    #: which version on (a project still on Pydantic 1 gets no Pydantic 2 advice)
    package: str | None = None
    since: str | None = None
    #: a regular expression that every module with a finding of this rule matches: a module
    #: that matches no rule's hint is not even parsed (most modules, most of the time)
    hint: str = ""
    #: titles of the rule's fixes, by fix id
    fixes: dict[str, str] = attrs.field(factory=dict)
    #: texts of the ``# TODO:`` comments its inexact fixes leave, by id
    todos: dict[str, str] = attrs.field(factory=dict)


@attrs.frozen
class NewerName:
    """A name that replaces a rename's ``new`` from a version of a package on."""

    package: str
    since: str
    new: str


@attrs.frozen
class Rename:
    """A renamed (or removed, when ``new`` is empty) config key, method or argument."""

    kind: str
    old: str
    new: str = ""
    #: why there is no exact replacement (the TODO text for a removed name)
    note: str = ""
    #: the name to use instead of ``new`` where the installed package has it
    newer: NewerName | None = None

    def replacement(self, context: MigrationContext) -> str:
        """The new name for the project's installed versions."""
        newer = self.newer
        if newer is not None and context.at_least(newer.package, newer.since):
            return newer.new
        return self.new


RENAME_KINDS = frozenset({"config", "method", "classmethod", "argument"})


@attrs.frozen
class RuleBook:
    rules: dict[str, Rule]
    renames: dict[str, dict[str, Rename]]

    def rule(self, code: str) -> Rule:
        return self.rules[code]

    def renamed(self, kind: str, old: str) -> Rename | None:
        return self.renames.get(kind, {}).get(old)


class RuleDataError(ValueError):
    """``snippets/migrations.toml`` is invalid."""


_converter = cattrs.Converter(forbid_extra_keys=True)


@functools.cache
def load_rules(path: Path | None = None) -> RuleBook:
    path = path or knowledge.data_dir() / "migrations.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise RuleDataError(f"{path.name}: {error}") from error
    rules: dict[str, Rule] = {}
    renames: dict[str, dict[str, Rename]] = {}
    try:
        for raw in data.get("rule", []):
            rule = _converter.structure(raw, Rule)
            if rule.code in rules:
                raise RuleDataError(f"duplicate rule code {rule.code}")
            if rule.severity not in SEVERITIES:
                raise RuleDataError(f"{rule.code}: unknown severity {rule.severity!r}")
            if rule.since is not None:
                Version(rule.since)
            rules[rule.code] = rule
        for raw in data.get("rename", []):
            rename = _converter.structure(raw, Rename)
            if rename.kind not in RENAME_KINDS:
                raise RuleDataError(f"rename {rename.old!r}: unknown kind {rename.kind!r}")
            if rename.newer is not None:
                Version(rename.newer.since)
            renames.setdefault(rename.kind, {})[rename.old] = rename
    except (cattrs.BaseValidationError, InvalidVersion) as error:
        detail = (
            "; ".join(cattrs.transform_error(error))
            if isinstance(error, cattrs.BaseValidationError)
            else str(error)
        )
        raise RuleDataError(f"{path.name}: {detail}") from error
    return RuleBook(rules, renames)


@attrs.frozen
class MigrationContext:
    """What the checker knows beyond the file's text; every field has a safe default."""

    #: rule codes (``FAPI101``) or names (``pydantic-config``) switched off
    disabled: frozenset[str] = frozenset()
    #: rule codes or names switched on although disabled by default
    enabled: frozenset[str] = frozenset()
    #: installed versions of the project's packages (``{"pydantic": "2.7.1"}``); a package
    #: missing here is taken to be current
    versions: dict[str, str] = attrs.field(factory=dict)
    #: names of classes other modules define as Pydantic models (from the workspace index)
    known_models: frozenset[str] = frozenset()
    #: qualified names of apps created with a lifespan (``app.main.app``)
    apps_with_lifespan: frozenset[str] = frozenset()
    #: the file's dotted module name, for resolving its relative imports
    module_name: str | None = None

    def applies(self, rule: Rule) -> bool:
        if rule.code in self.disabled or rule.name in self.disabled:
            return False
        if not rule.enabled and rule.code not in self.enabled and rule.name not in self.enabled:
            return False
        if rule.package and rule.since:
            return self.at_least(rule.package, rule.since)
        return True

    def at_least(self, package: str, version: str) -> bool:
        """The installed ``package`` is ``version`` or newer (or unknown: taken to be current)."""
        if package not in self.versions:
            return True
        try:
            return Version(self.versions[package]) >= Version(version)
        except InvalidVersion:
            return True


@attrs.define(eq=False)
class Fix:
    """A quick fix; its edits are computed on first use (``codeAction/resolve``)."""

    title: str
    #: one fix is obviously right (``isPreferred``)
    preferred: bool
    #: exact: applied by fix-all
    safe: bool
    _build: Callable[[], list[TextEdit]] = attrs.field(repr=False)
    _edits: list[TextEdit] | None = attrs.field(default=None, init=False, repr=False)

    @property
    def edits(self) -> list[TextEdit]:
        if self._edits is None:
            self._edits = self._build()
        return self._edits


@attrs.define(eq=False)
class Finding:
    code: str
    message: str
    #: ``"hint"``, ``"information"`` or ``"warning"``
    severity: str
    deprecated: bool
    link: str
    start: Position
    end: Position
    fixes: list[Fix] = attrs.field(factory=list)

    @property
    def key(self) -> str:
        """Identifies the finding in the same text: put it in a code action's ``data``."""
        return f"{self.code}:{self.start[0]}:{self.start[1]}"
