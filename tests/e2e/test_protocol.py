"""The JSON-RPC layer over real stdio: every request answered, the server never deaf.

Each probe is a message a broken or hurried client can send; the server must answer it as
JSON-RPC and LSP say and then go on serving (checked by a request after the probe).  The
framing probes run over a TCP connection too (``--tcp``), which shares the reader.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from lsp_pipe import PipeClient, frame, wait_for_exit

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "robustness" / "project"
HOVER = {
    "textDocument": {"uri": (FIXTURE / "app" / "main.py").as_uri()},
    "position": {"line": 2, "character": 0},
}


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("protocol") / "project"
    shutil.copytree(FIXTURE, root)
    return root


@pytest.fixture(scope="module")
def client(project):
    client = PipeClient(project)
    client.initialize(project)
    yield client
    client.close()


@pytest.fixture(scope="module")
def tcp_client(project):
    client = PipeClient(project, transport="tcp", log_path=project / "server-tcp.log")
    client.initialize(project)
    yield client
    client.close()


@pytest.fixture(params=["stdio", "tcp"])
def any_client(request):
    return request.getfixturevalue("client" if request.param == "stdio" else "tcp_client")


def still_serving(client: PipeClient) -> None:
    answer = client.request("fastapiLs/status")
    assert answer["result"]["serverVersion"]


@pytest.mark.parametrize(
    ("params", "code"),
    [
        (None, -32602),
        ("a string", -32602),
        ([1, 2], -32602),
        ({**HOVER, "position": {"line": -1, "character": 0}}, -32602),
        ({**HOVER, "position": {"line": 2**31, "character": 0}}, -32602),
    ],
    ids=["no-params", "string", "array", "line-minus-one", "line-2^31"],
)
def test_wrong_params_are_answered_invalid_params(client, params, code):
    answer = client.request("textDocument/hover", params)
    assert answer["error"]["code"] == code
    still_serving(client)


def test_a_position_at_the_protocol_maximum_is_served(client):
    answer = client.request(
        "textDocument/hover", {**HOVER, "position": {"line": 0, "character": 2**31 - 1}}
    )
    assert "result" in answer


def test_unknown_methods_are_answered_method_not_found(client):
    assert client.request("fastapiLs/nothing")["error"]["code"] == -32601
    assert client.request("fastapiLs/nothing", [1])["error"]["code"] == -32601


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b"{not json", -32700),
        (b'{"jsonrpc": "2.0", "id": 1, "method": "x", "params": "\xff\xfe"}', -32700),
        (b"[" * 100_000 + b"]" * 100_000, -32700),
        (b"", -32700),
        (json.dumps([{"jsonrpc": "2.0", "id": 7, "method": "shutdown"}]).encode(), -32600),
        (b"42", -32600),
        (json.dumps({"jsonrpc": "2.0", "id": 1.5, "method": "shutdown"}).encode(), -32600),
    ],
    ids=["broken", "not-utf8", "deep", "empty", "batch", "number", "float-id"],
)
def test_unreadable_messages_are_answered_with_id_null(client, raw, code):
    client.send_raw(frame(raw))
    answer = client.next_unmatched()
    assert answer["id"] is None
    assert answer["error"]["code"] == code
    still_serving(client)


def test_a_message_without_jsonrpc_version_is_an_invalid_request(client):
    client.expect(9001)
    client.send_raw(frame({"id": 9001, "method": "fastapiLs/status"}))
    assert client.wait(9001)["error"]["code"] == -32600
    still_serving(client)


@pytest.mark.parametrize(
    "header",
    [
        b"Content-Length: 99999999999999999999\r\n\r\n",
        b"Content-Length: -5\r\n\r\n",
        b"Content-Length: twelve\r\n\r\n",
        b"Content-Type: application/json\r\n\r\n",
        b"garbage without a header\r\n",
    ],
    ids=["huge", "negative", "not-a-number", "missing", "garbage"],
)
def test_bad_headers_are_skipped_and_the_next_frame_is_read(any_client, header):
    any_client.send_raw(header)
    still_serving(any_client)


def test_header_names_in_any_case_and_lf_line_ends(any_client):
    message_id = 9100
    any_client.expect(message_id)
    body = json.dumps({"jsonrpc": "2.0", "id": message_id, "method": "fastapiLs/status"})
    any_client.send_raw(b"content-LENGTH: %d\n\n%s" % (len(body), body.encode()))
    assert any_client.wait(message_id)["result"]["serverVersion"]


def test_a_too_short_length_costs_one_parse_error_not_the_next_frame(any_client):
    any_client.expect(9200)
    body = json.dumps({"jsonrpc": "2.0", "id": 9199, "method": "fastapiLs/status"}).encode()
    following = frame({"jsonrpc": "2.0", "id": 9200, "method": "fastapiLs/status"})
    any_client.send_raw(b"Content-Length: %d\r\n\r\n" % (len(body) - 5) + body + following)
    assert any_client.next_unmatched()["error"]["code"] == -32700
    assert any_client.wait(9200)["result"]["serverVersion"]


def test_a_too_long_length_is_resynchronised_on_the_frame_it_swallowed(client):
    client.expect(9301)
    body = json.dumps({"jsonrpc": "2.0", "id": 9300, "method": "fastapiLs/status"}).encode()
    following = frame({"jsonrpc": "2.0", "id": 9301, "method": "fastapiLs/status"})
    client.send_raw(b"Content-Length: %d\r\n\r\n" % (len(body) + 10) + body + following)
    assert client.next_unmatched()["error"]["code"] == -32700
    assert client.wait(9301)["result"]["serverVersion"]


def test_a_second_initialize_is_refused(client, project):
    answer = client.request("initialize", {"processId": None, "rootUri": None, "capabilities": {}})
    assert answer["error"]["code"] == -32600


def test_protocol_noise_pops_nothing_up_and_logs_no_traceback(any_client):
    # By now every probe above has run on this server.
    assert not [m for m in any_client.notifications if m["method"] == "window/showMessage"]
    assert any_client.error_tracebacks() == []


def test_lifecycle_before_initialize_after_shutdown_and_exit_codes(tmp_path):
    client = PipeClient(tmp_path)
    assert client.request("textDocument/hover", HOVER)["error"]["code"] == -32002
    client.initialize(tmp_path)
    assert client.request("shutdown")["result"] is None
    assert client.request("fastapiLs/status")["error"]["code"] == -32600
    client.notify("exit")
    assert wait_for_exit(client.process, 10) == 0
    client.close()

    rude = PipeClient(tmp_path)
    rude.initialize(tmp_path)
    rude.notify("exit")
    assert wait_for_exit(rude.process, 10) == 1
    rude.close()


@pytest.mark.skipif(os.name != "posix", reason="the parent check is for POSIX systems")
def test_the_server_exits_when_the_editor_process_dies(tmp_path):
    editor = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    client = PipeClient(tmp_path)
    try:
        client.initialize(tmp_path, processId=editor.pid)
        still_serving(client)
        editor.kill()  # SIGKILL, or TerminateProcess on Windows
        editor.wait()
        started = time.monotonic()
        # The pipe stays open (as when an editor crashes): only the parent check can notice.
        assert wait_for_exit(client.process, 5) is not None
        assert time.monotonic() - started < 5
    finally:
        editor.kill()
        client.close()
