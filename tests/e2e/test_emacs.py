"""End-to-end in Emacs: Eglot, configured as the README says, drives the real server.

``emacs --batch -Q`` loads the README's Emacs Lisp block (read at run time, so the README
cannot rot), activates Debian's Eglot package, opens a FastAPI module and runs
``tests/e2e/editors/emacs/driver.el``: completion through Eglot's ``completion-at-point`` table
(at module level and in a model body, below lines of non-ASCII text), a hover and the code
actions at positions Eglot computes from point, then ``M-x eglot-code-actions`` choosing the
Context7 action, against the local Context7 test server.  The driver writes what it saw as
JSON; the tests below judge it.

Emacs and Eglot come from ``scripts/install-editors.sh`` (Debian's emacs-nox and elpa-eglot),
run here when they are missing; the tests skip only when that cannot install them.
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
from helpers import offered_snippets, readme_block, units

from fastapi_ls import knowledge, settings

ROOT = Path(__file__).resolve().parents[2]
DRIVER = ROOT / "tests" / "e2e" / "editors" / "emacs" / "driver.el"
INSTALL = ROOT / "scripts" / "install-editors.sh"
#: Where Debian installs ELPA packages (elpa-eglot); a user's Emacs activates them at start-up.
DEBIAN_ELPA = ["/usr/share/emacs/site-lisp/elpa"]
KB = knowledge.load()
#: Typed in the model body before `M-x completion-at-point`: only the "field" snippet's name
#: starts with it.
TYPED = "fie"
ACTION = "Context7: WebSocket connection manager and broadcast (FastAPI docs)"
#: Seconds for each wait inside Emacs, for the whole Emacs run, and for the subprocess.
WAIT, DEADLINE, TIMEOUT = 10, 35, 45

#: The module Emacs opens.  «name» marks where the driver puts point for each step.
SOURCE = """\
\"\"\"Grüße aus Köln 😀: a small FastAPI module, edited in Emacs.\"\"\"

from fastapi import Depends, FastAPI, WebSocket
from pydantic import BaseModel

app = Fast«plain»API(title="Größen-API 🚀")
«module»

def get_db():
    yield {}


@app.get("/größen/😀🚀")
async def read_sizes(note: str = "ünïcödé 😀", db: dict = «hover»Depends(get_db)):
    return db


class Größe(BaseModel):
    \"\"\"Eine Größe in Zentimetern 😀.\"\"\"

    einheit: str = "µm 🚀"
    «modelBody»


class ConnectionManager:
    def __init__(self) -> None:
        self.active_connections: list[WebSocket] = []

    async def broadcast(self, message: str) -> None:
        for connection in self.active_connections:
            await connection.send_text(message)


größen_manager = Conn«action»ectionManager()  # 😀
"""


#: A test module beside SOURCE; the driver completes the path at «path».
TEST_MODULE = """\
from fastapi.testclient import TestClient

from main import app

client = TestClient(app)


def test_sizes():
    assert client.get("/«path»").status_code == 200
"""


def place_markers(marked: str) -> tuple[str, dict[str, int]]:
    """The text without markers, and each marker's Emacs position (1-based characters)."""
    points: dict[str, int] = {}
    text = marked
    while match := re.search(r"«(\w+)»", text):
        points[match.group(1)] = match.start() + 1
        text = text[: match.start()] + text[match.end() :]
    return text, points


def probe_eglot() -> str | None:
    """None when Emacs can load Eglot; else why not."""
    emacs = shutil.which("emacs")
    if emacs is None:
        return "emacs is not installed"
    result = subprocess.run(
        [emacs, "--batch", "-Q", "-l", str(DRIVER)],
        env={**os.environ, "FASTAPI_LS_EMACS_PROBE": ":".join(DEBIAN_ELPA)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if result.returncode != 0:
        said = (result.stdout + result.stderr).strip().splitlines()
        return said[-1] if said else f"emacs exited with status {result.returncode}"
    return None


@pytest.fixture(scope="module")
def emacs() -> str:
    """Emacs with Eglot, installed by scripts/install-editors.sh when missing."""
    problem = probe_eglot()
    if problem is not None:
        install = subprocess.run(
            ["bash", str(INSTALL)], capture_output=True, text=True, timeout=900, check=False
        )
        problem = probe_eglot()
        if problem is not None:
            said = (install.stdout + install.stderr).strip()
            pytest.skip(f"Emacs with Eglot cannot be installed ({problem}). {said}".strip())
    return shutil.which("emacs")


@pytest.fixture(scope="module")
def session(emacs, tmp_path_factory):
    """One Emacs run through every step; its observations, with what the test arranged."""
    root = tmp_path_factory.mktemp("emacs-workspace")
    (root / "pyproject.toml").write_text('[project]\nname = "shop"\ndependencies = ["fastapi"]\n')
    text, points = place_markers(SOURCE)
    module = root / "main.py"
    module.write_text(text, encoding="utf-8")
    test_text, test_points = place_markers(TEST_MODULE)
    (root / "test_main.py").write_text(test_text, encoding="utf-8")
    home = tmp_path_factory.mktemp("emacs-home")
    work = tmp_path_factory.mktemp("emacs-run")
    config = work / "readme-config.el"
    config.write_text(readme_block("Emacs (Eglot)", "elisp"), encoding="utf-8")
    cache = work / "context7-cache"
    out = work / "observations.json"

    with running_context7() as context7:
        plan = {
            "config": str(config),
            "file": str(module),
            "out": str(out),
            "points": points,
            "typed": TYPED,
            "action": ACTION,
            "testFile": str(root / "test_main.py"),
            "testPoint": test_points["path"],
            # At start-up the cache directory, and a Context7 URL where nothing listens: the
            # real one must come from `eglot-workspace-configuration`, pulled after start-up.
            "initializationOptions": {
                "context7": {"cacheDir": str(cache), "baseUrl": "http://127.0.0.1:9/api"}
            },
            "workspaceConfiguration": {
                "fastapiLs": {"context7": {"baseUrl": context7.base_url, "timeout": 10}}
            },
            "elpa": DEBIAN_ELPA,
            "timeout": WAIT,
            "deadline": DEADLINE,
        }
        (work / "plan.json").write_text(json.dumps(plan), encoding="utf-8")
        # `fastapi-ls` is the console script next to this interpreter: first on PATH (Emacs
        # derives `exec-path` from it).  HOME is empty: no user init, packages or caches.
        env = {
            **os.environ,
            "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]),
            "HOME": str(home),
            "FASTAPI_LS_EMACS_PLAN": str(work / "plan.json"),
        }
        started = time.monotonic()
        result = subprocess.run(
            [emacs, "--batch", "-Q", "-l", str(DRIVER)],
            cwd=root,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
        seconds = time.monotonic() - started
        requests = list(context7.requests)

    assert result.returncode == 0, result.stderr[-4000:]
    assert out.is_file(), result.stderr[-4000:]
    seen = json.loads(out.read_text(encoding="utf-8"))
    return {
        "seen": seen,
        "stderr": result.stderr,
        "seconds": seconds,
        "text": text,
        "points": points,
        "cache": cache,
        "requests": requests,
    }


def line_before(text: str, point: int) -> str:
    """The cursor's line up to ``point`` (an Emacs position)."""
    before = text[: point - 1]
    return before[before.rfind("\n") + 1 :]


def test_every_step_ran_without_error(session):
    seen = session["seen"]
    assert seen["errors"] == {}, (seen["errors"], session["stderr"][-3000:])
    assert session["seconds"] < 40, seen["timings"]


def test_the_readme_configuration_starts_fastapi_ls(session):
    seen = session["seen"]
    assert seen["majorMode"] == "python-mode"
    assert seen["readmeEntry"] == '((python-mode python-ts-mode) "fastapi-ls")'
    assert seen["pythonContact"] == '("fastapi-ls")', "it wins over Eglot's own Python entry"
    readme_settings = seen["readmeWorkspaceConfiguration"]["fastapiLs"]
    parsed, problems = settings.parse(readme_settings)
    assert problems == [], "the README's example settings are valid"
    assert parsed.context7.offline is False
    assert seen["execPath"] == str(Path(sys.executable).parent / "fastapi-ls")
    assert seen["server"]["name"] == "fastapi-ls"
    assert "fastapiLs.context7.lookup" in seen["server"]["commands"]


def test_position_encoding_and_columns_agree(session):
    """Whatever Eglot asks, the server's answer is what Eglot's columns count."""
    seen = session["seen"]
    offered = seen["client"]["positionEncodings"]
    negotiated = seen["server"]["positionEncoding"] or "utf-16"
    if offered:
        assert negotiated in offered
    else:
        assert negotiated == "utf-16", "no offer means the protocol's default"
    # The hover and action lines carry non-ASCII text before the cursor: the columns Eglot
    # sent are the negotiated units of that text.
    for marker, position in (
        ("hover", seen["hover"]["position"]),
        ("action", seen["actionPosition"]),
    ):
        point = session["points"][marker]
        prefix = line_before(session["text"], point)
        assert not prefix.isascii()
        assert position["character"] == units(prefix, negotiated), (marker, offered, negotiated)
        assert position["line"] == session["text"][: point - 1].count("\n")


def labels(items: list[dict]) -> set[str]:
    return {item["label"] for item in items}


def test_module_level_completion_offers_the_fastapi_snippets(session):
    items = session["seen"]["moduleItems"]
    offered = offered_snippets("module", session["text"])
    assert labels(items) == {s.label for s in KB.for_context("module") if s.id in offered}
    assert {item["snippet"] for item in items} == offered


def test_model_body_completion_offers_the_model_snippets(session):
    seen = session["seen"]
    assert not seen["modelBodyLine"].strip(), "the cursor's line is the model body's indent"
    items = seen["modelBodyItems"]
    assert labels(items) == {snippet.label for snippet in KB.for_context("model_body")}
    assert {item["snippet"] for item in items} == {s.id for s in KB.for_context("model_body")}


def test_items_honour_eglots_snippet_support(session):
    """Without yasnippet Eglot declares no snippet support: items are plain text then."""
    seen = session["seen"]
    formats = {item["insertTextFormat"] for item in seen["moduleItems"] + seen["modelBodyItems"]}
    if seen["client"]["snippetSupport"] is True:
        assert formats == {2}
    else:
        assert formats <= {1, None}, formats


def completion_results(seen: dict) -> list[dict]:
    return [r["result"] for r in seen["requests"] if r["method"] == ":textDocument/completion"]


def test_typing_and_completing_inserts_the_field(session):
    """M-x completion-at-point after "fie": Eglot applies the item's edit where it belongs."""
    seen = session["seen"]
    assert not seen["completionsShown"], "one candidate: completed without a list"
    last = completion_results(seen)[-1]
    (item,) = [item for item in last["items"] if item["label"] == "field"]
    new_text = item["textEdit"]["newText"]
    assert not item.get("additionalTextEdits")
    body = '    einheit: str = "µm 🚀"\n'
    expected = session["text"].replace(body + "    \n", f"{body}    {new_text}\n")
    assert seen["bufferAfterCompletion"] == expected
    assert TYPED not in seen["completedLine"]
    compile(seen["bufferAfterCompletion"], "main.py", "exec")


def test_hover_shows_the_depends_card(session):
    hover = session["seen"]["hover"]
    card = KB.card("fastapi.Depends")
    assert card is not None
    assert hover["text"], hover
    assert card.title in hover["text"]
    assert card.summary.split("`")[0][:40] in hover["text"]
    if "markdown" not in session["seen"]["client"]["hoverFormats"]:
        assert hover["kind"] == "plaintext"


def test_code_actions_offer_the_context7_lookup(session):
    seen = session["seen"]
    assert ACTION in seen["actionTitles"]
    assert ACTION in seen["menu"], "M-x eglot-code-actions lists it"


def test_code_actions_on_a_plain_symbol_offer_nothing(session):
    """M-x eglot-code-actions sends the symbol at point as the range when nothing is selected."""
    assert session["seen"]["plainMenu"] == []


def test_the_action_writes_and_opens_the_document(session):
    """Under the cacheDir given in initializationOptions; shown, or named in a message."""
    seen = session["seen"]
    documents = list((session["cache"] / "documents").glob("*/*.md"))
    assert len(documents) == 1, documents
    (document,) = documents
    assert "## What fastapi-ls knows" in document.read_text(encoding="utf-8")
    if seen["client"]["showDocument"]:
        assert str(document) in seen["documentBuffers"]
    else:
        said = [message for message in seen["messages"] if str(document) in message]
        assert said, seen["messages"]
        assert "WebSocket connection manager and broadcast" in said[-1]


def test_context7_was_asked_with_the_pulled_settings(session):
    """The URL came from `eglot-workspace-configuration` (the start-up one goes nowhere)."""
    context = [request for request in session["requests"] if request.endpoint == "context"]
    assert context, session["requests"]
    assert context[0].path == "/api/v2/context"
    assert context[0].params["query"] == "websocket connection manager broadcast"


def test_route_search_finds_the_route_at_its_decorator(session):
    (symbol,) = session["seen"]["routeSymbols"]
    assert symbol["name"] == "GET /größen/😀🚀"
    assert session["text"].split("\n")[symbol["line"]].startswith('@app.get("/größen/')
    assert symbol["container"] == "app · read_sizes"


def test_a_test_clients_path_completes_in_emacs(session):
    (item,) = session["seen"]["pathItems"]
    assert item["label"] == "/größen/😀🚀"
    assert item["newText"] == "/größen/😀🚀"
