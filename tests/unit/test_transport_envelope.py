"""Which document a large message is about, read from its first kilobytes only."""

from __future__ import annotations

import json

import pytest

from fastapi_ls.transport import _document_uri, _envelope_uri

TEXT = 'x = {"uri": "file:///elsewhere.py"}\n' * 2000


def body(message: dict) -> bytes:
    return json.dumps(message).encode()


def did_open(item: dict) -> dict:
    return {"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": item}}


def test_the_uri_before_the_text_is_found_and_unquoted():
    item = {"uri": "file:///a%20b.py", "languageId": "python", "version": 1, "text": TEXT}
    assert _envelope_uri(body(did_open(item))) == "file:///a b.py"
    assert _document_uri(did_open(item)) == "file:///a b.py"


def test_a_did_change_names_its_document_before_the_changes():
    message = {
        "jsonrpc": "2.0",
        "method": "textDocument/didChange",
        "params": {
            "textDocument": {"uri": "file:///a.py", "version": 2},
            "contentChanges": [{"text": TEXT}],
        },
    }
    assert _envelope_uri(body(message)) == "file:///a.py"


@pytest.mark.parametrize(
    "message",
    [
        # The text comes first: only a "uri" inside the text is in the first kilobytes.
        did_open({"text": TEXT, "uri": "file:///a.py", "languageId": "python", "version": 1}),
        # Another method: nothing may overtake it.
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "workspace/executeCommand",
            "params": {"command": "x", "arguments": [{"textDocument": {"uri": "file:///a.py"}}]},
        },
    ],
    ids=["text-first", "other-method"],
)
def test_no_document_when_the_start_does_not_name_it(message):
    assert _envelope_uri(body(message)) is None
