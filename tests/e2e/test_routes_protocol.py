"""The Routes view's protocol: ``fastapiLs/routes`` answers the table in its agreed shape,
filters by query, and ``fastapiLs/routesChanged`` follows edits, files changed on disk (the
watcher is registered dynamically) and workspace folders."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import pytest_lsp
from helpers import SERVER, open_document, route_table, start_session, template_project
from lsprotocol import types
from pytest_lsp import LanguageClient

CHANGED = "fastapiLs/routesChanged"


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    return template_project(tmp_path_factory.mktemp("protocol"))


@pytest_lsp.fixture(scope="module", config=SERVER)
async def client(lsp_client: LanguageClient, template: Path):
    built = lsp_client.wait_for_notification(CHANGED)
    await start_session(lsp_client, "vscode", template)
    await route_table(lsp_client)
    await asyncio.wait_for(built, 5)  # the first build announces the table
    yield
    await lsp_client.shutdown_session()


async def test_the_table_has_the_agreed_shape(client, template):
    table = await route_table(client)
    (app,) = table["apps"]
    assert set(app) == {"id", "label", "uri", "range"}
    assert app["label"] == "app" and app["uri"] == (template / "app/main.py").as_uri()
    route = next(r for r in table["routes"] if r["label"] == "GET /api/v1/items/{id}")
    assert set(route) == {
        "id", "label", "methods", "path", "endpoint", "uri", "range", "selectionRange", "app",
        "chain", "conditional", "condition", "tags", "responseModel", "statusCode", "tests",
    }  # fmt: skip
    assert route["methods"] == ["GET"] and route["path"] == "/api/v1/items/{id}"
    assert route["endpoint"] == "read_item" and route["app"] == app["id"]
    assert route["chain"] == ["app", "api_router", "items.router"]
    assert route["tags"] == ["items"] and route["responseModel"] == "ItemPublic"
    assert route["conditional"] is False and route["condition"] is None
    assert route["tests"] == 2
    lines = (template / "app/api/routes/items.py").read_text(encoding="utf-8").split("\n")
    assert lines[route["range"]["start"]["line"]].startswith("@router.get(")
    name = route["selectionRange"]
    line = lines[name["start"]["line"]]
    assert line[name["start"]["character"] : name["end"]["character"]] == "read_item"
    assert len({r["id"] for r in table["routes"]}) == len(table["routes"])
    private = next(r for r in table["routes"] if r["path"] == "/api/v1/private/users/")
    assert private["conditional"] and "ENVIRONMENT" in private["condition"]


async def test_a_query_filters_the_table(client):
    table = await route_table(client, {"query": "health"})
    assert [r["label"] for r in table["routes"]] == ["GET /api/v1/utils/health-check/"]


async def test_an_edit_changes_the_table_and_is_announced(client, template):
    path = template / "app/api/routes/utils.py"
    text = path.read_text(encoding="utf-8")
    uri = open_document(client, path, text)
    await asyncio.sleep(0.1)
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=1000),
            content_changes=[
                types.TextDocumentContentChangeWholeDocument(
                    text=text
                    + '\n\n@router.get("/version")\ndef version() -> str:\n    return "1"\n'
                )
            ],
        )
    )
    await asyncio.wait_for(client.wait_for_notification(CHANGED), 5)
    labels = [r["label"] for r in (await route_table(client))["routes"]]
    assert "GET /api/v1/utils/version" in labels


async def test_files_changed_on_disk_reach_the_index(client, template):
    assert any(
        r.method == types.WORKSPACE_DID_CHANGE_WATCHED_FILES for r in client.registrations
    ), "the server watches **/*.py"
    login = template / "app/api/routes/login.py"
    login.write_text(
        login.read_text(encoding="utf-8").replace('"/login/test-token"', '"/login/check-token"'),
        encoding="utf-8",
    )
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=login.as_uri(), type=types.FileChangeType.Changed)]
        )
    )
    await asyncio.wait_for(client.wait_for_notification(CHANGED), 5)
    labels = [r["label"] for r in (await route_table(client))["routes"]]
    assert "POST /api/v1/login/check-token" in labels
    assert "POST /api/v1/login/test-token" not in labels


async def test_a_new_workspace_folder_is_indexed(client, tmp_path_factory):
    other = tmp_path_factory.mktemp("other")
    (other / "service.py").write_text(
        'from fastapi import FastAPI\n\nservice = FastAPI()\n\n\n@service.get("/ping")\n'
        'def ping() -> str:\n    return "pong"\n',
        encoding="utf-8",
    )
    client.workspace_did_change_workspace_folders(
        types.DidChangeWorkspaceFoldersParams(
            event=types.WorkspaceFoldersChangeEvent(
                added=[types.WorkspaceFolder(uri=other.as_uri(), name="other")], removed=[]
            )
        )
    )
    for _ in range(100):
        table = await route_table(client)
        if any(r["label"] == "GET /ping" for r in table["routes"]):
            break
        await asyncio.sleep(0.05)
    labels = [r["label"] for r in table["routes"]]
    assert "GET /ping" in labels and "GET /api/v1/items/{id}" in labels
