"""The route card on hover, from the workspace index: a nested router's route shows the path
FastAPI serves, the includes that build it, its dependencies, response model and status code."""

from __future__ import annotations

from pathlib import Path

import pytest
import pytest_lsp
from helpers import (
    SERVER,
    client_position,
    open_document,
    route_table,
    start_session,
    template_project,
)
from lsprotocol import types
from pytest_lsp import LanguageClient


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    return template_project(tmp_path_factory.mktemp("hover"))


@pytest_lsp.fixture(scope="module", config=SERVER)
async def client(lsp_client: LanguageClient, template: Path):
    await start_session(lsp_client, "emacs", template)
    await route_table(lsp_client)
    yield
    await lsp_client.shutdown_session()


async def hover(client: LanguageClient, path: Path, needle: str, offset: int) -> str:
    text = path.read_text(encoding="utf-8")
    uri = open_document(client, path, text)
    index = text.index(needle) + offset
    line = text.count("\n", 0, index)
    column = index - (text.rfind("\n", 0, index) + 1)
    result = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=client_position(text, line, column, client.position_encoding),
        )
    )
    assert result is not None, needle
    return result.contents.value


async def test_a_nested_routers_route_shows_its_full_path_and_chain(client, template):
    card = await hover(client, template / "app/api/routes/items.py", '@router.get("/{id}"', 9)
    assert "GET /api/v1/items/{id}" in card
    assert "`app` → `api_router`" in card and "`/api/v1`" in card and "`/items`" in card
    assert "response model: `ItemPublic`" in card
    assert "path parameters: `id`" in card


async def test_the_endpoint_name_shows_dependencies_and_status_code(client, template):
    card = await hover(client, template / "app/api/routes/utils.py", "def test_email", 6)
    assert "POST /api/v1/utils/test-email/" in card
    assert "status code: `201`" in card
    assert "get_current_active_superuser" in card


async def test_a_conditional_include_is_named(client, template):
    card = await hover(client, template / "app/api/routes/private.py", "@router.post", 9)
    assert "POST /api/v1/private/users/" in card
    assert "only when" in card and "ENVIRONMENT" in card
