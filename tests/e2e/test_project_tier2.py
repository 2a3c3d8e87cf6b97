"""End-to-end: Tier 2 in every file of a FastAPI project, over stdio.

The fixture project ``tests/fixtures/tier2/shop`` depends on FastAPI; its ``app/db.py``,
``app/tasks.py``, ``migrations/env.py`` and ``tests/conftest.py`` never import FastAPI and still
offer their Context7 action.  ``tests/fixtures/tier2/batch`` uses the same libraries without
FastAPI and gets nothing.  Context7 is never called: only the actions are asked for.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import pytest_lsp
from helpers import start_session
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "tier2"
SHOP = FIXTURES / "shop"
BATCH = FIXTURES / "batch"

#: Modules that never import FastAPI: (path, start of the cursor's line, topic title).
CASES = [
    ("app/db.py", "engine = create_async_engine(", "SQLAlchemy async sessions"),
    ("app/tasks.py", 'celery_app = Celery("shop"', "Background jobs with Celery"),
    ("migrations/env.py", "    context.configure(connection=", "Migrations with Alembic"),
]


def server_config() -> ClientServerConfig:
    return ClientServerConfig(server_command=[sys.executable, "-m", "fastapi_ls"])


@pytest_lsp.fixture(scope="module", config=server_config())
async def client(lsp_client: LanguageClient, tmp_path_factory):
    cache = tmp_path_factory.mktemp("context7-cache")
    options = {"context7": {"baseUrl": "http://127.0.0.1:9", "cacheDir": str(cache)}}
    await start_session(lsp_client, "neovim", SHOP, options)
    lsp_client.workspace_did_change_workspace_folders(
        types.DidChangeWorkspaceFoldersParams(
            event=types.WorkspaceFoldersChangeEvent(
                added=[types.WorkspaceFolder(uri=BATCH.as_uri(), name="batch")], removed=[]
            )
        )
    )
    yield
    await lsp_client.shutdown_session()


async def titles_at(client: LanguageClient, path: Path, fragment: str) -> list[str]:
    text = path.read_text(encoding="utf-8")
    uri = path.as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri, language_id="python", version=1, text=text
            )
        )
    )
    line = next(n for n, line in enumerate(text.splitlines()) if line.startswith(fragment))
    position = types.Position(line=line, character=len(fragment) - 2)
    result = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=types.Range(start=position, end=position),
            context=types.CodeActionContext(diagnostics=[]),
        )
    )
    return [action.title for action in result or []]


@pytest.mark.parametrize(("path", "fragment", "topic"), CASES, ids=[c[0] for c in CASES])
async def test_modules_without_fastapi_offer_their_topic(client, path, fragment, topic):
    titles = await titles_at(client, SHOP / path, fragment)
    assert any(title.startswith(f"Context7: {topic}") for title in titles), titles


async def test_a_test_module_with_asgi_transport_offers_async_testing(client):
    titles = await titles_at(client, SHOP / "tests/conftest.py", "    transport = ASGITransport(")
    assert "Context7: Async tests with AsyncClient (FastAPI docs)" in titles


@pytest.mark.parametrize(
    "fragment",
    ['app = Celery("batch"', "engine = create_async_engine("],
)
async def test_a_file_outside_a_fastapi_project_gets_nothing(client, fragment):
    assert await titles_at(client, BATCH / "jobs/tasks.py", fragment) == []


async def test_plain_fastapi_code_of_the_project_offers_nothing(client):
    assert await titles_at(client, SHOP / "app/main.py", "app = FastAPI(") == []
