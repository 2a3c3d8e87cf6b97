"""Unit tests of the cursor context: which kind of completion fits where."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import cursor

from fastapi_ls.analysis import analyse
from fastapi_ls.context import cursor_conditions, cursor_context
from fastapi_ls.positions import document_lines

HEADER = """\
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI
from pydantic import BaseModel

app = FastAPI()


class ItemBase(BaseModel):
    name: str


class ItemCreate(ItemBase):
    price: float


class Plain:
    x = 1

"""


def context_at(text: str, *, test_file: bool = False):
    clean, line, column = cursor(text)
    return cursor_context(
        document_lines(clean), line, column, analyse(clean), is_test_file=test_file
    )


@pytest.mark.parametrize(
    ("text", "kind", "typed"),
    [
        (HEADER + "ge|", "module", "ge"),
        (HEADER + "|", "module", ""),
        (HEADER + "class ItemBase2(ItemBase):\n    fi|", "model_body", "fi"),
        (HEADER.replace("    price: float", "    price: float\n    va|"), "model_body", "va"),
        (HEADER + "@|", "decorator", "@"),
        (HEADER + "@app.g|", "decorator", "@app.g"),
        (HEADER + '@app.get("/")\nasync def f(|', "signature", ""),
        (HEADER + '@app.get("/")\nasync def f(a: int, q|', "signature", "q"),
        (HEADER + '@api.v1.get("/")\nasync def f(|', "signature", ""),
        (HEADER + '@app.get("/(", tags=[")"])\nasync def f(|', "signature", ""),
        (HEADER + '@app.get("/")\nasync def f(\n    a: int,\n    |\n):', "signature", ""),
        (
            HEADER + '@app.get(\n    "/",\n    tags=["x"],\n)\nasync def f(\n    |\n):',
            "signature",
            "",
        ),
        (HEADER + '@app.get("/", response_model=|)', "response_model", ""),
        (HEADER + '@app.get("/", response_model=list[It|', "response_model", "list[It"),
        (HEADER + '@app.post("/", status_code=|', "status_code", ""),
        (HEADER + '@app.post("/", status_code=status.HTTP_2|', "status_code", "status.HTTP_2"),
        (HEADER + "def f(x: Annotated[int, Depends(|", "depends", ""),
        (HEADER + "def f(x = Depends(get_|", "depends", "get_"),
        (HEADER + "def f():\n    x = 1\n    rai|", "function_body", "rai"),
        (HEADER + "async def f():\n    if x:\n        rai|", "function_body", "rai"),
        ("\n\napp|\n", "empty", "app"),
        ("|", "empty", ""),
    ],
)
def test_kinds(text, kind, typed):
    context = context_at(text)
    assert context is not None
    assert (context.kind, context.typed) == (kind, typed)


def test_test_module():
    context = context_at(HEADER + "te|", test_file=True)
    assert context is not None and context.kind == "test_module"


@pytest.mark.parametrize(
    "text",
    [
        HEADER + "# ge|",
        HEADER + 'x = "ge|',
        HEADER + "class Plain2(Plain):\n    fi|",
        HEADER + "def helper(a, b|",
        HEADER + '@app.middleware("http")\nasync def f(|',
        HEADER + '@app.get("/")\nasync def f(a: Annotated[int, Qu|',
        HEADER + "x = foo(|",
        HEADER + "x = 1 + y|",
    ],
)
def test_nothing(text):
    assert context_at(text) is None


def test_replacement_start_and_indent():
    context = context_at(HEADER + "class A(ItemBase):\n\tfi|")
    assert context is not None
    assert context.indent == "\t"
    assert context.start == 1


def test_out_of_range_is_none():
    lines = document_lines("x = 1\n")
    assert cursor_context(lines, 99, 0, analyse(""), is_test_file=False) is None


def _conditions_at(path: Path) -> frozenset[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    line = next(i for i, text in enumerate(lines) if "|" in text)
    column = lines[line].index("|")
    lines[line] = lines[line].replace("|", "")
    found = cursor_context(lines, line, column, analyse("\n".join(lines)), is_test_file=False)
    assert found is not None
    return cursor_conditions(found, lines, line)


def test_background_tasks_condition_needs_the_parameter():
    folder = Path(__file__).resolve().parents[1] / "fixtures" / "versions"
    assert _conditions_at(folder / "with_background_tasks.txt") == {"background_tasks"}
    assert _conditions_at(folder / "without_background_tasks.txt") == frozenset()


MULTILINE_HEADERS = (
    Path(__file__).resolve().parents[1] / "fixtures" / "context" / "multiline_headers.py"
)


def _expected_positions(path: Path) -> list[tuple[int, int, list[str]]]:
    """(line, column, [kind, scope, conditions…]) of each ``# expect:`` line of ``path``."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [
        (number, len(text) - len(text.lstrip()), text.split("# expect:")[1].split())
        for number, text in enumerate(lines)
        if "  # expect:" in text
    ]


@pytest.mark.parametrize(
    ("line", "column", "expected"),
    _expected_positions(MULTILINE_HEADERS),
    ids=lambda value: str(value) if isinstance(value, int) else " ".join(value),
)
def test_bodies_under_headers_closed_at_a_smaller_indentation(line, column, expected):
    """``) -> Item:`` at the def's column still opens the def's body (and ``):`` a class's)."""
    text = MULTILINE_HEADERS.read_text(encoding="utf-8")
    lines = document_lines(text)
    found = cursor_context(lines, line, column, analyse(text), is_test_file=False)
    assert found is not None
    kind, scope, *conditions = expected
    assert (found.kind, found.scope) == (kind, scope)
    assert cursor_conditions(found, lines, line) == frozenset(conditions)
