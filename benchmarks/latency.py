"""Latency benchmark: fastapi-ls against an empty-handler pygls server, over stdio.

Both servers run as subprocesses and are driven by the same small blocking
JSON-RPC client (Content-Length framing over pipes, no asyncio), so they get
identical treatment and the client adds as little as possible to each sample.
Requests alternate between the two servers, iteration by iteration, so that
machine noise lands on both sides and the p95 ratio stays meaningful.

A sample is the time from writing the request (for keystrokes: the didChange
and the completion, in one write) to reading the last byte of its response;
decoding the response JSON is not included. Error responses and timeouts are
counted separately and never timed.

The server under test also gets a cached Context7 lookup (``workspace/executeCommand``
against the project's local fake Context7 API, tests/context7_server.py), and both
servers get 200 more open files before their peak memory is read.

    python benchmarks/latency.py [--iterations N] [--server-cmd CMD] [--json PATH] [--check]

See benchmarks/README.md for the metrics and budgets.
"""

from __future__ import annotations

import argparse
import compileall
import contextlib
import gc
import json
import math
import os
import platform
import select
import shlex
import subprocess
import sys
import tempfile
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import make_module as generator
from make_module import GeneratedModule, Site, make_module, utf16_len

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
# The project's fake Context7 REST API lives with the tests; the lookup phase uses it.
sys.path.insert(0, str(REPO / "tests"))
from context7_server import FakeContext7, running_context7  # noqa: E402

COMPLETION_SITES: tuple[tuple[str, str], ...] = (
    ("module_blank", "completion: module level `ge`"),
    ("model_body", "completion: model class body"),
    ("decorator_at", "completion: after `@`"),
    ("route_params", "completion: route parameter list"),
    ("response_model_value", "completion: after `response_model=`"),
)
HOVER_SITES: tuple[tuple[str, str], ...] = (
    ("hover_depends", "hover: `Depends`"),
    ("hover_response_model", "hover: `response_model=`"),
    ("hover_variable", "hover: local variable"),
)
ALL_COMPLETIONS = "completion: all sites"
KEYSTROKE = "keystroke + completion"
CODE_ACTION = "codeAction: route range"
FIRST_COMPLETION = "spawn -> first completion"
INITIALIZE = "spawn -> initialize result"
CONTEXT7 = "Context7 lookup (cached)"
STARTUP_WORK = "completion during start-up work"
#: Seconds after spawning during which the servers' requests count as STARTUP_WORK.
SETTLE_SECONDS = 4.0
PEAK_RSS = "peak RSS (VmHWM)"
WORKSPACE_FILES = 200
PEAK_RSS_WORKSPACE = f"peak RSS, {WORKSPACE_FILES} files open"
# Metrics the baseline has no handler for: measured on the server only.
SERVER_ONLY = {CONTEXT7}

# The cached lookup: the same query every time, answered from the disk cache after
# one unrecorded lookup has fetched it from the fake Context7 server.
CONTEXT7_COMMAND = "fastapiLs.context7.lookup"
CONTEXT7_LOOKUP = {
    "title": "WebSocket manager",
    "query": "websocket connection manager broadcast",
    "libraryName": "FastAPI",
    "libraryId": "/websites/fastapi_tiangolo",
    "package": "fastapi",
}

# Typed one character at a time, then removed with one delete-word edit, each
# keystroke followed by a completion request as an editor's quick suggestions do.
KEYSTROKE_WORD = "router"

# Wall-clock cap per phase, in seconds, shared by both servers; with the
# per-request timeout this bounds a default run to well under two minutes.
PHASE_LIMITS = {
    "startup": 30.0,
    "warmup": 10.0,
    "completion": 25.0,
    "keystroke": 12.0,
    "hover": 10.0,
    "code_action": 6.0,
    "context7": 12.0,
    "workspace": 30.0,
}


class ServerError(Exception):
    """The server answered a request with a JSON-RPC error."""


class RequestTimeout(Exception):
    """No response before the deadline."""


class ServerExited(Exception):
    """The server closed its stdout or its stdin pipe broke."""


def encode(message: dict[str, Any]) -> bytes:
    body = json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


class Connection:
    """Blocking JSON-RPC client speaking to one server subprocess over its stdio."""

    def __init__(self, argv: list[str], env: dict[str, str], stderr_path: Path) -> None:
        self.argv = argv
        self.stderr_path = stderr_path
        self._stderr = stderr_path.open("wb")
        self.spawned_ns = time.perf_counter_ns()
        try:
            self.proc = subprocess.Popen(
                argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self._stderr,
                env=env,
                bufsize=0,
            )
        except OSError:
            self._stderr.close()
            raise
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self._in = self.proc.stdin.fileno()
        self._out = self.proc.stdout.fileno()
        os.set_blocking(self._in, False)
        os.set_blocking(self._out, False)
        self._reader = select.poll()
        self._reader.register(self._out, select.POLLIN)
        self._buffer = bytearray()
        self._frames: deque[tuple[int, bytes]] = deque()
        self._last_id = 0
        self.last_arrival_ns = 0
        self.workspace_folders: list[dict[str, str]] = []
        self.notifications: Counter[str] = Counter()
        self.server_requests: Counter[str] = Counter()
        self.stray_responses = 0

    # -- transport ---------------------------------------------------------

    def _read_available(self) -> None:
        try:
            data = os.read(self._out, 1 << 20)
        except BlockingIOError:
            return
        if not data:
            raise ServerExited(f"server closed stdout (exit code {self.proc.poll()})")
        # Stamp every frame completed by this read now, before any JSON decoding,
        # so the client's parsing cost never counts against the server.
        arrived = time.perf_counter_ns()
        buffer = self._buffer
        buffer += data
        while True:
            separator = buffer.find(b"\r\n\r\n")
            if separator < 0:
                return
            length = None
            for header in bytes(buffer[:separator]).split(b"\r\n"):
                name, _, value = header.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            if length is None:
                raise ServerExited(f"frame without Content-Length: {bytes(buffer[:80])!r}")
            end = separator + 4 + length
            if len(buffer) < end:
                return
            self._frames.append((arrived, bytes(buffer[separator + 4 : end])))
            del buffer[:end]

    def _write(self, data: bytes, deadline: float) -> None:
        view = memoryview(data)
        while view:
            try:
                view = view[os.write(self._in, view) :]
                continue
            except BlockingIOError:
                pass
            except BrokenPipeError as exc:
                raise ServerExited("server closed stdin") from exc
            # The pipe is full. Keep draining stdout meanwhile: a server blocked on
            # writing to us would otherwise never read the rest of our message.
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                raise RequestTimeout("write")
            poller = select.poll()
            poller.register(self._in, select.POLLOUT)
            poller.register(self._out, select.POLLIN)
            for fd, _ in poller.poll(math.ceil(remaining * 1000)):
                if fd == self._out:
                    self._read_available()

    def _next_frame(self, deadline: float) -> tuple[int, bytes]:
        while not self._frames:
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                raise RequestTimeout("read")
            if self._reader.poll(math.ceil(remaining * 1000)):
                self._read_available()
        return self._frames.popleft()

    # -- JSON-RPC ----------------------------------------------------------

    def _answer_server(self, message: dict[str, Any], deadline: float) -> None:
        method = message["method"]
        if "id" not in message:
            self.notifications[method] += 1
            return
        self.server_requests[method] += 1
        # Answer like an editor with no settings for this server would, so a
        # server waiting on configuration or registration is not left hanging.
        result: Any = None
        if method == "workspace/configuration":
            result = [None for _ in message.get("params", {}).get("items", [])]
        elif method == "workspace/workspaceFolders":
            result = self.workspace_folders
        elif method == "window/showDocument":
            # The editor opened the document (a Context7 lookup's answer).
            result = {"success": True}
        self._write(encode({"jsonrpc": "2.0", "id": message["id"], "result": result}), deadline)

    def send(self, data: bytes, timeout: float = 10.0) -> None:
        """Write already-encoded frames without waiting for anything back."""
        self._write(data, time.perf_counter() + timeout)

    def notify(self, method: str, params: Any, timeout: float = 10.0) -> None:
        self.send(encode({"jsonrpc": "2.0", "method": method, "params": params}), timeout)

    def request(
        self, method: str, params: Any, timeout: float, preamble: bytes = b""
    ) -> tuple[int, Any]:
        """Send ``preamble`` + the request in one write; return (elapsed ns, result)."""
        self._last_id += 1
        request_id = self._last_id
        data = preamble + encode(
            {"jsonrpc": "2.0", "id": request_id, "method": method, "params": params}
        )
        deadline = time.perf_counter() + timeout
        started = time.perf_counter_ns()
        self._write(data, deadline)
        while True:
            arrived, body = self._next_frame(deadline)
            message = json.loads(body)
            if "method" in message:
                self._answer_server(message, deadline)
            elif message.get("id") == request_id:
                self.last_arrival_ns = arrived
                if "error" in message:
                    raise ServerError(message["error"].get("message", str(message["error"])))
                return arrived - started, message.get("result")
            else:
                # Late answer to a request that already timed out.
                self.stray_responses += 1

    # -- lifecycle ---------------------------------------------------------

    def peak_rss_bytes(self) -> int | None:
        try:
            status = Path(f"/proc/{self.proc.pid}/status").read_text()
        except OSError:
            return None
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
        return None

    def close(self) -> int | None:
        """shutdown + exit, then wait; kill only if the server does not go away."""
        try:
            if self.proc.poll() is None:
                self.request("shutdown", None, timeout=5.0)
                self.notify("exit", None)
                self.proc.wait(timeout=5.0)
        except (ServerError, RequestTimeout, ServerExited, subprocess.TimeoutExpired):
            pass
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        for pipe in (self.proc.stdin, self.proc.stdout):
            if pipe is not None:
                pipe.close()
        self._stderr.close()
        return self.proc.returncode


def stderr_tail(path: Path, lines: int = 15) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


# -- LSP payloads --------------------------------------------------------------


def initialize_params(
    workspace: Path, pid: int, options: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Client capabilities modelled on what VS Code sends."""
    kinds = list(range(1, 26))
    params: dict[str, Any] = {
        "processId": pid,
        "clientInfo": {"name": "Visual Studio Code", "version": "1.96.0"},
        "locale": "en",
        "rootPath": str(workspace),
        "rootUri": workspace.as_uri(),
        "workspaceFolders": [{"uri": workspace.as_uri(), "name": workspace.name}],
        "trace": "off",
        "capabilities": {
            "general": {
                "positionEncodings": ["utf-16"],
                "markdown": {"parser": "marked", "version": "1.1.0"},
                "regularExpressions": {"engine": "ECMAScript", "version": "ES2020"},
                "staleRequestSupport": {
                    "cancel": True,
                    "retryOnContentModified": [
                        "textDocument/semanticTokens/full",
                        "textDocument/semanticTokens/range",
                        "textDocument/semanticTokens/full/delta",
                    ],
                },
            },
            "workspace": {
                "applyEdit": True,
                "configuration": True,
                "workspaceFolders": True,
                "didChangeConfiguration": {"dynamicRegistration": True},
                "didChangeWatchedFiles": {"dynamicRegistration": True},
                "workspaceEdit": {
                    "documentChanges": True,
                    "resourceOperations": ["create", "rename", "delete"],
                    "failureHandling": "textOnlyTransactional",
                    "normalizesLineEndings": True,
                },
                "executeCommand": {"dynamicRegistration": True},
            },
            "window": {
                "workDoneProgress": True,
                "showMessage": {"messageActionItem": {"additionalPropertiesSupport": True}},
                "showDocument": {"support": True},
            },
            "textDocument": {
                "synchronization": {
                    "dynamicRegistration": True,
                    "willSave": True,
                    "willSaveWaitUntil": True,
                    "didSave": True,
                },
                "completion": {
                    "dynamicRegistration": True,
                    "contextSupport": True,
                    "insertTextMode": 2,
                    "completionItemKind": {"valueSet": kinds},
                    "completionList": {
                        "itemDefaults": [
                            "commitCharacters",
                            "editRange",
                            "insertTextFormat",
                            "insertTextMode",
                            "data",
                        ]
                    },
                    "completionItem": {
                        "snippetSupport": True,
                        "commitCharactersSupport": True,
                        "documentationFormat": ["markdown", "plaintext"],
                        "deprecatedSupport": True,
                        "preselectSupport": True,
                        "tagSupport": {"valueSet": [1]},
                        "insertReplaceSupport": True,
                        "resolveSupport": {
                            "properties": ["documentation", "detail", "additionalTextEdits"]
                        },
                        "insertTextModeSupport": {"valueSet": [1, 2]},
                        "labelDetailsSupport": True,
                    },
                },
                "hover": {"dynamicRegistration": True, "contentFormat": ["markdown", "plaintext"]},
                "codeAction": {
                    "dynamicRegistration": True,
                    "isPreferredSupport": True,
                    "disabledSupport": True,
                    "dataSupport": True,
                    "honorsChangeAnnotations": True,
                    "resolveSupport": {"properties": ["edit"]},
                    "codeActionLiteralSupport": {
                        "codeActionKind": {
                            "valueSet": [
                                "",
                                "quickfix",
                                "refactor",
                                "refactor.extract",
                                "refactor.inline",
                                "refactor.rewrite",
                                "source",
                                "source.organizeImports",
                            ]
                        }
                    },
                },
                "publishDiagnostics": {
                    "relatedInformation": True,
                    "versionSupport": False,
                    "tagSupport": {"valueSet": [1, 2]},
                    "codeDescriptionSupport": True,
                    "dataSupport": True,
                },
            },
        },
    }
    if options is not None:
        params["initializationOptions"] = options
    return params


def apply_insert(text: str, site: Site) -> str:
    """``text`` with ``site.insert`` typed at the site."""
    lines = text.split("\n")
    line = lines[site.line]
    index = 0
    while utf16_len(line[:index]) < site.character:
        index += 1
    lines[site.line] = line[:index] + site.insert + line[index:]
    return "\n".join(lines)


@dataclass
class Samples:
    values_ns: list[int] = field(default_factory=list)
    errors: int = 0
    timeouts: int = 0
    messages: Counter[str] = field(default_factory=Counter)
    truncated: bool = False
    last_result: str = ""

    def percentile(self, fraction: float) -> float | None:
        """Nearest-rank percentile in milliseconds."""
        if not self.values_ns:
            return None
        ordered = sorted(self.values_ns)
        rank = max(1, math.ceil(fraction * len(ordered)))
        return ordered[rank - 1] / 1e6

    def summary(self) -> dict[str, Any]:
        values = self.values_ns
        return {
            "n": len(values),
            "p50_ms": self.percentile(0.50),
            "p95_ms": self.percentile(0.95),
            "max_ms": max(values) / 1e6 if values else None,
            "mean_ms": sum(values) / len(values) / 1e6 if values else None,
            "errors": self.errors,
            "timeouts": self.timeouts,
            "error_messages": dict(self.messages.most_common(5)),
            "truncated_by_time_limit": self.truncated,
            "last_result": self.last_result,
        }


def describe(result: Any) -> str:
    if result is None:
        return "null"
    if isinstance(result, list):
        return f"{len(result)} items"
    if isinstance(result, dict) and "items" in result:
        return f"{len(result['items'])} items"
    if isinstance(result, dict) and "contents" in result:
        return "hover"
    if isinstance(result, dict) and "uri" in result:
        return "document"
    return type(result).__name__


class Server:
    """One long-lived server under test, with its open document and its samples."""

    def __init__(
        self,
        label: str,
        argv: list[str],
        env: dict[str, str],
        logs: Path,
        timeout: float,
        options: dict[str, Any] | None = None,
    ) -> None:
        self.label = label
        self.options = options
        self.timeout = timeout
        self.argv = argv
        self.env = env
        self.logs = logs
        self.metrics: dict[str, Samples] = {}
        self.conn: Connection | None = None
        self.uri = ""
        self.version = 0
        self.trigger_characters: set[str] = set()
        self.failure = ""
        self.typed = 0
        self.peak_rss: int | None = None
        self.peak_rss_workspace: int | None = None
        # The workspace phase: files opened, and its untimed requests answered / failed.
        self.workspace_opened = 0
        self.workspace_answered = 0
        self.workspace_failed = 0
        self.exit_code: int | None = None
        self.spawns = 0
        self.last_stderr: Path | None = None

    @property
    def alive(self) -> bool:
        return self.conn is not None and not self.failure

    def samples(self, metric: str) -> Samples:
        return self.metrics.setdefault(metric, Samples())

    def spawn(self) -> Connection:
        self.spawns += 1
        self.last_stderr = self.logs / f"{self.label}-{self.spawns}.stderr"
        return Connection(self.argv, self.env, self.last_stderr)

    def open(
        self, workspace: Path, uri: str, text: str, timeout: float, record: bool = False
    ) -> Connection:
        """Spawn, initialize, initialized, didOpen; returns the ready connection."""
        conn = self.spawn()
        conn.workspace_folders = [{"uri": workspace.as_uri(), "name": workspace.name}]
        try:
            _, result = conn.request(
                "initialize", initialize_params(workspace, os.getpid(), self.options), timeout
            )
            if record:
                self.samples(INITIALIZE).values_ns.append(conn.last_arrival_ns - conn.spawned_ns)
            provider = (result or {}).get("capabilities", {}).get("completionProvider") or {}
            self.trigger_characters = set(provider.get("triggerCharacters") or [])
            conn.notify("initialized", {})
            document = {"uri": uri, "languageId": "python", "version": 1, "text": text}
            conn.notify("textDocument/didOpen", {"textDocument": document})
        except BaseException:
            conn.close()
            raise
        return conn

    def start(self, workspace: Path, uri: str, text: str, timeout: float) -> None:
        try:
            self.conn = self.open(workspace, uri, text, timeout)
        except (ServerError, RequestTimeout, ServerExited, OSError) as exc:
            self.failure = f"start failed: {type(exc).__name__}: {exc}"
            return
        self.uri = uri
        self.version = 1

    def change(self, start: tuple[int, int], end: tuple[int, int], text: str) -> bytes:
        """Encode an incremental didChange (the caller decides when to send it)."""
        self.version += 1
        return encode(
            {
                "jsonrpc": "2.0",
                "method": "textDocument/didChange",
                "params": {
                    "textDocument": {"uri": self.uri, "version": self.version},
                    "contentChanges": [
                        {
                            "range": {
                                "start": {"line": start[0], "character": start[1]},
                                "end": {"line": end[0], "character": end[1]},
                            },
                            "text": text,
                        }
                    ],
                },
            }
        )

    def send_change(self, start: tuple[int, int], end: tuple[int, int], text: str) -> None:
        if self.conn is None:
            return
        conn = self.conn
        self.guard(lambda: conn.send(self.change(start, end, text)))

    def completion_params(self, site: Site) -> dict[str, Any]:
        line, character = site.cursor
        context: dict[str, Any] = {"triggerKind": 1}
        # Mirror VS Code: a trigger character is only reported to servers that
        # registered it; otherwise the request counts as an explicit invocation.
        if site.trigger and site.trigger in self.trigger_characters:
            context = {"triggerKind": 2, "triggerCharacter": site.trigger}
        return {
            "textDocument": {"uri": self.uri},
            "position": {"line": line, "character": character},
            "context": context,
        }

    def guard(self, action: Callable[[], Any]) -> Any:
        """Run an untimed step; a dead server is marked failed instead of raising."""
        if not self.alive:
            return None
        try:
            return action()
        except ServerExited as exc:
            self.failure = f"server exited: {exc}"
        except (ServerError, RequestTimeout):
            pass
        return None

    def measure(self, metric: str, action: Callable[[Server], tuple[int, Any]]) -> None:
        if not self.alive:
            return
        samples = self.samples(metric)
        try:
            elapsed, result = action(self)
        except ServerError as exc:
            samples.errors += 1
            samples.messages[str(exc)[:120]] += 1
            return
        except RequestTimeout:
            samples.timeouts += 1
            return
        except ServerExited as exc:
            samples.errors += 1
            self.failure = f"server exited: {exc}"
            return
        samples.values_ns.append(elapsed)
        samples.last_result = describe(result)


# -- phases --------------------------------------------------------------------


@contextmanager
def quiet_gc() -> Iterator[None]:
    # The client's own garbage collections would land in random samples.
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def alternate(
    servers: list[Server],
    metric: str,
    count: int,
    limit: float,
    action: Callable[[Server], tuple[int, Any]],
) -> None:
    """Run ``action`` ``count`` times per server, interleaved, within ``limit`` seconds."""
    started = time.perf_counter()
    with quiet_gc():
        for iteration in range(count):
            if time.perf_counter() - started > limit:
                for server in servers:
                    server.samples(metric).truncated = True
                break
            order = servers if iteration % 2 == 0 else servers[::-1]
            for server in order:
                server.measure(metric, action)


def phase_startup(
    servers: list[Server], module: GeneratedModule, workspace: Path, uri: str, args: Any
) -> None:
    site = module.sites["module_blank"]
    text = apply_insert(module.text, site)
    # One unrecorded start each, as after an install: the server compiles its knowledge base
    # into the user cache at its first start, and both read their files from the OS cache.
    for server in servers:
        with contextlib.suppress(ServerError, RequestTimeout, ServerExited, OSError):
            server.open(workspace, uri, text, args.startup_timeout).close()
    started = time.perf_counter()
    for run in range(args.startup_runs):
        if time.perf_counter() - started > PHASE_LIMITS["startup"]:
            for server in servers:
                server.samples(FIRST_COMPLETION).truncated = True
            break
        for server in servers if run % 2 == 0 else servers[::-1]:
            samples = server.samples(FIRST_COMPLETION)
            try:
                conn = server.open(workspace, uri, text, args.startup_timeout, record=True)
            except (ServerError, RequestTimeout, ServerExited, OSError) as exc:
                samples.errors += 1
                samples.messages[f"start: {type(exc).__name__}: {exc}"[:120]] += 1
                continue
            server.uri = uri
            try:
                _, result = conn.request(
                    "textDocument/completion",
                    server.completion_params(site),
                    timeout=args.startup_timeout,
                )
                samples.values_ns.append(conn.last_arrival_ns - conn.spawned_ns)
                samples.last_result = describe(result)
            except ServerError as exc:
                samples.errors += 1
                samples.messages[str(exc)[:120]] += 1
            except (RequestTimeout, ServerExited) as exc:
                samples.timeouts += 1
                samples.messages[f"{type(exc).__name__}: {exc}"[:120]] += 1
            finally:
                conn.close()


def completion_request(site: Site) -> Callable[[Server], tuple[int, Any]]:
    def action(server: Server) -> tuple[int, Any]:
        assert server.conn is not None
        return server.conn.request(
            "textDocument/completion", server.completion_params(site), server.timeout
        )

    return action


def position_request(method: str, site: Site) -> Callable[[Server], tuple[int, Any]]:
    def action(server: Server) -> tuple[int, Any]:
        assert server.conn is not None
        params = {
            "textDocument": {"uri": server.uri},
            "position": {"line": site.line, "character": site.character},
        }
        return server.conn.request(method, params, server.timeout)

    return action


def code_action_request(start: Site, end: Site) -> Callable[[Server], tuple[int, Any]]:
    def action(server: Server) -> tuple[int, Any]:
        assert server.conn is not None
        params = {
            "textDocument": {"uri": server.uri},
            "range": {
                "start": {"line": start.line, "character": start.character},
                "end": {"line": end.line, "character": end.character},
            },
            # triggerKind 2 (Automatic) is the light-bulb request sent on every
            # cursor move, the one whose latency editors feel.
            "context": {"diagnostics": [], "triggerKind": 2},
        }
        return server.conn.request("textDocument/codeAction", params, server.timeout)

    return action


def keystroke_request(site: Site) -> Callable[[Server], tuple[int, Any]]:
    def action(server: Server) -> tuple[int, Any]:
        assert server.conn is not None
        line = site.line
        if server.typed < len(KEYSTROKE_WORD):
            column = site.character + server.typed
            change = server.change((line, column), (line, column), KEYSTROKE_WORD[server.typed])
            cursor = Site(line, column + 1)
            server.typed += 1
        else:
            end = (line, site.character + server.typed)
            change = server.change((line, site.character), end, "")
            cursor = Site(line, site.character)
            server.typed = 0
        return server.conn.request(
            "textDocument/completion",
            server.completion_params(cursor),
            server.timeout,
            preamble=change,
        )

    return action


def with_insert(servers: list[Server], site: Site, body: Callable[[], None]) -> None:
    """Type ``site.insert`` on every server, run ``body``, then remove it again."""
    if site.insert:
        for server in servers:
            server.send_change(
                (site.line, site.character), (site.line, site.character), site.insert
            )
    try:
        body()
    finally:
        if site.insert:
            for server in servers:
                server.send_change((site.line, site.character), site.cursor, "")


def settle(servers: list[Server], action: Callable[[Server], tuple[int, Any]]) -> None:
    """Requests during the servers' first :data:`SETTLE_SECONDS`, recorded as their own metric.

    In that time the server under test finishes its start-up work (the environment probe, the
    installed packages' parameter docs, the first workspace index build, which waits up to 2 s
    for a pause): the phases after it measure the steady state, and this one how requests fare
    meanwhile.
    """
    started = min(
        (server.conn.spawned_ns for server in servers if server.conn is not None), default=0
    )
    with quiet_gc():
        iteration = 0
        while time.perf_counter_ns() - started < SETTLE_SECONDS * 1e9:
            for server in servers if iteration % 2 == 0 else servers[::-1]:
                server.measure(STARTUP_WORK, action)
            iteration += 1
            time.sleep(0.002)


def run_phases(servers: list[Server], module: GeneratedModule, args: Any) -> None:
    sites = module.sites
    count = args.iterations

    warm_actions = [
        completion_request(sites["response_model_value"]),
        position_request("textDocument/hover", sites["hover_depends"]),
        code_action_request(sites["action_start"], sites["action_end"]),
    ]
    warm_index = [0]

    def warm(server: Server) -> tuple[int, Any]:
        action = warm_actions[warm_index[0] % len(warm_actions)]
        warm_index[0] += 1
        return action(server)

    settle(servers, completion_request(sites["response_model_value"]))
    alternate(servers, "warm-up", args.warmup, PHASE_LIMITS["warmup"], warm)

    per_site = PHASE_LIMITS["completion"] / len(COMPLETION_SITES)
    for key, metric in COMPLETION_SITES:
        site = sites[key]
        action = completion_request(site)

        def measure_site(metric: str = metric, action: Callable = action) -> None:
            # A few unrecorded requests so the first sample does not carry the
            # re-analysis triggered by the edit that set the site up.
            for server in servers:
                for _ in range(3):
                    server.guard(lambda server=server: action(server))
            alternate(servers, metric, count, per_site, action)

        with_insert(servers, site, measure_site)

    for server in servers:
        merged = server.samples(ALL_COMPLETIONS)
        for _, metric in COMPLETION_SITES:
            part = server.samples(metric)
            merged.values_ns.extend(part.values_ns)
            merged.errors += part.errors
            merged.timeouts += part.timeouts
            merged.messages.update(part.messages)
            merged.truncated |= part.truncated

    keystroke_site = sites["keystroke_line"]
    alternate(
        servers, KEYSTROKE, count, PHASE_LIMITS["keystroke"], keystroke_request(keystroke_site)
    )
    for server in servers:
        if server.typed:
            line, column = keystroke_site.line, keystroke_site.character
            server.send_change((line, column), (line, column + server.typed), "")
            server.typed = 0

    per_site = PHASE_LIMITS["hover"] / len(HOVER_SITES)
    for key, metric in HOVER_SITES:
        action = position_request("textDocument/hover", sites[key])
        alternate(servers, metric, count, per_site, action)

    alternate(
        servers,
        CODE_ACTION,
        count,
        PHASE_LIMITS["code_action"],
        code_action_request(sites["action_start"], sites["action_end"]),
    )


def context7_request(timeout: float | None = None) -> Callable[[Server], tuple[int, Any]]:
    """The lookup command, timed from the request to its response.

    The server answers only after the client has answered its ``window/showDocument``
    (and ``window/workDoneProgress/create``), so those round trips are in the sample.
    """

    def action(server: Server) -> tuple[int, Any]:
        assert server.conn is not None
        params = {"command": CONTEXT7_COMMAND, "arguments": [CONTEXT7_LOOKUP]}
        elapsed, result = server.conn.request(
            "workspace/executeCommand", params, timeout or server.timeout
        )
        if not (isinstance(result, dict) and result.get("uri")):
            # The server answers null when the lookup failed or was cancelled.
            raise ServerError(f"lookup answered {json.dumps(result)[:80]}")
        return elapsed, result

    return action


def phase_context7(servers: list[Server], context7: FakeContext7, args: Any) -> dict[str, Any]:
    """Cached lookups on the server under test only: the baseline has no such command."""
    real = servers[1]
    samples = real.samples(CONTEXT7)
    first = "not run"
    if real.alive:
        # Unrecorded: fetches the page from the fake Context7 and fills the cache.
        try:
            context7_request(args.startup_timeout)(real)
            first = "ok"
        except (ServerError, RequestTimeout) as exc:
            # Counted as an error: without it the measured lookups may not be cache hits.
            first = f"{type(exc).__name__}: {exc}"
            samples.errors += 1
            samples.messages[f"first lookup: {first}"[:120]] += 1
        except ServerExited as exc:
            real.failure = f"server exited: {exc}"
            first = real.failure
    fetched = len(context7.requests_to("context"))
    shown = real.conn.server_requests["window/showDocument"] if real.conn else 0
    alternate([real], CONTEXT7, args.iterations, PHASE_LIMITS["context7"], context7_request())
    return {
        "base_url": context7.base_url,
        "lookup": CONTEXT7_LOOKUP,
        "first_lookup": first,
        "context_requests_after_first_lookup": fetched,
        "context_requests": len(context7.requests_to("context")),
        "context_request_params": [request.params for request in context7.requests_to("context")],
        "search_requests": len(context7.requests_to("search")),
        "other_requests": len(context7.requests_to("other")),
        "show_document_requests": (
            real.conn.server_requests["window/showDocument"] if real.conn else 0
        ),
        "show_document_requests_before_measuring": shown,
    }


def workspace_module(index: int) -> tuple[str, dict[str, Site]]:
    """A 300-500-line FastAPI module of its own for the workspace phase.

    The usual header, then one or two resource blocks that no other file has (their
    resource names differ file by file), then the footer. ``make_module`` alone would
    give every small module the same text, so its building blocks are used directly.
    """
    lines = generator._HEADER.strip("\n").split("\n")
    blocks: list[tuple[int, str, str]] = []
    for block in range(2 * index, 2 * index + 1 + index % 2):
        name, names = generator._resource(block)
        blocks.append((len(lines), name, names))
        lines.extend(generator._block(block))
    includes = "\n".join(f"app.include_router({name}_router)" for _, name, _ in blocks)
    footer = generator._FOOTER.substitute(includes=includes).strip("\n").split("\n")
    lines.extend(generator._with_gap(footer))
    start, name, names = blocks[0]
    return "\n".join(lines) + "\n", generator._sites(lines, start, name, names)


def phase_workspace(servers: list[Server], workspace: Path) -> dict[str, Any]:
    """Open WORKSPACE_FILES more modules on both servers, for the peak-memory reading.

    Each file is written into the workspace folder, opened with didOpen, and then gets
    one completion (after ``response_model=``) and one hover (on ``Depends``), untimed:
    the work a visit to the file causes, and a sync point so the reading comes after
    the server has handled the didOpen.
    """
    folder = workspace / "services"
    folder.mkdir()
    (folder / "__init__.py").write_text("", encoding="utf-8")
    files: list[tuple[str, str, dict[str, Site]]] = []
    for index in range(WORKSPACE_FILES):
        text, sites = workspace_module(index)
        path = folder / f"service_{index:03d}.py"
        path.write_text(text, encoding="utf-8")
        files.append((path.as_uri(), text, sites))

    started = time.perf_counter()
    truncated = False
    for number, (uri, text, sites) in enumerate(files):
        if time.perf_counter() - started > PHASE_LIMITS["workspace"]:
            truncated = True
            break
        completion_at, hover_at = sites["response_model_value"], sites["hover_depends"]
        requests = [
            (
                "textDocument/completion",
                {
                    "textDocument": {"uri": uri},
                    "position": {"line": completion_at.line, "character": completion_at.character},
                    "context": {"triggerKind": 1},
                },
            ),
            (
                "textDocument/hover",
                {
                    "textDocument": {"uri": uri},
                    "position": {"line": hover_at.line, "character": hover_at.character},
                },
            ),
        ]
        document = {"uri": uri, "languageId": "python", "version": 1, "text": text}
        for server in servers if number % 2 == 0 else servers[::-1]:
            if not server.alive:
                continue
            assert server.conn is not None
            try:
                server.conn.notify("textDocument/didOpen", {"textDocument": document})
                server.workspace_opened += 1
                for method, params in requests:
                    try:
                        server.conn.request(method, params, server.timeout)
                        server.workspace_answered += 1
                    except (ServerError, RequestTimeout):
                        server.workspace_failed += 1
            except RequestTimeout:
                server.workspace_failed += 1
            except ServerExited as exc:
                server.failure = f"server exited: {exc}"
    line_counts = [text.count("\n") for _, text, _ in files]
    return {
        "files": WORKSPACE_FILES,
        "lines_min": min(line_counts),
        "lines_max": max(line_counts),
        "lines_total": sum(line_counts),
        "truncated_by_time_limit": truncated,
        "seconds": round(time.perf_counter() - started, 2),
        **{
            server.label: {
                "opened": server.workspace_opened,
                "requests_answered": server.workspace_answered,
                "requests_failed": server.workspace_failed,
            }
            for server in servers
        },
    }


# -- report --------------------------------------------------------------------


@dataclass(frozen=True)
class Budget:
    text: str
    max_ms: float | None = None
    max_ratio: float | None = None
    #: at most this many milliseconds above the baseline's figure
    max_over_ms: float | None = None
    statistic: str = "p95_ms"


BUDGETS: dict[str, Budget] = {
    **{
        metric: Budget("p95 <= 5 ms and <= 3x base", max_ms=5.0, max_ratio=3.0)
        for metric in [ALL_COMPLETIONS, *(m for _, m in COMPLETION_SITES)]
    },
    KEYSTROKE: Budget("p95 <= 1.5x base", max_ratio=1.5),
    **{metric: Budget("p95 <= 5 ms", max_ms=5.0) for _, metric in HOVER_SITES},
    CODE_ACTION: Budget("p95 <= 5 ms", max_ms=5.0),
    CONTEXT7: Budget("p95 <= 20 ms", max_ms=20.0),
    FIRST_COMPLETION: Budget(
        "median <= 1000 ms and <= base + 100 ms",
        max_ms=1000.0,
        max_over_ms=100.0,
        statistic="p50_ms",
    ),
    INITIALIZE: Budget("median <= base + 100 ms", max_over_ms=100.0, statistic="p50_ms"),
    STARTUP_WORK: Budget("max <= 100 ms", max_ms=100.0, statistic="max_ms"),
}
RSS_BUDGET_MB = 100.0


def evaluate(metric: str, base: dict[str, Any], real: dict[str, Any]) -> tuple[str, list[str]]:
    budget = BUDGETS.get(metric)
    if budget is None:
        return "-", []
    notes: list[str] = []
    value = real.get(budget.statistic)
    if real["errors"] or real["timeouts"]:
        notes.append(f"{real['errors']} errors, {real['timeouts']} timeouts")
    if value is None:
        notes.append("no samples")
        return "FAIL", notes
    if budget.max_ms is not None and value > budget.max_ms:
        notes.append(f"{value:.2f} ms > {budget.max_ms:g} ms")
    if budget.max_ratio is not None:
        reference = base.get(budget.statistic)
        if not reference:
            notes.append("no baseline")
        elif value / reference > budget.max_ratio:
            notes.append(f"{value / reference:.2f}x > {budget.max_ratio:g}x")
    if budget.max_over_ms is not None:
        reference = base.get(budget.statistic)
        if reference is None:
            notes.append("no baseline")
        elif value - reference > budget.max_over_ms:
            over = value - reference
            notes.append(f"{over:.0f} ms over the baseline > {budget.max_over_ms:g} ms")
    return ("FAIL" if notes else "PASS"), notes


def fmt(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.0f}" if value >= 100 else f"{value:.2f}"


def rss_row(baseline: int | None, server: int | None, notes: list[str]) -> dict[str, Any]:
    if server is None:
        notes.insert(0, "not measured")
    elif server / 2**20 > RSS_BUDGET_MB:
        notes.insert(0, f"{server / 2**20:.1f} MB > {RSS_BUDGET_MB:g} MB")
    return {
        "baseline_bytes": baseline,
        "server_bytes": server,
        "ratio": server / baseline if server and baseline else None,
        "budget": f"<= {RSS_BUDGET_MB:g} MB",
        "status": "FAIL" if notes else "PASS",
        "notes": notes,
    }


def build_report(
    servers: list[Server],
    module: GeneratedModule,
    args: Any,
    context7: dict[str, Any],
    workspace: dict[str, Any],
) -> dict[str, Any]:
    baseline, real = servers
    order = [
        *(m for _, m in COMPLETION_SITES),
        ALL_COMPLETIONS,
        KEYSTROKE,
        *(m for _, m in HOVER_SITES),
        CODE_ACTION,
        CONTEXT7,
        FIRST_COMPLETION,
        INITIALIZE,
        STARTUP_WORK,
    ]
    metrics: dict[str, Any] = {}
    for metric in order:
        base = baseline.samples(metric).summary()
        mine = real.samples(metric).summary()
        status, notes = evaluate(metric, base, mine)
        ratio = None
        if base["p95_ms"] and mine["p95_ms"] is not None:
            ratio = mine["p95_ms"] / base["p95_ms"]
        budget = BUDGETS.get(metric)
        metrics[metric] = {
            "baseline": base,
            "server": mine,
            "p95_ratio": ratio,
            "budget": budget.text if budget else None,
            "status": status,
            "notes": notes,
        }

    # Every measured lookup must have been a cache hit: the only request Context7 saw
    # is the unrecorded first lookup's.
    row = metrics[CONTEXT7]
    if context7.get("context_requests") != 1:
        row["notes"].append(
            f"{context7.get('context_requests')} /v2/context requests, expected exactly 1"
        )
        row["status"] = "FAIL"

    metrics[PEAK_RSS] = rss_row(baseline.peak_rss, real.peak_rss, [])
    workspace_notes = []
    opened = workspace.get("server", {}).get("opened", 0)
    failed = workspace.get("server", {}).get("requests_failed", 0)
    if opened < WORKSPACE_FILES:
        workspace_notes.append(f"only {opened} of {WORKSPACE_FILES} files opened")
    if failed:
        workspace_notes.append(f"{failed} of its untimed requests failed")
    metrics[PEAK_RSS_WORKSPACE] = rss_row(
        baseline.peak_rss_workspace, real.peak_rss_workspace, workspace_notes
    )
    metrics[PEAK_RSS_WORKSPACE]["opened"] = {
        server.label: server.workspace_opened for server in servers
    }
    metrics[PEAK_RSS_WORKSPACE]["failed"] = {
        server.label: server.workspace_failed for server in servers
    }
    return {
        "meta": {
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "cpu_count": os.cpu_count(),
            "module_lines": module.line_count,
            "iterations": args.iterations,
            "warmup": args.warmup,
            "startup_runs": args.startup_runs,
            "workspace_files": WORKSPACE_FILES,
            "phase_time_limits_s": PHASE_LIMITS,
        },
        "context7": context7,
        "workspace": workspace,
        "servers": {
            server.label: {
                "argv": server.argv,
                "failure": server.failure,
                "exit_code": server.exit_code,
                "completion_trigger_characters": sorted(server.trigger_characters),
                "notifications": dict(server.conn.notifications) if server.conn else {},
                "server_requests": dict(server.conn.server_requests) if server.conn else {},
                "stray_responses": server.conn.stray_responses if server.conn else 0,
                "warmup": server.samples("warm-up").summary(),
            }
            for server in servers
        },
        "metrics": metrics,
    }


def print_report(report: dict[str, Any]) -> None:
    meta = report["meta"]
    print(
        f"\nfastapi-ls latency: Python {meta['python']}, {meta['platform']}, "
        f"{meta['cpu_count']} CPUs, {meta['module_lines']}-line module, "
        f"{meta['iterations']} iterations"
    )
    for label, info in report["servers"].items():
        print(f"  {label}: {shlex.join(info['argv'])}")
        if info["failure"]:
            print(f"    FAILURE: {info['failure']}")
        traffic = {**info["notifications"], **info["server_requests"]}
        if traffic:
            print("    server->client: " + ", ".join(f"{k} x{v}" for k, v in traffic.items()))
        if info["warmup"]["errors"] or info["warmup"]["timeouts"]:
            warm = info["warmup"]
            print(f"    warm-up: {warm['errors']} errors, {warm['timeouts']} timeouts")

    header = (
        f"{'metric':<38} {'base p50/p95 ms':>16} {'server p50/p95 ms':>18} {'ratio':>6}"
        f" {'n':>4} {'err':>5} {'server result':>14}  {'budget':<28} result"
    )
    print("\n" + header + "\n" + "-" * len(header))
    for metric, row in report["metrics"].items():
        if "server_bytes" in row:
            base, mine = row["baseline_bytes"], row["server_bytes"]
            base_text = f"{base / 2**20:.1f} MB" if base else "-"
            mine_text = f"{mine / 2**20:.1f} MB" if mine else "-"
            ratio = f"{row['ratio']:.2f}x" if row["ratio"] else "-"
            count = errors = ""
            if "opened" in row:
                count = str(row["opened"]["server"])
                errors = f"{row['failed']['baseline']}/{row['failed']['server']}"
            print(
                f"{metric:<38} {base_text:>16} {mine_text:>18} {ratio:>6} {count:>4} {errors:>5}"
                f" {'':>14}  {row['budget']:<28} {row['status']}"
            )
            continue
        base, mine = row["baseline"], row["server"]
        base_text = f"{fmt(base['p50_ms'])} / {fmt(base['p95_ms'])}"
        mine_text = f"{fmt(mine['p50_ms'])} / {fmt(mine['p95_ms'])}"
        ratio = f"{row['p95_ratio']:.2f}x" if row["p95_ratio"] is not None else "-"
        errors = f"{base['errors'] + base['timeouts']}/{mine['errors'] + mine['timeouts']}"
        if metric in SERVER_ONLY:
            base_text = "-"
            errors = f"-/{mine['errors'] + mine['timeouts']}"
        count = f"{mine['n']}" + ("*" if mine["truncated_by_time_limit"] else "")
        print(
            f"{metric:<38} {base_text:>16} {mine_text:>18} {ratio:>6} {count:>4} {errors:>5}"
            f" {mine['last_result']:>14}  {row['budget'] or '':<28} {row['status']}"
        )
    print()
    for metric, row in report["metrics"].items():
        for note in row["notes"]:
            print(f"  {row['status']} {metric}: {note}")
        messages = row["server"]["error_messages"] if "server" in row else {}
        for message, times in messages.items():
            print(f"    server error x{times}: {message}")
    context7 = report["context7"]
    if context7:
        print(
            f"  Context7 (fake API at {context7['base_url']}): first lookup"
            f" {context7['first_lookup']}; /v2/context requests:"
            f" {context7['context_requests']} (expected exactly 1, the unrecorded first"
            f" lookup), /v2/libs/search: {context7['search_requests']};"
            f" window/showDocument answered: {context7['show_document_requests']}"
        )
    workspace = report["workspace"]
    if workspace:
        print(
            f"  workspace: {workspace['files']} files of {workspace['lines_min']}-"
            f"{workspace['lines_max']} lines ({workspace['lines_total']} in all),"
            f" {workspace['seconds']:g} s; answered/failed requests: "
            + ", ".join(
                f"{label} {workspace[label]['requests_answered']}/"
                f"{workspace[label]['requests_failed']}"
                for label in ("baseline", "server")
            )
        )
    print(
        "  ratio = server p95 / baseline p95; err = baseline/server errors+timeouts;"
        " * = stopped by the phase time limit"
    )


# -- entry point ---------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--iterations", type=int, default=300, help="samples per metric")
    parser.add_argument("--warmup", type=int, default=50, help="unrecorded requests per server")
    parser.add_argument("--startup-runs", type=int, default=5, help="spawns per server")
    parser.add_argument(
        "--server-cmd",
        default=shlex.join([sys.executable, "-m", "fastapi_ls"]),
        help="command for the server under test (default: %(default)s)",
    )
    parser.add_argument(
        "--baseline-cmd",
        default=shlex.join([sys.executable, str(HERE / "empty_server.py")]),
        help="command for the baseline (default: the empty-handler server)",
    )
    parser.add_argument("--lines", type=int, default=5000, help="size of the generated module")
    parser.add_argument("--timeout", type=float, default=5.0, help="per-request timeout, s")
    parser.add_argument("--startup-timeout", type=float, default=15.0, help="startup timeout, s")
    parser.add_argument("--json", type=Path, help="write all figures to this file")
    parser.add_argument("--check", action="store_true", help="exit 1 if any budget fails")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    module = make_module(args.lines)
    # The repository's server/ directory goes first on the path so the default
    # command works from a checkout without installing; both servers get it.
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        part for part in (str(REPO / "server"), env.get("PYTHONPATH", "")) if part
    )

    # pip writes bytecode for what it installs (pygls and lsprotocol have theirs); a checkout
    # may have none (PYTHONDONTWRITEBYTECODE), and compiling the server's modules at every
    # spawn is not what users wait for.
    compileall.compile_dir(REPO / "server" / "fastapi_ls", quiet=1)

    with (
        tempfile.TemporaryDirectory(prefix="fastapi-ls-bench-") as tmp,
        running_context7() as fake_context7,
    ):
        root = Path(tmp)
        workspace, logs = root / "workspace", root / "logs"
        workspace.mkdir()
        logs.mkdir()
        main_py = workspace / "main.py"
        main_py.write_text(module.text, encoding="utf-8")
        uri = main_py.as_uri()
        # The server under test talks to the local fake Context7 and caches in the
        # temporary directory; the baseline gets no options.
        options = {
            "context7": {
                "baseUrl": fake_context7.base_url,
                "timeout": 5,
                "cacheDir": str(root / "context7-cache"),
            }
        }

        servers = [
            Server("baseline", shlex.split(args.baseline_cmd), env, logs, args.timeout),
            Server("server", shlex.split(args.server_cmd), env, logs, args.timeout, options),
        ]
        context7: dict[str, Any] = {}
        workspace_info: dict[str, Any] = {}

        print(f"startup: {args.startup_runs} spawns per server ...", file=sys.stderr)
        phase_startup(servers, module, workspace, uri, args)

        print("steady state: starting both servers ...", file=sys.stderr)
        for server in servers:
            server.start(workspace, uri, module.text, args.startup_timeout)
        try:
            run_phases(servers, module, args)
            print("Context7: cached lookups ...", file=sys.stderr)
            context7 = phase_context7(servers, fake_context7, args)
            for server in servers:
                if server.conn is not None:
                    server.peak_rss = server.conn.peak_rss_bytes()
            print(f"workspace: opening {WORKSPACE_FILES} more files ...", file=sys.stderr)
            workspace_info = phase_workspace(servers, workspace)
            for server in servers:
                if server.conn is not None:
                    server.peak_rss_workspace = server.conn.peak_rss_bytes()
        finally:
            for server in servers:
                if server.conn is not None:
                    server.exit_code = server.conn.close()

        report = build_report(servers, module, args, context7, workspace_info)
        for server in servers:
            if server.failure and server.last_stderr is not None:
                print(f"\n{server.label} stderr (tail):\n{stderr_tail(server.last_stderr)}")

    print_report(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        print(f"  figures written to {args.json}")

    failed = any(row["status"] == "FAIL" for row in report["metrics"].values())
    return 1 if (args.check and failed) else 0


if __name__ == "__main__":
    sys.exit(main())
