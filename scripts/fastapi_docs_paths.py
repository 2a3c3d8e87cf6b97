"""Write the URL paths of FastAPI's English docs pages, for the link test.

Reads doc source paths ("docs/en/docs/tutorial/testing.md"), one a line, on stdin — the output
of `git ls-files docs/en/docs` in a checkout of github.com/fastapi/fastapi — and writes the
page paths MkDocs serves them at ("/tutorial/testing/"), sorted, to
tests/fixtures/links/fastapi_docs_paths.txt. The sdist on PyPI carries no docs sources, so a
checkout (or a listing of one) is the input.

    git -C fastapi ls-files docs/en/docs | python scripts/fastapi_docs_paths.py
"""

from __future__ import annotations

import sys
from pathlib import Path

PREFIX = "docs/en/docs/"
OUT = Path(__file__).resolve().parents[1] / "tests/fixtures/links/fastapi_docs_paths.txt"


def page_path(source: str) -> str | None:
    if not source.startswith(PREFIX) or not source.endswith(".md") or " " in source:
        return None
    page = source[len(PREFIX) : -len(".md")]
    if page == "index":
        return "/"
    if page.endswith("/index"):
        return "/" + page[: -len("index")]
    return f"/{page}/"


def main() -> None:
    paths = {p for line in sys.stdin if (p := page_path(line.strip()))}
    OUT.write_text("".join(f"{p}\n" for p in sorted(paths)), encoding="utf-8")
    print(f"{len(paths)} paths written to {OUT}")


if __name__ == "__main__":
    main()
