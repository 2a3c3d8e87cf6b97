"""Benchmark of the workspace index on a generated 2,000-module FastAPI workspace.

The workspace is laid out like a big full-stack backend: ``app/main.py`` includes
``app/api/main.py``'s router under ``settings.API_V1_STR``; that router includes 400 resource
routers (``app/api/routes/r_NNN.py``, 8 routes each, 3,200 routes in all); beside them 400 schema
modules (Pydantic), 400 service modules and 399 utility modules (plain Python), and 400 test
modules using ``TestClient``.  Every module is different (names and numbers vary).

Measured, each in a fresh process so that nothing is warm:

- **build**: ``WorkspaceIndex(root).build()``, wall and CPU time (the build is single-threaded,
  so CPU time is its cost on one core);
- **parse every module**: the extraction of all 2,000 modules, as an upper bound for a
  workspace where every module mentions FastAPI (the index parses only those that do, and the
  others when a name is followed into them);
- **edit**: ``update_document`` of one route module (a route's path changes), of the
  settings module (every route moves) and of ``app/api/main.py``, then ``routes_in_file`` of
  it (the new table in use); p50/p95/max of the thread's CPU time (this machine is shared:
  wall time is shown beside it), and the diagnostics computed afterwards on first request;
- **route search**: ``find_routes`` with substring and fuzzy queries, p50/p95;
- **match path**: ``match_path`` with test-client paths, p50/p95;
- **peak RSS**: VmHWM of a process that imported the whole server (pygls, lsprotocol, jedi)
  and built the index.

Run ``python benchmarks/workspace_index.py`` (about 15 s); ``--check`` exits 1 when a budget
fails, ``--json PATH`` writes every figure, ``--keep DIR`` writes the workspace there.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESOURCES = 400
ROUTES_PER_RESOURCE = 8
BUDGETS = {
    "build_cpu_s": 3.0,
    "edit_p95_ms": 50.0,
    "search_p95_ms": 10.0,
    "peak_rss_mb": 150.0,
}

_CONFIG = """from pydantic_settings import BaseSettings


class Settings(BaseSettings):
    API_V1_STR: str = "/api/v1"
    PROJECT_NAME: str = "Generated"


settings = Settings()
"""

_MAIN = """from fastapi import FastAPI

from app.api.main import api_router
from app.core.config import settings

app = FastAPI(title=settings.PROJECT_NAME)
app.include_router(api_router, prefix=settings.API_V1_STR)
"""

_ROUTES = '''from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, status

from app.schemas.s_{n:03d} import {model}Create, {model}Public, {model}Update
from app.services.svc_{n:03d} import {model}Service, get_service

router = APIRouter(prefix="/{plural}", tags=["{plural}"])
Service = Annotated[{model}Service, Depends(get_service)]


@router.get("/", response_model=list[{model}Public])
def list_{plural}(service: Service, skip: int = 0, limit: Annotated[int, Query(le=100)] = {limit}):
    """List {plural}, newest first."""
    return service.list(skip=skip, limit=limit)


@router.get("/{{{single}_id}}", response_model={model}Public)
def read_{single}({single}_id: int, service: Service):
    found = service.get({single}_id)
    if found is None:
        raise HTTPException(status_code=404, detail="{model} not found")
    return found


@router.post("/", response_model={model}Public, status_code=status.HTTP_201_CREATED)
def create_{single}(payload: {model}Create, service: Service):
    return service.create(payload)


@router.put("/{{{single}_id}}", response_model={model}Public)
def update_{single}({single}_id: int, payload: {model}Update, service: Service):
    return service.update({single}_id, payload)


@router.delete("/{{{single}_id}}", status_code=204)
def delete_{single}({single}_id: int, service: Service) -> None:
    service.delete({single}_id)


@router.get("/{{{single}_id}}/history")
def {single}_history({single}_id: int, service: Service, days: int = {days}) -> list[dict]:
    return service.history({single}_id, days=days)


@router.post("/{{{single}_id}}/archive")
async def archive_{single}({single}_id: int, service: Service) -> dict[str, bool]:
    service.archive({single}_id)
    return {{"archived": True}}


@router.get("/search/by-name")
def search_{plural}(name: str, service: Service) -> list[{model}Public]:
    return [item for item in service.list(skip=0, limit=1000) if name in item.name]
'''

_SCHEMAS = """from datetime import datetime

from pydantic import BaseModel, Field, field_validator


class {model}Base(BaseModel):
    name: str = Field(min_length=1, max_length={length})
    description: str | None = None
    rank: int = {rank}

    @field_validator("name")
    @classmethod
    def strip_name(cls, value: str) -> str:
        return value.strip()


class {model}Create({model}Base):
    pass


class {model}Update(BaseModel):
    name: str | None = None
    description: str | None = None


class {model}Public({model}Base):
    id: int
    created_at: datetime
"""

_SERVICE = """from dataclasses import dataclass, field

from app.schemas.s_{n:03d} import {model}Create, {model}Public, {model}Update


@dataclass
class {model}Service:
    rows: dict[int, {model}Public] = field(default_factory=dict)

    def list(self, skip: int, limit: int) -> list[{model}Public]:
        return list(self.rows.values())[skip : skip + limit]

    def get(self, key: int) -> {model}Public | None:
        return self.rows.get(key)

    def create(self, payload: {model}Create) -> {model}Public:
        raise NotImplementedError({n})

    def update(self, key: int, payload: {model}Update) -> {model}Public:
        raise NotImplementedError({n})

    def delete(self, key: int) -> None:
        self.rows.pop(key, None)

    def history(self, key: int, days: int) -> list[dict]:
        return [{{"day": day, "key": key}} for day in range(days)]

    def archive(self, key: int) -> None:
        self.rows.pop(key, None)


def get_service() -> {model}Service:
    return {model}Service()
"""

_TEST = """from fastapi.testclient import TestClient

from app.main import app

client = TestClient(app)


def test_list_{plural}() -> None:
    response = client.get("/api/v1/{plural}/")
    assert response.status_code == 200


def test_read_missing_{single}() -> None:
    response = client.get("/api/v1/{plural}/{missing}")
    assert response.status_code == 404


def test_history_{single}() -> None:
    response = client.get("/api/v1/{plural}/1/history?days={days}")
    assert response.status_code in (200, 404)
"""

_UTILITY = '''"""Helpers number {n}."""

import math
import re

PATTERN = re.compile(r"[a-z]{{{n_mod}}}")


def score_{n}(values: list[float]) -> float:
    total = 0.0
    for index, value in enumerate(values):
        total += math.sqrt(abs(value)) * (index + {n})
    return total / max(len(values), 1)


def words_{n}(text: str) -> list[str]:
    return PATTERN.findall(text.lower())


class Counter{n}:
    def __init__(self) -> None:
        self.seen: dict[str, int] = {{}}

    def add(self, word: str) -> int:
        self.seen[word] = self.seen.get(word, 0) + 1
        return self.seen[word]
'''


def names(n: int) -> dict[str, object]:
    model = f"Resource{n:03d}"
    return {
        "n": n,
        "model": model,
        "single": f"resource{n:03d}",
        "plural": f"resources{n:03d}",
        "limit": 10 + n % 90,
        "days": 1 + n % 30,
        "length": 20 + n % 200,
        "rank": n,
        "missing": 10_000 + n,
        "n_mod": 1 + n % 9,
    }


def make_workspace(root: Path) -> int:
    """Write the workspace; return the number of modules."""
    files: dict[str, str] = {
        "pyproject.toml": '[project]\nname = "generated"\ndependencies = ["fastapi"]\n',
        "app/__init__.py": "",
        "app/main.py": _MAIN,
        "app/core/__init__.py": "",
        "app/core/config.py": _CONFIG,
        "app/api/__init__.py": "",
        "app/api/routes/__init__.py": "",
        "app/schemas/__init__.py": "",
        "app/services/__init__.py": "",
        "app/utils/__init__.py": "",
        "tests/__init__.py": "",
    }
    imports, includes = [], []
    for n in range(RESOURCES):
        values = names(n)
        files[f"app/api/routes/r_{n:03d}.py"] = _ROUTES.format(**values)
        files[f"app/schemas/s_{n:03d}.py"] = _SCHEMAS.format(**values)
        files[f"app/services/svc_{n:03d}.py"] = _SERVICE.format(**values)
        files[f"tests/test_r_{n:03d}.py"] = _TEST.format(**values)
        imports.append(f"from app.api.routes import r_{n:03d}")
        includes.append(f"api_router.include_router(r_{n:03d}.router)")
    files["app/api/main.py"] = (
        "from fastapi import APIRouter\n\n"
        + "\n".join(imports)
        + "\n\napi_router = APIRouter()\n"
        + "\n".join(includes)
        + "\n"
    )
    n = 0
    while sum(name.endswith(".py") for name in files) < 2_000:
        files[f"app/utils/u_{n:03d}.py"] = _UTILITY.format(n=n, n_mod=1 + n % 9)
        n += 1
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return sum(name.endswith(".py") for name in files)


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def timed(samples: list[float]) -> dict[str, float]:
    return {
        "p50_ms": statistics.median(samples) * 1000,
        "p95_ms": percentile(samples, 0.95) * 1000,
        "max_ms": max(samples) * 1000,
        "n": len(samples),
    }


def measure(root: Path, iterations: int) -> dict:
    """Runs in a fresh process (``--measure``): the whole server imported, nothing warm."""
    import fastapi_ls.server  # noqa: F401  (the RSS figure is the whole server's)
    from fastapi_ls.workspace_index import WorkspaceIndex
    from fastapi_ls.workspace_index.extract import extract

    result: dict = {}
    index = WorkspaceIndex([root])
    wall, cpu = time.perf_counter(), time.process_time()
    index.build()
    result["build_wall_s"] = time.perf_counter() - wall
    result["build_cpu_s"] = time.process_time() - cpu
    result["modules"] = index.snapshot.module_count
    result["routes"] = len(index.routes())
    result["apps"] = len(index.apps())

    sources = sorted(root.rglob("*.py"))
    start = time.process_time()
    for path in sources:
        extract(path.read_text(encoding="utf-8"))
    result["parse_all_cpu_s"] = time.process_time() - start

    edits = {
        "route module": root / "app/api/routes/r_200.py",
        "settings module": root / "app/core/config.py",
        "api router module": root / "app/api/main.py",
    }
    result["edits"] = {}
    all_edits: list[float] = []
    diagnostics: list[float] = []
    for label, path in edits.items():
        original = path.read_text(encoding="utf-8")
        samples, cpu_samples = [], []
        for iteration in range(iterations):
            text = original.replace('"/', f'"/v{iteration % 7}', 1)
            start, cpu = time.perf_counter(), time.thread_time()
            index.update_document(path, text)
            index.routes_in_file(path)
            samples.append(time.perf_counter() - start)
            cpu_samples.append(time.thread_time() - cpu)
            cpu = time.thread_time()
            index.diagnostics(path)
            diagnostics.append(time.thread_time() - cpu)
        index.close_document(path)
        result["edits"][label] = {"wall": timed(samples), "cpu": timed(cpu_samples)}
        all_edits += cpu_samples
    result["edit_p95_ms"] = percentile(all_edits, 0.95) * 1000
    result["diagnostics_after_edit"] = timed(diagnostics)

    queries = [
        "GET /api/v1/resources123",
        "resource042_id",
        "history",
        "post archive",
        "dlt rsrc17",
        "/api/v1/resources399/search/by-name",
        "put",
        "zzz-nothing",
    ]
    samples = []
    for iteration in range(iterations * 4):
        query = queries[iteration % len(queries)]
        start = time.perf_counter()
        index.find_routes(query, limit=100)
        samples.append(time.perf_counter() - start)
    result["search"] = timed(samples)
    result["search_p95_ms"] = result["search"]["p95_ms"]

    paths = [
        ("GET", "/api/v1/resources123/42"),
        ("GET", "/api/v1/resources007/search/by-name?name=x"),
        ("POST", "/api/v1/resources350/{item.id}/archive"),
        ("GET", "/api/v1/nothing/here"),
    ]
    samples = []
    for iteration in range(iterations * 4):
        method, request = paths[iteration % len(paths)]
        start = time.perf_counter()
        index.match_path(method, request)
        samples.append(time.perf_counter() - start)
    result["match_path"] = timed(samples)

    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                result["peak_rss_mb"] = int(line.split()[1]) / 1024
    return result


def report(result: dict) -> bool:
    rows = [
        ("modules / routes", f"{result['modules']} / {result['routes']}", "", None),
        (
            "build (wall / CPU)",
            f"{result['build_wall_s']:.2f} s / {result['build_cpu_s']:.2f} s",
            "CPU ≤ 3 s",
            result["build_cpu_s"] <= BUDGETS["build_cpu_s"],
        ),
        ("parse every module (CPU)", f"{result['parse_all_cpu_s']:.2f} s", "", None),
    ]
    for label, figures in result["edits"].items():
        cpu, wall = figures["cpu"], figures["wall"]
        rows.append(
            (
                f"edit: {label}",
                f"{cpu['p50_ms']:.1f} / {cpu['p95_ms']:.1f} / {cpu['max_ms']:.1f} ms"
                f" (wall p95 {wall['p95_ms']:.0f})",
                "p95 ≤ 50 ms",
                cpu["p95_ms"] <= BUDGETS["edit_p95_ms"],
            )
        )
    figures = result["diagnostics_after_edit"]
    rows.append(
        (
            "diagnostics after an edit",
            f"{figures['p50_ms']:.1f} / {figures['p95_ms']:.1f} / {figures['max_ms']:.1f} ms",
            "",
            None,
        )
    )
    for key, label in (("search", "route search"), ("match_path", "match path")):
        figures = result[key]
        budget_ok = figures["p95_ms"] <= BUDGETS["search_p95_ms"]
        rows.append(
            (
                label,
                f"{figures['p50_ms']:.2f} / {figures['p95_ms']:.2f} / {figures['max_ms']:.2f} ms",
                "p95 ≤ 10 ms",
                budget_ok,
            )
        )
    rows.append(
        (
            "peak RSS, whole server + index",
            f"{result.get('peak_rss_mb', float('nan')):.0f} MB",
            "≤ 150 MB",
            result.get("peak_rss_mb", 0) <= BUDGETS["peak_rss_mb"],
        )
    )
    print(f"{'metric':34} {'figures (p50 / p95 / max)':42} {'budget':12} result")
    passed = True
    for label, figures, budget, ok in rows:
        verdict = "" if ok is None else ("PASS" if ok else "FAIL")
        passed = passed and ok is not False
        print(f"{label:34} {figures:42} {budget:12} {verdict}")
    return passed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--iterations", type=int, default=60)
    parser.add_argument("--check", action="store_true", help="exit 1 if a budget fails")
    parser.add_argument("--json", type=Path, help="write every figure to this file")
    parser.add_argument("--keep", type=Path, help="generate the workspace into this folder")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.measure:
        json.dump(measure(arguments.measure, arguments.iterations), sys.stdout)
        return 0
    with tempfile.TemporaryDirectory() as temporary:
        root = arguments.keep or Path(temporary) / "workspace"
        count = make_workspace(root)
        print(f"generated {count} modules in {root}")
        environment = {**os.environ, "PYTHONPATH": str(REPO / "server")}
        completed = subprocess.run(
            [
                sys.executable,
                __file__,
                "--measure",
                str(root),
                "--iterations",
                str(arguments.iterations),
            ],
            capture_output=True,
            text=True,
            env=environment,
            check=False,
        )
    if completed.returncode != 0:
        print(completed.stderr, file=sys.stderr)
        return 1
    result = json.loads(completed.stdout)
    passed = report(result)
    if arguments.json:
        arguments.json.write_text(json.dumps(result, indent=2), encoding="utf-8")
    return 1 if arguments.check and not passed else 0


if __name__ == "__main__":
    sys.exit(main())
