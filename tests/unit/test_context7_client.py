"""Unit tests of the Context7 client against a real local HTTP server speaking the v2 API."""

from __future__ import annotations

import logging
import socket
import time
from datetime import timedelta, timezone

import pytest
from context7_server import FakeContext7, running_context7

from fastapi_ls.context7 import Context7Client, Context7Error

API_KEY = "ctx7sk-test-9f8e7d6c5b4a"
FASTAPI = "/websites/fastapi_tiangolo"


@pytest.fixture(scope="module")
def running_server():
    # Hanging answers last longer than the client's 0.5 s timeout, and end at the next reset.
    with running_context7(hang_seconds=2.0, huge_bytes=3_000_000) as server:
        yield server


@pytest.fixture
def server(running_server: FakeContext7) -> FakeContext7:
    running_server.reset()
    return running_server


@pytest.fixture(autouse=True)
def no_key_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CONTEXT7_API_KEY", raising=False)


def make_client(server: FakeContext7, api_key: str | None = API_KEY, **options) -> Context7Client:
    options = {"timeout": 0.5, "retry_backoff": 0.01, "max_response_bytes": 200_000, **options}
    timeout = options.pop("timeout")
    return Context7Client(server.base_url, api_key, timeout, **options)


@pytest.fixture
async def client(server: FakeContext7):
    async with make_client(server) as context7:
        yield context7


async def failure(call) -> Context7Error:
    with pytest.raises(Context7Error) as caught:
        await call
    return caught.value


async def test_search_returns_libraries_with_their_facts(client, server):
    libraries = await client.search("pydantic", "field validators")

    assert [library.id for library in libraries] == ["/pydantic/pydantic"]
    pydantic = libraries[0]
    assert pydantic.title == "Pydantic"
    assert pydantic.versions == ("v2.11.7", "v1.10.21")
    assert pydantic.trust_score == 9.6
    assert pydantic.state == "finalized"
    [request] = server.requests
    assert request.path == "/api/v2/libs/search"
    assert request.params == {"libraryName": "pydantic", "query": "field validators"}


async def test_search_without_matches_is_an_empty_list(client, server):
    assert await client.search("no-such-library", "anything") == []
    server.fail_next(404, error="no_libraries_found", message="No libraries found.")
    assert await client.search("fastapi", "anything") == []


async def test_headers_carry_the_key_and_the_source(client, server):
    await client.search("fastapi", "lifespan")

    headers = server.requests[0].headers
    assert headers["authorization"] == f"Bearer {API_KEY}"
    assert headers["x-context7-source"] == "fastapi-ls"


async def test_anonymous_requests_send_no_authorization(server):
    async with make_client(server, api_key=None) as anonymous:
        await anonymous.search("fastapi", "lifespan")

    assert "authorization" not in server.requests[0].headers
    assert server.requests[0].headers["x-context7-source"] == "fastapi-ls"


async def test_the_key_falls_back_to_the_environment(server, monkeypatch):
    monkeypatch.setenv("CONTEXT7_API_KEY", "ctx7sk-from-env")
    async with make_client(server, api_key="") as context7:
        await context7.search("fastapi", "lifespan")

    assert server.requests[0].headers["authorization"] == "Bearer ctx7sk-from-env"


async def test_context_renders_snippets_as_markdown_with_sources(client, server):
    page = await client.context(FASTAPI, "websocket connection manager")

    assert page.library_id == FASTAPI
    assert page.version is None
    assert page.query == "websocket connection manager"
    assert page.version_note is None
    assert not page.empty
    assert page.fetched_at.tzinfo is not None
    assert page.fetched_at.utcoffset() == timedelta(0)
    assert "### Dependencies with yield" in page.markdown
    assert "```python\nasync def get_db():" in page.markdown
    assert "### Advanced User Guide > WebSockets" in page.markdown
    assert "websocket connection manager" in page.markdown
    # The WebSocket page is the source of a code snippet and of an info snippet: listed once.
    assert page.sources == (
        "https://fastapi.tiangolo.com/tutorial/dependencies/dependencies-with-yield/",
        "https://fastapi.tiangolo.com/advanced/websockets/",
    )
    [request] = server.requests
    assert request.params == {
        "libraryId": FASTAPI,
        "query": "websocket connection manager",
        "type": "json",
    }


@pytest.mark.parametrize(
    "library_id, version", [(FASTAPI, "0.115.0"), (f"{FASTAPI}@0.115.0", None)]
)
async def test_a_pinned_version_is_sent_as_a_path(client, server, library_id, version):
    page = await client.context(library_id, "lifespan", version)

    assert server.requests[0].params["libraryId"] == f"{FASTAPI}/0.115.0"
    assert page.library_id == FASTAPI
    assert page.version == "0.115.0"
    assert page.version_note is None
    assert "0.115.0" in page.markdown


async def test_a_version_not_indexed_falls_back_to_the_latest_docs_and_says_so(client, server):
    page = await client.context(FASTAPI, "lifespan", "0.99.0")

    assert [request.params["libraryId"] for request in server.requests] == [
        f"{FASTAPI}/0.99.0",
        FASTAPI,
    ]
    assert page.version is None
    assert "0.99.0" in page.version_note
    assert "latest" in page.markdown


async def test_a_redirect_is_followed_once_and_reported(client, server):
    server.redirects["/tiangolo/fastapi"] = "/fastapi/fastapi"

    page = await client.context("/tiangolo/fastapi", "dependencies", "0.1.0")

    assert page.library_id == "/fastapi/fastapi"
    # The new id knows no 0.1.0 either: the fallback is on the new id too.
    assert page.version is None
    assert page.version_note is not None
    assert server.requests[1].params["libraryId"] == "/fastapi/fastapi/0.1.0"
    assert server.requests[-1].params["libraryId"] == "/fastapi/fastapi"


async def test_a_second_redirect_is_not_followed(client, server):
    server.redirects["/a/one"] = "/b/two"
    server.redirects["/b/two"] = "/a/one"

    error = await failure(client.context("/a/one", "anything"))

    assert error.kind == "bad_response"
    assert len(server.requests) == 2


async def test_a_text_answer_is_accepted_as_markdown(client, server):
    server.answer_format = "txt"

    page = await client.context("/encode/starlette", "server-sent events")

    assert page.markdown.startswith("### Server-sent events")
    assert "server-sent events" in page.markdown
    assert page.sources == ("https://www.starlette.io/responses/#streamingresponse",)


async def test_an_empty_body_is_an_empty_page(client, server):
    server.misbehave_next("empty")

    page = await client.context(FASTAPI, "nothing like this")

    assert page.empty
    assert page.markdown == ""
    assert page.sources == ()


async def test_no_snippets_found_is_an_empty_page(client, server):
    server.fail_next(404, error="no_snippets_found", message="No snippets found.")

    page = await client.context(FASTAPI, "nothing like this")

    assert page.empty
    assert len(server.requests) == 1


ERROR_TABLE = [
    # status, server's code, kind, words of the message
    (202, "library_not_finalized", "not_finalized", "still indexing"),
    (400, "validation_error", "invalid_request", "rejected the request"),
    (400, "invalid_library_id", "invalid_request", "rejected the request"),
    (401, "invalid_api_key", "invalid_api_key", "API key was rejected"),
    (402, "spending_limit_exceeded", "spending_limit", "spending limit"),
    (403, "access_denied", "forbidden", "denied access"),
    (403, "forbidden", "forbidden", "denied access"),
    (404, "library_not_found", "not_found", "does not know"),
    (404, "no_libraries_found", "not_found", "found no library"),
    (429, "rate_limit_exceeded", "rate_limited", "rate limit"),
    (418, "teapot", "http_error", "unexpected HTTP status 418"),
]


@pytest.mark.parametrize("status, code, kind, words", ERROR_TABLE)
async def test_every_documented_error_has_a_clear_message(
    client, server, status, code, kind, words
):
    server.fail_next(status, error=code, message="Details from the server.")

    error = await failure(client.context(FASTAPI, "lifespan"))

    assert (error.kind, error.status, error.code) == (kind, status, code)
    assert words in error.message
    assert "Details from the server." in error.message
    assert len(server.requests) == 1, "only network trouble and 5xx are retried"


async def test_an_unversioned_tag_not_found_is_reported(client, server):
    server.fail_next(404, error="tag_not_found")

    error = await failure(client.context(FASTAPI, "lifespan"))

    assert error.kind == "not_found"
    assert "has not indexed /websites/fastapi_tiangolo" in error.message


async def test_a_library_being_indexed_answers_202(client):
    error = await failure(client.context("/fastapi/full-stack-fastapi-template", "deploy"))

    assert error.kind == "not_finalized"
    assert "try again later" in error.message


async def test_a_rejected_request_without_key_asks_for_one(server):
    server.fail_next(401)
    async with make_client(server, api_key=None) as anonymous:
        error = await failure(anonymous.search("fastapi", "lifespan"))

    assert error.kind == "invalid_api_key"
    assert "none is set" in error.message


async def test_rate_limit_honours_retry_after_and_names_the_reset(client, server):
    reset = int(time.time()) + 3600
    server.fail_next(429, headers={"Retry-After": "7", "RateLimit-Reset": str(reset)})

    error = await failure(client.search("fastapi", "lifespan"))

    assert error.kind == "rate_limited"
    assert error.retry_after == 7.0
    assert "try again in 7 s" in error.message
    assert "the quota resets at" in error.message
    assert "Monthly quota exceeded" in error.message


@pytest.mark.parametrize("status", [500, 503, 504])
async def test_a_server_error_is_tried_twice_then_reported(client, server, status):
    server.fail_next(status, times=None)

    error = await failure(client.context(FASTAPI, "lifespan"))

    assert error.kind == "unavailable"
    assert error.status == status
    assert len(server.requests) == 2


async def test_one_server_error_is_retried_and_then_succeeds(client, server):
    server.fail_next(503, times=1)

    page = await client.context(FASTAPI, "lifespan")

    assert "### Dependencies with yield" in page.markdown
    assert len(server.requests) == 2


async def test_a_dropped_connection_is_retried_once(client, server):
    server.misbehave_next("drop", times=1)

    libraries = await client.search("fastapi", "lifespan")

    assert libraries
    assert len(server.requests) == 2


async def test_a_connection_dropped_twice_is_a_network_error(client, server):
    server.misbehave_next("drop", times=None)

    error = await failure(client.search("fastapi", "lifespan"))

    assert error.kind == "network"
    assert "Context7 could not be reached" in error.message
    assert error.status is None
    assert len(server.requests) == 2


async def test_a_refused_connection_is_a_network_error():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with Context7Client(f"http://127.0.0.1:{port}/api", None, 0.5, retry_backoff=0) as dead:
        error = await failure(dead.search("fastapi", "lifespan"))

    assert error.kind == "network"
    assert "Context7 could not be reached" in error.message


async def test_a_hanging_server_times_out_after_one_retry(client, server):
    server.misbehave_next("hang", times=None)
    started = time.monotonic()

    error = await failure(client.context(FASTAPI, "lifespan"))

    elapsed = time.monotonic() - started
    assert error.kind == "timeout"
    assert "Context7 could not be reached" in error.message
    assert "0.5 s" in error.message
    assert len(server.requests) == 2
    assert 0.9 < elapsed < 1.9, "the client gave up before the 2 s hang ended"


@pytest.mark.parametrize("behaviour", ["huge", "huge_declared"])
async def test_a_huge_answer_is_cut(client, server, behaviour):
    server.misbehave_next(behaviour)
    started = time.monotonic()

    error = await failure(client.context(FASTAPI, "lifespan"))

    assert error.kind == "too_large"
    assert "200000 bytes" in error.message
    assert time.monotonic() - started < 2.0
    assert len(server.requests) == 1


@pytest.mark.parametrize("endpoint", ["search", "context"])
async def test_garbage_is_a_bad_response(client, server, endpoint):
    server.misbehave_next("garbage")
    call = client.search("fastapi", "x") if endpoint == "search" else client.context(FASTAPI, "x")

    error = await failure(call)

    assert error.kind == "bad_response"
    assert "not valid JSON" in error.message


async def test_an_invalid_library_id_is_rejected_before_sending(client, server):
    for library_id in ("fastapi", "/fastapi", "/a/b/c/d"):
        error = await failure(client.context(library_id, "lifespan"))
        assert error.kind == "invalid_request"
        assert error.code == "invalid_library_id"
    error = await failure(client.context(FASTAPI, "lifespan", "1.0/../x"))
    assert error.kind == "invalid_request"
    assert server.requests == []


async def test_long_parameters_are_cut_to_500_characters(client, server):
    page = await client.context(FASTAPI, "q" * 600)

    assert server.requests[0].params["query"] == "q" * 500
    assert page.query == "q" * 500


async def test_an_empty_query_is_rejected_before_sending(client, server):
    error = await failure(client.search("fastapi", "   "))

    assert error.kind == "invalid_request"
    assert server.requests == []


def test_a_base_url_must_be_http():
    with pytest.raises(ValueError, match="http"):
        Context7Client("ftp://example.org/api", None, 1.0)


async def test_the_key_never_reaches_a_message_or_a_log(server, caplog):
    caplog.set_level(logging.DEBUG)
    messages = []
    async with make_client(server) as context7:
        # A server that echoes the key back must not get it shown either.
        server.fail_next(401, message=f"The key {API_KEY} is not valid.")
        for status in (202, 400, 402, 403, 404, 429, 418):
            server.fail_next(status, headers={"Retry-After": "1"})
        server.fail_next(503, times=2)
        for _ in range(9):
            messages.append((await failure(context7.context(FASTAPI, "lifespan"))).message)
        for behaviour in ("drop", "drop", "hang", "hang", "garbage", "huge"):
            server.misbehave_next(behaviour)
        for _ in range(4):
            messages.append((await failure(context7.search("fastapi", "lifespan"))).message)

    assert any(request.headers.get("authorization") for request in server.requests)
    assert len(messages) == 13
    assert "[API key]" in messages[0]
    for message in messages:
        assert API_KEY not in message
    for record in caplog.records:
        assert API_KEY not in record.getMessage()
    assert API_KEY not in caplog.text


async def test_fetched_at_is_utc(client):
    page = await client.context("/sqlalchemy/sqlalchemy", "async engine", "rel_2_0")

    assert page.fetched_at.tzinfo == timezone.utc
    assert page.version == "rel_2_0"
