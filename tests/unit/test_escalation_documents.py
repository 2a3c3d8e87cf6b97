"""The Context7 documents as the user reads them, and the log line each lookup leaves.

Lookups go through the real cache and client to a local server speaking the Context7 API.
"""

from __future__ import annotations

import logging
import socket
from datetime import timedelta
from pathlib import Path

import pytest
from context7_server import FakeContext7, running_context7
from packaging.version import Version

from fastapi_ls import escalation, knowledge
from fastapi_ls.context7 import Context7Client
from fastapi_ls.doc_cache import DocCache
from fastapi_ls.docs_service import DocsService

KNOWLEDGE = knowledge.load()
INSTALLED = {"fastapi": Version("0.115.0")}
TOPIC = next(topic for topic in KNOWLEDGE.topics if topic.id == "websocket-manager")


@pytest.fixture(scope="module")
def running_server():
    with running_context7() as server:
        yield server


@pytest.fixture
def server(running_server: FakeContext7) -> FakeContext7:
    running_server.reset()
    return running_server


@pytest.fixture(autouse=True)
def no_key_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CONTEXT7_API_KEY", raising=False)


def service(base_url: str, cache: Path, api_key: str | None = None) -> DocsService:
    return DocsService(
        lambda: Context7Client(base_url, api_key, 2, retry_backoff=0),
        DocCache(cache, timedelta(days=1)),
        offline=False,
    )


def topic_lookup() -> escalation.Lookup:
    return escalation.Lookup(
        title=TOPIC.title,
        query=TOPIC.query,
        library_name=TOPIC.library_name,
        library_id=TOPIC.library_id,
        topic=TOPIC.id,
        package=TOPIC.package,
    )


async def test_a_typed_lookup_is_pinned_to_the_installed_fastapi(server, tmp_path):
    typed = escalation.Lookup.from_json({"title": "sse events", "query": "sse events"})

    answer = await escalation.answer(
        typed, KNOWLEDGE, service(server.base_url, tmp_path), INSTALLED
    )
    document = escalation.render(answer)

    assert typed.package == "fastapi"
    assert "- Version: `0.115.0`, the installed version" in document
    (request,) = server.requests_to("context")
    assert request.params["libraryId"].endswith("/0.115.0")


async def test_a_rate_limit_without_a_key_says_what_to_do(server, tmp_path):
    server.fail_next(429, error="rate_limit_exceeded", headers={"Retry-After": "30"})

    answer = await escalation.answer(
        topic_lookup(), KNOWLEDGE, service(server.base_url, tmp_path), INSTALLED
    )
    document = escalation.render(answer)

    missing = document.split(f"**{escalation.MISSING_DOCS}**")[1].split("\n")[0]
    assert "try again in 30 s" in missing
    assert "Set Context7 API Key" in missing and "CONTEXT7_API_KEY" in missing
    assert "Nothing was fetched; the notes above still apply." in document
    assert "tier" not in document.lower()


async def test_a_rate_limit_with_a_key_does_not_ask_for_one(server, tmp_path):
    server.fail_next(429, error="rate_limit_exceeded")
    docs = service(server.base_url, tmp_path, api_key="ctx7sk-unit-test")

    document = escalation.render(await escalation.answer(topic_lookup(), KNOWLEDGE, docs, {}))

    assert "rate limit for your API key" in document
    assert "Set Context7 API Key" not in document
    assert "ctx7sk-unit-test" not in document


async def test_a_failed_lookup_without_notes_claims_none(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    typed = escalation.Lookup.from_json({"query": "sse events"})
    docs = service(f"http://127.0.0.1:{port}/api", tmp_path)

    document = escalation.render(await escalation.answer(typed, KNOWLEDGE, docs, {}))

    assert "fastapi-ls has no notes of its own on this." in document
    assert "the notes above still apply" not in document
    assert "Errno" not in document
    assert "**What to do:** Check the network connection" in document
    assert "fastapi was not found in the project's Python environment" in document


async def test_each_lookup_leaves_one_log_line(server, tmp_path, caplog):
    docs = service(server.base_url, tmp_path)
    caplog.set_level(logging.INFO, logger="fastapi_ls.escalation")

    await escalation.answer(topic_lookup(), KNOWLEDGE, docs, INSTALLED)
    await escalation.answer(topic_lookup(), KNOWLEDGE, docs, INSTALLED)

    first, second = [r.getMessage() for r in caplog.records if r.name == "fastapi_ls.escalation"]
    assert first.startswith(f"Context7 lookup {TOPIC.title!r} (topic {TOPIC.id}, FastAPI")
    assert f"{TOPIC.library_id} 0.115.0 fetched in " in first
    assert f"{TOPIC.library_id} 0.115.0 from the cache in " in second


def test_the_document_file_is_named_after_its_title(tmp_path):
    lookup = topic_lookup()
    answer = escalation.unanswered(lookup, KNOWLEDGE, {}, escalation.CONTEXT7_DISABLED)

    path = escalation.write_document(answer, tmp_path)
    again = escalation.write_document(answer, tmp_path)
    other = escalation.write_document(
        escalation.unanswered(
            escalation.Lookup(title=lookup.title, query="another query"), KNOWLEDGE, {}, "off"
        ),
        tmp_path,
    )

    assert path.name == "websocket-connection-manager-and-broadcast.md"
    assert again == path and other.name == path.name and other != path
