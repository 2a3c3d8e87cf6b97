"""Documents that are not what they seem: FIFOs and devices named like modules, requests on
documents not open (or closed a moment ago), huge documents and lines."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest
from lsp_pipe import PipeClient, frame

from fastapi_ls.documents import MAX_ANALYSED_CHARS, MAX_LINE_CHARS, MAX_SERVED_CHARS

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "robustness" / "project"
#: Generous against the 100 ms aim: test machines run many servers at once.
STALL_LIMIT = 0.25


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("documents") / "project"
    shutil.copytree(FIXTURE, root)
    if hasattr(os, "mkfifo"):
        os.mkfifo(root / "app" / "pipe.py")
    if os.path.exists("/dev/zero"):
        (root / "app" / "zero.py").symlink_to("/dev/zero")
    return root


@pytest.fixture(scope="module")
def client(project):
    client = PipeClient(project)
    client.initialize(project)
    yield client
    client.close()


def position(uri: str, line: int, character: int) -> dict:
    return {"textDocument": {"uri": uri}, "position": {"line": line, "character": character}}


def timed(client: PipeClient, method: str, params: dict) -> tuple[dict, float]:
    started = time.monotonic()
    answer = client.request(method, params, timeout=5)
    return answer, time.monotonic() - started


def open_document(client: PipeClient, path: Path, text: str, version: int = 1) -> str:
    uri = path.as_uri()
    document = {"uri": uri, "languageId": "python", "version": version, "text": text}
    client.notify("textDocument/didOpen", {"textDocument": document})
    return uri


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifos_and_devices_named_like_modules_never_block(client, project):
    importer = project / "app" / "uses_fifo.py"
    uri = open_document(client, importer, importer.read_text())
    for line, character in ((2, 16), (3, 16), (6, 12)):
        answer, took = timed(client, "textDocument/hover", position(uri, line, character))
        assert "result" in answer and took < 2
    # Requests naming the FIFO or the device itself, which no client has open.
    for name in ("pipe.py", "zero.py"):
        path = (project / "app" / name).as_uri()
        answer, took = timed(client, "textDocument/completion", position(path, 0, 0))
        assert answer.get("result") is None and "error" not in answer and took < 2


def test_unopened_and_just_closed_documents_are_answered_quietly(client, project):
    main = project / "app" / "main.py"
    uri = open_document(client, main, main.read_text())
    client.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
    # The race every editor produces: a request already on its way when the close arrives.
    answer = client.request("textDocument/hover", position(uri, 2, 7))
    assert "error" not in answer
    # Read from disk: the file is a FastAPI module, so completion has something to offer.
    answer = client.request("textDocument/completion", position(uri, 3, 0))
    assert "error" not in answer and answer["result"]
    missing = (project / "app" / "gone.py").as_uri()
    assert client.request("textDocument/completion", position(missing, 0, 0))["result"] is None
    change = {"range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}}}
    for version in range(2, 6):
        client.notify(
            "textDocument/didChange",
            {
                "textDocument": {"uri": missing, "version": version},
                "contentChanges": [{**change, "text": "x"}],
            },
        )
    assert client.request("fastapiLs/status")["result"]
    assert not [m for m in client.notifications if m["method"] == "window/showMessage"]
    assert client.error_tracebacks() == []


def edit(client: PipeClient, uri: str, version: int, line: int, character: int, text: str):
    at = {"line": line, "character": character}
    client.notify(
        "textDocument/didChange",
        {
            "textDocument": {"uri": uri, "version": version},
            "contentChanges": [{"range": {"start": at, "end": at}, "text": text}],
        },
    )


def worst_wait(client: PipeClient, seconds: float) -> float:
    worst, end = 0.0, time.monotonic() + seconds
    while time.monotonic() < end:
        worst = max(worst, timed(client, "fastapiLs/status", {})[1])
        time.sleep(0.01)
    return worst


def test_huge_documents_get_a_reduced_service_that_stays_fast(client, project):
    module = (FIXTURE / "app" / "main.py").read_text()
    body = "".join(
        f"def handler_{n}():\n    return {n}\n\n" for n in range(MAX_ANALYSED_CHARS // 25)
    )
    large = open_document(client, project / "app" / "large.py", module + body + "tail = 1\n")
    oversized_text = "x = 1\n" * (MAX_SERVED_CHARS // 6 + 1)
    oversized = open_document(client, project / "app" / "oversized.py", oversized_text)
    long_line = open_document(
        client, project / "app" / "long_line.py", module + "x = '" + "a" * MAX_LINE_CHARS + "'\n"
    )
    for version in range(2, 6):
        edit(client, large, version, 3, 0, "y")
        edit(client, oversized, version, 0, 0, "# ")
        edit(client, long_line, version, 3, MAX_LINE_CHARS, "b")
    # The re-analysis after the pause in typing runs while these requests wait.
    assert worst_wait(client, 0.6) < STALL_LIMIT
    # The large module is still served: completion near its top knows the app.
    answer, took = timed(client, "textDocument/completion", position(large, 3, 1))
    assert answer["result"] and took < STALL_LIMIT
    for uri, line in ((oversized, 0), (long_line, 3)):
        answer, took = timed(client, "textDocument/completion", position(uri, line, 10**9))
        assert answer["result"] is None and took < STALL_LIMIT
        far = {"start": {"line": line, "character": 0}, "end": {"line": line, "character": 10**9}}
        params = {"textDocument": {"uri": uri}, "range": far, "context": {"diagnostics": []}}
        answer, took = timed(client, "textDocument/codeAction", params)
        assert "error" not in answer and took < STALL_LIMIT


#: The size of the issue's module: json.loads alone would take the server 0.2-0.5 s to decode it.
HUGE_BYTES = 50_000_000


def did_open_frame(path: Path, text: str) -> bytes:
    item = {"uri": path.as_uri(), "languageId": "python", "version": 1, "text": text}
    message = {"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": item}}
    # As VS Code sends it: UTF-8, not \\u escapes.
    return frame(json.dumps(message, ensure_ascii=False).encode())


def test_opening_a_huge_module_does_not_stall_requests_on_other_documents(client, project):
    main = project / "app" / "main.py"
    other = open_document(client, main, main.read_text())
    block = 'def handler(item):\n    return item["a\\tb"]  # €\r\n'
    huge = project / "app" / "huge.py"
    client.send_raw(did_open_frame(huge, block * (HUGE_BYTES // len(block))))
    # Sent once the 50 MB have been written: only what the server does after reading them
    # can delay these.  The completion on the huge module waits for its decoding; the hover
    # in the other file and the status go ahead of it.
    on_huge = client.request_nowait("textDocument/completion", position(huge.as_uri(), 1, 4))
    assert "error" not in client.request("textDocument/hover", position(other, 0, 22))
    # So do requests that name no document and cannot depend on its text.
    assert client.request("fastapiLs/status")["result"]["serverVersion"]
    assert not client.answered(on_huge)
    worst, end = 0.0, time.monotonic() + 0.8
    while time.monotonic() < end:
        answer, took = timed(client, "textDocument/hover", position(other, 0, 22))
        assert "error" not in answer
        worst = max(worst, took)
        time.sleep(0.005)
    assert worst < STALL_LIMIT
    # Beyond the size limits: answered, with nothing.
    assert client.wait(on_huge)["result"] is None
    # What names the large document waits for it: a completion sent right behind a 2 MB
    # module's didOpen finds the module open (it is not on disk).
    module = main.read_text() + block.replace("€", "e") * (2_000_000 // len(block)) + "\n"
    followed = project / "app" / "followed.py"
    client.send_raw(did_open_frame(followed, module))
    answer = client.request("textDocument/completion", position(followed.as_uri(), 3, 0))
    assert answer["result"], "a FastAPI module: snippets at module level"
    assert client.error_tracebacks() == []
