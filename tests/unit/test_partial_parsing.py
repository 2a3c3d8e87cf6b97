"""Parsing a piece at a time gives what parsing the whole gives: the index's facts of a module
cut into pieces, and the parameter docs read from single definitions of the installed sources."""

from __future__ import annotations

import ast
import importlib.util
import sys
from pathlib import Path

import pytest

from fastapi_ls import param_docs
from fastapi_ls.knowledge import load
from fastapi_ls.source_text import statement_starts
from fastapi_ls.workspace_index.extract import extract
from fastapi_ls.workspace_index.parsing import parse_pieces

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures"
PIECES = FIXTURES / "pieces"
WHOLE = 10**9  # no module of the fixtures is this long: one piece, the module's own tree
FIXTURE_MODULES = sorted(FIXTURES.rglob("*.py"))


def generated_module() -> str:
    spec = importlib.util.spec_from_file_location(
        "make_module", REPO / "benchmarks" / "make_module.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    return module.make_module().text


def test_the_fixtures_hold_many_modules():
    assert len(FIXTURE_MODULES) > 100


@pytest.mark.parametrize("path", FIXTURE_MODULES, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_every_statement_its_own_piece_gives_the_whole_modules_facts(path):
    text = path.read_text(encoding="utf-8")
    assert extract(text, piece_chars=1) == extract(text, piece_chars=WHOLE)


def test_the_benchmark_module_in_pieces_gives_the_whole_modules_facts():
    text = generated_module()
    whole = extract(text, piece_chars=WHOLE)
    assert whole is not None and whole.clean and len(whole.routes) > 100
    for piece_chars in (1, 3_000, 8_000):
        assert extract(text, piece_chars=piece_chars) == whole


def test_pieces_hold_the_modules_statements_with_its_line_numbers():
    text = (PIECES / "borders.py").read_text(encoding="utf-8")
    pieces = list(parse_pieces(text, piece_chars=1))
    assert len(pieces) == len(list(statement_starts(text))) + 1
    statements = [statement for piece in pieces for statement in piece.body]
    assert ast.dump(ast.Module(statements, []), include_attributes=True) == ast.dump(
        ast.parse(text), include_attributes=True
    )


def test_decorated_definitions_and_clauses_are_never_cut_apart():
    text = (PIECES / "borders.py").read_text(encoding="utf-8")
    lines = text.splitlines()
    starts = [lines[line] for _, line in statement_starts(text)]
    assert '@router.get("/")' in starts and "@app.get(" in starts
    assert not any(
        line.startswith(("def list_items", "def health", "@router.head")) for line in starts
    )
    assert not any(line.startswith(("elif", "else", "except", "finally")) for line in starts)
    # the insides of strings, brackets and continued lines
    assert not any(
        line.startswith(('@router.get("/not', '"/v1"', "select", '"key"', '@app.get("/inside'))
        for line in starts
    )
    facts = extract(text, piece_chars=1)
    assert facts is not None
    assert [route.endpoint for route in facts.routes] == [
        "list_items",
        "list_items",
        "health",
        "create_item",
        "replace_item",
        "delete_item",
        "late_endpoint",
    ]


def test_an_add_api_route_finds_the_signature_of_an_endpoint_in_a_later_piece():
    text = (PIECES / "borders.py").read_text(encoding="utf-8")
    facts = extract(text, piece_chars=1)
    assert facts is not None
    (late,) = [route for route in facts.routes if route.endpoint == "late_endpoint"]
    assert late.methods == ("PATCH",)
    assert late.params == ("item_id", "q")
    assert [dependency.callee for dependency in late.param_dependencies] == [("get_db",)]


def test_crlf_line_ends_are_cut_like_line_feeds():
    text = (PIECES / "borders.py").read_text(encoding="utf-8").replace("\n", "\r\n")
    assert extract(text, piece_chars=1) == extract(text, piece_chars=WHOLE)


@pytest.mark.parametrize("piece_chars", [1, 200, WHOLE])
def test_broken_code_is_repaired_as_a_whole_module(piece_chars):
    text = (PIECES / "broken.py").read_text(encoding="utf-8")
    facts = extract(text, piece_chars=piece_chars)
    assert facts is not None and not facts.clean
    assert [route.endpoint for route in facts.routes] == ["before", "after", "last"]
    assert facts == extract(text, piece_chars=WHOLE)


def test_broken_code_without_repair_gives_nothing():
    text = (PIECES / "broken.py").read_text(encoding="utf-8")
    assert extract(text, repair=False, piece_chars=1) is None
    clean = (PIECES / "borders.py").read_text(encoding="utf-8")
    assert extract(clean, repair=False, piece_chars=1) == extract(clean, piece_chars=WHOLE)


def test_a_cut_inside_a_string_the_scanner_misread_falls_back_to_the_whole_module():
    # An unclosed string makes the scanner misplace the starts after it; the module does not
    # parse, and its repair is the whole module's.
    text = (
        (PIECES / "broken.py")
        .read_text(encoding="utf-8")
        .replace("x = call(", 'x = "unclosed\ny = call(')
    )
    assert extract(text, piece_chars=1) == extract(text, piece_chars=WHOLE)


def _whole_tree_docs(signature: str) -> dict[str, param_docs.ParamDoc] | None:
    module, _, qualified = signature.partition(":")
    path = param_docs.find_module(module, sys.path)
    assert path is not None
    function = param_docs._find(ast.parse(path.read_text(encoding="utf-8")), qualified.split("."))
    return None if function is None else param_docs._parameters(function)


@pytest.mark.parametrize(
    "signature", sorted({card.signature for card in load().cards if card.signature})
)
def test_parameter_docs_from_single_definitions_match_the_whole_modules(signature):
    docs = param_docs.read_signature(signature, sys.path)
    assert docs
    assert docs == _whole_tree_docs(signature)


def test_parameter_docs_of_a_missing_name_are_none():
    assert param_docs.read_signature("fastapi.routing:APIRouter.no_such_method", sys.path) is None
    assert param_docs.read_signature("fastapi.routing:NoSuchClass", sys.path) is None


def test_statement_starts_in_a_class_body():
    body = (
        "    x: int = 1\n"
        "\n"
        "    @overload\n"
        "    def get(self): ...\n"
        '    def post(self, doc="""\n'
        "    def not_a_member(): ...\n"
        '    """): ...\n'
        "        nested = 1\n"
    )
    lines = body.splitlines()
    assert [lines[line].strip() for _, line in statement_starts(body, "    ")] == [
        "@overload",
        'def post(self, doc="""',
    ]
