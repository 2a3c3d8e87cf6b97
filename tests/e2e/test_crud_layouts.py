"""The CRUD snippets, pre-filled by the real server in four project layouts, run on SQLite.

For each layout of ``tests/fixtures/layouts`` (and the example shop) the test opens the module
the routes belong in, as it was before any route was written, and asks the server (over stdio,
as VS Code) for each CRUD snippet in turn: it types the snippet's first prefix on a new line,
resolves the item, accepts it with its import edits and every placeholder's default, and goes
on.  The module is then written into a copy of the project, whose app is started with
``TestClient`` (lifespan included) on a real SQLite database, and driven through
create -> read -> 404 -> patch -> list with pagination -> delete.  The names the server chose
(table, schemas, session) are what makes these requests pass or fail.
"""

from __future__ import annotations

import importlib
import re
import shutil
import sys
import warnings
from pathlib import Path

import pytest
import pytest_lsp
from helpers import SERVER, apply_item, complete, open_document, start_session
from lsprotocol import types
from pytest_lsp import LanguageClient

from fastapi_ls import knowledge, snippet_syntax

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

with warnings.catch_warnings():
    warnings.filterwarnings(
        "ignore", message="Using `httpx` with `starlette.testclient`", category=UserWarning
    )
    from fastapi.testclient import TestClient

KB = knowledge.load()
LAYOUTS = Path(__file__).resolve().parents[1] / "fixtures" / "layouts"
SHOP = Path(__file__).resolve().parents[2] / "examples" / "shop"
#: (layout folder, its description) for each layout the cycle runs in.
PROJECTS = {
    "sql_tutorial": (LAYOUTS / "sql_tutorial", LAYOUTS / "sql_tutorial" / "layout.toml"),
    "sqlalchemy_orm": (LAYOUTS / "sqlalchemy_orm", LAYOUTS / "sqlalchemy_orm" / "layout.toml"),
    "sqlalchemy_async": (
        LAYOUTS / "sqlalchemy_async",
        LAYOUTS / "sqlalchemy_async" / "layout.toml",
    ),
    "shop": (SHOP, LAYOUTS / "shop.toml"),
}
#: The snippets typed into the module, in order; the server offers one PATCH of the two.
CRUD = (
    "route-create-item",
    "route-get-item",
    "route-list-items",
    "route-update-item",
    ("route-patch-item", "route-patch-item-with-model"),
    "route-delete-item",
)
_FIRST_ROUTE = re.compile(r"^@\w+\.(?:get|post|put|patch|delete|api_route)\(", re.MULTILINE)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("layouts")
    for name, (source, _) in PROJECTS.items():
        shutil.copytree(source, root / name, ignore=shutil.ignore_patterns("*.db", "__pycache__"))
    return root


@pytest_lsp.fixture(scope="module", config=SERVER)
async def client(lsp_client: LanguageClient, workspace: Path):
    await start_session(lsp_client, "vscode", workspace)
    yield
    await lsp_client.shutdown_session()


async def type_snippets(client: LanguageClient, path: Path) -> str:
    """The module after typing and accepting each CRUD snippet at its end."""
    text = path.read_text(encoding="utf-8")
    first_route = _FIRST_ROUTE.search(text)
    text = (text[: first_route.start()] if first_route else text).rstrip("\n") + "\n"
    uri = None
    for wanted in CRUD:
        ids = wanted if isinstance(wanted, tuple) else (wanted,)
        typed = KB.snippet(ids[0]).prefixes[0]
        document = f"{text}\n\n{typed}"
        if uri is None:
            uri = open_document(client, path, document)
        else:
            client.text_document_did_change(
                types.DidChangeTextDocumentParams(
                    text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=0),
                    content_changes=[types.TextDocumentContentChangeWholeDocument(text=document)],
                )
            )
        lines = document.split("\n")
        items = await complete(client, uri, document, len(lines) - 1, len(typed))
        offered = [i for i in items if isinstance(i.data, dict) and i.data["snippet"] in ids]
        assert len(offered) == 1, (wanted, [i.data for i in items if isinstance(i.data, dict)])
        item = await client.completion_item_resolve_async(offered[0])
        assert "```python" in item.documentation.value
        assert isinstance(item.text_edit, types.TextEdit)
        item.text_edit.new_text = snippet_syntax.to_plain_text(item.text_edit.new_text)
        text = apply_item(document, item, client.position_encoding)
    return text


def run_cycle(app, spec: dict) -> None:
    path, create, public, patch = spec["path"], spec["create"], spec["public"], spec["patch"]
    with TestClient(app) as http:
        response = http.post(f"{path}/", json=create)
        assert response.status_code == 201, response.text
        created = response.json()
        assert created == {**public, "id": created["id"]}
        item = f"{path}/{created['id']}"

        response = http.get(item)
        assert (response.status_code, response.json()) == (200, created)
        response = http.get(f"{path}/999999")
        assert (response.status_code, response.json()) == (404, {"detail": "Item not found"})

        response = http.patch(item, json=patch)
        assert (response.status_code, response.json()) == (200, {**created, **patch})
        assert http.get(item).json() == {**created, **patch}
        assert http.patch(f"{path}/999999", json=patch).status_code == 404

        response = http.put(item, json=create)
        assert (response.status_code, response.json()) == (200, created)

        second = http.post(f"{path}/", json=create).json()
        third = http.post(f"{path}/", json=create).json()
        listed = http.get(f"{path}/").json()
        assert [row["id"] for row in listed] == [created["id"], second["id"], third["id"]]
        page = http.get(f"{path}/", params={"offset": 1, "limit": 1})
        assert (page.status_code, page.json()) == (200, [second])

        response = http.delete(item)
        assert (response.status_code, response.content) == (204, b"")
        assert http.get(item).status_code == 404
        assert http.delete(item).status_code == 404
        assert [row["id"] for row in http.get(f"{path}/").json()] == [second["id"], third["id"]]


@pytest.mark.parametrize("layout", list(PROJECTS))
async def test_crud_cycle(client: LanguageClient, workspace: Path, layout, monkeypatch):
    root = workspace / layout
    spec = tomllib.loads(PROJECTS[layout][1].read_text(encoding="utf-8"))
    target = root / spec["target"]
    target.write_text(await type_snippets(client, target), encoding="utf-8")

    monkeypatch.setenv("SHOP_DATABASE_URL", f"sqlite:///{root / 'shop.db'}")
    monkeypatch.syspath_prepend(str(root))
    module_name, _, app_name = spec["app"].partition(":")
    package = module_name.split(".", 1)[0]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            app = getattr(importlib.import_module(module_name), app_name)
        run_cycle(app, spec)
    finally:
        for name in [n for n in sys.modules if n == package or n.startswith(package + ".")]:
            del sys.modules[name]
