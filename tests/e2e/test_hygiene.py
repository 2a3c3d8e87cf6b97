"""What editors expose about a server beyond its features: a clean exit, its identity, and
calm answers to the protocol's odd corners ($/cancelRequest, $/setTrace, unknown
notifications, workspace folder changes, closing a document that was never opened)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import fastapi_ls

SOURCE = "from fastapi import FastAPI\n\napp = FastAPI()\n\n\n"


class RawClient:
    """JSON-RPC over the server's stdio, with nothing in between: what an editor sends."""

    def __init__(self, tmp_path: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "fastapi_ls"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=tmp_path,
        )
        self.next_id = 0

    def send(self, message: dict) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        assert self.process.stdin is not None
        self.process.stdin.write(f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
        self.process.stdin.flush()

    def read(self) -> dict:
        assert self.process.stdout is not None
        length = 0
        while line := self.process.stdout.readline().strip():
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
        return json.loads(self.process.stdout.read(length))

    def request(self, method: str, params: object) -> dict:
        self.next_id += 1
        self.send({"id": self.next_id, "method": method, "params": params})
        while True:
            message = self.read()
            if message.get("id") == self.next_id and "method" not in message:
                return message

    def notify(self, method: str, params: object) -> None:
        self.send({"method": method, "params": params})


def test_a_session_full_of_odd_corners_ends_cleanly(tmp_path):
    client = RawClient(tmp_path)
    uri = (tmp_path / "main.py").as_uri()
    initialize = client.request(
        "initialize",
        {"processId": None, "rootUri": tmp_path.as_uri(), "capabilities": {}},
    )
    assert initialize["result"]["serverInfo"] == {
        "name": "fastapi-ls",
        "version": fastapi_ls.__version__,
    }
    client.notify("initialized", {})
    client.notify("$/setTrace", {"value": "verbose"})
    client.notify("$/someExtension", {"anything": [1, 2, 3]})
    client.notify(
        "workspace/didChangeWorkspaceFolders",
        {"event": {"added": [{"uri": tmp_path.as_uri(), "name": "again"}], "removed": []}},
    )
    client.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
    client.notify(
        "textDocument/didOpen",
        {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": SOURCE}},
    )
    # A request cancelled right away still gets exactly one answer, and the server goes on.
    client.next_id += 1
    cancelled = client.next_id
    client.send(
        {
            "id": cancelled,
            "method": "textDocument/completion",
            "params": {"textDocument": {"uri": uri}, "position": {"line": 4, "character": 0}},
        }
    )
    client.notify("$/cancelRequest", {"id": cancelled})
    answer = client.read()
    while answer.get("id") != cancelled:
        answer = client.read()
    assert "result" in answer or answer["error"]["code"] == -32800  # RequestCancelled
    completion = client.request(
        "textDocument/completion",
        {"textDocument": {"uri": uri}, "position": {"line": 4, "character": 0}},
    )
    assert completion["result"]["items"], "the server still answers after all that"
    client.next_id += 1
    client.send({"id": client.next_id, "method": "fastapiLs/status"})  # JSON-RPC: no params
    status = client.read()
    while status.get("id") != client.next_id:
        status = client.read()
    assert status["result"]["serverVersion"] == fastapi_ls.__version__

    assert client.request("shutdown", None)["result"] is None
    started = time.monotonic()
    client.notify("exit", None)
    client.process.wait(timeout=5)
    assert time.monotonic() - started < 1.0, "the process ends within a second of exit"
    assert client.process.returncode == 0
    _, stderr = client.process.communicate()
    assert "Traceback" not in stderr.decode(), stderr.decode()
