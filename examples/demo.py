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
import sys
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
    ("app/models.py", "from_attributes=True)\n", "    valid", "in a BaseModel body: validators"),
    ("app/routers/items.py", "item: ItemCreate, ", "q", "in a route's parameter list"),
    ("app/routers/items.py", None, '@router.get("/", response_model=', "after response_model="),
    ("app/routers/items.py", None, '@router.post("/", status_code=', "after status_code="),
    ("app/routers/items.py", "Annotated[dict, Depends(", "", "inside Depends("),
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

    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--limit", type=int, default=4, help="items shown per scene")
    asyncio.run(run(parser.parse_args().limit))


if __name__ == "__main__":
    main()
