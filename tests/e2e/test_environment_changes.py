"""The interpreter changing while the first environment inspection still runs: the last wins."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest_lsp
from helpers import SERVER, fake_environment, start_session
from lsprotocol import types
from pytest_lsp import LanguageClient


@pytest_lsp.fixture(config=SERVER)
async def client(lsp_client: LanguageClient, tmp_path: Path):
    first = fake_environment(tmp_path, "first", fastapi="0.90.0")
    second = fake_environment(tmp_path, "second", fastapi="0.100.0")
    lsp_client.set_configuration({"interpreter": str(second)}, section="fastapiLs")
    await start_session(lsp_client, "vscode", tmp_path, options={"interpreter": str(first)})
    # At once, while the first interpreter is still being inspected.
    lsp_client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
    yield
    await lsp_client.shutdown_session()


async def test_the_last_interpreter_wins(client: LanguageClient):
    seen = []
    for _ in range(200):
        status = (await client.protocol.send_request_async("fastapiLs/status", {}))._asdict()
        seen.append(status["fastapi"])
        if status["fastapi"] == "0.100.0":
            break
        await asyncio.sleep(0.05)
    assert seen[-1] == "0.100.0", f"the versions seen over 10 s: {sorted(set(map(str, seen)))}"
