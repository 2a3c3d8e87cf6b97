"""Unit tests of settings parsing: typed, defaulted, and forgiving of wrong values."""

from __future__ import annotations

from fastapi_ls.settings import Settings, merged, parse


def test_defaults():
    assert parse(None) == (Settings(), [])
    assert parse({}) == (Settings(), [])


def test_camel_case_values():
    settings, problems = parse(
        {"interpreter": "/usr/bin/python3", "snippets": {"addImports": False, "exclude": ["x"]}}
    )
    assert problems == []
    assert settings.interpreter == "/usr/bin/python3"
    assert settings.snippets.add_imports is False
    assert settings.snippets.exclude == ["x"]


def test_wrong_values_fall_back_to_defaults_with_a_message():
    settings, problems = parse(
        {"interpreter": 3, "snippets": {"enabled": "yes", "exclude": "x", "addImports": False}}
    )
    assert settings.interpreter is None
    assert settings.snippets.enabled is True
    assert settings.snippets.exclude == []
    assert settings.snippets.add_imports is False, "a valid sibling value is kept"
    assert len(problems) == 3
    assert any("fastapiLs.snippets.enabled" in p and "true or false" in p for p in problems)


def test_wrong_shapes():
    assert parse(5)[0] == Settings()
    assert parse({"snippets": []})[0] == Settings()
    assert "should be an object" in parse({"snippets": []})[1][0]


def test_unknown_keys_are_ignored():
    assert parse({"future": 1, "snippets": {"other": True}}) == (Settings(), [])


def test_pulled_settings_lie_over_the_initialization_options():
    initial = {"interpreter": "/venv/bin/python", "snippets": {"enabled": True, "exclude": ["a"]}}
    pulled = {"snippets": {"enabled": False}, "context7": {"offline": True}}
    settings, _ = parse(merged(initial, pulled))
    assert settings.interpreter == "/venv/bin/python"
    assert settings.snippets.enabled is False
    assert settings.snippets.exclude == ["a"]
    assert settings.context7.offline is True
    assert merged(None, {"a": 1}) == {"a": 1} and merged({"a": 1}, None) == {"a": 1}
