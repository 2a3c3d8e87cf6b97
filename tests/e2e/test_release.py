"""The release as the publishing workflow and a new user meet it, run here as a dry run.

``scripts/release.sh`` builds the sdist, the wheel from it and (when ``npm run package`` has
built one) the .vsix into a temporary dist/, checked and with checksums. Then:

- the wheel is the one the checkout builds, file for file;
- the sdist and wheel are uploaded with twine to a local package index (pypiserver), installed
  from it with their declared dependencies into a fresh environment of the newest Python the
  machine has, and the server from there answers a completion over stdio;
- the README's ``pip install dist/…whl`` line does the same on the oldest Python;
- the README's ``pipx install .`` and ``uv tool install .`` give a working ``fastapi-ls``;
- a version without a CHANGELOG entry is refused, and the .vsix check fails on a wrong version;
- the publishing workflow passes zizmor (schema and security audit) and tests every supported
  Python.

The build is made once for the module; the installs run side by side.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from helpers import (
    complete,
    offered_snippets,
    open_document,
    readme_block,
    snippet_ids,
    start_session,
)
from pytest_lsp import ClientServerConfig

from fastapi_ls import __version__

ROOT = Path(__file__).resolve().parents[2]
SHOP = ROOT / "tests" / "fixtures" / "release" / "shop"
WORKFLOW = ROOT / ".github" / "workflows" / "release.yml"
SUPPORTED = ("3.10", "3.11", "3.12", "3.13", "3.14")
BIN = Path(sys.executable).parent
NAME = "fastapi_language_server"
INSTALL_TIMEOUT = 180


def run(command: list[str], **kwargs) -> subprocess.CompletedProcess[str]:
    """Run ``command``; on failure the assertion shows what it printed."""
    result = subprocess.run(command, capture_output=True, text=True, check=False, **kwargs)
    assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"
    return result


def python_version(executable: str | Path) -> str | None:
    try:
        result = subprocess.run(
            [executable, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        )
    except OSError:
        return None
    return result.stdout.strip() if result.returncode == 0 else None


def supported_pythons() -> dict[str, Path]:
    """Each supported Python version found here: on PATH, in pyenv, or the one running."""
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    found: dict[str, Path] = {}
    for version in SUPPORTED:
        candidates = [shutil.which(f"python{version}")]
        candidates += sorted(pyenv.glob(f"{version}.*/bin/python{version}"), reverse=True)
        if python_version(sys.executable) == version:
            candidates.insert(0, sys.executable)
        for candidate in filter(None, candidates):
            if python_version(candidate) == version:
                found[version] = Path(candidate)
                break
    return found


PYTHONS = supported_pythons()
OLDEST, NEWEST = min(PYTHONS, key=SUPPORTED.index), max(PYTHONS, key=SUPPORTED.index)


@dataclass
class Release:
    out: Path
    sdist: Path
    wheel: Path
    vsix: Path | None
    log: str


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Release:
    out = tmp_path_factory.mktemp("release") / "dist"
    built = ROOT / f"fastapi-ls-{__version__}.vsix"
    vsix_args = ["--vsix", str(built)] if built.is_file() else ["--no-vsix"]
    result = run(
        ["bash", str(ROOT / "scripts" / "release.sh"), "--out", str(out), *vsix_args],
        env={**os.environ, "PYTHON": sys.executable},
        timeout=INSTALL_TIMEOUT,
    )
    vsix = out / built.name
    return Release(
        out=out,
        sdist=out / f"{NAME}-{__version__}.tar.gz",
        wheel=out / f"{NAME}-{__version__}-py3-none-any.whl",
        vsix=vsix if vsix.is_file() else None,
        log=result.stdout,
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(url: str, timeout: float = 30.0) -> str:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.read().decode("utf-8")
        except (urllib.error.URLError, ConnectionError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def publish_and_install_from_index(release: Release, workdir: Path) -> tuple[Path, str]:
    """twine upload to a local pypiserver, then a fresh environment of the newest Python with
    the package from that index and its dependencies from the default one. Returns the
    environment and the index's page of the package."""
    packages = workdir / "packages"
    packages.mkdir()
    port = free_port()
    index = subprocess.Popen(
        [
            *(sys.executable, "-m", "pypiserver", "run", "--host", "127.0.0.1"),
            *("--port", str(port), "--authenticate", ".", "--passwords", "."),
            *("--disable-fallback", str(packages)),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(f"http://127.0.0.1:{port}/simple/")
        run(
            [
                *(sys.executable, "-m", "twine", "upload", "--non-interactive"),
                *("--disable-progress-bar", "--repository-url", f"http://127.0.0.1:{port}/"),
                *("-u", "dry-run", "-p", "dry-run", str(release.sdist), str(release.wheel)),
            ],
            timeout=INSTALL_TIMEOUT,
        )
        page = wait_for(f"http://127.0.0.1:{port}/simple/fastapi-language-server/")
        env = workdir / f"from-index-{NEWEST}"
        uv = [sys.executable, "-m", "uv"]
        run([*uv, "venv", "--quiet", "--python", str(PYTHONS[NEWEST]), str(env)])
        run(
            [
                *(*uv, "pip", "install", "--quiet", "--python", str(env / "bin" / "python")),
                *("--index", f"http://127.0.0.1:{port}/simple/"),
                f"fastapi-language-server=={__version__}",
            ],
            timeout=INSTALL_TIMEOUT,
        )
    finally:
        index.terminate()
        index.wait(timeout=10)
    return env, page


def install_with_the_readme_line(release: Release, workdir: Path) -> Path:
    """A fresh venv of the oldest Python, then the README's ``pip install dist/…whl`` line
    as typed, next to the release's dist/."""
    (line,) = [
        line
        for line in readme_block("From a built wheel", "sh").splitlines()
        if line.startswith("pip install dist/")
    ]
    env = workdir / f"readme-wheel-{OLDEST}"
    run([str(PYTHONS[OLDEST]), "-m", "venv", str(env)], timeout=INSTALL_TIMEOUT)
    path = f"{env / 'bin'}{os.pathsep}{os.environ['PATH']}"
    run(
        ["bash", "-c", line],
        cwd=release.out.parent,
        env={**os.environ, "PATH": path, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
        timeout=INSTALL_TIMEOUT,
    )
    return env


@dataclass
class Installs:
    from_index: Path
    index_page: str
    from_wheel: Path


@pytest.fixture(scope="module")
def installs(release: Release, tmp_path_factory: pytest.TempPathFactory) -> Installs:
    workdir = tmp_path_factory.mktemp("installs")
    with ThreadPoolExecutor(max_workers=2) as pool:
        indexed = pool.submit(publish_and_install_from_index, release, workdir)
        wheel = pool.submit(install_with_the_readme_line, release, workdir)
        (env, page), from_wheel = indexed.result(), wheel.result()
    return Installs(from_index=env, index_page=page, from_wheel=from_wheel)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_artifacts_carry_one_version_and_checksums(release: Release):
    expected = {release.sdist.name, release.wheel.name} | (
        {release.vsix.name} if release.vsix else set()
    )
    assert {path.name for path in release.out.iterdir()} == expected | {"SHA256SUMS"}
    sums = dict(
        reversed(line.split("  ", 1))
        for line in (release.out / "SHA256SUMS").read_text().splitlines()
    )
    assert sums == {name: sha256(release.out / name) for name in expected}

    with zipfile.ZipFile(release.wheel) as wheel:
        metadata = wheel.read(f"{NAME}-{__version__}.dist-info/METADATA").decode("utf-8")
    assert f"\nVersion: {__version__}\n" in metadata
    assert "\nRequires-Python: >=3.10\n" in metadata
    for version in SUPPORTED:
        assert f"Classifier: Programming Language :: Python :: {version}\n" in metadata
    assert "twine check" in release.log and "PASSED" in release.log

    if release.vsix is not None:
        with zipfile.ZipFile(release.vsix) as vsix:
            manifest = json.loads(vsix.read("extension/package.json"))
            changelog = vsix.read("extension/changelog.md").decode("utf-8")
        assert manifest["version"] == __version__
        assert f"## [{__version__}]" in changelog


def wheel_files(wheel: Path) -> dict[str, str]:
    """Each file of a wheel with its hash, as its RECORD lists them."""
    with zipfile.ZipFile(wheel) as archive:
        record = archive.read(f"{NAME}-{__version__}.dist-info/RECORD").decode("utf-8")
    rows = (line.split(",") for line in record.splitlines() if line)
    return {name: digest for name, digest, _size in rows if not name.endswith("/RECORD")}


def test_the_sdist_builds_the_wheel_the_checkout_builds(release: Release, tmp_path: Path):
    run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        timeout=INSTALL_TIMEOUT,
    )
    from_checkout = wheel_files(tmp_path / release.wheel.name)
    assert any(name.startswith("fastapi_ls/snippets/") for name in from_checkout)
    assert wheel_files(release.wheel) == from_checkout


async def within(awaitable, what: str, timeout: float = 60.0):
    """``awaitable``'s result, or a failure naming the step that did not answer."""
    try:
        return await asyncio.wait_for(awaitable, timeout)
    except TimeoutError:
        pytest.fail(f"no answer to {what} within {timeout} s")


async def serves_a_completion(env: Path) -> None:
    """The installed ``fastapi-ls`` over stdio: its version, then the module snippets in a
    FastAPI file, with the project's FastAPI read from this test's interpreter."""
    command = [str(env / "bin" / "fastapi-ls")]
    client = await within(ClientServerConfig(server_command=command).start(), "the start")
    try:
        result = await within(
            start_session(client, "vscode", SHOP, {"interpreter": sys.executable}), "initialize"
        )
        assert result.server_info is not None
        assert result.server_info.version == __version__
        for _ in range(200):
            answer = await within(
                client.protocol.send_request_async("fastapiLs/status", {}), "fastapiLs/status"
            )
            status = answer._asdict()
            if status["environmentReady"]:
                break
            await asyncio.sleep(0.1)
        assert status["environmentError"] is None, status
        assert status["fastapi"], status
        text = (SHOP / "main.py").read_text(encoding="utf-8")
        uri = open_document(client, SHOP / "main.py", text)
        items = await within(complete(client, uri, text, text.count("\n"), 0), "completion")
        assert set(snippet_ids(items)) == offered_snippets("module", text)
        await within(client.shutdown_session(), "shutdown")
    finally:
        await within(client.stop(), "exit")


def check_environment(env: Path, python: str) -> None:
    assert python_version(env / "bin" / "python") == python
    version = run([str(env / "bin" / "fastapi-ls"), "--version"]).stdout.strip()
    assert version == f"fastapi-ls {__version__}"
    # Every module imports on this Python, not only those a completion touches.
    probe = (
        "import importlib, pkgutil, fastapi_ls\n"
        "for module in pkgutil.walk_packages(fastapi_ls.__path__, 'fastapi_ls.'):\n"
        "    if not module.name.endswith('__main__'):\n"
        "        importlib.import_module(module.name)\n"
        "print(fastapi_ls.__file__)\n"
    )
    location = run([str(env / "bin" / "python"), "-c", probe], cwd=env).stdout.strip()
    assert Path(location).is_relative_to(env)


async def test_the_package_published_to_an_index_installs_and_serves(installs: Installs):
    assert f"{NAME}-{__version__}-py3-none-any.whl" in installs.index_page
    assert f"{NAME}-{__version__}.tar.gz" in installs.index_page
    check_environment(installs.from_index, NEWEST)
    await serves_a_completion(installs.from_index)


async def test_the_readme_wheel_line_installs_and_serves(installs: Installs):
    check_environment(installs.from_wheel, OLDEST)
    await serves_a_completion(installs.from_wheel)


def test_the_readme_checkout_lines_install_the_command(tmp_path: Path):
    install, check = readme_block("From a checkout", "sh").splitlines()
    line, _, alternative = install.partition("# or:")
    tools = {
        "PIPX_HOME": tmp_path / "pipx",
        "PIPX_BIN_DIR": tmp_path / "pipx-bin",
        "PIPX_MAN_DIR": tmp_path / "pipx-man",
        "UV_TOOL_DIR": tmp_path / "uv-tools",
        "UV_TOOL_BIN_DIR": tmp_path / "uv-bin",
    }
    env = {**os.environ, **{key: str(value) for key, value in tools.items()}}
    for command, bin_dir in ((line, "PIPX_BIN_DIR"), (alternative, "UV_TOOL_BIN_DIR")):
        path = os.pathsep.join([str(tools[bin_dir]), str(BIN), os.environ["PATH"]])
        result = run(
            ["bash", "-c", f"{command.strip()} && {check}"],
            cwd=ROOT,
            env={**env, "PATH": path},
            timeout=INSTALL_TIMEOUT,
        )
        assert result.stdout.strip().splitlines()[-1] == f"fastapi-ls {__version__}", command
        assert (tools[bin_dir] / "fastapi-ls").exists(), command


def test_a_version_without_a_changelog_entry_is_refused(tmp_path: Path):
    for name in ("scripts/release.sh", "scripts/check_release.py", "package.json"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, tmp_path / name)
    (tmp_path / "server/fastapi_ls").mkdir(parents=True)
    shutil.copy(ROOT / "server/fastapi_ls/__init__.py", tmp_path / "server/fastapi_ls")
    shutil.copy(ROOT / "tests/fixtures/release/unreleased-only.md", tmp_path / "CHANGELOG.md")
    result = subprocess.run(
        ["bash", "scripts/release.sh", "--no-vsix"],
        cwd=tmp_path,
        env={**os.environ, "PYTHON": sys.executable},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert f"CHANGELOG.md has no '## [{__version__}] - YYYY-MM-DD' entry" in result.stderr
    assert not (tmp_path / "dist").exists()


def test_the_vsix_check_refuses_a_package_of_another_version(release: Release):
    if release.vsix is None:
        pytest.skip("no .vsix built: run npm run package")
    result = subprocess.run(
        ["node", str(ROOT / "scripts/check-vsix.mjs"), str(release.vsix), "99.0.0"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "Identity Version is" in result.stderr
    assert "extension/package.json version is" in result.stderr
    assert "ready to publish" in release.log


def test_the_publishing_workflow_passes_zizmor_and_tests_every_supported_python():
    run([str(BIN / "zizmor"), "--offline", "--strict-collection", str(WORKFLOW)])
    text = WORKFLOW.read_text(encoding="utf-8")
    matrix = re.search(r"^\s+python: \[(.*)\]$", text, re.MULTILINE)
    assert matrix, "the workflow has no Python matrix"
    assert tuple(json.loads(f"[{matrix[1]}]")) == SUPPORTED
    assert "bash scripts/release.sh" in text
