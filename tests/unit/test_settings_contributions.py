"""The server's settings and the VS Code extension's contributed settings describe one tree.

Every server setting is a ``fastapiLs.*`` setting of the extension with the same JSON type
and default, and the extension contributes no setting the server does not know, except those
that only the extension reads (how to start the server, tracing, where the app runs).
"""

from __future__ import annotations

import json
import types
import typing
from pathlib import Path

import attrs

from fastapi_ls.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
#: Settings read by the extension alone.
EXTENSION_ONLY = {
    "fastapiLs.importStrategy",
    "fastapiLs.path",
    "fastapiLs.trace.server",
    "fastapiLs.routes.baseUrl",
}
#: Server settings that are deliberately not VS Code settings: the API key lives in the
#: extension's secret storage.
SERVER_ONLY = {"fastapiLs.context7.apiKey"}
JSON_TYPES = {bool: "boolean", str: "string", float: "number", int: "integer", list: "array"}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def server_settings(cls: type = Settings, prefix: str = "fastapiLs") -> dict[str, tuple]:
    """Each leaf setting's dotted name, JSON type and default."""
    leaves: dict[str, tuple] = {}
    hints = typing.get_type_hints(cls)
    defaults = cls()
    for field in attrs.fields(cls):
        name = f"{prefix}.{_camel(field.name)}"
        hint = hints[field.name]
        if attrs.has(hint):
            leaves.update(server_settings(hint, name))
            continue
        if typing.get_origin(hint) in (typing.Union, types.UnionType):
            (hint,) = [t for t in typing.get_args(hint) if t is not type(None)]
        json_type = JSON_TYPES[typing.get_origin(hint) or hint]
        leaves[name] = (json_type, getattr(defaults, field.name))
    return leaves


def contributed_settings() -> dict[str, dict]:
    manifest = json.loads((ROOT / "package.json").read_text(encoding="utf-8"))
    configuration = manifest["contributes"]["configuration"]
    sections = configuration if isinstance(configuration, list) else [configuration]
    return {name: spec for section in sections for name, spec in section["properties"].items()}


def test_every_server_setting_is_contributed_with_its_type_and_default():
    contributed = contributed_settings()
    for name, (json_type, default) in server_settings().items():
        if name in SERVER_ONLY:
            assert name not in contributed, f"{name} must not be a VS Code setting"
            continue
        assert name in contributed, f"{name} is missing from package.json"
        spec = contributed[name]
        declared = spec["type"] if isinstance(spec["type"], list) else [spec["type"]]
        assert json_type in declared or (json_type == "number" and "integer" in declared), name
        expected = "" if default is None and "string" in declared else default
        assert spec.get("default") == expected, f"{name}: default {spec.get('default')!r}"


def test_the_extension_contributes_no_unknown_server_setting():
    known = set(server_settings()) | EXTENSION_ONLY
    unknown = set(contributed_settings()) - known
    assert not unknown, f"package.json contributes settings the server does not read: {unknown}"
