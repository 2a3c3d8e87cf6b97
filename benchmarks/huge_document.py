"""Huge-document benchmark: does a 50 MB message stall the other requests?

The real server runs over stdio.  A pinging thread sends a cheap request (a hover in a small
open module, or ``fastapiLs/status`` with ``--ping status``) every few milliseconds, one at a
time, while the main thread sends, about a second apart: the ``didOpen`` of a generated module
of about 50 MB (2.1 million lines), a few incremental edits to it, a ``didChange`` that
replaces its whole text, and its ``didClose``.  A huge message is written while the pinger
waits (the pipe carries one message at a time), so every ping measured here was sent after the
huge message had been written completely: it waits only for what the server still does with
that message after reading it, not for the transfer of 50 MB through the pipe.

    python benchmarks/huge_document.py [--megabytes 50] [--interval 0.005] [--ping hover|status]

Reported per step: the pings, their median and their longest wait for an answer.  See
benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
#: Code lines the module is made of: quotes, backslashes and tabs become JSON escapes.
LINES = (
    "def handler_{n}(item):\n",
    '    name = "a\\tb"\n',
    "\treturn item[name] + {n}\n",
)


SMALL_MODULE = """from fastapi import Depends, FastAPI

app = FastAPI()

def get_db(db=Depends(dict)):
    return db
"""


def position(path: Path, at: dict[str, int]) -> dict[str, Any]:
    return {"textDocument": {"uri": path.as_uri()}, "position": at}


def frame(message: dict[str, Any]) -> bytes:
    body = json.dumps(message).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def make_module(megabytes: float) -> str:
    parts: list[str] = []
    size = 0
    n = 0
    while size < megabytes * 1_000_000:
        block = "".join(line.format(n=n) for line in LINES)
        parts.append(block)
        size += len(block)
        n += 1
    return "".join(parts)


class Client:
    """A blocking client with a reader thread: answers are time-stamped as they arrive."""

    def __init__(self, workspace: Path, log_path: Path) -> None:
        env = {**os.environ, "PYTHONPATH": str(REPO / "server")}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "fastapi_ls", "--log-file", str(log_path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=workspace,
            env=env,
            bufsize=0,
        )
        self.write_lock = threading.Lock()
        self._next_id = 0
        self._waiting: dict[int, threading.Event] = {}
        self._answers: dict[int, tuple[float, dict[str, Any]]] = {}
        threading.Thread(target=self._read, daemon=True).start()

    def send(self, data: bytes) -> float:
        """Write ``data``; when the write ended."""
        with self.write_lock:
            assert self.process.stdin is not None
            self.process.stdin.write(data)
            return time.perf_counter()

    def notify(self, method: str, params: Any) -> None:
        self.send(frame({"jsonrpc": "2.0", "method": method, "params": params}))

    def request(
        self, method: str, params: Any = None, timeout: float = 60
    ) -> tuple[float, float, Any]:
        """(when the write ended, seconds from then to the answer, the answer)."""
        with self.write_lock:
            self._next_id += 1
            message_id = self._next_id
            done = self._waiting[message_id] = threading.Event()
        message = {"jsonrpc": "2.0", "id": message_id, "method": method}
        if params is not None:
            message["params"] = params
        data = frame(message)
        with self.write_lock:
            assert self.process.stdin is not None
            self.process.stdin.write(data)
            sent = time.perf_counter()
        if not done.wait(timeout):
            raise TimeoutError(f"no answer to {method} in {timeout} s")
        arrived, answer = self._answers.pop(message_id)
        return sent, arrived - sent, answer

    def _read(self) -> None:
        stream = self.process.stdout
        assert stream is not None
        while True:
            length = 0
            while True:
                line = stream.readline()
                if not line:
                    return
                if not line.strip():
                    break
                name, _, value = line.decode("ascii").partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            body = stream.read(length)
            arrived = time.perf_counter()
            message = json.loads(body)
            if "method" in message:
                if "id" in message:  # the server asks something: answer null
                    items = message.get("params", {}).get("items")
                    result = [None] * len(items) if items else None
                    self.send(frame({"jsonrpc": "2.0", "id": message["id"], "result": result}))
                continue
            event = self._waiting.pop(message.get("id"), None)
            if event is not None:
                self._answers[message["id"]] = (arrived, message)
                event.set()


class Pinger(threading.Thread):
    """Sends a cheap request every ``interval`` seconds; records (sent at, wait)."""

    def __init__(self, client: Client, interval: float, method: str, params: Any) -> None:
        super().__init__(daemon=True)
        self.client = client
        self.interval = interval
        self.method = method
        self.params = params
        self.samples: list[tuple[float, float]] = []
        self.failures = 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                sent, waited, answer = self.client.request(self.method, self.params, timeout=30)
            except TimeoutError:
                self.failures += 1
                continue
            if "result" not in answer:
                self.failures += 1
            self.samples.append((sent, waited))
            time.sleep(self.interval)


def run(megabytes: float, interval: float, pause: float, ping: str) -> dict[str, Any]:
    workspace = Path(tempfile.mkdtemp(prefix="fastapi-ls-huge-"))
    small = workspace / "small.py"
    small.write_text(SMALL_MODULE)
    huge_path = workspace / "huge.py"
    started = time.perf_counter()
    text = make_module(megabytes)
    lines = text.count("\n")
    uri = huge_path.as_uri()
    edit_at = [(10, 0), (lines // 2, 4), (lines - 2, 0)]
    # Every message is encoded before the pinging starts: the client's own json.dumps of 50 MB
    # would hold its GIL and delay the pings.
    steps: list[tuple[str, bytes]] = [
        (
            "didOpen",
            frame(
                {
                    "jsonrpc": "2.0",
                    "method": "textDocument/didOpen",
                    "params": {
                        "textDocument": {
                            "uri": uri,
                            "languageId": "python",
                            "version": 1,
                            "text": text,
                        }
                    },
                }
            ),
        )
    ]
    for version, (line, character) in enumerate(edit_at, start=2):
        at = {"line": line, "character": character}
        change = {"range": {"start": at, "end": at}, "text": "x"}
        steps.append((f"edit at line {line}", change_frame(uri, version, [change])))
    steps.append(("didChange (whole text)", change_frame(uri, 9, [{"text": text + "# end\n"}])))
    steps.append(
        (
            "didClose",
            frame(
                {
                    "jsonrpc": "2.0",
                    "method": "textDocument/didClose",
                    "params": {"textDocument": {"uri": uri}},
                }
            ),
        )
    )
    message_mb = len(steps[0][1]) / 1e6
    del text
    prepared = time.perf_counter() - started

    client = Client(workspace, workspace / "server.log")
    params = {
        "processId": os.getpid(),
        "rootUri": workspace.as_uri(),
        "capabilities": {"general": {"positionEncodings": ["utf-16"]}},
    }
    client.request("initialize", params)
    client.notify("initialized", {})
    item = {"uri": small.as_uri(), "languageId": "python", "version": 1, "text": SMALL_MODULE}
    client.notify("textDocument/didOpen", {"textDocument": item})
    if ping == "hover":
        # On `Depends`: a hover card, computed from the small document's analysis.
        at = {"line": 4, "character": 24}
        pinger = Pinger(client, interval, "textDocument/hover", position(small, at))
    else:
        pinger = Pinger(client, interval, "fastapiLs/status", None)
    pinger.start()
    time.sleep(pause)
    # (step, when its message was written completely); a ping belongs to the last step
    # written before it.
    written: list[tuple[str, float]] = [("before", 0.0)]
    for name, data in steps:
        written.append((name, client.send(data)))
        time.sleep(pause)
    pinger.stop.set()
    pinger.join()
    _, _, status = client.request("fastapiLs/status")
    client.request("shutdown")
    client.notify("exit", None)
    client.process.wait(30)

    by_step: dict[str, list[float]] = {name: [] for name, _ in written}
    for sent, waited in pinger.samples:
        step = next(name for name, at in reversed(written) if at <= sent)
        by_step[step].append(waited)
    return {
        "megabytes": round(message_mb, 1),
        "lines": lines,
        "prepared_s": round(prepared, 1),
        "interval_ms": interval * 1000,
        "ping": pinger.method,
        "failures": pinger.failures,
        "alive": "result" in status,
        "steps": [
            {
                "step": step,
                "pings": len(waits),
                "worst_ms": round(max(waits) * 1000, 1),
                "median_ms": round(sorted(waits)[len(waits) // 2] * 1000, 2),
            }
            for step, waits in by_step.items()
            if waits
        ],
    }


def change_frame(uri: str, version: int, changes: list[dict[str, Any]]) -> bytes:
    return frame(
        {
            "jsonrpc": "2.0",
            "method": "textDocument/didChange",
            "params": {
                "textDocument": {"uri": uri, "version": version},
                "contentChanges": changes,
            },
        }
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--megabytes", type=float, default=50.0, help="size of the module")
    parser.add_argument("--interval", type=float, default=0.005, help="seconds between pings")
    parser.add_argument("--pause", type=float, default=1.0, help="seconds between huge steps")
    parser.add_argument(
        "--ping",
        choices=["hover", "status"],
        default="hover",
        help="the cheap request: a hover in another (small) document, or fastapiLs/status",
    )
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args(argv)
    report = run(args.megabytes, args.interval, args.pause, args.ping)
    print(
        f"{report['megabytes']} MB didOpen, {report['lines']:,} lines; "
        f"{report['ping']} every {report['interval_ms']:g} ms"
    )
    print(f"{'step':28} {'pings':>6} {'median ms':>10} {'worst ms':>9}")
    for row in report["steps"]:
        print(f"{row['step']:28} {row['pings']:6} {row['median_ms']:10} {row['worst_ms']:9}")
    # "before" is the server's start-up, not a huge message.
    worst = max(row["worst_ms"] for row in report["steps"] if row["step"] != "before")
    print(
        f"worst wait after a huge message: {worst} ms; failed pings: {report['failures']}; "
        f"alive: {report['alive']}"
    )
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
