"""The migration checker: each rule fires where it should and only there, fixes are exact where
they claim to be, and broken or current code gets nothing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from test_snippets_execute import IDS, SNIPPETS, build_source

from fastapi_ls import migrations
from fastapi_ls.migrations import MigrationContext

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "migrations"
RULE_CASES = sorted((FIXTURES / "rules").glob("*_cases.py"))
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
EXPECT = re.compile(r"# expect: (FAPI\d+) (\+safe|\+unsafe|nofix)")


def expectations(text: str) -> list[tuple[int, str, str]]:
    return [
        (number, match.group(1), match.group(2))
        for number, line in enumerate(text.splitlines())
        for match in EXPECT.finditer(line)
    ]


def outcome(finding: migrations.Finding) -> str:
    if not finding.fixes:
        return "nofix"
    return "+safe" if any(fix.safe for fix in finding.fixes) else "+unsafe"


@pytest.mark.parametrize("path", RULE_CASES, ids=lambda p: p.stem)
def test_rules_fire_where_marked_and_nowhere_else(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    found = [(f.start[0], f.code, outcome(f)) for f in migrations.check(text, path.name)]
    assert found == expectations(text)


@pytest.mark.parametrize("path", RULE_CASES, ids=lambda p: p.stem)
def test_each_fix_alone_parses_and_removes_only_its_finding(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    findings = migrations.check(text, path.name)
    for finding in findings:
        for fix in finding.fixes:
            fixed = migrations.apply_edits(text, fix.edits)
            assert compile(fixed, path.name, "exec")
            left = {(f.code, f.message) for f in migrations.check(fixed, path.name)}
            others = {(f.code, f.message) for f in findings if f is not finding}
            assert (finding.code, finding.message) not in left - others, fix.title
            # Comments survive, full-line and trailing ones (but those of an import
            # statement the fix deletes).
            comments = re.compile(r"^(?!from |import ).*?(#.*)$", re.MULTILINE)
            kept = fixed.splitlines()
            for comment in comments.findall(text):
                assert any(comment in line for line in kept), (fix.title, comment)


def test_every_rule_has_a_case_file_entry() -> None:
    marked = {code for path in RULE_CASES for _, code, _ in expectations(path.read_text())}
    marked |= {"FAPI206"}  # module-level TestClient: tests/fixtures/migrations/test_*.py
    assert marked == {rule.code for rule in migrations.rules()}


def test_current_code_has_no_findings() -> None:
    text = (FIXTURES / "rules" / "current_code.py").read_text(encoding="utf-8")
    assert migrations.check(text, "test_current.py") == []


@pytest.mark.parametrize("snippet_id", IDS)
def test_snippets_expanded_have_no_findings(snippet_id: str) -> None:
    source = build_source(SNIPPETS[snippet_id])
    compile(source, snippet_id, "exec")
    assert migrations.check(source, f"{snippet_id}.py") == []


def test_example_project_has_no_findings() -> None:
    paths = sorted(EXAMPLES.rglob("*.py"))
    assert paths
    for path in paths:
        assert migrations.check(path.read_text(encoding="utf-8"), str(path)) == [], path


@pytest.mark.parametrize("name", ["v1_models.py", "on_event_app.py", "pydantic_cases.py"])
def test_broken_code_gets_nothing_and_never_raises(name: str) -> None:
    path = next(FIXTURES.rglob(name))
    text = path.read_text(encoding="utf-8")
    for end in range(0, len(text), 17):
        findings = migrations.check(text[:end], name)
        for finding in findings:
            for fix in finding.fixes:
                migrations.apply_edits(text[:end], fix.edits)


def test_disabled_rules_by_code_or_name() -> None:
    text = (FIXTURES / "v1_models.py").read_text(encoding="utf-8")
    codes = {f.code for f in migrations.check(text, "m.py")}
    assert {"FAPI101", "FAPI102"} <= codes
    context = MigrationContext(disabled=frozenset({"FAPI101", "pydantic-validator"}))
    left = {f.code for f in migrations.check(text, "m.py", context)}
    assert left == codes - {"FAPI101", "FAPI102"}


def test_project_still_on_pydantic_1_gets_no_pydantic_2_advice() -> None:
    text = (FIXTURES / "v1_models.py").read_text(encoding="utf-8")
    context = MigrationContext(versions={"pydantic": "1.10.13", "fastapi": "0.99.1"})
    assert {f.code for f in migrations.check(text, "m.py", context)} == {"FAPI205"}


@pytest.mark.parametrize(
    ("installed", "key"),
    [
        ("2.10.6", "populate_by_name"),
        ("2.11.0", "validate_by_name"),
        ("2.14.4", "validate_by_name"),
        (None, "validate_by_name"),  # unknown: taken to be current
    ],
)
def test_population_by_field_name_follows_the_installed_pydantic(installed, key) -> None:
    """Pydantic 2.11 added validate_by_name and no longer recommends populate_by_name."""
    text = (FIXTURES / "v1_models.py").read_text(encoding="utf-8")
    context = MigrationContext(versions={"pydantic": installed} if installed else {})
    (finding,) = [
        f
        for f in migrations.check(text, "m.py", context)
        if f.code == "FAPI101" and "allow_population_by_field_name" in f.message
    ]
    assert f"allow_population_by_field_name → {key}" in finding.message
    fixed = migrations.apply_edits(text, finding.fixes[0].edits)
    assert f"    {key}=True,\n" in fixed
    assert "allow_population_by_field_name" not in fixed
    other = ({"populate_by_name", "validate_by_name"} - {key}).pop()
    assert other not in fixed


def test_testclient_rule_needs_a_lifespan_app() -> None:
    path = FIXTURES / "test_lifespan_client.py"
    text = path.read_text(encoding="utf-8")
    assert migrations.check(text, str(path)) == []
    with_lifespan = MigrationContext(apps_with_lifespan=frozenset({"orders.main.app"}))
    assert [f.code for f in migrations.check(text, str(path), with_lifespan)] == ["FAPI206"]
    # Outside test modules the rule stays quiet.
    assert migrations.check(text, "orders/client.py", with_lifespan) == []


def test_relative_imports_resolve_against_the_module_name() -> None:
    text = (FIXTURES / "test_lifespan_client.py").read_text(encoding="utf-8")
    text = text.replace("from orders.main import app", "from ..main import app")
    context = MigrationContext(
        apps_with_lifespan=frozenset({"orders.main.app"}), module_name="orders.tests.test_api"
    )
    assert [f.code for f in migrations.check(text, "test_api.py", context)] == ["FAPI206"]


def test_positions_are_characters_and_line_endings_are_kept() -> None:
    text = (FIXTURES / "v1_models.py").read_text(encoding="utf-8")
    text = text.replace('"""Schemas', '"""Schémas 🛒').replace("\n", "\r\n")
    text = text.replace(
        "    street: str", '    street: str = "Rue d’Été 🏠"; city_: str = Field(regex="x")'
    )
    findings = migrations.check(text, "m.py")
    lines = text.splitlines(True)
    regex = next(f for f in findings if "regex" in f.message and f.start[0] == 9)
    assert lines[regex.start[0]][regex.start[1] : regex.end[1]] == 'regex="x"'
    fixed = migrations.fix_all(text, "m.py")
    assert "\n" not in fixed.replace("\r\n", "")
    assert 'city_: str = Field(pattern="x")' in fixed
    assert "Schémas 🛒" in fixed


def test_resolve_gives_the_listed_fix_and_fix_all_edit_matches_fix_all() -> None:
    path = FIXTURES / "v1_models.py"
    text = path.read_text(encoding="utf-8")
    finding = migrations.check(text, path.name)[0]
    fix = migrations.resolve(text, path.name, None, finding.key, 0)
    assert fix is not None and fix.title == finding.fixes[0].title
    assert fix.edits == finding.fixes[0].edits
    assert migrations.resolve(text, path.name, None, "FAPI999:0:0") is None
    edit = migrations.fix_all_edit(text, path.name)
    assert edit is not None
    assert migrations.apply_edits(text, [edit]) == migrations.fix_all(text, path.name)
    assert migrations.fix_all_edit(migrations.fix_all(text, path.name), path.name) is None


def test_rule_metadata_is_complete() -> None:
    for rule in migrations.rules():
        assert rule.link.startswith("https://"), rule.code
        assert rule.severity in {"hint", "warning"}, rule.code
        assert re.fullmatch(r"FAPI[12]\d\d", rule.code)


def test_each_rules_hint_matches_the_lines_of_its_findings():
    """A module matching no rule's hint is not parsed at all, so a hint must match wherever
    its rule finds something."""
    from fastapi_ls.migrations import check, rules

    hints = {rule.code: rule.hint for rule in rules()}
    assert all(hints.values()), "every rule has a hint"
    folder = Path(__file__).resolve().parents[1] / "fixtures" / "migrations"
    seen = set()
    for path in sorted(folder.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines()
        for finding in check(text, str(path)):
            region = "\n".join(lines[finding.start[0] : finding.end[0] + 1])
            assert re.search(hints[finding.code], region), (path.name, finding.code, region)
            seen.add(finding.code)
    # FAPI206 needs to know which apps have a lifespan (the workspace's, not the file's).
    missing = set(hints) - seen - {"FAPI206"}
    assert not missing, f"rules without a finding in the fixtures: {missing}"
