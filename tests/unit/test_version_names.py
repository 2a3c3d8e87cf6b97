"""The names each snippet, card and status constant uses exist in the oldest versions supported.

tests/fixtures/versions/names.json holds the public names of every module of the oldest
FastAPI, Starlette and pydantic-settings that pyproject.toml allows, and of Pydantic's public
modules, read from their wheels by scripts/version_names.py. A snippet declaring a newer
minimum than the recorded release needs that release recorded too.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest
from packaging.version import Version

from fastapi_ls import completion, knowledge, prefill

NAMES = json.loads(
    (Path(__file__).resolve().parents[1] / "fixtures/versions/names.json").read_text("utf-8")
)
KB = knowledge.load()
#: the top-level import package of each recorded distribution
PACKAGES = {"fastapi": "fastapi", "starlette": "starlette", "pydantic": "pydantic"}
PACKAGES["pydantic_settings"] = "pydantic-settings"
_FROM_IMPORT = re.compile(r"^\s*from\s+([\w.]+)\s+import\s+\(?([\w\s,]+)\)?\s*$", re.M)


def _oldest(distribution: str) -> str:
    return min(NAMES[distribution], key=Version)


def _missing(module: str, names: list[str], minimums: dict[str, str | None]) -> list[str]:
    """The names not found in the release the entry must run on, as "module.name"."""
    distribution = PACKAGES.get(module.split(".")[0])
    if distribution is None:
        return []
    oldest = _oldest(distribution)
    declared = minimums.get(distribution)
    release = oldest
    if declared is not None and Version(declared) > Version(oldest):
        newer = [v for v in NAMES[distribution] if Version(v) >= Version(declared)]
        assert newer, f"record {distribution} {declared} in names.json (scripts/version_names.py)"
        release = min(newer, key=Version)
    modules = NAMES[distribution][release]
    if module not in modules:
        return [f"{module} (no such module in {distribution} {release})"]
    return [
        f"{module}.{name} ({distribution} {release})"
        for name in names
        if name not in modules[module] and f"{module}.{name}" not in modules
    ]


def _from_imports(code: str) -> list[tuple[str, list[str]]]:
    found = []
    for module, names in _FROM_IMPORT.findall(code):
        found.append(
            (module, [n.split()[0] for n in names.replace("\n", " ").split(",") if n.strip()])
        )
    return found


DEFAULTS = prefill.defaults(KB.conventions)


@pytest.mark.parametrize("snippet", KB.snippets, ids=lambda s: s.id)
def test_snippet_imports_exist_in_the_oldest_versions(snippet):
    minimums = {
        "fastapi": snippet.min_fastapi,
        "pydantic": snippet.min_pydantic,
        "starlette": snippet.min_starlette,
    }
    code = "\n".join(snippet.imports) + "\n" + snippet.body
    code = re.sub(r"\{\{(\w+)\}\}", lambda m: DEFAULTS.get(m.group(1), m.group(1)), code)
    missing = [
        name for module, names in _from_imports(code) for name in _missing(module, names, minimums)
    ]
    assert not missing, f"{snippet.id}: {missing}"


@pytest.mark.parametrize("card", KB.cards, ids=lambda c: c.id)
def test_card_symbols_and_idiom_imports_exist_in_the_oldest_versions(card):
    pairs = _from_imports(card.idiom)
    # the first symbol is what the card teaches; later ones may be legacy spellings it
    # corrects ("pydantic.BaseSettings")
    for symbol in card.symbols[:1]:
        parts = symbol.split(".")
        distribution = PACKAGES.get(parts[0])
        if distribution is None:
            continue
        modules = NAMES[distribution][_oldest(distribution)]
        depth = max(i for i in range(1, len(parts)) if ".".join(parts[:i]) in modules)
        pairs.append((".".join(parts[:depth]), [parts[depth]]))
    missing = [name for module, names in pairs for name in _missing(module, names, {})]
    assert not missing, f"{card.id}: {missing}"
    if card.idiom:
        ast.parse(card.idiom)


@pytest.mark.parametrize("release", sorted(NAMES["starlette"], key=Version))
def test_status_names_offered_are_those_of_that_starlette(release):
    versions = completion.Versions(starlette=Version(release))
    offered = {status.name for status in KB.status_codes if versions.has_status(status)}
    defined = {
        name
        for name in NAMES["starlette"][release]["starlette.status"]
        if name.startswith(("HTTP_", "WS_"))
    }
    assert offered == defined


def test_unknown_starlette_gets_the_current_names_only():
    offered = {s.name for s in KB.status_codes if completion.Versions().has_status(s)}
    assert "HTTP_422_UNPROCESSABLE_CONTENT" in offered
    assert "HTTP_422_UNPROCESSABLE_ENTITY" not in offered
