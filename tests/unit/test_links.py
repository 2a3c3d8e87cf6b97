"""Every link in the knowledge base points at a page that exists.

FastAPI links are checked by path against tests/fixtures/links/fastapi_docs_paths.txt (written
by scripts/fastapi_docs_paths.py from a listing of FastAPI's docs sources); links elsewhere only
by host, as their sites' page lists are not available offline.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest

from fastapi_ls import knowledge

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "links"
FASTAPI_PAGES = frozenset((FIXTURES / "fastapi_docs_paths.txt").read_text(encoding="utf-8").split())
KB = knowledge.load()
#: Hosts of the documentation the knowledge base may link; a new one is a deliberate addition.
KNOWN_HOSTS = frozenset(
    {
        "fastapi.tiangolo.com",
        "docs.pydantic.dev",
        "www.starlette.io",
        "docs.sqlalchemy.org",
        "alembic.sqlalchemy.org",
        "redis.readthedocs.io",
        "opentelemetry-python-contrib.readthedocs.io",
        "magicstack.github.io",
        "aiomysql.readthedocs.io",
        "motor.readthedocs.io",
        "docs.celeryq.dev",
        "python-rq.org",
        "arq-docs.helpmanual.io",
        "github.com",
        "elasticsearch-py.readthedocs.io",
        "www.meilisearch.com",
        "docs.python.org",
        "docs.authlib.org",
        "testcontainers-python.readthedocs.io",
    }
)


def _links() -> list[tuple[str, str]]:
    entries = [*KB.snippets, *KB.cards, *KB.topics]
    return [(entry.id, entry.docs) for entry in entries if entry.docs]


LINKS = _links()


def test_every_topic_and_card_has_a_link():
    assert all(card.docs for card in KB.cards)
    assert all(topic.docs for topic in KB.topics)


@pytest.mark.parametrize(("entry", "url"), LINKS, ids=[f"{e}" for e, _ in LINKS])
def test_link_points_at_a_known_page(entry, url):
    parts = urlsplit(url)
    assert parts.scheme == "https", url
    assert parts.netloc in KNOWN_HOSTS, url
    if parts.netloc == "fastapi.tiangolo.com":
        assert parts.path in FASTAPI_PAGES, f"{entry}: no FastAPI docs page {parts.path}"


def test_named_topics_link_the_page_that_teaches_them():
    docs = {topic.id: topic.docs for topic in KB.topics}
    assert urlsplit(docs["sse"]).path == "/tutorial/server-sent-events/"
    assert urlsplit(docs["test-database"]).path == "/how-to/testing-database/"
    # FastAPI has no health-check page: its deployment concepts say why an orchestrator
    # restarts a process, which is what a liveness route tells it (not how to build an image).
    health = urlsplit(docs["health-checks"])
    assert (health.path, health.fragment) == ("/deployment/concepts/", "restarts")
