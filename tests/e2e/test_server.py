"""End-to-end tests of the server as a whole: identity, settings, environment, transports."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import pytest_lsp
from helpers import (
    SERVER,
    complete,
    cursor,
    fake_environment,
    offered_snippets,
    open_document,
    snippet_ids,
    start_session,
)
from lsp_pipe import free_port
from lsprotocol import types
from pygls.lsp.client import LanguageClient as PlainClient
from pytest_lsp import LanguageClient

import fastapi_ls
from fastapi_ls import knowledge

KB = knowledge.load()
MODULE = "from fastapi import FastAPI\n\napp = FastAPI()\n\n|\n"


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("project")


@pytest_lsp.fixture(scope="module", config=SERVER)
async def client(lsp_client: LanguageClient, workspace: Path):
    interpreter = fake_environment(workspace, "oldenv", fastapi="0.90.0", pydantic="1.10.13")
    result = await start_session(
        lsp_client,
        "vscode",
        workspace,
        options={"interpreter": str(interpreter), "snippets": {"enabled": "sure"}},
    )
    lsp_client.server_info = result.server_info
    yield
    await lsp_client.shutdown_session()


async def module_ids(client: LanguageClient, workspace: Path, name: str) -> set[str]:
    text, line, column = cursor(MODULE)
    uri = open_document(client, workspace / name, text)
    return set(snippet_ids(await complete(client, uri, text, line, column)))


async def test_server_info(client):
    assert client.server_info.name == "fastapi-ls"
    assert client.server_info.version == fastapi_ls.__version__


async def test_invalid_option_is_reported_and_defaulted(client, workspace):
    await asyncio.sleep(0.1)
    warnings = [m.message for m in client.messages if m.type == types.MessageType.Warning]
    assert any("snippets.enabled" in m and "'sure'" in m for m in warnings), warnings
    assert await module_ids(client, workspace, "defaults.py"), "default (enabled) applies"


async def test_snippets_for_newer_versions_are_hidden(client, workspace):
    too_new = {
        s.id
        for s in KB.for_context("module")
        if (s.min_fastapi and tuple(map(int, s.min_fastapi.split("."))) > (0, 90))
        or (s.min_pydantic and int(s.min_pydantic.split(".")[0]) >= 2)
    }
    assert too_new, "the knowledge base has version-bound snippets"
    deadline = time.monotonic() + 30
    while True:
        offered = await module_ids(client, workspace, "versions.py")
        if not offered & too_new or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.2)
    assert not offered & too_new
    text, _line, _column = cursor(MODULE)
    assert offered == offered_snippets("module", text) - too_new


async def test_configuration_changes_apply_without_restart(client, workspace):
    client.set_configuration({"snippets": {"enabled": False}}, section="fastapiLs")
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
    await asyncio.sleep(0.3)
    assert await module_ids(client, workspace, "disabled.py") == set()

    client.set_configuration({"snippets": {"enabled": True, "addImports": 1}}, section="fastapiLs")
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
    await asyncio.sleep(0.3)
    assert await module_ids(client, workspace, "enabled.py")
    assert any("snippets.addImports" in m.message for m in client.messages)


async def test_unopened_document(client, workspace):
    result = await client.text_document_completion_async(
        types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=(workspace / "ghost.py").as_uri()),
            position=types.Position(line=0, character=0),
        )
    )
    assert result is None


def test_version_flag():
    output = subprocess.run(
        [sys.executable, "-m", "fastapi_ls", "--version"], capture_output=True, text=True
    )
    assert output.returncode == 0
    assert output.stdout.strip() == f"fastapi-ls {fastapi_ls.__version__}"


async def test_a_tcp_session_serves_one_client_and_ends_with_it(tmp_path):
    port = free_port()
    log_file = tmp_path / "server.log"
    options = ["--tcp", "--port", str(port), "-v", "--log-file", str(log_file)]
    process = subprocess.Popen(
        [sys.executable, "-m", "fastapi_ls", *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        client = PlainClient("tcp-test", "1")
        for _ in range(100):
            try:
                await client.start_tcp("127.0.0.1", port)
                break
            except OSError:
                await asyncio.sleep(0.1)
        result = await client.initialize_async(
            types.InitializeParams(capabilities=types.ClientCapabilities())
        )
        assert result.server_info.name == "fastapi-ls"
        client.initialized(types.InitializedParams())
        # The listening socket is closed once the client has connected.
        with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=2):
            pass
        uri = (tmp_path / "main.py").as_uri()
        text, line, character = cursor(MODULE)
        client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                types.TextDocumentItem(uri=uri, language_id="python", version=1, text=text)
            )
        )
        items = await client.text_document_completion_async(
            types.CompletionParams(
                types.TextDocumentIdentifier(uri=uri), types.Position(line, character)
            )
        )
        assert items is not None and _items(items), "snippets in a FastAPI module"
        await client.shutdown_async(None)
        client.exit(None)
        assert process.wait(10) == 0, "exit after shutdown ends the server with 0"
        await client.stop()
    finally:
        process.kill()
        stdout, _ = process.communicate(timeout=10)
    assert stdout == b"", "nothing but the protocol may reach stdout"
    assert f"waiting for a client on TCP 127.0.0.1:{port}" in log_file.read_text()


def _items(result: types.CompletionList | list[types.CompletionItem]) -> list:
    return result.items if isinstance(result, types.CompletionList) else result


async def test_status_request(client):
    for _ in range(100):
        answer = await client.protocol.send_request_async("fastapiLs/status", {})
        status = answer._asdict()  # pygls reads an unknown method's result as a named tuple
        if status["environmentReady"]:
            break
        await asyncio.sleep(0.1)
    assert status["serverVersion"] == fastapi_ls.__version__
    assert status["fastapi"] == "0.90.0", "the interpreter given in the settings was inspected"
    assert status["pydantic"] == "1.10.13"
    assert status["context7"] == "online"
