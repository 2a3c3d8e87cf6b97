"""End-to-end completion tests: the real server over stdio, as VS Code, Neovim and Emacs.

The expected snippets of a context are read from the knowledge base, so these tests check
that the server finds the right context and fills, indents and imports correctly, whatever
the data holds.
"""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

import pytest
import pytest_lsp
from helpers import (
    SERVER,
    accept_item,
    apply_item,
    by_label,
    complete,
    cursor,
    offered_snippets,
    open_document,
    snippet_ids,
    start_session,
)
from lsprotocol import types
from packaging.version import Version
from pytest_lsp import LanguageClient

from fastapi_ls import completion, knowledge, snippet_syntax

KB = knowledge.load()
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

ROUTER_MODULE = """\
from typing import Annotated

from fastapi import APIRouter, Depends

from .deps import get_db
from .models import ItemCreate, ItemPublic

router = APIRouter(prefix="/items")


def get_current_user():
    return "me"


|
"""

APP_MODULE = """\
\"\"\"The application.\"\"\"

from fastapi import FastAPI
from pydantic import BaseModel, Field

app = FastAPI()


class ItemBase(BaseModel):
    name: str


class ItemPublic(ItemBase):
    id: int
|
"""


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("shop")
    (root / "pyproject.toml").write_text('[project]\nname = "shop"\ndependencies = ["fastapi"]\n')
    return root


@pytest_lsp.fixture(scope="module", params=["vscode", "neovim", "emacs"], config=SERVER)
async def client(request, lsp_client: LanguageClient, workspace: Path):
    await start_session(lsp_client, request.param, workspace)
    lsp_client.editor = request.param
    yield
    await lsp_client.shutdown_session()


async def complete_at(client: LanguageClient, path: Path, marked: str):
    text, line, column = cursor(marked)
    uri = open_document(client, path, text)
    return text, await complete(client, uri, text, line, column)


async def test_module_level_offers_the_module_snippets(client, workspace):
    _, items = await complete_at(client, workspace / "routes_all.py", ROUTER_MODULE)
    # A router module without the app and without an update schema: no snippet that needs
    # either, and the PATCH that brings its own update schema.
    holds = {"no_app_in_scope", "no_update_model"}
    expected = {s.id for s in KB.for_context("module") if set(s.when) <= holds}
    assert "middleware-cors" not in expected and "route-patch-item-with-model" in expected
    assert set(snippet_ids(items)) == expected


async def test_typed_prefix_filters_and_is_replaced(client, workspace):
    marked = ROUTER_MODULE.replace("|", "get|")
    text, items = await complete_at(client, workspace / "routes_get.py", marked)
    offered = set(snippet_ids(items))
    assert offered, "typing 'get' offers at least one snippet"
    for item in items:
        assert item.filter_text.lower().startswith("get") or "get" in item.filter_text.lower()
        result = apply_item(text, item, client.position_encoding)
        assert "\nget\n" not in result, "the typed word is replaced"


async def test_router_module_snippets_use_the_router_and_its_names(client, workspace):
    text, items = await complete_at(client, workspace / "routes_names.py", ROUTER_MODULE)
    using_target = [
        item
        for item in items
        if "{{target}}" in next(s.body for s in KB.snippets if s.id == item.data["snippet"])
    ]
    assert using_target, "some module snippet declares routes on {{target}}"
    for item in using_target:
        result = apply_item(text, item, client.position_encoding)
        assert "@router." in result and "@app." not in result
    for item in items:
        snippet = next(s for s in KB.snippets if s.id == item.data["snippet"])
        if "{{db_dep}}" in snippet.body:
            assert "get_db" in apply_item(text, item, client.position_encoding)


async def test_model_body(client, workspace):
    marked = APP_MODULE.replace("    id: int\n|", "    id: int\n    |")
    text, items = await complete_at(client, workspace / "model_body.py", marked)
    assert set(snippet_ids(items)) == {s.id for s in KB.for_context("model_body")}
    for item in items:
        result = snippet_syntax.to_plain_text(accept_item(client, text, item))
        added = result[result.index("    id: int\n") :]
        body_lines = [line for line in added.splitlines()[1:] if line.strip()]
        assert all(line.startswith("    ") for line in body_lines), result
        compile(result, "model_body.py", "exec")  # indented once, not twice


async def test_model_body_through_an_imported_base_is_not_a_model_without_ancestry(
    client, workspace
):
    marked = "from fastapi import FastAPI\n\n\nclass Plain:\n    |\n"
    _, items = await complete_at(client, workspace / "plain_class.py", marked)
    assert items == []


async def test_decorators_for_each_app_and_router(client, workspace):
    marked = ROUTER_MODULE.replace("|", "from .main import app\n\n@|")
    text, items = await complete_at(client, workspace / "decorators.py", marked)
    labels = [item.label for item in items]
    assert any(label.startswith("@router.get") for label in labels), labels
    assert any(label.startswith("@app.") for label in labels), labels
    assert len(labels) == len(set(labels)), "no duplicates"
    ordered = sorted(items, key=lambda item: item.sort_text)
    assert ordered[0].label.startswith("@router."), "the router module's own router comes first"
    result = apply_item(text, ordered[0], client.position_encoding)
    assert "@@" not in result and "\n@router." in result


async def test_path_operation_signature(client, workspace):
    marked = ROUTER_MODULE.replace("|", '@router.get("/")\nasync def read(item_id: int, |):\n')
    _text, items = await complete_at(client, workspace / "signature.py", marked)
    assert set(snippet_ids(items)) == {s.id for s in KB.for_context("signature")}


async def test_helper_signature_gets_nothing(client, workspace):
    marked = ROUTER_MODULE.replace("|", "def helper(a, |):\n    pass\n")
    _, items = await complete_at(client, workspace / "helper.py", marked)
    assert items == []


async def test_depends_offers_the_dependencies(client, workspace):
    marked = ROUTER_MODULE.replace(
        "|", '@router.get("/")\nasync def read(db: Annotated[dict, Depends(|)]):\n'
    )
    _, items = await complete_at(client, workspace / "depends.py", marked)
    labels = by_label(items)
    assert {"get_db", "get_current_user"} <= set(labels)
    assert "read" not in labels, "path operations are not dependencies"


async def test_response_model_offers_models(client, workspace):
    marked = ROUTER_MODULE.replace("|", '@router.get("/", response_model=|)\n')
    text, items = await complete_at(client, workspace / "response_model.py", marked)
    labels = [item.label for item in sorted(items, key=lambda item: item.sort_text)]
    assert labels[0] == "ItemPublic"
    assert {"ItemCreate", "list[ItemPublic]"} <= set(labels)
    result = apply_item(text, by_label(items)["list[ItemPublic]"], client.position_encoding)
    assert "response_model=list[ItemPublic])" in result


async def test_status_code_merges_the_status_import(client, workspace):
    marked = ROUTER_MODULE.replace("|", '@router.post("/", status_code=|)\n')
    text, items = await complete_at(client, workspace / "status.py", marked)
    created = by_label(items)["status.HTTP_201_CREATED"]
    assert created.preselect is True
    result = apply_item(text, created, client.position_encoding)
    assert "from fastapi import APIRouter, Depends, status\n" in result
    assert "status_code=status.HTTP_201_CREATED)" in result
    installed = completion.Versions(starlette=Version(version("starlette")))
    offered = {s.name for s in KB.status_codes if installed.has_status(s)}
    assert {item.label.removeprefix("status.") for item in items} == {
        name for name in offered if name.startswith("HTTP_")
    }
    assert "status.HTTP_422_UNPROCESSABLE_ENTITY" not in by_label(items)
    assert not any(item.label.startswith("status.WS_") for item in items)


async def test_function_body(client, workspace):
    marked = ROUTER_MODULE.replace("|", "async def read():\n    x = 1\n    |\n")
    _, items = await complete_at(client, workspace / "body.py", marked)
    without_tasks = {s.id for s in KB.for_context("function_body")} - {"bg-add-task"}
    assert set(snippet_ids(items)) == without_tasks


async def test_add_task_offered_where_background_tasks_is_a_parameter(client, workspace):
    function = "async def notify(background_tasks: BackgroundTasks):\n    |\n"
    marked = ROUTER_MODULE.replace("|", function)
    _, items = await complete_at(client, workspace / "tasks.py", marked)
    assert "bg-add-task" in snippet_ids(items)


async def test_body_of_a_def_closed_at_column_zero(client, workspace):
    """``) -> Item:`` at the def's column, as formatters write a long signature."""
    text = (FIXTURES / "context" / "multiline_headers.py").read_text(encoding="utf-8")
    marked = text.replace("    return item  #", "    |return item  #")
    _, items = await complete_at(client, workspace / "notify.py", marked)
    assert set(snippet_ids(items)) == {s.id for s in KB.for_context("function_body")}


async def test_test_file(client, workspace):
    marked = "from fastapi.testclient import TestClient\n\n|\n"
    _, items = await complete_at(client, workspace / "test_api.py", marked)
    assert set(snippet_ids(items)) == {s.id for s in KB.for_context("test_module")}


async def test_empty_test_file_in_a_fastapi_project(client, workspace):
    _, items = await complete_at(client, workspace / "conftest.py", "|")
    assert set(snippet_ids(items)) == {s.id for s in KB.for_context("test_module")}


async def test_new_empty_file_gets_the_starters(client, workspace):
    text, items = await complete_at(client, workspace / "main.py", "app|")
    offered = snippet_ids(items)
    assert "app-lifespan" in offered
    assert len(offered) == len(set(offered)), "a snippet of two contexts is offered once"
    result = apply_item(
        text, by_label(items)["FastAPI app with lifespan"], client.position_encoding
    )
    assert result.startswith("from contextlib import asynccontextmanager\n")
    assert "from fastapi import FastAPI\n" in result
    assert "lifespan=lifespan" in result


async def test_empty_file_outside_a_fastapi_project_gets_nothing(client, tmp_path_factory):
    elsewhere = tmp_path_factory.mktemp("not-fastapi")
    _, items = await complete_at(client, elsewhere / "main.py", "app|")
    assert items == []


async def test_non_fastapi_file_gets_nothing(client, workspace):
    marked = "import os\n\n\nclass A:\n    pass\n\n|\n"
    result = await client.text_document_completion_async(
        types.CompletionParams(
            text_document=types.TextDocumentIdentifier(
                uri=open_document(client, workspace / "plain.py", cursor(marked)[0])
            ),
            position=types.Position(line=6, character=0),
        )
    )
    assert result is None


async def test_plain_text_without_snippet_support(client, workspace):
    _text, items = await complete_at(client, workspace / "plain_text.py", ROUTER_MODULE)
    assert items
    for item in items:
        resolved = await client.completion_item_resolve_async(item)
        if client.editor == "emacs":
            assert item.insert_text_format == types.InsertTextFormat.PlainText
            assert item.text_edit.new_text == snippet_syntax.to_plain_text(item.text_edit.new_text)
            assert isinstance(resolved.documentation, str), "Emacs declares no markup kinds"
            assert "```" not in resolved.documentation
        else:
            assert item.insert_text_format == types.InsertTextFormat.Snippet
            assert resolved.documentation.kind == types.MarkupKind.Markdown


async def test_resolve_previews_the_expanded_code_and_its_imports(client, workspace):
    marked = APP_MODULE.replace("    id: int\n|", "    id: int\n    valid|")
    _text, items = await complete_at(client, workspace / "resolve.py", marked)
    item = next(i for i in items if i.data["snippet"] == "model-field-validator")
    resolved = await client.completion_item_resolve_async(item)
    documentation = getattr(resolved.documentation, "value", resolved.documentation)
    assert "@field_validator(" in documentation and "$" not in documentation
    assert '("name")\n@classmethod\ndef ' in documentation, "shown as at column 0"
    assert "from pydantic import field_validator\n" in documentation.split("Adds imports")[1]
    assert "docs.pydantic.dev" in documentation or "fastapi.tiangolo.com" in documentation
    description = knowledge.load().snippet("model-field-validator").description
    shown = f"{resolved.detail}\n{documentation}"
    assert shown.count(description) == 1, "the description once, in the documentation"
    description_at = shown.index(description)
    assert description_at < shown.index("@field_validator(") < shown.index("Adds imports")


async def test_emoji_before_the_cursor(client, workspace):
    marked = ROUTER_MODULE.replace(
        "|", '@router.get("/😀/ünï/😀", summary="🚀", response_model=Item|)\n'
    )
    text, items = await complete_at(client, workspace / "emoji.py", marked)
    result = apply_item(text, by_label(items)["ItemPublic"], client.position_encoding)
    assert '@router.get("/😀/ünï/😀", summary="🚀", response_model=ItemPublic)\n' in result


async def test_emoji_line_above_a_model_body(client, workspace):
    marked = APP_MODULE.replace("    id: int\n|", '    id: int\n    note: str = "😀 ✓"\n    |')
    _text, items = await complete_at(client, workspace / "emoji_model.py", marked)
    assert set(snippet_ids(items)) == {s.id for s in KB.for_context("model_body")}


async def test_crlf_document(client, workspace):
    marked = ROUTER_MODULE.replace("\n", "\r\n").replace("|", '@router.post("/", status_code=|)')
    text, items = await complete_at(client, workspace / "crlf.py", marked)
    result = apply_item(text, by_label(items)["status.HTTP_201_CREATED"], client.position_encoding)
    assert "from fastapi import APIRouter, Depends, status\r\n" in result
    assert "\n" not in result.replace("\r\n", "")


async def test_tabs_are_kept(client, workspace):
    marked = APP_MODULE.replace("    ", "\t").replace("\tid: int\n|", "\tid: int\n\t|")
    _text, items = await complete_at(client, workspace / "tabs.py", marked)
    assert items
    for item in items:
        added = item.text_edit.new_text
        assert "\n    " not in added, "four-space indentation converted to tabs"


async def test_syntax_errors_while_typing(client, workspace):
    marked = ROUTER_MODULE.replace(
        "|", '@router.get("/"\nasync def broken(item_id: int,\n\nclass X(:\n\n|'
    )
    text, items = await complete_at(client, workspace / "broken.py", marked)
    assert set(snippet_ids(items)) == offered_snippets("module", text)


@pytest.mark.parametrize(
    "position",
    [
        types.Position(line=500, character=0),
        types.Position(line=0, character=500),
        types.Position(line=3, character=10_000),
    ],
)
async def test_out_of_range_positions(client, workspace, position):
    uri = open_document(client, workspace / "range.py", cursor(ROUTER_MODULE)[0])
    result = await client.text_document_completion_async(
        types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri), position=position
        )
    )
    assert result is None or isinstance(result, types.CompletionList)


async def test_unknown_document(client, workspace):
    result = await client.text_document_completion_async(
        types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=(workspace / "never.py").as_uri()),
            position=types.Position(line=0, character=0),
        )
    )
    assert result is None


async def test_routes_under_a_prefixed_router_do_not_repeat_the_prefix(client, workspace):
    marked = ROUTER_MODULE.replace("|", "get|")
    text, items = await complete_at(client, workspace / "prefixed.py", marked)
    item = next(i for i in items if i.data["snippet"] == "route-get-item")
    result = snippet_syntax.to_plain_text(apply_item(text, item, client.position_encoding))
    assert '@router.get("/{item_id}"' in result


async def test_app_routes_get_the_models_collection(client, workspace):
    marked = APP_MODULE.replace("|", "\n\nget|")
    text, items = await complete_at(client, workspace / "collection.py", marked)
    item = next(i for i in items if i.data["snippet"] == "route-get-item")
    result = snippet_syntax.to_plain_text(apply_item(text, item, client.position_encoding))
    assert '@app.get("/items/{item_id}"' in result


async def test_the_closest_prefix_sorts_first(client, workspace):
    marked = APP_MODULE.replace("    id: int\n|", "    id: int\n    valid|")
    _text, items = await complete_at(client, workspace / "closest.py", marked)
    best = min(items, key=lambda item: item.sort_text)
    assert best.data["snippet"] == "model-field-validator"


async def test_a_function_name_already_in_the_module_is_not_reused(client, workspace):
    marked = APP_MODULE.replace(
        "|",
        '\n\n@app.get("/items/{item_id}")\nasync def read_item(item_id: int):\n    ...\n\n\nget|',
    )
    text, items = await complete_at(client, workspace / "taken_name.py", marked)
    item = next(i for i in items if i.data["snippet"] == "route-get-item")
    result = snippet_syntax.to_plain_text(apply_item(text, item, client.position_encoding))
    assert result.count("def read_item(") == 1
    assert "def read_item_2(" in result
