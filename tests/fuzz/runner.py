"""A seeded fuzzer that drives the real server over stdio.

Each session opens a FastAPI module and applies random operations: incremental edits full of
emoji, combining characters, CRLF, lone CR, form feeds, U+2028, NUL, lone surrogates and long
lines, whole-file replacements, positions past the end; completion, hover, code actions,
resolve, cancel storms, unknown methods, wrong-typed settings and malformed frames.  A shadow
copy of the text follows every edit.  After each step the server must be alive and have
answered every request within :data:`ANSWER_LIMIT`; every few steps a completion at a marker
placed from the shadow's view of the text checks that the server's lines are the client's.
At the end of a session the log must hold no traceback at ERROR and no pop-up was shown.
"""

from __future__ import annotations

import json
import random
import shutil
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lsp_pipe import PipeClient, frame

from fastapi_ls.documents import MAX_LINE_CHARS

from .shadow import Shadow, units

ANSWER_LIMIT = 2.0
HEADER = "from fastapi import FastAPI\n\napp = FastAPI()\n"
MARKER = "@app.ge"
PIECES = [
    "a", "x", " ", "  ", "def f", ": ", "=", "1", ".", "app", "Depends", "\t",
    "\n", "\r\n", "\r", "\x0c", "\u2028", "\x00", "😀", "👩‍👩‍👧", "e\u0301", "中文", "ё",
    "\ud800", "\udfff", "\U0001f600\u0301",
]  # fmt: skip
BAD_FRAMES = [
    b"Content-Length: 99999999999999999999\r\n\r\n",
    b"Content-Length: -1\r\n\r\n",
    b"content-length: abc\r\n\r\n",
    b"garbage\r\n",
    frame(b"{broken"),
    frame(b"[]"),
    frame(b'"just a string"'),
    frame(json.dumps([{"jsonrpc": "2.0", "id": "batch", "method": "shutdown"}]).encode()),
    frame(b"[" * 20_000),
]
WRONG_SETTINGS = [
    {"fastapiLs": "yes"},
    {"fastapiLs": {"snippets": {"enabled": "sure", "exclude": [1, None]}}},
    {"fastapiLs": {"context7": {"cacheTtl": 1e300, "timeout": -1, "baseUrl": 5}}},
    {"fastapiLs": {"hover": []}},
    [1, 2, 3],
]


@dataclass
class Figures:
    operations: int = 0
    requests: int = 0
    unanswered: int = 0
    crashes: int = 0
    drift_checks: int = 0
    drift: int = 0
    error_tracebacks: int = 0
    popups: int = 0
    peak_rss_mb: float = 0.0
    latencies: list[float] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def p99_ms(self) -> float:
        if len(self.latencies) < 2:
            return 0.0
        return statistics.quantiles(self.latencies, n=100)[98] * 1000

    def summary(self) -> str:
        return (
            f"{self.operations} operations, {self.requests} requests: "
            f"{self.crashes} crashes, {self.unanswered} unanswered, "
            f"{self.drift} drift in {self.drift_checks} checks, "
            f"{self.error_tracebacks} ERROR tracebacks, {self.popups} pop-ups, "
            f"p99 {self.p99_ms():.1f} ms, peak RSS {self.peak_rss_mb:.1f} MB"
        )

    @property
    def ok(self) -> bool:
        return not (
            self.crashes or self.unanswered or self.drift or self.error_tracebacks or self.popups
        )


class Session:
    def __init__(self, rng: random.Random, root: Path, figures: Figures) -> None:
        self.rng = rng
        self.figures = figures
        self.encoding = rng.choice(["utf-16", "utf-8", "utf-32"])
        self.client = PipeClient(root, args=())
        self.client.initialize(root, encoding=self.encoding)
        self.uri = (root / "app" / "fuzzed.py").as_uri()
        self.version = 1
        self.shadow = Shadow(HEADER + "\n@app.get('/')\ndef read():\n    return 1\n", self.encoding)
        document = {"uri": self.uri, "languageId": "python", "version": 1, "text": self.shadow.text}
        self.client.notify("textDocument/didOpen", {"textDocument": document})
        self.last_items: list[Any] = []

    # Requests ----------------------------------------------------------------------------

    def request(self, method: str, params: Any) -> dict[str, Any] | None:
        self.figures.requests += 1
        started = time.monotonic()
        try:
            answer = self.client.request(method, params, timeout=ANSWER_LIMIT)
        except Exception:
            self.figures.unanswered += 1
            self.figures.problems.append(f"no answer to {method} within {ANSWER_LIMIT} s")
            return None
        self.figures.latencies.append(time.monotonic() - started)
        return answer

    def random_position(self) -> dict[str, int]:
        lines = self.shadow.lines()
        roll = self.rng.random()
        if roll < 0.1:
            return {"line": len(lines) + self.rng.randrange(5), "character": self.rng.randrange(99)}
        line = self.rng.randrange(len(lines))
        width = units(lines[line], self.encoding)
        if roll < 0.2:
            return {"line": line, "character": width + self.rng.randrange(1, 2**20)}
        return {"line": line, "character": self.rng.randrange(width + 1)}

    # Operations ---------------------------------------------------------------------------

    def edit(self) -> None:
        start = self.random_position()
        # The header stays: the module must remain FastAPI code for the drift checks.
        start["line"] = max(start["line"], 3)
        end = dict(start)
        if self.rng.random() < 0.5:
            end = self.random_position()
            end["line"] = max(end["line"], 3)
        count = self.rng.choice([0, 1, 1, 2, 3, 8])
        text = "".join(self.rng.choice(PIECES) for _ in range(count))
        if self.rng.random() < 0.02:
            text += "y" * self.rng.choice([1000, 15_000, MAX_LINE_CHARS + 1])
        self.send_change(start, end, text)

    def send_change(self, start: dict[str, int], end: dict[str, int], text: str) -> None:
        # What the server receives: JSON joins a high and a low surrogate sent side by side
        # into one character, as any client's JSON would.
        text = json.loads(json.dumps(text))
        self.version += 1
        change = {"range": {"start": start, "end": end}, "text": text}
        self.client.notify(
            "textDocument/didChange",
            {
                "textDocument": {"uri": self.uri, "version": self.version},
                "contentChanges": [change],
            },
        )
        self.shadow.apply(
            (start["line"], start["character"]), (end["line"], end["character"]), text
        )

    def replace_everything(self) -> None:
        self.version += 1
        pieces = "".join(self.rng.choice(PIECES) for _ in range(20))
        self.shadow.text = HEADER + json.loads(json.dumps(pieces))
        change = {"text": self.shadow.text}
        self.client.notify(
            "textDocument/didChange",
            {
                "textDocument": {"uri": self.uri, "version": self.version},
                "contentChanges": [change],
            },
        )

    def delete_below_header(self) -> None:
        last = len(self.shadow.lines()) - 1
        self.send_change(
            {"line": 3, "character": 0},
            dict(zip(("line", "character"), self.shadow.end_of_line(last), strict=True)),
            "",
        )

    def complete(self) -> None:
        answer = self.request(
            "textDocument/completion",
            {"textDocument": {"uri": self.uri}, "position": self.random_position()},
        )
        result = (answer or {}).get("result")
        items = result.get("items", []) if isinstance(result, dict) else result or []
        if items:
            self.last_items = items

    def resolve(self) -> None:
        item = self.rng.choice(self.last_items) if self.last_items else {"label": "nothing"}
        if self.rng.random() < 0.3:
            item = {"label": "x", "data": self.rng.choice([None, 5, "s", {"snippet": 1}])}
        self.request("completionItem/resolve", item)

    def hover(self) -> None:
        self.request(
            "textDocument/hover",
            {"textDocument": {"uri": self.uri}, "position": self.random_position()},
        )

    def code_action(self) -> None:
        params = {
            "textDocument": {"uri": self.uri},
            "range": {"start": self.random_position(), "end": self.random_position()},
            "context": {"diagnostics": []},
        }
        self.request("textDocument/codeAction", params)

    def cancel_storm(self) -> None:
        ids = []
        for _ in range(self.rng.randrange(3, 12)):
            method = self.rng.choice(["textDocument/completion", "textDocument/hover"])
            params = {"textDocument": {"uri": self.uri}, "position": self.random_position()}
            ids.append(self.client.request_nowait(method, params))
        for message_id in self.rng.sample(ids, len(ids)):
            self.client.notify("$/cancelRequest", {"id": message_id})
        self.client.notify("$/cancelRequest", {"id": "never-sent"})
        for message_id in ids:
            self.figures.requests += 1
            started = time.monotonic()
            try:
                self.client.wait(message_id, ANSWER_LIMIT)
            except Exception:
                self.figures.unanswered += 1
                self.figures.problems.append(f"request {message_id} of a cancel storm unanswered")
                continue
            self.figures.latencies.append(time.monotonic() - started)

    def unknown_method(self) -> None:
        params = self.rng.choice([None, {}, [1], "x", {"deep": {"er": [1, 2, None]}}])
        self.request(
            self.rng.choice(["fastapiLs/nothing", "$/custom", "textDocument/fake"]), params
        )

    def wrong_settings(self) -> None:
        settings = self.rng.choice(WRONG_SETTINGS)
        self.client.notify("workspace/didChangeConfiguration", {"settings": settings})

    def bad_frame(self) -> None:
        self.client.send_raw(self.rng.choice(BAD_FRAMES))

    def check_text(self) -> None:
        """A completion at a marker placed from the shadow's lines must find it there."""
        self.figures.drift_checks += 1
        lines = self.shadow.lines()
        line = self.rng.randrange(2, len(lines))
        end = self.shadow.end_of_line(line)
        inserted_at = self.shadow.offset(*end)
        self.send_change(
            {"line": end[0], "character": end[1]},
            {"line": end[0], "character": end[1]},
            "\n" + MARKER,
        )
        # Where the marker landed, from the shadow's text alone (a "\r" before the inserted
        # "\n" joins it into one line break).
        marker_line, _ = self.shadow.position(inserted_at + 1)
        cursor = {"line": marker_line, "character": len(MARKER)}
        answer = self.request(
            "textDocument/completion", {"textDocument": {"uri": self.uri}, "position": cursor}
        )
        result = (answer or {}).get("result")
        items = result.get("items", []) if isinstance(result, dict) else result or []
        expected = {"start": {"line": marker_line, "character": 0}, "end": cursor}
        if max(map(len, self.shadow.lines())) > MAX_LINE_CHARS:
            # A document with an overlong line gets no service at all: nothing to compare.
            found = not items
        else:
            found = any((item.get("textEdit") or {}).get("range") == expected for item in items)
        if not found:
            self.figures.drift += 1
            self.figures.problems.append(
                f"drift: no completion for the marker on line {marker_line} ({len(items)} items)"
            )
        first = self.shadow.position(inserted_at)
        last = self.shadow.position(inserted_at + 1 + len(MARKER))
        self.send_change(
            {"line": first[0], "character": first[1]}, {"line": last[0], "character": last[1]}, ""
        )

    # The session --------------------------------------------------------------------------

    OPERATIONS = (
        ("edit", 40),
        ("complete", 12),
        ("hover", 8),
        ("code_action", 6),
        ("resolve", 4),
        ("cancel_storm", 2),
        ("unknown_method", 3),
        ("wrong_settings", 1),
        ("bad_frame", 2),
        ("replace_everything", 1),
        ("delete_below_header", 1),
        ("check_text", 5),
    )

    def run(self, operations: int) -> None:
        names = [name for name, _ in self.OPERATIONS]
        weights = [weight for _, weight in self.OPERATIONS]
        for _ in range(operations):
            getattr(self, self.rng.choices(names, weights)[0])()
            self.figures.operations += 1
            if self.client.process.poll() is not None:
                self.figures.crashes += 1
                self.figures.problems.append("the server died")
                return
        self.check_text()

    def finish(self) -> None:
        if self.client.process.poll() is None:
            self.figures.peak_rss_mb = max(self.figures.peak_rss_mb, peak_rss(self.client))
        code = self.client.close()
        if code not in (0, None) and not self.figures.crashes:
            self.figures.problems.append(f"exit code {code} after shutdown and exit")
            self.figures.crashes += 1
        tracebacks = self.client.error_tracebacks()
        self.figures.error_tracebacks += len(tracebacks)
        self.figures.problems.extend(t[:2000] for t in tracebacks[:3])
        popups = [
            m for m in self.client.notifications
            if m["method"] == "window/showMessage" and m["params"]["type"] == 1
        ]  # fmt: skip
        self.figures.popups += len(popups)
        self.figures.problems.extend(m["params"]["message"] for m in popups[:3])


def peak_rss(client: PipeClient) -> float:
    try:
        status = Path(f"/proc/{client.process.pid}/status").read_text()
    except OSError:
        return 0.0
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def fuzz(operations: int, sessions: int = 1, seed: int = 0) -> Figures:
    figures = Figures()
    rng = random.Random(seed)
    fixture = Path(__file__).resolve().parents[1] / "fixtures" / "robustness" / "project"
    with tempfile.TemporaryDirectory(prefix="fastapi-ls-fuzz-") as directory:
        root = Path(directory) / "project"
        shutil.copytree(fixture, root, ignore=shutil.ignore_patterns("uses_fifo.py"))
        for _ in range(sessions):
            session = Session(rng, root, figures)
            try:
                session.run(operations // sessions)
            finally:
                session.finish()
    return figures
