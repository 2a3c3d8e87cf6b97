"""Curated Tier 1 code never fires a Tier 2 topic.

Every snippet is expanded as the server expands it (with the names of an empty file, and with
those of a router module and of an async SQLAlchemy module) into the module it belongs in, and
every hover card's idiom is taken as a module; on no line of either may a topic fire, nor may a
whole module taken as a selection.  Otherwise the lightbulb would offer "look this up in the
docs" on the very code fastapi-ls just wrote.
"""

from __future__ import annotations

from importlib.metadata import version

import pytest
from packaging.version import Version

from fastapi_ls import knowledge, prefill, snippet_syntax, tier2
from fastapi_ls.analysis import analyse

KB = knowledge.load()
INSTALLED = {name: Version(version(name)) for name in ("fastapi", "pydantic", "starlette")}
#: Files whose names the snippets are written into: each pre-fills them differently.
CONTEXT_FILES = {
    "empty": "",
    "router": (
        "from fastapi import APIRouter\nfrom ..deps import SessionDep\n"
        "from ..models import Order, OrderCreate, OrderPublic\n"
        'router = APIRouter(prefix="/orders")\n'
    ),
    "async": (
        "from fastapi import FastAPI\nfrom sqlalchemy.ext.asyncio import AsyncSession\n"
        "from .db import get_session\nfrom .models import Room, RoomCreate\napp = FastAPI()\n"
    ),
}


def expansions(snippet: knowledge.Snippet) -> list[str]:
    texts = []
    for header in CONTEXT_FILES.values():
        values = prefill.prefill(analyse(header), KB.conventions).values
        body = snippet_syntax.to_plain_text(snippet_syntax.fill_variables(snippet.body, values))
        imports = prefill.snippet_imports(snippet.imports, values, body)
        texts.append("\n".join([*imports, header, body]))
    return texts


def path_for(snippet: knowledge.Snippet) -> str:
    return "tests/test_app.py" if "test_module" in snippet.contexts else "app/main.py"


def fired(source: str, path: str) -> list[tuple[str, str]]:
    analysis = analyse(source)
    found = []
    for line in [*source.splitlines(), source]:
        for detection in tier2.detect(line, analysis, path, KB.topics, KB.version_gates, INSTALLED):
            found.append((detection.topic.id, line[:80]))
    return found


@pytest.mark.parametrize("snippet_id", sorted(s.id for s in KB.snippets))
def test_snippet_fires_no_topic(snippet_id):
    snippet = KB.snippet(snippet_id)
    path = path_for(snippet)
    for header, source in zip(CONTEXT_FILES.values(), expansions(snippet), strict=True):
        # The file's own code may fire a topic already (an AsyncSession import); the snippet
        # must not add one.
        already = {topic for topic, _ in fired(header, path)}
        added = [(topic, line) for topic, line in fired(source, path) if topic not in already]
        assert added == [], source


@pytest.mark.parametrize("card_id", sorted(c.id for c in KB.cards if c.idiom))
def test_card_idiom_fires_no_topic(card_id):
    card = next(c for c in KB.cards if c.id == card_id)
    imports = "from fastapi import FastAPI\n"
    assert fired(imports + card.idiom, "app/main.py") == []
