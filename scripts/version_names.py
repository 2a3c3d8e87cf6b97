"""Record the public names of the oldest supported FastAPI, Starlette, Pydantic and
pydantic-settings, for the test that checks each snippet's and card's imports against them.

Downloads the wheels with `pip download` (no install), reads every module with `ast` (nothing is
imported or run) and writes tests/fixtures/versions/names.json: per distribution its version and,
per module, the names it defines or re-exports (its `__all__` where it has one, plus its
top-level definitions and imports). Starlette 0.47.0 and 0.48.0 are recorded too: 0.48 renamed
four status constants.

    python scripts/version_names.py
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "tests/fixtures/versions/names.json"
#: The lower bounds of pyproject.toml, and the oldest Starlette FastAPI 0.115.0 accepts.
RELEASES = {
    "fastapi": ["0.115.0"],
    "starlette": ["0.37.2", "0.47.0", "0.48.0"],
    "pydantic": ["2.7.0"],
    "pydantic-settings": ["2.4.0"],
}
#: Pydantic has many private modules; the snippets and cards only import from these.
PYDANTIC_MODULES = ("pydantic", "pydantic.config", "pydantic.fields", "pydantic.networks")


def module_names(source: str) -> list[str]:
    tree = ast.parse(source)
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names if a.name != "*")
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    names.add(target.id)
                    if target.id == "__all__" and isinstance(node.value, (ast.List, ast.Tuple)):
                        names.update(
                            e.value for e in node.value.elts if isinstance(e, ast.Constant)
                        )
    return sorted(n for n in names if not n.startswith("_"))


def read_wheel(wheel: Path, package: str) -> dict[str, list[str]]:
    modules: dict[str, list[str]] = {}
    with zipfile.ZipFile(wheel) as archive:
        for name in archive.namelist():
            if not name.endswith(".py") or not name.startswith(package.replace("-", "_") + "/"):
                continue
            module = name[: -len(".py")].replace("/", ".").removesuffix(".__init__")
            if package == "pydantic" and module not in PYDANTIC_MODULES:
                continue
            modules[module] = module_names(archive.read(name).decode("utf-8"))
    return modules


def main() -> None:
    result: dict[str, dict[str, dict[str, list[str]]]] = {}
    with tempfile.TemporaryDirectory() as temp:
        for distribution, versions in RELEASES.items():
            for version in versions:
                folder = Path(temp) / f"{distribution}-{version}"
                subprocess.run(
                    [
                        sys.executable,
                        "-m",
                        "pip",
                        "download",
                        "--no-deps",
                        "-q",
                        "-d",
                        str(folder),
                        f"{distribution}=={version}",
                    ],
                    check=True,
                )
                wheel = next(folder.glob("*.whl"))
                package = distribution.replace("-", "_")
                result.setdefault(distribution, {})[version] = read_wheel(wheel, package)
    OUT.write_text(json.dumps(result, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"written {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
