"""Text synchronisation: edits reach the server's copy, and the file's names follow them."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import pytest_lsp
from helpers import SERVER, complete, open_document, start_session
from lsprotocol import types
from pytest_lsp import LanguageClient

MODULE = "from fastapi import FastAPI\n\napp = FastAPI()\n\n\n"


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("sync")


@pytest_lsp.fixture(scope="module", config=SERVER)
async def client(lsp_client: LanguageClient, workspace: Path):
    await start_session(lsp_client, "neovim", workspace)
    yield
    await lsp_client.shutdown_session()


def change(client: LanguageClient, uri: str, version: int, line: int, text: str) -> None:
    """Insert ``text`` at the start of ``line``, as an incremental change."""
    at = types.Position(line=line, character=0)
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[
                types.TextDocumentContentChangePartial(
                    range=types.Range(start=at, end=at), text=text
                )
            ],
        )
    )


async def test_names_typed_after_opening_are_offered_after_a_pause(client, workspace):
    uri = open_document(client, workspace / "grow.py", MODULE)
    await complete(client, uri, MODULE, 4, 0)  # the server has now read the imports
    # Below the imports (header untouched), then above them (header touched): both kinds of
    # change must keep the document's state current.
    change(client, uri, 1000, 4, "router = APIRouter()\n")
    change(client, uri, 1001, 0, "from fastapi import APIRouter\n")
    text = "from fastapi import APIRouter\n" + MODULE.replace(
        "\n\n\n", "\n\nrouter = APIRouter()\n"
    )
    text += "@r"
    change(client, uri, 1002, 6, "@r")
    await asyncio.sleep(0.6)  # the file's names are read again once typing pauses
    lines = text.split("\n")
    items = await complete(client, uri, text, len(lines) - 1, 2)
    labels = {item.label for item in items}
    assert any(label.startswith("@router.") for label in labels), sorted(labels)[:20]
