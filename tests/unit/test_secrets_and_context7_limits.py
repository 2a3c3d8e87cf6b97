"""Secrets stay with the user (child processes, foreign hosts, documents) and Context7's limits
are respected: a hanging service still yields the cached copy, a 429 is waited out."""

from __future__ import annotations

import json
import os
import stat
import sys
import threading
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from context7_server import FakeContext7, running_context7

from fastapi_ls import environment, settings
from fastapi_ls.context7 import KEY_HOSTS_ENVIRONMENT_VARIABLE, Context7Client, DocPage
from fastapi_ls.doc_cache import DocCache
from fastapi_ls.docs_service import DocsService

KEY = "ctx7sk-never-leaves-0123456789"
FASTAPI = "/websites/fastapi_tiangolo"


def test_child_processes_get_no_secret_like_variables():
    given = {
        "PATH": "/usr/bin",
        "HOME": "/home/u",
        "CONTEXT7_API_KEY": KEY,
        "GITHUB_TOKEN": "t",
        "AWS_SECRET_ACCESS_KEY": "s",
        "PGPASSWORD": "p",
        "SSH_AUTH_SOCK": "/tmp/agent",
        "PYTHONPATH": "/bundled/libs",
    }
    assert environment.child_environment(given) == {"PATH": "/usr/bin", "HOME": "/home/u"}


def test_a_relative_interpreter_is_resolved_against_the_workspace(tmp_path, caplog):
    caplog.set_level("INFO")
    found, source = environment.find_interpreter(".venv/bin/python", [tmp_path])
    assert (found, source) == (str(tmp_path / ".venv/bin/python"), "setting")
    assert "resolved against the workspace folder" in caplog.text
    assert environment.find_interpreter("/usr/bin/python3", [tmp_path])[0] == "/usr/bin/python3"


def test_a_planted_interpreter_runs_without_the_api_key(tmp_path, monkeypatch):
    """A cloned repository's .venv/bin/python is probed, but sees no secret."""
    seen = tmp_path / "seen-environment.json"
    planted = tmp_path / ".venv" / "bin" / "python"
    planted.parent.mkdir(parents=True)
    planted.write_text(
        f"#!/bin/sh\n{sys.executable} -c 'import json, os, sys; "
        f'json.dump(dict(os.environ), open(sys.argv[1], "w"))\' {seen}\n'
        f'exec {sys.executable} "$@"\n'
    )
    planted.chmod(planted.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("CONTEXT7_API_KEY", KEY)
    monkeypatch.setenv("SOME_SERVICE_TOKEN", "also-secret")
    interpreter, source = environment.find_interpreter(None, [tmp_path])
    assert (interpreter, source) == (str(planted), "workspace")
    info = environment.inspect(interpreter, source)
    assert info.error is None and seen.exists()
    variables = json.loads(seen.read_text())
    assert "CONTEXT7_API_KEY" not in variables and "SOME_SERVICE_TOKEN" not in variables
    assert KEY not in seen.read_text()


class _Recorder(BaseHTTPRequestHandler):
    """Answers every request with a context page that echoes the Authorization header."""

    seen: list[str | None] = []

    def do_GET(self) -> None:
        authorization = self.headers.get("Authorization")
        type(self).seen.append(authorization)
        snippet = {"content": f"Echo: {authorization}", "breadcrumb": "Echo", "pageId": ""}
        body = json.dumps({"codeSnippets": [], "infoSnippets": [snippet]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def recorder():
    # 127.0.0.2 is loopback on Linux but not a host the key may go to by default.
    try:
        server = ThreadingHTTPServer(("127.0.0.2", 0), _Recorder)
    except OSError:
        pytest.skip("127.0.0.2 cannot be bound here")
    _Recorder.seen = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.2:{server.server_address[1]}/api"
    server.shutdown()
    server.server_close()


async def test_the_key_goes_only_to_hosts_the_user_chose(recorder, monkeypatch):
    monkeypatch.delenv(KEY_HOSTS_ENVIRONMENT_VARIABLE, raising=False)
    async with Context7Client(recorder, KEY, 2.0) as client:
        await client.context("/fastapi/fastapi", "lifespan")
    monkeypatch.setenv(KEY_HOSTS_ENVIRONMENT_VARIABLE, "example.org, 127.0.0.2")
    async with Context7Client(recorder, KEY, 2.0) as client:
        page = await client.context("/fastapi/fastapi", "lifespan")
    assert _Recorder.seen == [None, f"Bearer {KEY}"]
    # The service echoed the key into its docs: it is scrubbed before anything is written.
    assert "Echo: Bearer" in page.markdown and KEY not in page.markdown


@pytest.fixture
def context7():
    # One per test: a request left hanging by one test must not reach the next.
    with running_context7(hang_seconds=3.0) as server:
        yield server


def stale_cache(tmp_path: Path) -> DocCache:
    cache = DocCache(tmp_path / "cache", timedelta(seconds=1))
    page = DocPage(
        library_id=FASTAPI,
        version=None,
        query="lifespan",
        fetched_at=datetime.now(timezone.utc) - timedelta(days=30),
        markdown="Stale but useful.",
        sources=(),
    )
    cache.put(page)
    return cache


async def test_a_hanging_context7_yields_the_stale_copy_within_the_deadline(
    context7: FakeContext7, tmp_path
):
    context7.reset()
    context7.misbehave_next("hang", times=None)
    service = DocsService(
        lambda: Context7Client(context7.base_url, None, 5.0, retry_backoff=0.01),
        stale_cache(tmp_path),
        offline=False,
        deadline=0.3,
    )
    result = await service.lookup(FASTAPI, "lifespan")
    assert result.page is not None and result.page.markdown == "Stale but useful."
    assert result.stale_age is not None and "0.3 s" in (result.problem or "")
    context7.reset()


async def test_retry_after_is_waited_out(context7: FakeContext7, tmp_path):
    context7.reset()
    context7.fail_next(429, headers={"Retry-After": "30"}, times=None)
    service = DocsService(
        lambda: Context7Client(context7.base_url, None, 2.0, retry_backoff=0.01),
        stale_cache(tmp_path),
        offline=False,
    )
    first = await service.lookup(FASTAPI, "lifespan")
    second = await service.lookup(FASTAPI, "lifespan")
    third = await service.lookup(FASTAPI, "other query")
    assert len(context7.requests) == 1
    assert first.page is not None and second.page is not None and third.page is None
    assert "asked again in 30 s" in (second.problem or "")
    context7.reset()


@pytest.mark.parametrize("value", [8.7e13, float("inf"), float("nan"), 0, -5])
def test_cache_ttl_is_bounded(value):
    parsed, problems = settings.parse({"context7": {"cacheTtl": value}})
    assert parsed.context7.cache_ttl == settings.Context7Settings().cache_ttl
    assert problems and "cacheTtl" in problems[0]
    DocCache(Path(os.devnull), timedelta(seconds=parsed.context7.cache_ttl))
