"""The line-length limit counts a line's characters without its line break."""

from __future__ import annotations

import pytest
from pygls.workspace.position_codec import PositionCodec

from fastapi_ls.documents import MAX_LINE_CHARS, DocumentStore
from fastapi_ls.line_document import LineDocument


@pytest.mark.parametrize(
    ("length", "ending", "served"),
    [
        (MAX_LINE_CHARS, "\n", True),
        (MAX_LINE_CHARS, "\r\n", True),
        (MAX_LINE_CHARS + 1, "\n", False),
        (MAX_LINE_CHARS + 1, "", False),
    ],
)
def test_a_line_over_the_limit_switches_the_service_off(tmp_path, length, ending, served):
    text = "from fastapi import FastAPI\n\napp = FastAPI()\n" + "y" * length + ending + "x = 1\n"
    document = LineDocument((tmp_path / "m.py").as_uri(), PositionCodec(), text, version=1)
    state = DocumentStore(lambda: [tmp_path], lambda uri: document).get(document)
    assert state.is_fastapi is served
