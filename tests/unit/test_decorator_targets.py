"""After "@" the file's own app or router is offered; another one as soon as its name is typed."""

from __future__ import annotations

from lsprotocol import types

from fastapi_ls import completion, knowledge
from fastapi_ls.analysis import analyse
from fastapi_ls.context import cursor_context
from fastapi_ls.imports import read_header
from fastapi_ls.positions import document_lines

MODULE = """\
from fastapi import APIRouter, FastAPI

app = FastAPI()
item_router = APIRouter(prefix="/items")
order_router = APIRouter(prefix="/orders")

"""


def targets_after(typed: str) -> set[str]:
    text = MODULE + typed
    lines = document_lines(text)
    line, column = len(lines) - 1, len(typed)
    analysis = analyse(text)
    context = cursor_context(lines, line, column, analysis, is_test_file=False)
    assert context is not None and context.kind == "decorator"
    result = completion.complete(
        completion.Request(
            context=context,
            line=line,
            column=column,
            lines=lines,
            header=read_header(lines),
            analysis=analysis,
            knowledge=knowledge.load(),
            client=completion.ClientFeatures(),
            versions=completion.Versions(),
            to_client=lambda at_line, at_column: types.Position(line=at_line, character=at_column),
        )
    )
    assert result.is_incomplete, "the client must ask again as typing goes on"
    return {item.label[1:].split(".", 1)[0] for item in result.items if "." in item.label}


def test_a_bare_at_sign_offers_the_files_own_target():
    assert targets_after("@") == {"app"}, "a module that creates the app decorates the app"


def test_typing_a_name_offers_that_target():
    assert targets_after("@ord") == {"order_router"}
    assert targets_after("@i") == {"item_router"}
