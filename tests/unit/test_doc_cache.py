"""Unit tests of the Context7 disk cache and of the docs service's cache-first policy.

The service talks to a real local HTTP server speaking the Context7 v2 API.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from context7_server import FakeContext7, running_context7

from fastapi_ls.context7 import Context7Client, DocPage, Library
from fastapi_ls.doc_cache import DocCache, default_cache_dir
from fastapi_ls.docs_service import OFFLINE_PROBLEM, DocsService, best_library

FASTAPI = "/websites/fastapi_tiangolo"
HOUR = timedelta(hours=1)


def make_page(query: str = "lifespan", *, age: timedelta = timedelta(0), **fields) -> DocPage:
    values = {
        "library_id": FASTAPI,
        "version": None,
        "query": query,
        "fetched_at": datetime.now(timezone.utc) - age,
        "markdown": "### Lifespan\n\nCached text.",
        "sources": ("https://fastapi.tiangolo.com/advanced/events/",),
        **fields,
    }
    return DocPage(**values)


def entry_files(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.json"))


# The cache on its own


def test_a_stored_page_comes_back_fresh(tmp_path):
    cache = DocCache(tmp_path / "cache", HOUR)
    page = make_page(version_note="a note", empty=False)

    cache.put(page)
    cached = cache.get(FASTAPI, None, "lifespan")

    assert cached is not None
    assert cached.page == page
    assert cached.fresh
    assert timedelta(0) <= cached.age < timedelta(seconds=5)
    assert cache.get(FASTAPI, "0.115.0", "lifespan") is None
    assert cache.get(FASTAPI, None, "other query") is None


def test_a_page_past_its_time_to_live_is_stale_with_its_age(tmp_path):
    cache = DocCache(tmp_path, HOUR)
    cache.put(make_page(age=timedelta(hours=3)))

    cached = cache.get(FASTAPI, None, "lifespan")

    assert cached is not None
    assert not cached.fresh
    assert timedelta(hours=3) <= cached.age < timedelta(hours=3, seconds=5)


def test_a_tiny_time_to_live_expires(tmp_path):
    cache = DocCache(tmp_path, timedelta(milliseconds=50))
    cache.put(make_page())
    assert cache.get(FASTAPI, None, "lifespan").fresh

    time.sleep(0.06)

    assert not cache.get(FASTAPI, None, "lifespan").fresh


def test_a_page_can_be_filed_under_the_request(tmp_path):
    cache = DocCache(tmp_path, HOUR)
    fallback = make_page(version_note="Context7 has not indexed version 9.9.9")

    cache.put(fallback, key=(FASTAPI, "9.9.9", "lifespan"))

    assert cache.get(FASTAPI, "9.9.9", "lifespan").page == fallback
    assert cache.get(FASTAPI, None, "lifespan") is None


@pytest.mark.parametrize(
    "content",
    [
        b"{not json",
        b"\xff\xfe",
        b"[]",
        b'{"format": 1, "key": ["page", "/other/lib", null, "lifespan"], "page": {}}',
        b"",
    ],
)
def test_a_corrupt_entry_is_deleted_and_missed(tmp_path, content, caplog):
    cache = DocCache(tmp_path, HOUR)
    cache.put(make_page())
    [path] = entry_files(tmp_path)
    path.write_bytes(content)

    assert cache.get(FASTAPI, None, "lifespan") is None
    assert not path.exists()
    assert "Discarding" in caplog.text


@pytest.mark.parametrize(
    "field, value",
    [("fetched_at", "2026-05-01T10:00:00"), ("fetched_at", 12), ("sources", "x"), ("markdown", 3)],
)
def test_an_entry_with_a_wrong_field_is_deleted_and_missed(tmp_path, field, value):
    cache = DocCache(tmp_path, HOUR)
    cache.put(make_page())
    [path] = entry_files(tmp_path)
    entry = json.loads(path.read_text())
    entry["page"][field] = value
    path.write_text(json.dumps(entry))

    assert cache.get(FASTAPI, None, "lifespan") is None
    assert not path.exists()


def test_writes_leave_no_temporary_files(tmp_path):
    cache = DocCache(tmp_path, HOUR)
    cache.put(make_page("one"))
    cache.put(make_page("one", markdown="replaced"))

    assert [path.name for path in tmp_path.iterdir() if path.name.startswith(".tmp")] == []
    assert cache.get(FASTAPI, None, "one").page.markdown == "replaced"


def test_a_directory_that_cannot_be_created_makes_a_no_op_cache(tmp_path, caplog):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    cache = DocCache(blocker / "cache", HOUR)

    cache.put(make_page())
    cache.put_library("fastapi", "lifespan", FASTAPI)

    assert cache.get(FASTAPI, None, "lifespan") is None
    assert cache.get_library("fastapi", "lifespan", allow_stale=True) is None
    assert cache.clear() == 0
    warnings = [record for record in caplog.records if record.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "Cannot create the Context7 cache directory" in warnings[0].getMessage()


def test_library_resolutions_are_cached_with_the_same_time_to_live(tmp_path):
    cache = DocCache(tmp_path, timedelta(milliseconds=50))
    cache.put_library("fastapi", "lifespan", "/fastapi/fastapi")

    assert cache.get_library("fastapi", "lifespan") == "/fastapi/fastapi"
    assert cache.get_library("fastapi", "other") is None
    time.sleep(0.06)
    assert cache.get_library("fastapi", "lifespan") is None
    assert cache.get_library("fastapi", "lifespan", allow_stale=True) == "/fastapi/fastapi"


def test_a_corrupt_library_entry_is_deleted(tmp_path):
    cache = DocCache(tmp_path, HOUR)
    cache.put_library("fastapi", "lifespan", "/fastapi/fastapi")
    [path] = entry_files(tmp_path)
    entry = json.loads(path.read_text())
    path.write_text(json.dumps({**entry, "stored_at": "yesterday"}))

    assert cache.get_library("fastapi", "lifespan", allow_stale=True) is None
    assert not path.exists()


def test_clear_removes_every_entry_and_nothing_else(tmp_path):
    cache = DocCache(tmp_path, HOUR)
    cache.put(make_page("one"))
    cache.put(make_page("two"))
    cache.put_library("fastapi", "lifespan", FASTAPI)
    (tmp_path / "notes.txt").write_text("someone else's file")

    assert cache.clear() == 3
    assert entry_files(tmp_path) == []
    assert (tmp_path / "notes.txt").exists()
    assert cache.clear() == 0


def test_clear_of_a_missing_directory_is_zero(tmp_path):
    assert DocCache(tmp_path / "never-created", HOUR).clear() == 0


def test_the_default_directory_follows_xdg(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "fastapi-ls" / "context7"

    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/is/ignored")
    assert default_cache_dir() == tmp_path / "home" / ".cache" / "fastapi-ls" / "context7"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert default_cache_dir() == tmp_path / "home" / ".cache" / "fastapi-ls" / "context7"


# The docs service: cache first, Context7 when needed


@pytest.fixture(scope="module")
def running_server():
    with running_context7(hang_seconds=2.0) as server:
        yield server


@pytest.fixture
def server(running_server: FakeContext7) -> FakeContext7:
    running_server.reset()
    return running_server


@pytest.fixture
def cache(tmp_path) -> DocCache:
    return DocCache(tmp_path / "context7", HOUR)


@pytest.fixture
def service(server, cache, monkeypatch) -> DocsService:
    monkeypatch.delenv("CONTEXT7_API_KEY", raising=False)
    return DocsService(
        lambda: Context7Client(server.base_url, None, 0.5, retry_backoff=0.01),
        cache,
        offline=False,
    )


async def test_a_fresh_cache_hit_needs_no_network(service, server):
    first = await service.lookup(FASTAPI, "lifespan", None)
    second = await service.lookup(FASTAPI, "lifespan", None)

    assert first.page is not None
    assert (first.from_cache, first.problem, first.stale_age) == (False, None, None)
    assert second.page == first.page
    assert (second.from_cache, second.problem, second.stale_age) == (True, None, None)
    assert len(server.requests) == 1


async def test_a_stale_page_is_refreshed_when_context7_answers(service, server, cache):
    cache.put(make_page(age=timedelta(hours=3)))

    result = await service.lookup(FASTAPI, "lifespan", None)

    assert not result.from_cache
    assert "Dependencies with yield" in result.page.markdown
    assert cache.get(FASTAPI, None, "lifespan").fresh
    assert len(server.requests) == 1


async def test_a_rate_limit_serves_the_stale_page_and_says_why(service, server, cache):
    stale = make_page(age=timedelta(hours=3))
    cache.put(stale)
    server.fail_next(429, headers={"Retry-After": "7"})

    result = await service.lookup(FASTAPI, "lifespan", None)

    assert result.page == stale
    assert result.from_cache
    assert timedelta(hours=3) <= result.stale_age < timedelta(hours=3, seconds=5)
    assert "rate limit" in result.problem
    assert "try again in 7 s" in result.problem


async def test_a_network_failure_serves_the_stale_page_and_says_why(service, server, cache):
    stale = make_page(age=timedelta(days=2))
    cache.put(stale)
    server.misbehave_next("drop", times=None)

    result = await service.lookup(FASTAPI, "lifespan", None)

    assert result.page == stale
    assert result.stale_age >= timedelta(days=2)
    assert "Context7 could not be reached" in result.problem
    assert len(server.requests) == 2


async def test_a_failure_without_a_cached_page_is_only_the_problem(service, server):
    server.fail_next(503, times=None)

    result = await service.lookup(FASTAPI, "lifespan", None)

    assert result.page is None
    assert not result.from_cache
    assert result.stale_age is None
    assert "unavailable" in result.problem


async def test_a_rejected_key_is_explained(service, server):
    server.fail_next(401)

    result = await service.lookup(FASTAPI, "lifespan", None)

    assert result.page is None
    assert "Context7 asks for an API key" in result.problem


async def test_offline_mode_serves_the_cache_without_the_network(service, server, cache):
    service.offline = True
    stale = make_page(age=timedelta(hours=5))
    cache.put(stale)

    served = await service.lookup(FASTAPI, "lifespan", None)
    missing = await service.lookup(FASTAPI, "never asked", None)

    assert served.page == stale
    assert served.stale_age >= timedelta(hours=5)
    assert served.problem == OFFLINE_PROBLEM
    assert missing.page is None
    assert missing.problem == OFFLINE_PROBLEM
    assert server.requests == []


async def test_overlapping_lookups_share_one_request(service, server):
    results = await asyncio.gather(
        service.lookup(FASTAPI, "websockets", None),
        service.lookup(FASTAPI, "websockets", None),
        service.lookup(FASTAPI, "websockets", None),
    )

    assert len(server.requests) == 1
    assert results[0].page is not None
    assert all(result.page == results[0].page for result in results)


async def test_overlapping_failures_share_one_request(service, server):
    server.fail_next(402, times=None)

    results = await asyncio.gather(
        service.lookup(FASTAPI, "websockets", None),
        service.lookup(FASTAPI, "websockets", None),
    )

    assert len(server.requests) == 1
    assert all("spending limit" in result.problem for result in results)


async def test_a_cancelled_lookup_does_not_cancel_the_shared_request(service, server):
    # The first attempt hangs past the 0.5 s timeout; the retry answers.
    server.misbehave_next("hang")
    impatient = asyncio.ensure_future(service.lookup(FASTAPI, "lifespan", None))
    patient = asyncio.ensure_future(service.lookup(FASTAPI, "lifespan", None))
    await asyncio.sleep(0.1)
    impatient.cancel()

    result = await asyncio.wait_for(patient, timeout=3)

    assert impatient.cancelled()
    assert result.page is not None
    assert len(server.requests) == 2


async def test_a_version_fallback_is_cached_under_the_version_asked_for(service, server):
    first = await service.lookup(FASTAPI, "lifespan", "0.99.0")
    second = await service.lookup(FASTAPI, "lifespan", "0.99.0")

    assert "0.99.0" in first.page.version_note
    assert second.from_cache
    assert second.page.version_note == first.page.version_note
    assert len(server.requests) == 2, "the pinned request and its fallback, once"


async def test_resolving_prefers_finalized_then_trust(service, server):
    # "fastapi" matches a finalized 7.5, a finalized 9.9 and a processing 10.0.
    assert await service.resolve_library("fastapi", "dependencies") == "/fastapi/fastapi"
    assert await service.resolve_library("fastapi", "dependencies") == "/fastapi/fastapi"
    assert len(server.requests) == 1
    assert await service.resolve_library("no-such-library", "anything") is None


async def test_resolving_falls_back_to_a_stale_resolution(server, cache, tmp_path):
    expired = DocCache(cache.directory, timedelta(0))
    expired.put_library("fastapi", "dependencies", "/fastapi/fastapi")
    service = DocsService(
        lambda: Context7Client(server.base_url, None, 0.5, retry_backoff=0.01),
        expired,
        offline=False,
    )
    server.fail_next(429, times=None)

    assert await service.resolve_library("fastapi", "dependencies") == "/fastapi/fastapi"
    assert await service.resolve_library("pydantic", "validators") is None
    service.offline = True
    assert await service.resolve_library("fastapi", "dependencies") == "/fastapi/fastapi"
    # The 429 of the first search silences Context7 for its Retry-After (60 s when unsaid).
    assert len(server.requests) == 1


def test_the_best_library_is_finalized_then_most_trusted():
    def library(library_id: str, trust: float | None, state: str | None) -> Library:
        return Library(library_id, library_id, "", (), trust, state)

    candidates = [
        library("/a/processing", 10.0, "processing"),
        library("/b/unrated", None, "finalized"),
        library("/c/trusted", 8.0, "finalized"),
        library("/d/equally-trusted", 8.0, "finalized"),
    ]
    assert best_library(candidates).id == "/c/trusted"
    assert best_library(candidates[:2]).id == "/b/unrated"
    assert best_library([]) is None


async def test_clearing_the_cache_counts_entries(service):
    await service.lookup(FASTAPI, "lifespan", None)
    await service.resolve_library("pydantic", "validators")

    assert service.clear_cache() == 2
    assert service.clear_cache() == 0
