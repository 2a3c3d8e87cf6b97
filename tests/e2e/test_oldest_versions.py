"""The snippets under the oldest FastAPI, Starlette, Pydantic and pydantic-settings supported.

scripts/oldest_env.py makes (once, cached in .cache/oldest/) a virtual environment with the
releases pinned in tests/fixtures/oldest/requirements.txt. In it, the snippet tests of
tests/unit/test_snippets_execute.py run as they run under the current releases, warnings as
errors: every snippet whose declared minimums those releases meet must pass, every other one is
skipped. Then the real server, told to use that environment's Python as the project's
interpreter, must offer exactly the snippets and status names those releases have.

The test is skipped, saying why, only when pip cannot install the pinned releases.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import pytest_lsp
from helpers import SERVER, complete, cursor, offered_snippets, open_document, start_session
from packaging.version import Version
from pytest_lsp import LanguageClient

from fastapi_ls import completion, knowledge

ROOT = Path(__file__).resolve().parents[2]
OLDEST = ROOT / "tests" / "fixtures" / "oldest"
INSTALLER = ROOT / "scripts" / "oldest_env.py"
PIP_FAILED = 2
SNIPPET_TESTS = "tests/unit/test_snippets_execute.py"
#: The snippet module's tests that exercise the installed libraries (its lint and data checks
#: do not depend on them): one per snippet, and two for the whole knowledge base.
PER_SNIPPET_TESTS = ("test_snippet_module_runs", "test_test_module_snippet_runs")
WHOLE_TESTS = ("test_status_codes_match_fastapi_status", "test_every_snippet_has_an_expectation")
KB = knowledge.load()
SNIPPETS = {snippet.id: snippet for snippet in KB.snippets}
STATUSES = {status.name: status for status in KB.status_codes if status.name.startswith("HTTP_")}
APP_MODULE = "from fastapi import FastAPI\nfrom pydantic import BaseModel\n\napp = FastAPI()\n\n"
#: Where each context's snippets are asked for, in a module that creates the app.
PLACES = {
    "module": APP_MODULE + "|\n",
    "model_body": APP_MODULE + "class Item(BaseModel):\n    |\n",
    "signature": APP_MODULE + '@app.get("/items/{item_id}")\nasync def read_item(|):\n    pass\n',
}
STATUS_PLACE = (
    APP_MODULE + '@app.post("/items/", status_code=|)\nasync def create_item():\n    pass\n'
)


def pinned_versions() -> dict[str, Version]:
    text = (OLDEST / "requirements.txt").read_text(encoding="utf-8")
    pins = re.findall(r"^([\w-]+)(?:\[[\w,]+\])?==(\S+)", text, re.MULTILINE)
    return {name.lower(): Version(release) for name, release in pins}


@pytest.fixture(scope="module")
def oldest_python() -> Path:
    made = subprocess.run(
        [sys.executable, str(INSTALLER)], capture_output=True, text=True, check=False
    )
    if made.returncode == PIP_FAILED:
        reason = made.stderr.strip().splitlines()[-1:] or ["no output"]
        pytest.skip(f"pip cannot install {OLDEST / 'requirements.txt'}: {reason[0]}")
    assert made.returncode == 0, made.stdout + made.stderr
    return Path(made.stdout.strip())


@pytest.fixture(scope="module")
def oldest(oldest_python: Path) -> completion.Versions:
    """The releases installed in the environment, checked against the pins."""
    probe = (
        "import json; from importlib.metadata import version; "
        "print(json.dumps({n: version(n) for n in "
        "('fastapi', 'starlette', 'pydantic', 'pydantic-settings')}))"
    )
    output = subprocess.run(
        [str(oldest_python), "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    installed = {name: Version(release) for name, release in json.loads(output).items()}
    pins = pinned_versions()
    assert installed == {name: pins[name] for name in installed}
    return completion.Versions(
        fastapi=installed["fastapi"],
        pydantic=installed["pydantic"],
        starlette=installed["starlette"],
    )


def outcomes_of(report: Path) -> dict[str, str]:
    """Each test case of a JUnit XML report: passed, skipped, or failed with its message."""
    outcomes = {}
    for case in ET.parse(report).iter("testcase"):
        problem = case.find("failure")
        if problem is None:
            problem = case.find("error")
        if problem is not None:
            outcomes[case.get("name")] = "failed: " + (problem.get("message") or "")[:300]
        elif case.find("skipped") is not None:
            outcomes[case.get("name")] = "skipped"
        else:
            outcomes[case.get("name")] = "passed"
    return outcomes


def test_snippets_run_under_the_oldest_versions(oldest_python, oldest, tmp_path):
    report = tmp_path / "report.xml"
    command = [str(oldest_python), "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    command += ["-c", str(OLDEST / "pytest.ini"), "--rootdir", str(ROOT)]
    command += ["--basetemp", str(tmp_path / "runs"), "--junitxml", str(report)]
    command += [f"{SNIPPET_TESTS}::{name}" for name in PER_SNIPPET_TESTS + WHOLE_TESTS]
    # fastapi_ls from this checkout; its knowledge cache kept out of the user's.
    environment = {**os.environ, "PYTHONPATH": str(ROOT / "server")}
    environment["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    run = subprocess.run(
        command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=300
    )
    assert report.is_file(), run.stdout[-3000:] + run.stderr[-3000:]

    expected = dict.fromkeys(WHOLE_TESTS, "passed")
    for snippet in KB.snippets:
        outcome = "passed" if oldest.allows(snippet) else "skipped"
        if "test_module" in snippet.contexts:
            for app in ("app", "broken-app"):
                expected[f"test_test_module_snippet_runs[{app}-{snippet.id}]"] = outcome
        else:
            expected[f"test_snippet_module_runs[{snippet.id}]"] = outcome
    outcomes = outcomes_of(report)
    differences = {
        name: (outcomes.get(name, "not run"), should)
        for name, should in expected.items()
        if outcomes.get(name) != should
    }
    assert not differences, json.dumps(differences, indent=1) + "\n" + run.stdout[-5000:]
    assert set(outcomes) == set(expected)


@pytest_lsp.fixture(scope="module", config=SERVER)
async def client(lsp_client: LanguageClient, oldest_python: Path, tmp_path_factory):
    workspace = tmp_path_factory.mktemp("oldest-project")
    await start_session(lsp_client, "vscode", workspace, {"interpreter": str(oldest_python)})
    lsp_client.workspace = workspace
    yield
    await lsp_client.shutdown_session()


async def offered(client: LanguageClient, name: str, marked: str) -> list:
    text, line, column = cursor(marked)
    uri = open_document(client, client.workspace / name, text)
    return await complete(client, uri, text, line, column)


async def test_the_server_offers_what_the_oldest_versions_have(client, oldest):
    for _ in range(300):
        status = (await client.protocol.send_request_async("fastapiLs/status", {}))._asdict()
        if status["environmentReady"]:
            break
        await asyncio.sleep(0.05)
    assert (status["fastapi"], status["pydantic"]) == (str(oldest.fastapi), str(oldest.pydantic))

    hidden: set[str] = set()
    for context, marked in PLACES.items():
        candidates = offered_snippets(context, cursor(marked)[0])
        within = {i for i in candidates if oldest.allows(SNIPPETS[i])}
        assert within, f"no snippet for {context}"
        items = await offered(client, f"{context}.py", marked)
        assert {item.data["snippet"] for item in items if isinstance(item.data, dict)} == within
        hidden |= candidates - within

    within = {name for name, entry in STATUSES.items() if oldest.has_status(entry)}
    items = await offered(client, "status.py", STATUS_PLACE)
    assert {item.label.removeprefix("status.") for item in items} == within
    hidden |= set(STATUSES) - within
    assert hidden, "nothing in the knowledge base needs more than the oldest versions"
