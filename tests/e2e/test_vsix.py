"""The VS Code extension package: what it holds, and that its bundled server runs on its own.

CI builds the package (`npm run package`) before pytest; without a .vsix in the repository root
these tests skip.
"""

from __future__ import annotations

import itertools
import json
import os
import queue
import re
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest

from fastapi_ls import __version__

ROOT = Path(__file__).resolve().parents[2]
EXTENSION = "extension"
LIBS = f"{EXTENSION}/bundled/libs"
#: The package is the bundled client, the pure-Python server and its dependencies: a few MB.
MAX_VSIX_BYTES = 15 * 1024 * 1024
ANSWER_TIMEOUT = 30.0


@pytest.fixture(scope="module")
def vsix() -> Path:
    packages = sorted(ROOT.glob("fastapi-ls-*.vsix"), key=lambda path: path.stat().st_mtime)
    if not packages:
        pytest.skip("no .vsix built: run npm run package")
    return packages[-1]


@pytest.fixture(scope="module")
def names(vsix: Path) -> list[str]:
    with zipfile.ZipFile(vsix) as archive:
        return archive.namelist()


@pytest.fixture(scope="module")
def unpacked(vsix: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("vsix")
    with zipfile.ZipFile(vsix) as archive:
        archive.extractall(target)
    return target


def test_the_package_is_named_for_its_version(vsix: Path, unpacked: Path):
    manifest = json.loads((unpacked / EXTENSION / "package.json").read_text(encoding="utf-8"))
    assert manifest["name"] == "fastapi-ls"
    assert manifest["version"] == __version__
    assert vsix.name == f"fastapi-ls-{__version__}.vsix"
    assert manifest["main"] == "./dist/extension.js"
    assert (unpacked / EXTENSION / manifest["main"]).is_file()
    assert (unpacked / EXTENSION / manifest["icon"]).is_file()


def test_the_package_holds_the_client_and_the_server_with_its_knowledge(names: list[str]):
    assert f"{EXTENSION}/dist/extension.js" in names
    assert f"{LIBS}/fastapi_ls/__main__.py" in names
    shipped = {Path(name).name for name in names if name.startswith(f"{LIBS}/fastapi_ls/snippets/")}
    assert {path.name for path in (ROOT / "snippets").glob("*.toml")} <= shipped
    dependencies = ("pygls", "lsprotocol", "cattrs", "attrs", "jedi", "parso", "httpx", "packaging")
    for dependency in dependencies:
        assert f"{LIBS}/{dependency}/__init__.py" in names, dependency
    # Back-ports the server needs on Python 3.10, whatever Python built the package.
    assert f"{LIBS}/tomli/__init__.py" in names
    assert f"{LIBS}/exceptiongroup/__init__.py" in names


def test_the_package_is_lean_and_platform_independent(vsix: Path, names: list[str]):
    assert vsix.stat().st_size < MAX_VSIX_BYTES
    for name in names:
        assert not name.startswith(f"{EXTENSION}/client/"), name
        assert "node_modules/" not in name, name
        assert not name.startswith((f"{EXTENSION}/server/", f"{EXTENSION}/tests/")), name
        assert ".venv/" not in name, name
        assert not name.endswith((".ts", ".map", ".vsix")), name
        assert not name.endswith((".so", ".pyd", ".dylib", ".dll", ".pyc")), name
        assert "__pycache__/" not in name, name
        if name.endswith(".py"):
            assert name.startswith(f"{LIBS}/"), name


class StdioConnection:
    """A minimal LSP client over a process's stdin/stdout (Content-Length framing)."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self.process = process
        self.messages: queue.Queue[dict[str, Any]] = queue.Queue()
        self.ids = itertools.count(1)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        stream = self.process.stdout
        assert stream is not None
        while True:
            headers: dict[str, str] = {}
            while (line := stream.readline()) not in (b"\r\n", b""):
                key, _, value = line.decode("ascii").partition(":")
                headers[key.strip().lower()] = value.strip()
            if not line:
                return
            body = stream.read(int(headers["content-length"]))
            self.messages.put(json.loads(body))

    def send(self, message: dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode("utf-8")
        assert self.process.stdin is not None
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        self.process.stdin.flush()

    def request(self, method: str, params: Any) -> Any:
        request_id = next(self.ids)
        self.send({"id": request_id, "method": method, "params": params})
        deadline = time.monotonic() + ANSWER_TIMEOUT
        while True:
            message = self.messages.get(timeout=max(0.0, deadline - time.monotonic()))
            if "method" in message and "id" in message:
                # A request from the server (configuration, progress…): answer like an editor.
                self.send({"id": message["id"], "result": None})
            elif message.get("id") == request_id:
                assert "error" not in message, message["error"]
                return message["result"]


def test_the_bundled_server_answers_with_only_the_standard_library(unpacked: Path, tmp_path: Path):
    """`python -S`: no site-packages, so everything the server imports comes from the package."""
    libs = unpacked / LIBS
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTHON")}
    env.update(PYTHONPATH=str(libs), HOME=str(tmp_path), XDG_CACHE_HOME=str(tmp_path / "cache"))
    process = subprocess.Popen(
        [sys.executable, "-S", "-m", "fastapi_ls"],
        cwd=tmp_path,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        connection = StdioConnection(process)
        result = connection.request(
            "initialize",
            {
                "processId": os.getpid(),
                "rootUri": tmp_path.as_uri(),
                "capabilities": {},
                "initializationOptions": {"interpreter": sys.executable},
            },
        )
        assert result["serverInfo"] == {"name": "fastapi-ls", "version": __version__}
        assert result["capabilities"]["completionProvider"]["triggerCharacters"]
        connection.send({"method": "initialized", "params": {}})

        # The environment is read in the background with jedi, from the bundled copy.
        deadline = time.monotonic() + ANSWER_TIMEOUT
        while not (status := connection.request("fastapiLs/status", None))["environmentReady"]:
            assert time.monotonic() < deadline, status
            time.sleep(0.2)
        assert status["environmentError"] is None
        assert status["interpreter"] == sys.executable

        assert connection.request("shutdown", None) is None
        connection.send({"method": "exit"})
        assert process.wait(timeout=ANSWER_TIMEOUT) == 0
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
        stderr = process.stderr.read().decode("utf-8", "replace") if process.stderr else ""
        for pipe in (process.stdin, process.stdout, process.stderr):
            if pipe:
                pipe.close()
    assert "Traceback" not in stderr, stderr


def test_the_marketplace_page_is_the_extensions_readme_with_its_pictures(unpacked: Path):
    """client/README.md, not the repository's README (set-up commands, other editors)."""
    readme = (unpacked / EXTENSION / "readme.md").read_text(encoding="utf-8")
    assert readme == (ROOT / "client" / "README.md").read_text(encoding="utf-8")
    pictures = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", readme)
    assert pictures
    for picture in pictures:
        assert (unpacked / EXTENSION / picture).is_file(), picture
    manifest = json.loads((unpacked / EXTENSION / "package.json").read_text(encoding="utf-8"))
    for field in ("repository", "bugs", "homepage", "categories", "keywords"):
        assert manifest.get(field), field
    titles = [command["title"] for command in manifest["contributes"]["commands"]]
    for title in titles:
        words = [word for word in re.findall(r"[\w']+", title) if word not in {"in", "to"}]
        assert all(word[0].isupper() for word in words), f"{title} in Title Case"
