"""A raw LSP client over the pipes (or a TCP connection) of a real server process, for tests
that need to send bytes no well-behaved client library would: malformed frames, batches, wrong
ids, lone surrogates.

Messages are read by a thread into a queue; requests are matched with their answers by id,
and the server's own requests (``workspace/configuration``…) are answered with null.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import queue
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent


def frame(payload: Any) -> bytes:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


class PipeClient:
    def __init__(
        self,
        cwd: Path,
        *,
        env: dict[str, str] | None = None,
        args: tuple[str, ...] = ("-vv",),
        log_path: Path | None = None,
        transport: str = "stdio",
    ) -> None:
        self.log_path = log_path or cwd / "server.log"
        environment = {**os.environ, **(env or {})}
        environment["PYTHONPATH"] = os.pathsep.join(
            [str(REPO / "server"), environment.get("PYTHONPATH", "")]
        )
        command = [sys.executable, "-m", "fastapi_ls", "--log-file", str(self.log_path), *args]
        self._socket: socket.socket | None = None
        if transport == "tcp":
            port = free_port()
            self.process = subprocess.Popen(
                [*command, "--tcp", "--port", str(port)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                cwd=cwd,
                env=environment,
            )
            self._socket = connect(port, self.process)
            self._in, self._out = self._socket.makefile("rb"), self._socket.makefile("wb")
        else:
            self.process = subprocess.Popen(
                command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=cwd, env=environment
            )
            assert self.process.stdin is not None and self.process.stdout is not None
            self._in, self._out = self.process.stdout, self.process.stdin
        self._ids = itertools.count(1)
        self._answers: dict[Any, queue.Queue[dict[str, Any]]] = {}
        self._lock = threading.Lock()
        self.unmatched: queue.Queue[dict[str, Any]] = queue.Queue()
        self.notifications: list[dict[str, Any]] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    # Sending ---------------------------------------------------------------------------------

    def send_raw(self, data: bytes) -> None:
        self._out.write(data)
        self._out.flush()

    def notify(self, method: str, params: Any = None) -> None:
        message: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            message["params"] = params
        self.send_raw(frame(message))

    def request_nowait(self, method: str, params: Any = None, **extra: Any) -> Any:
        message_id = next(self._ids)
        message: dict[str, Any] = {"jsonrpc": "2.0", "id": message_id, "method": method}
        if params is not None:
            message["params"] = params
        message.update(extra)
        self.expect(message_id)
        self.send_raw(frame(message))
        return message_id

    def request(self, method: str, params: Any = None, timeout: float = 10.0) -> dict[str, Any]:
        return self.wait(self.request_nowait(method, params), timeout)

    def expect(self, message_id: Any) -> None:
        with self._lock:
            self._answers.setdefault(message_id, queue.Queue())

    def wait(self, message_id: Any, timeout: float = 10.0) -> dict[str, Any]:
        """The answer (result or error message) to ``message_id``; raises on timeout."""
        with self._lock:
            answers = self._answers.setdefault(message_id, queue.Queue())
        answer = answers.get(timeout=timeout)
        with self._lock:
            self._answers.pop(message_id, None)
        return answer

    def answered(self, message_id: Any) -> bool:
        """Whether the answer to ``message_id`` has arrived (and not been taken by wait)."""
        with self._lock:
            answers = self._answers.get(message_id)
        return answers is not None and not answers.empty()

    def next_unmatched(self, timeout: float = 10.0) -> dict[str, Any]:
        """The next answer whose id nobody waits for (id null, or an id sent by hand)."""
        return self.unmatched.get(timeout=timeout)

    def initialize(
        self, root: Path, *, encoding: str = "utf-16", options: Any = None, **extra: Any
    ) -> dict[str, Any]:
        capabilities = {
            "general": {"positionEncodings": [encoding]},
            "textDocument": {
                "completion": {"completionItem": {"snippetSupport": True}},
                "hover": {"contentFormat": ["markdown", "plaintext"]},
                "codeAction": {
                    "codeActionLiteralSupport": {"codeActionKind": {"valueSet": ["", "quickfix"]}}
                },
            },
        }
        params = {
            "processId": None,
            "rootUri": root.as_uri(),
            "capabilities": capabilities,
            "initializationOptions": options,
            **extra,
        }
        answer = self.request("initialize", params, timeout=30)
        self.notify("initialized", {})
        return answer

    def close(self, timeout: float = 10.0) -> int:
        """Shut down and exit politely when possible; the exit code."""
        if self.process.poll() is None:
            try:
                self.request("shutdown", timeout=timeout)
                self.notify("exit")
            except (OSError, queue.Empty):
                self.process.kill()
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()
        finally:
            for stream in (self._out, self._in, self.process.stdin, self.process.stdout):
                if stream is not None:
                    with contextlib.suppress(OSError):
                        stream.close()
            if self._socket is not None:
                self._socket.close()

    def error_tracebacks(self) -> list[str]:
        """Records logged at ERROR or above with a traceback."""
        records = re.split(r"\n(?=\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ )", self.log())
        return [
            record
            for record in records
            if re.match(r"\S+ \S+ (ERROR|CRITICAL) ", record) and "Traceback" in record
        ]

    def log(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    # Receiving -------------------------------------------------------------------------------

    def _read(self) -> None:
        stream = self._in
        while True:
            length = None
            while True:
                try:
                    line = stream.readline()
                except (OSError, ValueError):
                    return  # the connection was closed
                if not line:
                    return
                if not line.strip():
                    break
                name, _, value = line.decode("ascii").partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            if length is None:
                continue
            message = json.loads(stream.read(length))
            self._dispatch(message)

    def _dispatch(self, message: dict[str, Any]) -> None:
        if "method" in message:
            if "id" in message:
                # The server asks something (configuration, progress, showDocument).
                reply = {"jsonrpc": "2.0", "id": message["id"], "result": None}
                if message["method"] == "workspace/configuration":
                    reply["result"] = [None for _ in message["params"]["items"]]
                with contextlib.suppress(OSError):
                    self.send_raw(frame(reply))
            else:
                self.notifications.append(message)
            return
        with self._lock:
            answers = self._answers.get(message.get("id"))
        if answers is None:
            self.unmatched.put(message)
        else:
            answers.put(message)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def connect(port: int, process: subprocess.Popen[bytes], timeout: float = 30) -> socket.socket:
    """A connection to the server listening on ``port`` once it has started."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            connection = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise
            time.sleep(0.05)
        else:
            connection.settimeout(None)
            return connection


def wait_for_exit(process: subprocess.Popen[bytes], timeout: float) -> int | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        code = process.poll()
        if code is not None:
            return code
        time.sleep(0.05)
    return None
