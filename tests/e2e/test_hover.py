"""End-to-end hover tests: curated cards, keyword docs from the installed FastAPI, route cards.

Run as VS Code (utf-16), Neovim (utf-8), Emacs (utf-32), all taking Markdown, and as a client
that takes plain text only.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import pytest_lsp
from helpers import SERVER, client_position, open_document, start_session
from lsprotocol import types
from pytest_lsp import LanguageClient

from fastapi_ls import knowledge

KB = knowledge.load()

MAIN = """\
\"\"\"An app with a little of everything. 😀\"\"\"

from contextlib import asynccontextmanager
from typing import Annotated

import fastapi as fa
from fastapi import BackgroundTasks, Depends as Dep, FastAPI, HTTPException, Query, status
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator

from .routers.items import router as items_router


@asynccontextmanager
async def lifespan(app: FastAPI):
    yield


app = FastAPI(title="Shop", lifespan=lifespan)
app.add_middleware(CORSMiddleware, allow_origins=["*"])
app.include_router(items_router)


class Item(BaseModel):
    name: str = Field(min_length=1, default_factory=str)  # 🚀 ünïcödé
    model_config = ConfigDict(from_attributes=True)


def get_db():
    yield {}


@app.get("/items/{item_id}", response_model=Item, status_code=status.HTTP_200_OK)
async def read_item(
    item_id: int,
    q: Annotated[str | None, Query(max_length=50)] = None,
    db: Annotated[dict, Dep(get_db)] = None,
    other: dict = fa.Depends(get_db),
):
    if not db:
        raise HTTPException(status_code=404, detail="Item not found")
    return JSONResponse({"id": item_id})
"""

ROUTER = """\
from fastapi import APIRouter

router = APIRouter(prefix="/items", tags=["items"])


@router.get("/{item_id}")
async def read_item(item_id: int):
    return {"item_id": item_id}
"""


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("hover")
    (root / "pyproject.toml").write_text('[project]\nname = "x"\ndependencies = ["fastapi"]\n')
    app = root / "app"
    (app / "routers").mkdir(parents=True)
    (app / "__init__.py").write_text("")
    (app / "routers" / "__init__.py").write_text("")
    (app / "routers" / "items.py").write_text(ROUTER)
    (app / "main.py").write_text(MAIN)
    return root


@pytest_lsp.fixture(
    scope="module", params=["vscode", "neovim", "emacs", "plaintext"], config=SERVER
)
async def client(request, lsp_client: LanguageClient, workspace: Path):
    await start_session(lsp_client, request.param, workspace)
    lsp_client.editor = request.param
    lsp_client.main = open_document(lsp_client, workspace / "app" / "main.py", MAIN)
    yield
    await lsp_client.shutdown_session()


async def hover_on(client: LanguageClient, needle: str, offset: int = 0, *, text=MAIN, uri=None):
    """Hover the ``offset``-th character of the first ``needle`` in the text."""
    index = text.index(needle) + offset
    line = text[:index].count("\n")
    column = index - (text[:index].rfind("\n") + 1)
    result = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri or client.main),
            position=client_position(text, line, column, client.position_encoding),
        )
    )
    if result is None:
        return None
    assert isinstance(result.contents, types.MarkupContent)
    if client.editor == "plaintext":
        assert result.contents.kind == types.MarkupKind.PlainText
        assert "```" not in result.contents.value and "**" not in result.contents.value
    else:
        assert result.contents.kind == types.MarkupKind.Markdown
    return result


def card_title(symbol: str) -> str:
    card = KB.card(symbol)
    assert card is not None, symbol
    return card.title


@pytest.mark.parametrize(
    ("needle", "offset", "symbol"),
    [
        ("FastAPI(title", 2, "fastapi.FastAPI"),
        ("HTTPException(status_code", 3, "fastapi.HTTPException"),
        ("Query(max_length", 1, "fastapi.Query"),
        ("BackgroundTasks, Dep", 2, "fastapi.BackgroundTasks"),
        ("CORSMiddleware, allow", 2, "fastapi.middleware.cors.CORSMiddleware"),
        ("JSONResponse({", 2, "fastapi.responses.JSONResponse"),
        ("BaseModel):", 2, "pydantic.BaseModel"),
        ("Field(min", 1, "pydantic.Field"),
        ("ConfigDict(from", 2, "pydantic.ConfigDict"),
        ("model_config =", 3, "pydantic.BaseModel.model_config"),
        ("Annotated[str", 2, "typing.Annotated"),
        ("asynccontextmanager\nasync", 3, "contextlib.asynccontextmanager"),
        ("add_middleware", 3, "fastapi.FastAPI.add_middleware"),
        ("include_router(items", 3, "fastapi.FastAPI.include_router"),
        ("HTTP_200_OK", 3, "fastapi.status"),
    ],
)
async def test_curated_cards(client, needle, offset, symbol):
    result = await hover_on(client, needle, offset)
    assert result is not None, needle
    assert card_title(symbol) in result.contents.value


@pytest.mark.parametrize(
    ("needle", "offset"),
    [("Dep(get_db)", 1), ("fa.Depends(get_db)", 4)],
    ids=["from-import-alias", "module-alias"],
)
async def test_aliases_resolve(client, needle, offset):
    result = await hover_on(client, needle, offset)
    assert result is not None
    assert card_title("fastapi.Depends") in result.contents.value


async def test_a_router_from_another_module(client):
    result = await hover_on(client, "items_router)", 2)
    assert result is not None
    value = result.contents.value
    assert card_title("fastapi.APIRouter") in value
    assert "items.py" in value and "/items" in value and "tags" in value


async def keyword_hover(client: LanguageClient, needle: str, offset: int):
    """Keyword docs come from parsing the installed FastAPI in the background: wait for it."""
    for _ in range(100):
        result = await hover_on(client, needle, offset)
        if result is not None and "installed" in result.contents.value:
            return result
        await asyncio.sleep(0.1)
    return result


async def test_response_model_docs_come_from_the_installed_fastapi(client):
    result = await keyword_hover(client, "response_model=Item", 3)
    value = result.contents.value
    assert "response_model" in value
    assert "The type to use for the response" in value
    assert "installed fastapi" in value


async def test_lifespan_docs_come_from_the_installed_fastapi(client):
    result = await keyword_hover(client, "lifespan=lifespan", 2)
    value = result.contents.value
    assert "A `Lifespan` context manager handler" in value or "A Lifespan context" in value


async def test_field_default_factory_docs(client):
    result = await keyword_hover(client, "default_factory=str", 4)
    assert "callable to generate the default value" in result.contents.value


async def test_route_card_with_the_router_prefix(client, workspace):
    uri = open_document(client, workspace / "app" / "routers" / "items.py", ROUTER)
    for needle, offset in (("get(", 1), ("read_item", 2)):
        result = await hover_on(client, needle, offset, text=ROUTER, uri=uri)
        assert result is not None
        value = result.contents.value
        assert "GET /items/{item_id}" in value
        assert "item_id" in value.split("GET /items/{item_id}")[1]


async def test_route_card_in_the_app_module(client):
    result = await hover_on(client, '@app.get("/items', 6)
    value = result.contents.value
    assert "GET /items/{item_id}" in value
    assert "Item" in value and "status.HTTP_200_OK" in value


@pytest.mark.parametrize(
    ("needle", "offset"),
    [
        ("    item_id: int,", 0),  # whitespace
        ("# 🚀 ünïcödé", 3),  # a comment
        ('"Item not found"', 3),  # a string
        ("get_db():", 2),  # a name of the user's own, known to the type checker
    ],
)
async def test_nothing_where_nothing_is_known(client, needle, offset):
    assert await hover_on(client, needle, offset) is None


@pytest.mark.parametrize(("line", "character"), [(1, 500), (500, 0), (500, 500)])
async def test_out_of_range_positions(client, line, character):
    result = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=client.main),
            position=types.Position(line=line, character=character),
        )
    )
    assert result is None


async def test_emoji_before_the_hovered_word(client):
    result = await hover_on(client, "Field(min", 2)
    assert result is not None and card_title("pydantic.Field") in result.contents.value
    line = MAIN[: MAIN.index("Field(min")].count("\n")
    text_line = MAIN.split("\n")[line]
    assert result.range.start == client_position(
        MAIN, line, text_line.index("Field"), client.position_encoding
    )


async def test_emoji_on_the_line_after_the_word(client):
    result = await hover_on(client, "name: str = Field", 14)
    assert result is not None


async def test_non_fastapi_file(client, workspace):
    text = "from os import path\nimport typing\n\nx: typing.Annotated[int, 1] = 1\n"
    uri = open_document(client, workspace / "plain.py", text)
    assert await hover_on(client, "Annotated", 2, text=text, uri=uri) is None


async def test_syntax_errors(client, workspace):
    text = MAIN.replace("    yield\n", "    yield (\n", 1).replace(
        "class Item(BaseModel):", "class Item(BaseModel:"
    )
    uri = open_document(client, workspace / "broken.py", text)
    result = await hover_on(client, "HTTPException(status_code", 3, text=text, uri=uri)
    assert result is not None


async def test_tier2_hint(client, workspace):
    text = (
        "from fastapi import FastAPI\nfrom sse_starlette.sse import EventSourceResponse\n\n"
        "app = FastAPI()\n\n\n@app.get('/stream')\nasync def stream():\n"
        "    return EventSourceResponse(events())\n"
    )
    uri = open_document(client, workspace / "sse.py", text)
    result = await hover_on(client, "EventSourceResponse(events", 3, text=text, uri=uri)
    assert result is not None
    assert "Server-Sent Events" in result.contents.value
    assert "Context7" in result.contents.value


async def test_hover_can_be_turned_off(client):
    client.set_configuration({"hover": {"enabled": False}}, section="fastapiLs")
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
    await asyncio.sleep(0.2)
    assert await hover_on(client, "HTTPException(status_code", 3) is None
    client.set_configuration({"hover": {"enabled": True}}, section="fastapiLs")
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
    await asyncio.sleep(0.2)
    assert await hover_on(client, "HTTPException(status_code", 3) is not None
