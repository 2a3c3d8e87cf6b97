"""A local HTTP server that speaks the Context7 REST API (v2), for tests.

It serves ``/api/v2/libs/search`` and ``/api/v2/context`` (``type=json`` and ``type=txt``)
from a small catalogue, answering with snippets that echo the query and the version, and it
records every request it receives.  Tests script its failures::

    with running_context7() as server:
        server.fail_next(429, headers={"Retry-After": "7"})
        server.misbehave_next("drop", endpoint="context", times=None)   # from now on
        server.redirects["/old/name"] = "/new/name"
        ...  # point a client at server.base_url

Error answers carry the documented body ``{"error": code, "message": text}``.  A library in
the catalogue that is not ``finalized`` answers 202, an unknown library 404
``library_not_found``, a version it does not list 404 ``tag_not_found``.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

LIBRARY_ID = re.compile(r"^/[^/]+/[^/]+([/@][^/]+)?$")
MAX_PARAMETER_LENGTH = 500

#: The documented error code and message sent for each status unless a test gives its own.
DEFAULT_ERRORS: dict[int, tuple[str, str]] = {
    202: ("library_not_finalized", "Library is still being processed. Try again later."),
    301: ("library_redirected", "This library has moved."),
    400: ("validation_error", "Invalid request parameters."),
    401: ("invalid_api_key", "Invalid API key. Keys start with ctx7sk."),
    402: ("spending_limit_exceeded", "Spending limit exceeded."),
    403: ("access_denied", "You do not have access to this library."),
    404: ("library_not_found", "Library not found."),
    429: ("rate_limit_exceeded", "Monthly quota exceeded. Create a free API key for more."),
    500: ("internal_error", "Internal server error."),
    503: ("search_failed", "Search is temporarily unavailable."),
    504: ("internal_error", "Upstream timed out."),
}

BEHAVIOURS = ("hang", "drop", "garbage", "empty", "huge", "huge_declared")


@dataclass(frozen=True)
class Topic:
    title: str
    description: str
    language: str
    code: str
    url: str


@dataclass(frozen=True)
class CatalogueEntry:
    id: str
    title: str
    description: str
    trust_score: float
    state: str
    versions: tuple[str, ...]
    topics: tuple[Topic, ...]
    guide: tuple[str, str, str]  # breadcrumb, content, page URL

    def search_result(self) -> dict[str, Any]:
        snippets = 40 * len(self.topics)
        return {
            "id": self.id,
            "title": self.title,
            "description": self.description,
            "branch": "main",
            "lastUpdateDate": "2026-04-30T08:15:00.000Z",
            "state": self.state,
            "totalTokens": 1200 * snippets,
            "totalSnippets": snippets,
            "stars": int(self.trust_score * 9000),
            "trustScore": self.trust_score,
            "benchmarkScore": 80.5,
            "versions": list(self.versions),
        }


_FASTAPI_TOPICS = (
    Topic(
        "Dependencies with yield",
        "Run teardown code after the response with a dependency that yields.",
        "python",
        "async def get_db():\n    db = SessionLocal()\n    try:\n        yield db\n"
        "    finally:\n        db.close()",
        "https://fastapi.tiangolo.com/tutorial/dependencies/dependencies-with-yield/",
    ),
    Topic(
        "WebSocket endpoint",
        "Accept a WebSocket connection and echo messages until the client disconnects.",
        "python",
        '@app.websocket("/ws")\nasync def websocket_endpoint(websocket: WebSocket):\n'
        "    await websocket.accept()\n    while True:\n"
        "        data = await websocket.receive_text()\n"
        '        await websocket.send_text(f"Message text was: {data}")',
        "https://fastapi.tiangolo.com/advanced/websockets/",
    ),
)

CATALOGUE: tuple[CatalogueEntry, ...] = (
    CatalogueEntry(
        "/websites/fastapi_tiangolo",
        "FastAPI",
        "FastAPI framework, high performance, easy to learn, fast to code, ready for production.",
        7.5,
        "finalized",
        ("0.115.0", "0.165.0"),
        _FASTAPI_TOPICS,
        (
            "Advanced User Guide > WebSockets",
            "WebSockets are handled with `@app.websocket()`; dependencies work as for routes.",
            "https://fastapi.tiangolo.com/advanced/websockets/",
        ),
    ),
    CatalogueEntry(
        "/fastapi/fastapi",
        "FastAPI",
        "FastAPI framework source repository and documentation.",
        9.9,
        "finalized",
        (),
        _FASTAPI_TOPICS,
        (
            "Tutorial > Dependencies",
            "FastAPI has a very powerful but intuitive Dependency Injection system.",
            "https://github.com/fastapi/fastapi/blob/master/docs/en/docs/tutorial/dependencies/index.md",
        ),
    ),
    CatalogueEntry(
        "/fastapi/full-stack-fastapi-template",
        "Full Stack FastAPI Template",
        "Full stack, modern web application template using FastAPI and React.",
        10.0,
        "processing",
        (),
        (),
        ("", "", ""),
    ),
    CatalogueEntry(
        "/pydantic/pydantic",
        "Pydantic",
        "Data validation using Python type hints.",
        9.6,
        "finalized",
        ("v2.11.7", "v1.10.21"),
        (
            Topic(
                "Field validators",
                "Validate one field with a class method decorated by `@field_validator`.",
                "python",
                "class User(BaseModel):\n    name: str\n\n"
                "    @field_validator('name')\n    @classmethod\n"
                "    def not_empty(cls, value: str) -> str:\n"
                "        if not value:\n            raise ValueError('empty')\n"
                "        return value",
                "https://docs.pydantic.dev/latest/concepts/validators/",
            ),
        ),
        (
            "Concepts > Models",
            "`model_config = ConfigDict(from_attributes=True)` replaces `orm_mode` of v1.",
            "https://docs.pydantic.dev/latest/concepts/models/",
        ),
    ),
    CatalogueEntry(
        "/sqlalchemy/sqlalchemy",
        "SQLAlchemy",
        "The Database Toolkit for Python.",
        8.9,
        "finalized",
        ("rel_2_0",),
        (
            Topic(
                "Async engine",
                "Create an AsyncEngine and run a query with an AsyncSession.",
                "python",
                'engine = create_async_engine("postgresql+asyncpg://app@localhost/app")\n'
                "async with AsyncSession(engine) as session:\n"
                "    result = await session.execute(select(User))",
                "https://docs.sqlalchemy.org/en/20/orm/extensions/asyncio.html",
            ),
        ),
        (
            "ORM > Asyncio",
            "Use `expire_on_commit=False` so attributes stay loaded after commit.",
            "https://docs.sqlalchemy.org/en/20/orm/extensions/asyncio.html",
        ),
    ),
    CatalogueEntry(
        "/encode/starlette",
        "Starlette",
        "The little ASGI framework that shines.",
        8.2,
        "finalized",
        (),
        (
            Topic(
                "Server-sent events",
                "Stream events to the browser with a StreamingResponse.",
                "python",
                "async def events():\n    for number in range(3):\n"
                '        yield f"data: {number}\\n\\n"\n\n'
                'response = StreamingResponse(events(), media_type="text/event-stream")',
                "https://www.starlette.io/responses/#streamingresponse",
            ),
        ),
        (
            "Responses",
            "Starlette includes a few response classes that handle sending back responses.",
            "https://www.starlette.io/responses/",
        ),
    ),
)


@dataclass(frozen=True)
class RecordedRequest:
    #: ``search``, ``context`` or ``other``.
    endpoint: str
    path: str
    params: dict[str, str]
    #: Header names in lower case.
    headers: dict[str, str]


@dataclass
class _Script:
    endpoint: str | None
    remaining: int | None
    behaviour: str
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] = field(default_factory=dict)


class FakeContext7:
    """The fake API on ``127.0.0.1`` at a free port; ``start()`` it, then use ``base_url``."""

    def __init__(self, *, hang_seconds: float = 3.0, huge_bytes: int = 4_000_000) -> None:
        #: How long a hanging answer waits (or until ``reset``/``stop``).
        self.hang_seconds = hang_seconds
        self.huge_bytes = huge_bytes
        #: Library moves: a context request for a key answers 301 with the value.
        self.redirects: dict[str, str] = {}
        #: ``json`` or ``txt``: the format of context answers whatever the request asks for.
        self.answer_format: str | None = None
        self.requests: list[RecordedRequest] = []
        self._scripts: list[_Script] = []
        self._lock = threading.Lock()
        self._release = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        assert self._httpd is not None, "the server is not started"
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/api"

    def start(self) -> FakeContext7:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                fake._handle(self)

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: pytest shows a failing test's own output, not the server's."""

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._release.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def reset(self) -> None:
        """Forget scripts, redirects, the answer format and recorded requests; release hangs."""
        with self._lock:
            self._scripts.clear()
            self.requests.clear()
            self.redirects.clear()
            self.answer_format = None
            self._release.set()
            self._release = threading.Event()

    def fail_next(
        self,
        status: int,
        *,
        error: str | None = None,
        message: str | None = None,
        headers: dict[str, str] | None = None,
        endpoint: str | None = None,
        times: int | None = 1,
    ) -> None:
        """Answer ``status`` with the documented error body to the next ``times`` requests.

        ``endpoint`` (``search`` or ``context``) limits it to one endpoint; ``times=None``
        keeps failing until ``reset``.
        """
        default_error, default_message = DEFAULT_ERRORS.get(status, ("error", "Error."))
        body = {"error": error or default_error, "message": message or default_message}
        self._add(_Script(endpoint, times, "error", status, dict(headers or {}), body))

    def misbehave_next(
        self, behaviour: str, *, endpoint: str | None = None, times: int | None = 1
    ) -> None:
        """Misbehave on the next ``times`` requests (``None``: until ``reset``).

        ``hang``: say nothing for ``hang_seconds``, then close.  ``drop``: close the
        connection without answering.  ``garbage``: 200 with a JSON content type and a body
        that is not JSON.  ``empty``: 200 with an empty body.  ``huge``: 200 streaming
        ``huge_bytes`` without a length; ``huge_declared``: the same with ``Content-Length``.
        """
        if behaviour not in BEHAVIOURS:
            raise ValueError(f"unknown behaviour {behaviour!r}; expected one of {BEHAVIOURS}")
        self._add(_Script(endpoint, times, behaviour))

    def requests_to(self, endpoint: str) -> list[RecordedRequest]:
        with self._lock:
            return [request for request in self.requests if request.endpoint == endpoint]

    def _add(self, script: _Script) -> None:
        with self._lock:
            self._scripts.append(script)

    def _take_script(self, endpoint: str) -> _Script | None:
        with self._lock:
            for script in self._scripts:
                if script.endpoint not in (None, endpoint):
                    continue
                if script.remaining is not None:
                    script.remaining -= 1
                    if script.remaining == 0:
                        self._scripts.remove(script)
                return script
        return None

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        url = urlsplit(handler.path)
        params = {key: values[0] for key, values in parse_qs(url.query).items()}
        endpoint = {"/api/v2/libs/search": "search", "/api/v2/context": "context"}.get(
            url.path, "other"
        )
        headers = {name.lower(): value for name, value in handler.headers.items()}
        with self._lock:
            self.requests.append(RecordedRequest(endpoint, url.path, params, headers))
            release = self._release
        script = self._take_script(endpoint)
        if script is not None:
            self._misbehave(handler, script, release)
        elif endpoint == "search":
            _send_json(handler, *self._search(params))
        elif endpoint == "context":
            self._context(handler, params)
        else:
            _send_error(handler, 404, "not_found", f"No route for {url.path}.")

    def _misbehave(
        self, handler: BaseHTTPRequestHandler, script: _Script, release: threading.Event
    ) -> None:
        if script.behaviour == "error":
            _send_json(handler, script.status, script.body, script.headers)
        elif script.behaviour == "hang":
            release.wait(self.hang_seconds)
            handler.close_connection = True
        elif script.behaviour == "drop":
            handler.close_connection = True
        elif script.behaviour == "garbage":
            _send(handler, 200, "application/json", b"<html>502 Bad Gateway</html>\x00\xff")
        elif script.behaviour == "empty":
            _send(handler, 200, "application/json", b"")
        else:
            self._send_huge(handler, declare_length=script.behaviour == "huge_declared")

    def _send_huge(self, handler: BaseHTTPRequestHandler, *, declare_length: bool) -> None:
        handler.close_connection = True
        chunk = b'{"codeSnippets": [' + b" " * 65_000
        try:
            handler.send_response(200)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Connection", "close")
            if declare_length:
                handler.send_header("Content-Length", str(self.huge_bytes))
            handler.end_headers()
            for _ in range(self.huge_bytes // len(chunk)):
                handler.wfile.write(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client stopped reading, as it should

    def _search(self, params: dict[str, str]) -> tuple[int, dict[str, Any]]:
        problem = _parameter_problem(params, ("libraryName", "query"))
        if problem:
            return 400, {"error": "validation_error", "message": problem}
        name = params["libraryName"].lower()
        results = [
            entry.search_result()
            for entry in CATALOGUE
            if name in entry.title.lower() or name in entry.id.lower()
        ]
        return 200, {"results": results, "searchFilterApplied": False}

    def _context(self, handler: BaseHTTPRequestHandler, params: dict[str, str]) -> None:
        problem = _parameter_problem(params, ("libraryId", "query"))
        if problem:
            _send_error(handler, 400, "validation_error", problem)
            return
        library_id = params["libraryId"]
        if not LIBRARY_ID.fullmatch(library_id):
            _send_error(handler, 400, "invalid_library_id", f"Invalid library id {library_id}.")
            return
        owner, repo, *pinned = library_id[1:].split("/")
        if not pinned and "@" in repo:
            repo, _, version = repo.partition("@")
            pinned = [version]
        base_id = f"/{owner}/{repo}"
        version = pinned[0] if pinned else None
        if base_id in self.redirects:
            body = {
                "error": "library_redirected",
                "message": f"{base_id} has moved to {self.redirects[base_id]}.",
                "redirectUrl": self.redirects[base_id],
            }
            _send_json(handler, 301, body)
            return
        entry = next((entry for entry in CATALOGUE if entry.id == base_id), None)
        if entry is None:
            _send_error(handler, 404, "library_not_found", f"Library {base_id} not found.")
        elif entry.state != "finalized":
            _send_error(handler, 202, *DEFAULT_ERRORS[202])
        elif version is not None and version not in entry.versions:
            _send_error(handler, 404, "tag_not_found", f"Version {version} of {base_id} not found.")
        elif (self.answer_format or params.get("type", "txt")) == "json":
            _send_json(handler, 200, _json_answer(entry, version, params["query"]))
        else:
            text = _txt_answer(entry, version, params["query"])
            _send(handler, 200, "text/plain; charset=utf-8", text.encode())


def _parameter_problem(params: dict[str, str], names: tuple[str, ...]) -> str | None:
    for name in names:
        value = params.get(name, "")
        if not 1 <= len(value) <= MAX_PARAMETER_LENGTH:
            return f"{name} must be 1 to {MAX_PARAMETER_LENGTH} characters."
    return None


def _json_answer(entry: CatalogueEntry, version: str | None, query: str) -> dict[str, Any]:
    release = version or "latest"
    breadcrumb, content, page_url = entry.guide
    return {
        "codeSnippets": [
            {
                "codeTitle": topic.title,
                "codeDescription": f"{topic.description} (for “{query}”, {release})",
                "codeLanguage": topic.language,
                "codeTokens": len(topic.code) // 4,
                "codeId": topic.url,
                "pageTitle": entry.title,
                "codeList": [{"language": topic.language, "code": topic.code}],
            }
            for topic in entry.topics
        ],
        "infoSnippets": [
            {
                "pageId": page_url,
                "breadcrumb": breadcrumb,
                "content": f"{content} (for “{query}”, {release})",
                "contentTokens": len(content) // 4,
            }
        ],
    }


def _txt_answer(entry: CatalogueEntry, version: str | None, query: str) -> str:
    release = version or "latest"
    snippets = [
        f"### {topic.title}\n\nSource: {topic.url}\n\n"
        f"{topic.description} (for “{query}”, {release})\n\n"
        f"```{topic.language}\n{topic.code}\n```"
        for topic in entry.topics
    ]
    return ("\n\n" + "-" * 32 + "\n\n").join(snippets)


def _send_error(handler: BaseHTTPRequestHandler, status: int, code: str, message: str) -> None:
    _send_json(handler, status, {"error": code, "message": message})


def _send_json(
    handler: BaseHTTPRequestHandler,
    status: int,
    body: dict[str, Any],
    headers: dict[str, str] | None = None,
) -> None:
    _send(handler, status, "application/json", json.dumps(body).encode(), headers)


def _send(
    handler: BaseHTTPRequestHandler,
    status: int,
    content_type: str,
    body: bytes,
    headers: dict[str, str] | None = None,
) -> None:
    try:
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(body)
    except (BrokenPipeError, ConnectionResetError):
        handler.close_connection = True


@contextmanager
def running_context7(**options: Any) -> Iterator[FakeContext7]:
    """A started `FakeContext7` (``options`` go to its constructor), stopped on exit."""
    server = FakeContext7(**options).start()
    try:
        yield server
    finally:
        server.stop()


def main() -> None:
    """Serve the fake API until interrupted, for editors driven by other test programs.

    Prints the base URL on the first line of stdout, then one line per request received:
    its endpoint, its parameters and its ``Authorization`` header (``-`` when absent).
    """
    import time

    with running_context7() as server:
        print(server.base_url, flush=True)
        seen = 0
        while True:
            time.sleep(0.2)
            fresh = server.requests[seen:]
            seen += len(fresh)
            for request in fresh:
                authorization = request.headers.get("authorization", "-")
                print(f"{request.endpoint} {request.params} {authorization}", flush=True)


if __name__ == "__main__":
    main()
