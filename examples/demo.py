"""Start the real fastapi-ls over stdio on the example project and show what an editor would.

Each scene opens a file of ``examples/shop``, types a few characters at a place in it (as an
editor would, with ``textDocument/didChange``), asks for completions and prints the first
items: label, description, the code that would be inserted and the imports that would be
added.  Run it with the interpreter that has fastapi-ls installed:

    .venv/bin/python examples/demo.py
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import textwrap
from pathlib import Path

from lsprotocol import types
from pygls.lsp.client import LanguageClient

from fastapi_ls.snippet_syntax import to_plain_text

PROJECT = Path(__file__).resolve().parent / "shop"

# (file, text after which to type, what to type, what the scene shows)
SCENES = [
    ("app/routers/items.py", None, "get", "module level of a router module: routes use `router`"),
    ("app/routers/items.py", None, "@", "after @: one decorator per router or app of the file"),
    ("app/models.py", "price: float = Field(gt=0)\n", "    valid", "in a model body: validators"),
    ("app/routers/items.py", "item: ItemCreate, ", "q", "in a route's parameter list"),
    ("app/routers/items.py", None, '@router.get("/", response_model=', "after response_model="),
    ("app/routers/items.py", None, '@router.post("/", status_code=', "after status_code="),
    (
        "app/database.py",
        None,
        "\n\ndef probe(session: Annotated[Session, Depends(",
        "inside Depends(",
    ),
    ("app/health.py", None, "app", "a new, empty file in a FastAPI project"),
    ("tests/test_items.py", None, "test", "a test file"),
]


def position_after(text: str, anchor: str | None) -> types.Position:
    offset = len(text) if anchor is None else text.index(anchor) + len(anchor)
    before = text[:offset]
    return types.Position(line=before.count("\n"), character=len(before.split("\n")[-1]))


async def show_imports(client: LanguageClient, item: types.CompletionItem) -> None:
    """Print the imports the item adds, as its resolved documentation lists them."""
    if not item.additional_text_edits:
        return
    resolved = await client.completion_item_resolve_async(item)
    documentation = getattr(resolved.documentation, "value", resolved.documentation) or ""
    _, _, imports = documentation.partition("Adds imports:")
    for line in imports.splitlines():
        if line.startswith(("from ", "import ")):
            print(f"        + {line}")


async def run(limit: int) -> None:
    client = LanguageClient("fastapi-ls-demo", "1")

    @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def diagnostics_arrived(params: types.PublishDiagnosticsParams) -> None:
        """The shop is current code: the server has nothing to point out in it."""

    @client.feature("fastapiLs/routesChanged")
    def routes_changed(params: object) -> None:
        """What a Routes view refreshes on; route search below asks for the table itself."""

    await client.start_io(sys.executable, "-m", "fastapi_ls")
    capabilities = types.ClientCapabilities(
        general=types.GeneralClientCapabilities(position_encodings=["utf-16"]),
        text_document=types.TextDocumentClientCapabilities(
            completion=types.CompletionClientCapabilities(
                completion_item=types.ClientCompletionItemOptions(
                    snippet_support=True,
                    documentation_format=[types.MarkupKind.Markdown],
                )
            )
        ),
    )
    await client.initialize_async(
        types.InitializeParams(
            capabilities=capabilities,
            root_uri=PROJECT.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=PROJECT.as_uri(), name="shop")],
        )
    )
    client.initialized(types.InitializedParams())

    for number, (relative, anchor, typed, caption) in enumerate(SCENES, start=1):
        path = PROJECT / relative
        original = path.read_text(encoding="utf-8") if path.exists() else ""
        at = position_after(original, anchor)
        uri = f"{path.as_uri()}"
        client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=uri, language_id="python", version=1, text=original
                )
            )
        )
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
                content_changes=[
                    types.TextDocumentContentChangePartial(
                        range=types.Range(start=at, end=at), text=typed
                    )
                ],
            )
        )
        typed_line = typed.split("\n")[-1]
        cursor = types.Position(line=at.line, character=at.character + len(typed_line))
        result = await client.text_document_completion_async(
            types.CompletionParams(
                text_document=types.TextDocumentIdentifier(uri=uri), position=cursor
            )
        )
        items = result.items if isinstance(result, types.CompletionList) else result or []
        items = sorted(items, key=lambda item: item.sort_text or item.label)
        print(f"\n── {number}. {relative}:{cursor.line + 1} typed {typed.strip()!r}: {caption}")
        if not items:
            print("   (nothing offered)")
        for rank, item in enumerate(items[:limit], start=1):
            print(f"   {rank}. {item.label}  —  {item.detail or ''}")
            if rank == 1 and item.text_edit is not None:
                inserted = to_plain_text(item.text_edit.new_text).rstrip()
                print(textwrap.indent(inserted, "        │ "))
                await show_imports(client, item)
        if len(items) > limit:
            print(f"   … and {len(items) - limit} more")
        client.text_document_did_close(
            types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
        )

    await show_routes(client)
    await run_the_shop(client)
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()


def apply_edits(text: str, edits: list[types.TextEdit]) -> str:
    """The text after the edits (the shop's files are ASCII: columns are characters)."""
    lines = text.split("\n")

    def offset(position: types.Position) -> int:
        return sum(len(line) + 1 for line in lines[: position.line]) + position.character

    spans = sorted((offset(e.range.start), offset(e.range.end), e.new_text) for e in edits)
    for start, end, new_text in reversed(spans):
        text = text[:start] + new_text + text[end:]
    return text


async def show_routes(client: LanguageClient) -> None:
    """Route search, as an editor's symbol search shows it: every route the shop serves."""
    symbols: list = []
    for _ in range(100):  # the workspace index is built in the background
        symbols = await client.workspace_symbol_async(types.WorkspaceSymbolParams(query="")) or []
        if symbols:
            break
        await asyncio.sleep(0.1)
    print("\n── route search (workspace/symbol), with full paths:")
    for symbol in symbols:
        where = Path(symbol.location.uri.removeprefix("file://")).relative_to(PROJECT)
        line = symbol.location.range.start.line + 1
        print(f"   {symbol.name:28} {where}:{line}  ({symbol.container_name})")


async def run_the_shop(client: LanguageClient) -> None:
    """Accept "GET one item" at the end of the items router, then call the shop's routes."""
    path = PROJECT / "app/routers/items.py"
    text = path.read_text(encoding="utf-8").rstrip("\n") + "\n\n\nget"
    uri = path.as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri, language_id="python", version=1, text=text
            )
        )
    )
    end = types.Position(line=text.count("\n"), character=3)
    result = await client.text_document_completion_async(
        types.CompletionParams(text_document=types.TextDocumentIdentifier(uri=uri), position=end)
    )
    items = result.items if isinstance(result, types.CompletionList) else result or []
    item = next(
        i for i in items if isinstance(i.data, dict) and i.data["snippet"] == "route-get-item"
    )
    main_edit = types.TextEdit(
        range=item.text_edit.range, new_text=to_plain_text(item.text_edit.new_text)
    )
    module = apply_edits(text, [main_edit, *(item.additional_text_edits or [])])
    print('\n── the shop, with "GET one item" accepted in app/routers/items.py and run:')
    with tempfile.TemporaryDirectory() as directory:
        shutil.copytree(PROJECT / "app", Path(directory) / "app")
        (Path(directory) / "app/routers/items.py").write_text(module, encoding="utf-8")
        os.environ["SHOP_DATABASE_URL"] = f"sqlite:///{directory}/shop.db"
        sys.path.insert(0, directory)
        from app.main import app  # the copy just written
        from fastapi.testclient import TestClient

        with TestClient(app) as http:
            for method, url, body in [
                ("POST", "/items/", {"name": "Lamp", "price": 12.5}),
                ("GET", "/items/1", None),
                ("GET", "/items/999", None),
            ]:
                response = http.request(method, url, json=body)
                print(f"   {method} {url} → {response.status_code} {response.json()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--limit", type=int, default=4, help="items shown per scene")
    asyncio.run(run(parser.parse_args().limit))


if __name__ == "__main__":
    main()
