"""End-to-end Tier 2 escalation: code actions, the lookup command, and its document.

The server talks to a real HTTP server on 127.0.0.1 that speaks Context7's v2 API
(``context7_server.py``), told per test how to fail.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

import pytest
import pytest_lsp
from context7_server import running_context7
from helpers import cursor, fix_code_action_structuring, open_document, start_session
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

API_KEY = "ctx7sk-0123456789-very-secret"
LOG_DIR = Path(tempfile.mkdtemp(prefix="fastapi-ls-escalation-"))
COMMAND = "fastapiLs.context7.lookup"

WEBSOCKET_MANAGER = """\
from fastapi import FastAPI, WebSocket, WebSocketDisconnect

app = FastAPI()


class ConnectionManager:
    def __init__(self) -> None:
        self.active_connections: list[WebSocket] = []

    async def broadcast(self, message: str) -> None:
        for connection in self.active_connections:
            await connection.send_text(message)


manager = Conn|ectionManager()
"""

PLAIN_TIER1 = """\
from typing import Annotated

from fastapi import BackgroundTasks, FastAPI, HTTPException, Query, WebSocket, WebSocketDisconnect
from fastapi.middleware.cors import CORSMiddleware

app = FastAPI()
app.add_middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["*"])


@app.get("/items/{item_id}")
async def read_item(item_id: int, q: Annotated[str | None, Query()] = None):
    if item_id < 0:
        raise HTTPException(status_code=404, detail="Item not found")
    return {"item_id": item_id, "q": q}


def write_log(message: str) -> None:
    print(message)


@app.post("/notify")
async def notify(background_tasks: BackgroundTasks):
    background_tasks.add_task(write_log, "sent")
    return {"ok": True}


@app.websocket("/ws")
async def echo(websocket: WebSocket):
    await websocket.accept()
    try:
        while True:
            data = await websocket.receive_text()
            await websocket.send_text(f"Echo: {data}")
    except WebSocketDisconnect:
        pass
"""

#: One construct per Tier 2 category of the seed: (source line, expected title fragment).
CATEGORY_LINES = [
    ("from strawberry.fastapi import GraphQLRouter", "GraphQL"),
    ("FastAPIInstrumentor.instrument_app(app)", "OpenTelemetry"),
    ("app.openapi = custom_openapi", "Custom OpenAPI"),
    ("    return EventSourceResponse(event_generator())", "Server-Sent Events"),
    ("engine = create_async_engine(DATABASE_URL)", "SQLAlchemy async"),
    ("pool = await asyncpg.create_pool(dsn)", "asyncpg"),
    ("    op.add_column('items', sa.Column('price', sa.Float()))", "Alembic"),
    ("celery_app = Celery('tasks', broker='redis://localhost')", "Celery"),
    ("cache = redis.asyncio.from_url('redis://localhost')", "Redis"),
    ("es = AsyncElasticsearch('http://localhost:9200')", "Elasticsearch"),
    ("    async with AsyncClient(transport=ASGITransport(app=app)) as client:", "Async tests"),
    ("    @validator('name')", "Pydantic v1 validators"),
    ("        orm_mode = True", "Pydantic v1 Config"),
    ("app = FastAPI(root_path='/api/v1')", "behind a proxy"),
]

PREAMBLE = (
    "import asyncpg\nimport redis.asyncio\nfrom alembic import op\nfrom celery import Celery\n"
    "from elasticsearch import AsyncElasticsearch\nfrom fastapi import FastAPI\n"
    "from httpx import ASGITransport, AsyncClient\nfrom pydantic import BaseModel, validator\n"
    "from sqlalchemy.ext.asyncio import create_async_engine\n"
    "from sse_starlette.sse import EventSourceResponse\n\n"
)


@pytest.fixture(scope="module")
def context7():
    with running_context7(hang_seconds=6.0) as fake:
        yield fake


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("escalation")
    (root / "pyproject.toml").write_text('[project]\nname = "x"\ndependencies = ["fastapi"]\n')
    return root


def server_config(name: str) -> ClientServerConfig:
    log_file = LOG_DIR / f"{name}.log"
    return ClientServerConfig(
        server_command=[sys.executable, "-m", "fastapi_ls", "-vv", "--log-file", str(log_file)]
    )


def options(context7, workspace: Path, **overrides) -> dict:
    settings = {
        "baseUrl": context7.base_url,
        "apiKey": API_KEY,
        "timeout": 4,
        "cacheDir": str(workspace / ".cache"),
    }
    settings.update(overrides)
    return {"context7": settings}


@pytest_lsp.fixture(scope="module", config=server_config("vscode"))
async def client(lsp_client: LanguageClient, context7, workspace: Path):
    fix_code_action_structuring(lsp_client)
    await start_session(lsp_client, "vscode", workspace, options(context7, workspace))
    yield
    await lsp_client.shutdown_session()


async def configure(client: LanguageClient, settings: dict) -> None:
    """Change the settings as an editor does: notify, and answer the server's pull."""
    client.set_configuration(settings, section="fastapiLs")
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
    await asyncio.sleep(0.2)


async def actions_at(
    client: LanguageClient,
    path: Path,
    marked: str,
    *,
    diagnostics: list[types.Diagnostic] | None = None,
    selection_end: types.Position | None = None,
) -> list[types.CodeAction]:
    text, line, column = cursor(marked)
    uri = open_document(client, path, text)
    start = types.Position(line=line, character=column)
    result = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=types.Range(start=start, end=selection_end or start),
            context=types.CodeActionContext(diagnostics=diagnostics or []),
        )
    )
    return list(result or [])


async def run(client: LanguageClient, action: types.CodeAction) -> dict | None:
    return await client.workspace_execute_command_async(
        types.ExecuteCommandParams(
            command=action.command.command, arguments=action.command.arguments
        )
    )


async def test_connection_manager_offers_the_context7_action(client, workspace):
    actions = await actions_at(client, workspace / "ws_manager.py", WEBSOCKET_MANAGER)
    titles = [action.title for action in actions]
    assert "Context7: WebSocket connection manager and broadcast (FastAPI docs)" in titles
    assert all(isinstance(action, types.CodeAction) for action in actions)


@pytest.mark.parametrize(("line", "title"), CATEGORY_LINES)
async def test_each_category_offers_its_action(client, workspace, line, title):
    marked = PREAMBLE + line[: len(line) // 2] + "|" + line[len(line) // 2 :] + "\n"
    actions = await actions_at(client, workspace / "category.py", marked)
    assert any(title.lower() in action.title.lower() for action in actions), [
        a.title for a in actions
    ]


async def test_plain_tier1_code_offers_nothing(client, workspace):
    lines = PLAIN_TIER1.split("\n")
    for number, line in enumerate(lines):
        for column in {0, len(line) // 2, len(line)}:
            marked = "\n".join(
                [*lines[:number], line[:column] + "|" + line[column:], *lines[number + 1 :]]
            )
            actions = await actions_at(client, workspace / "plain.py", marked)
            assert actions == [], (line, [a.title for a in actions])


async def test_diagnostics_and_selection_become_lookups(client, workspace):
    text, line, _ = cursor(PLAIN_TIER1.replace("raise HTTPException", "|raise HTTPException"))
    diagnostic = types.Diagnostic(
        range=types.Range(
            start=types.Position(line=line, character=0), end=types.Position(line=line, character=5)
        ),
        message='"HTTPException" is not a known attribute of module',
        source="pyright",
    )
    actions = await actions_at(
        client,
        workspace / "diagnostic.py",
        PLAIN_TIER1.replace("raise HTTPException", "|raise HTTPException"),
        diagnostics=[diagnostic],
        selection_end=types.Position(line=line, character=len(text.split("\n")[line])),
    )
    by_title = {action.title: action for action in actions}
    error = by_title["Context7: look up this error (FastAPI docs)"]
    assert error.kind == types.CodeActionKind.QuickFix
    assert error.diagnostics and error.diagnostics[0].message == diagnostic.message
    assert "Context7: look up the selected text (FastAPI docs)" in by_title


async def test_a_multi_line_diagnostic_is_named_by_its_action(client, workspace):
    """The query is the message with its whitespace folded; the action still names the
    diagnostic the editor sent, as it was."""
    marked = PLAIN_TIER1.replace("raise HTTPException", "|raise HTTPException")
    _, line, _ = cursor(marked)
    diagnostic = types.Diagnostic(
        range=types.Range(
            start=types.Position(line=line, character=0), end=types.Position(line=line, character=5)
        ),
        message="1 validation error for Item\nprice\n  Input should be a valid number",
        source="pydantic",
    )
    actions = await actions_at(client, workspace / "multiline.py", marked, diagnostics=[diagnostic])
    (error,) = [a for a in actions if a.title.startswith("Context7: look up this error")]
    assert error.diagnostics and error.diagnostics[0].message == diagnostic.message
    assert error.command.arguments[0]["query"] == (
        "1 validation error for Item price Input should be a valid number"
    )


async def test_lookup_opens_the_combined_document(client, workspace, context7):
    context7.reset()
    (action,) = [
        a
        for a in await actions_at(client, workspace / "doc.py", WEBSOCKET_MANAGER)
        if "connection manager" in a.title
    ]
    result = await run(client, action)
    path = Path(result["path"])
    assert client.shown_documents[-1].uri == path.as_uri()
    document = path.read_text(encoding="utf-8")
    curated = document.index("## What fastapi-ls knows")
    fetched = document.index("## Current documentation from Context7")
    sources = document.index("## Sources")
    assert curated < fetched < sources
    assert "- Library: FastAPI (`/websites/fastapi_tiangolo`)" in document
    assert "- Query sent: `websocket connection manager broadcast`" in document
    assert "- Fetched: " in document
    assert "- Version: " in document

    (request,) = context7.requests_to("context")
    assert request.params["query"] == "websocket connection manager broadcast"
    assert request.params["libraryId"].startswith("/websites/fastapi_tiangolo")
    assert request.headers["authorization"] == f"Bearer {API_KEY}"
    assert request.headers["x-context7-source"]


async def test_progress_is_reported(client, workspace, context7):
    context7.reset()
    before = set(client.progress_reports)
    actions = await actions_at(
        client, workspace / "progress.py", PREAMBLE + "engine = create_async_engine(|URL)\n"
    )
    await run(client, actions[0])
    (token,) = set(client.progress_reports) - before
    kinds = [type(report).__name__ for report in client.progress_reports[token]]
    assert kinds[0] == "WorkDoneProgressBegin" and kinds[-1] == "WorkDoneProgressEnd"


async def test_requests_never_carry_source_code(client, workspace, context7):
    context7.reset()
    actions = await actions_at(client, workspace / "privacy.py", WEBSOCKET_MANAGER)
    for action in actions:
        await run(client, action)
    sent = " ".join(" ".join(r.params.values()) for r in context7.requests)
    for fragment in ("active_connections", "send_text", "class ConnectionManager", "manager ="):
        assert fragment not in sent


@pytest.mark.parametrize(
    ("status", "error", "expected"),
    [
        (401, "invalid_api_key", "key"),
        (402, "spending_limit_exceeded", "spending"),
        (403, "access_denied", "denied"),
        (202, "library_not_finalized", "index"),
    ],
)
async def test_each_failure_is_explained(client, workspace, context7, status, error, expected):
    context7.reset()
    context7.fail_next(status, error=error, endpoint="context", times=None)
    query_line = f"engine = create_async_engine(|URL_{status})\n"
    actions = await actions_at(client, workspace / f"fail_{status}.py", PREAMBLE + query_line)
    action = next(a for a in actions if "SQLAlchemy" in a.title)
    # A distinct query per status, so that no cached page hides the failure.
    action.command.arguments[0]["query"] += f" {status}"
    result = await run(client, action)
    document = Path(result["path"]).read_text(encoding="utf-8")
    assert "**No current docs:**" in document
    missing = document.split("**No current docs:**")[1].split("\n")[0]
    assert expected in missing.lower(), missing
    assert "## What fastapi-ls knows" in document, "the curated part still stands"
    assert API_KEY not in document
    context7.reset()


async def test_rate_limit_serves_the_stale_copy(client, workspace, context7):
    context7.reset()
    await configure(client, options(context7, workspace, cacheTtl=0.5))
    lookup = {
        "title": "Rate limits",
        "query": "dependencies with yield",
        "libraryName": "FastAPI",
        "libraryId": "/websites/fastapi_tiangolo",
        "package": "fastapi",
    }
    first = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=COMMAND, arguments=[lookup])
    )
    assert "Older copy" not in Path(first["path"]).read_text()
    await asyncio.sleep(0.7)
    context7.fail_next(429, error="rate_limit_exceeded", headers={"Retry-After": "7"}, times=None)
    second = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=COMMAND, arguments=[lookup])
    )
    document = Path(second["path"]).read_text()
    assert "**Older copy:**" in document
    assert "7" in document.split("**No current docs:**")[1].split("\n")[0]
    assert "## Current documentation from Context7" in document
    context7.reset()


async def test_offline_mode_asks_nobody(client, workspace, context7):
    context7.reset()
    await configure(client, options(context7, workspace, offline=True))
    lookup = {"title": "Offline", "query": "never fetched before", "package": "fastapi"}
    result = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=COMMAND, arguments=[lookup])
    )
    document = Path(result["path"]).read_text()
    assert context7.requests == []
    assert "offline" in document.lower()
    await configure(client, options(context7, workspace))


async def test_a_hanging_context7_times_out_with_the_curated_part(client, workspace, context7):
    context7.reset()
    await configure(client, options(context7, workspace, timeout=1))
    context7.misbehave_next("hang", times=None)
    lookup = {"title": "Hanging", "query": "hang forever please", "package": "fastapi"}
    result = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=COMMAND, arguments=[lookup])
    )
    document = Path(result["path"]).read_text()
    assert "**No current docs:**" in document
    context7.reset()
    await configure(client, options(context7, workspace))


async def test_bad_command_arguments_are_answered_in_words(client):
    result = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=COMMAND, arguments=[{"query": "   "}])
    )
    assert result is None
    assert any("query is empty" in m.message for m in client.messages)


@pytest_lsp.fixture(scope="module", config=server_config("emacs"))
async def emacs(lsp_client: LanguageClient, context7, workspace: Path):
    fix_code_action_structuring(lsp_client)
    await start_session(lsp_client, "emacs", workspace, options(context7, workspace))
    yield
    await lsp_client.shutdown_session()


async def test_a_client_without_show_document_gets_a_message(emacs, workspace, context7):
    context7.reset()
    actions = await actions_at(emacs, workspace / "emacs.py", WEBSOCKET_MANAGER)
    action = next(a for a in actions if "connection manager" in a.title)
    result = await run(emacs, action)
    assert emacs.shown_documents == []
    message = emacs.messages[-1].message
    assert "WebSocket connection manager and broadcast" in message
    assert result["path"] in message
    assert Path(result["path"]).is_file()


async def test_cancelling_the_progress_stops_the_lookup(client, workspace, context7):
    context7.reset()
    context7.misbehave_next("hang", times=None)
    before = set(client.progress_reports)
    lookup = {"title": "Cancelled", "query": "this one is cancelled", "package": "fastapi"}
    shown = len(client.shown_documents)
    running = asyncio.ensure_future(
        client.workspace_execute_command_async(
            types.ExecuteCommandParams(command=COMMAND, arguments=[lookup])
        )
    )
    for _ in range(50):
        await asyncio.sleep(0.05)
        if set(client.progress_reports) - before:
            break
    (token,) = set(client.progress_reports) - before
    client.window_work_done_progress_cancel(types.WorkDoneProgressCancelParams(token=token))
    result = await asyncio.wait_for(running, timeout=2)
    assert result is None
    assert len(client.shown_documents) == shown, "nothing is opened after a cancel"
    assert client.progress_reports[token][-1].message == "cancelled"
    context7.reset()


async def test_disabled_context7_offers_no_action(client, workspace, context7):
    await configure(client, options(context7, workspace, enabled=False))
    assert await actions_at(client, workspace / "disabled.py", WEBSOCKET_MANAGER) == []
    await configure(client, options(context7, workspace))
    assert await actions_at(client, workspace / "enabled.py", WEBSOCKET_MANAGER)


async def test_the_key_is_never_shown(client, emacs, workspace):
    await asyncio.sleep(0.1)
    for message in [*client.messages, *client.log_messages, *emacs.messages]:
        assert API_KEY not in message.message
    for document in (workspace / ".cache").rglob("*"):
        if document.is_file():
            assert API_KEY not in document.read_text(encoding="utf-8", errors="replace")
    for log in ("vscode.log", "emacs.log"):
        assert API_KEY not in (LOG_DIR / log).read_text(encoding="utf-8")


async def lookup_document(client: LanguageClient, lookup: dict) -> str:
    result = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=COMMAND, arguments=[lookup])
    )
    return Path(result["path"]).read_text(encoding="utf-8")


async def test_docs_are_pinned_to_the_installed_version(client, context7):
    for attempt in range(200):  # the installed versions are read in the background
        context7.reset()
        document = await lookup_document(
            client, {"title": "Pinned", "query": f"pinned version {attempt}", "package": "fastapi"}
        )
        if ", the installed version" in document:
            break
        await asyncio.sleep(0.1)
    import fastapi

    assert f"- Version: `{fastapi.__version__}`, the installed version" in document
    (request,) = context7.requests_to("context")
    assert request.params["libraryId"] == f"/websites/fastapi_tiangolo/{fastapi.__version__}"


async def test_a_library_without_a_pinned_id_is_resolved_and_an_unindexed_version_said(
    client, context7
):
    import pydantic

    context7.reset()
    document = await lookup_document(
        client,
        {
            "title": "Resolved",
            "query": "field validators",
            "libraryName": "Pydantic",
            "package": "pydantic",
        },
    )
    assert context7.requests_to("search"), "the library was resolved through search"
    assert "- Library: Pydantic (`/pydantic/pydantic`)" in document
    assert f"has not indexed version {pydantic.__version__}" in document


@pytest.mark.parametrize(
    ("failure", "expected"),
    [
        ("status-503", "unavailable"),
        ("garbage", "cannot be used"),
        ("drop", "could not be reached"),
    ],
)
async def test_server_side_failures_are_explained(client, context7, failure, expected):
    context7.reset()
    if failure.startswith("status-"):
        context7.fail_next(int(failure.split("-")[1]), error="internal_error", times=None)
    else:
        context7.misbehave_next(failure, times=None)
    document = await lookup_document(
        client, {"title": failure, "query": f"failure {failure}", "package": "fastapi"}
    )
    missing = document.split("**No current docs:**")[1].split("\n")[0]
    assert expected in missing.lower(), missing
    context7.reset()
