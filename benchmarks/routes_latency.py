"""Latency with the workspace index loaded: fastapi-ls on a 2,000-module workspace against the
empty-handler pygls server, over stdio.

The workspace is the one ``benchmarks/workspace_index.py`` generates (400 routers of 8 routes,
400 test modules using ``TestClient``).  Both servers are driven by ``latency.py``'s blocking
client, requests alternating between them.  Measured:

- **spawn → first completion**: spawn, ``initialize``, ``initialized``, ``didOpen`` of a route
  module, then completions until one answers; the index is built in the background meanwhile;
- **index ready**: spawn until ``fastapiLs/routes`` says ``ready`` (fastapi-ls only);
- after that, p50/p95 of: completion at module level in a route module (Tier 1 snippets);
  completion of a path in a test module's ``client.get("/api/v1/…")`` (every GET path);
  hover on a route decorator (the card with the full path and chain); hover on a test call's
  path; ``workspace/symbol`` (fastapi-ls only: the baseline has no handler);
- peak RSS (VmHWM) of each server at the end.

Run ``python benchmarks/routes_latency.py [--iterations N] [--json PATH]``; about 30 s.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from latency import Connection, initialize_params
from workspace_index import make_workspace

HERE = Path(__file__).resolve().parent
SERVERS = {
    "fastapi-ls": [sys.executable, "-m", "fastapi_ls"],
    "empty pygls": [sys.executable, str(HERE / "empty_server.py")],
}
#: The budget of completion and hover p95 (DESIGN.md), in ms.
BUDGET_P95_MS = 5.0
PATH_CALL = 'client.get("/api/v1/'


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def position_of(text: str, needle: str, offset: int) -> dict[str, int]:
    index = text.index(needle) + offset
    line = text.count("\n", 0, index)
    return {"line": line, "character": index - (text.rfind("\n", 0, index) + 1)}


def open_file(conn: Connection, path: Path) -> tuple[str, str]:
    text = path.read_text(encoding="utf-8")
    uri = path.as_uri()
    document = {"uri": uri, "languageId": "python", "version": 1, "text": text}
    conn.notify("textDocument/didOpen", {"textDocument": document})
    return uri, text


def start(name: str, workspace: Path, logs: Path) -> tuple[Connection, dict[str, float]]:
    env = {**os.environ, "FASTAPI_LS_LOG_LEVEL": "WARNING"}
    conn = Connection(SERVERS[name], env, logs / f"{name.replace(' ', '-')}.stderr")
    conn.workspace_folders = [{"uri": workspace.as_uri(), "name": workspace.name}]
    conn.request("initialize", initialize_params(workspace, os.getpid()), timeout=30)
    conn.notify("initialized", {})
    uri, text = open_file(conn, workspace / "app/api/routes/r_000.py")
    params = {
        "textDocument": {"uri": uri},
        "position": {"line": len(text.split("\n")) - 1, "character": 0},
    }
    figures = {}
    while True:
        try:
            conn.request("textDocument/completion", params, timeout=30)
            break
        except Exception:  # not served yet: ask again
            time.sleep(0.01)
    figures["first_completion_ms"] = (conn.last_arrival_ns - conn.spawned_ns) / 1e6
    if name == "fastapi-ls":
        while not conn.request("fastapiLs/routes", {"query": "-"}, timeout=30)[1]["ready"]:
            time.sleep(0.02)
        figures["index_ready_ms"] = (conn.last_arrival_ns - conn.spawned_ns) / 1e6
    return conn, figures


def requests_for(workspace: Path, conn: Connection) -> dict[str, tuple[str, Any]]:
    route_uri, route_text = open_file(conn, workspace / "app/api/routes/r_001.py")
    test_uri, test_text = open_file(conn, workspace / "tests/test_r_001.py")

    def at(uri: str, position: dict[str, int]) -> dict[str, Any]:
        return {"textDocument": {"uri": uri}, "position": position}

    end = len(route_text.split("\n")) - 1
    return {
        "completion: module level": (
            "textDocument/completion",
            at(route_uri, {"line": end, "character": 0}),
        ),
        "completion: test client path": (
            "textDocument/completion",
            at(
                test_uri,
                position_of(test_text, 'client.get("/api/v1/', len('client.get("/api/v1/')),
            ),
        ),
        "hover: route decorator": (
            "textDocument/hover",
            at(route_uri, position_of(route_text, "@router.get(", 9)),
        ),
        "hover: test client path": (
            "textDocument/hover",
            at(test_uri, position_of(test_text, PATH_CALL, 14)),
        ),
        "workspace/symbol": ("workspace/symbol", {"query": "get history"}),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--iterations", type=int, default=200)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="fastapi-ls-routes-") as folder:
        workspace = Path(folder) / "workspace"
        logs = Path(folder) / "logs"
        logs.mkdir()
        modules = make_workspace(workspace)
        connections, startup, samples = {}, {}, {}
        try:
            for name in SERVERS:
                connections[name], startup[name] = start(name, workspace, logs)
            plans = {name: requests_for(workspace, conn) for name, conn in connections.items()}
            time.sleep(1.0)  # the opened documents' analyses and index updates settle
            for iteration in range(args.iterations + 20):
                for name, conn in connections.items():
                    for metric, (method, params) in plans[name].items():
                        if name != "fastapi-ls" and method == "workspace/symbol":
                            continue
                        elapsed, _ = conn.request(method, params, timeout=10)
                        if iteration >= 20:  # warm-up
                            samples.setdefault((metric, name), []).append(elapsed / 1e6)
            rss = {name: conn.peak_rss_bytes() for name, conn in connections.items()}
        finally:
            for conn in connections.values():
                conn.close()
    report: dict[str, Any] = {"modules": modules, "startup": startup, "latency": {}, "rss_mb": {}}
    print(f"workspace: {modules} modules")
    for name, figures in startup.items():
        shown = ", ".join(f"{key} {value:.0f}" for key, value in figures.items())
        print(f"{name:12} {shown}")
    print(f"{'metric':32} {'fastapi-ls p50/p95 ms':>22} {'empty p50/p95 ms':>18}")
    failed = False
    for metric in plans["fastapi-ls"]:
        row = {}
        for name in SERVERS:
            values = samples.get((metric, name))
            if values:
                row[name] = {"p50": percentile(values, 0.5), "p95": percentile(values, 0.95)}
        report["latency"][metric] = row
        cells = [
            f"{row[name]['p50']:.2f} / {row[name]['p95']:.2f}" if name in row else "-"
            for name in SERVERS
        ]
        print(f"{metric:32} {cells[0]:>22} {cells[1]:>18}")
        if metric.startswith(("completion", "hover")) and row["fastapi-ls"]["p95"] > BUDGET_P95_MS:
            failed = True
    for name, value in rss.items():
        report["rss_mb"][name] = value / 2**20 if value else None
        print(f"peak RSS {name}: {report['rss_mb'][name]:.0f} MB")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2), encoding="utf-8")
    print("completion/hover p95 within budget" if not failed else "OVER BUDGET")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
