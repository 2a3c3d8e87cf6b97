"""Routes as symbols: ``workspace/symbol`` lists exactly the routes FastAPI serves, under their
full paths at their decorators; ``textDocument/documentSymbol`` lists a file's routes under
their router."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import pytest_lsp
from helpers import SERVER, open_document, route_table, start_session, template_project
from lsprotocol import types
from pytest_lsp import LanguageClient

RUNTIME = Path(__file__).resolve().parents[1] / "route_runtime.py"


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    return template_project(tmp_path_factory.mktemp("symbols"))


@pytest.fixture(scope="module")
def served(template) -> list[dict]:
    """What FastAPI itself serves when the template's app is imported."""
    spec = [{"root": str(template), "sys_path": ["."], "module": "app.main", "attr": "app"}]
    output = subprocess.run(
        [sys.executable, str(RUNTIME), json.dumps(spec)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    return json.loads(output)[0]


@pytest_lsp.fixture(scope="module", config=SERVER)
async def client(lsp_client: LanguageClient, template: Path):
    await start_session(lsp_client, "neovim", template)
    await route_table(lsp_client)
    yield
    await lsp_client.shutdown_session()


def file_of(uri: str) -> Path:
    return Path(uri.removeprefix("file://")).resolve()


async def symbols(client: LanguageClient, query: str) -> list[types.SymbolInformation]:
    return await client.workspace_symbol_async(types.WorkspaceSymbolParams(query=query)) or []


async def test_every_served_route_and_nothing_else(client, template, served):
    found = await symbols(client, "")
    listed = {(s.name, file_of(s.location.uri), s.location.range.start.line) for s in found}
    expected = set()
    for route in served:
        path = Path(route["file"])
        lines = path.read_text(encoding="utf-8").split("\n")
        # the decorator is the nearest line above the def that starts one
        line = route["line"] - 1
        while not lines[line].lstrip().startswith("@"):
            line -= 1
        while line > 0 and lines[line - 1].lstrip().startswith("@"):
            line -= 1
        expected.add((f"{route['method']} {route['path']}", path.resolve(), line))
    assert {(name, path) for name, path, _ in listed} == {(n, p) for n, p, _ in expected}
    for name, path, line in listed:
        text = path.read_text(encoding="utf-8").split("\n")[line]
        assert text.lstrip().startswith("@"), (name, text)
    assert all(s.container_name and "·" in s.container_name for s in found)


async def test_a_substring_and_a_fuzzy_query_find_the_route(client):
    exact = await symbols(client, "items/{id}")
    assert exact and all("/api/v1/items/{id}" in s.name for s in exact)
    fuzzy = await symbols(client, "gt hlth")
    assert fuzzy[0].name == "GET /api/v1/utils/health-check/"


async def test_the_conditional_route_names_its_condition(client):
    (private,) = await symbols(client, "private/users")
    assert "if" in private.container_name and "ENVIRONMENT" in private.container_name


async def test_document_symbols_group_a_files_routes_under_its_router(client, template):
    path = template / "app/api/routes/items.py"
    uri = open_document(client, path, path.read_text(encoding="utf-8"))
    result = await client.text_document_document_symbol_async(
        types.DocumentSymbolParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    (router,) = result
    assert router.name == "router"
    assert [child.name for child in router.children] == [
        "GET /api/v1/items/",
        "GET /api/v1/items/{id}",
        "POST /api/v1/items/",
        "PUT /api/v1/items/{id}",
        "DELETE /api/v1/items/{id}",
    ]
    names = [child.selection_range.start.line for child in router.children]
    lines = path.read_text(encoding="utf-8").split("\n")
    assert all(lines[line].lstrip().startswith("def ") for line in names)
