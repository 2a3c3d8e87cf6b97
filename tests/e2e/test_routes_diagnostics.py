"""Route diagnostics over LSP: each seeded mistake is reported with its code, none in the
template, and a code listed in ``diagnostics.disabled`` is not reported."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest
import pytest_lsp
from helpers import ROUTE_FIXTURES, SERVER, open_document, start_session, template_project
from lsprotocol import types
from pytest_lsp import LanguageClient

ROUTE_CODES = {"duplicate-route", "path-param-missing", "router-not-included", "depends-called"}


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("diagnostics")
    shutil.copytree(ROUTE_FIXTURES / "mistakes", root / "mistakes")
    template_project(root)
    return root


@pytest_lsp.fixture(scope="module", config=SERVER)
async def client(lsp_client: LanguageClient, workspace: Path):
    await start_session(lsp_client, "vscode", workspace)
    yield
    await lsp_client.shutdown_session()


async def published(client: LanguageClient, uri: str, wanted) -> list[types.Diagnostic]:
    """The file's diagnostics once ``wanted`` holds for them (or after 5 s)."""
    for _ in range(100):
        found = list(client.diagnostics.get(uri, []))
        if wanted(found):
            return found
        await asyncio.sleep(0.05)
    return list(client.diagnostics.get(uri, []))


def codes(diagnostics: list[types.Diagnostic]) -> set[str]:
    return {d.code for d in diagnostics if d.code in ROUTE_CODES}


async def test_each_seeded_mistake_is_reported(client, workspace):
    path = workspace / "mistakes/main.py"
    text = path.read_text(encoding="utf-8")
    uri = open_document(client, path, text)
    found = await published(client, uri, lambda found: codes(found) == ROUTE_CODES)
    assert codes(found) == ROUTE_CODES
    lines = text.split("\n")
    by_code = {d.code: d for d in found}
    assert "read_item_again" in lines[by_code["duplicate-route"].range.start.line + 1]
    assert "Depends(get_db())" in lines[by_code["depends-called"].range.start.line]
    assert "forgotten" in lines[by_code["router-not-included"].range.start.line]
    assert all(d.source == "fastapi-ls" for d in found)


async def test_the_template_gets_none(client, workspace):
    root = workspace / "template"
    uris = [open_document(client, p, p.read_text(encoding="utf-8")) for p in root.rglob("*.py")]
    await asyncio.sleep(1.0)
    for uri in uris:
        assert not codes(client.diagnostics.get(uri, [])), uri


async def test_a_disabled_code_is_not_reported(client, workspace):
    client.set_configuration(
        {"diagnostics": {"disabled": ["duplicate-route"]}}, section="fastapiLs"
    )
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
    uri = (workspace / "mistakes/main.py").as_uri()
    found = await published(client, uri, lambda found: "duplicate-route" not in codes(found))
    assert codes(found) == ROUTE_CODES - {"duplicate-route"}
