"""Server settings: a typed, fully defaulted tree read from camelCase JSON.

Settings arrive in ``initializationOptions`` and through ``workspace/didChangeConfiguration``
(pulled with ``workspace/configuration``, section ``fastapiLs``).  A wrong value never stops
the server: it is reported in words and the default is used instead.
"""

from __future__ import annotations

import typing
from typing import Any

import attrs

from . import redaction


@attrs.define
class SnippetSettings:
    enabled: bool = True
    #: Add the imports a snippet needs when it is inserted.
    add_imports: bool = True
    #: Snippet ids never offered.
    exclude: list[str] = attrs.field(factory=list)


@attrs.define
class HoverSettings:
    #: Show curated cards, keyword docs and route cards on hover.
    enabled: bool = True


@attrs.define
class Context7Settings:
    enabled: bool = True
    #: REST API root, without a trailing slash.
    base_url: str = "https://context7.com/api"
    #: Falls back to the CONTEXT7_API_KEY environment variable.
    api_key: str | None = attrs.field(default=None, repr=False)
    #: Seconds a whole lookup may take.
    timeout: float = 15.0
    #: Where fetched docs are kept; the user's cache directory when unset.
    cache_dir: str | None = None
    #: Seconds a fetched page stays fresh (7 days).
    cache_ttl: float = 7 * 24 * 3600.0
    #: Answer from the cache and the curated text only.
    offline: bool = False


@attrs.define
class DiagnosticsSettings:
    #: Publish fastapi-ls's diagnostics (migrations, routes) at all.
    enabled: bool = True
    #: Rule codes (``FAPI101``, ``duplicate-route``) or names never reported.
    disabled: list[str] = attrs.field(factory=list)


@attrs.define
class RoutesSettings:
    #: "3 tests" above each endpoint, and the route above each test-client call.
    code_lens: bool = True


@attrs.define
class Settings:
    #: The Python interpreter of the user's project; jedi reads its packages.
    interpreter: str | None = None
    snippets: SnippetSettings = attrs.field(factory=SnippetSettings)
    hover: HoverSettings = attrs.field(factory=HoverSettings)
    context7: Context7Settings = attrs.field(factory=Context7Settings)
    diagnostics: DiagnosticsSettings = attrs.field(factory=DiagnosticsSettings)
    routes: RoutesSettings = attrs.field(factory=RoutesSettings)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def parse(raw: Any) -> tuple[Settings, list[str]]:
    """Settings from JSON, and one message per value that was wrong and replaced by its default."""
    problems: list[str] = []
    settings = _structure_leniently(Settings, raw, "fastapiLs", problems)
    redaction.remember(settings.context7.api_key)
    return settings, problems


def merged(base: Any, override: Any) -> Any:
    """``override`` laid over ``base``, object by object (either may be missing or not a dict)."""
    if not isinstance(base, dict) or not isinstance(override, dict):
        return override if override is not None else base
    result = dict(base)
    for key, value in override.items():
        result[key] = merged(base.get(key), value)
    return result


def _structure_leniently(cls: type, raw: Any, path: str, problems: list[str]) -> Any:
    if raw is None:
        return cls()
    if not isinstance(raw, dict):
        problems.append(f"{path} should be an object, got {type(raw).__name__}; using defaults")
        return cls()
    hints = typing.get_type_hints(cls)
    values: dict[str, Any] = {}
    for field in attrs.fields(cls):
        key = _camel(field.name)
        if key not in raw:
            continue
        value = raw[key]
        field_type = hints[field.name]
        if attrs.has(field_type):
            values[field.name] = _structure_leniently(field_type, value, f"{path}.{key}", problems)
            continue
        try:
            values[field.name] = _check_value(field.name, _check_scalar(value, field_type))
        except (TypeError, ValueError) as error:
            # A secret is never repeated back, not even a wrongly typed one.
            reason = "expected a string" if field.name == "api_key" else str(error)
            problems.append(f"{path}.{key}: {reason}; using the default")
    return cls(**values)


#: Upper bounds of the durations: a year of cache life (a larger one overflows date arithmetic)
#: and ten minutes for a lookup.  NaN and infinity fail the range check too.
_MAX_SECONDS = {"timeout": 600.0, "cache_ttl": 365 * 24 * 3600.0}


def _check_value(name: str, value: Any) -> Any:
    """Range and format checks that a type alone does not express."""
    if name in _MAX_SECONDS and not 0 < value <= _MAX_SECONDS[name]:
        raise ValueError(
            f"expected a number of seconds above 0 and at most {_MAX_SECONDS[name]:g}, "
            f"got {value!r}"
        )
    if name == "base_url" and not str(value).startswith(("http://", "https://")):
        raise ValueError(f"expected an http:// or https:// URL, got {value!r}")
    if name == "base_url":
        return value.rstrip("/")
    return value


def _check_scalar(value: Any, field_type: Any) -> Any:
    """Accept a JSON value only if it already has the declared type (no silent coercion)."""
    origin = typing.get_origin(field_type)
    if origin is list:
        (item_type,) = typing.get_args(field_type)
        if not isinstance(value, list) or not all(isinstance(v, item_type) for v in value):
            raise TypeError(f"expected a list of {item_type.__name__}, got {value!r}")
        return value
    allowed = typing.get_args(field_type) or (field_type,)
    allowed = tuple(type(None) if a is None else a for a in allowed)
    if float in allowed and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if bool in allowed and not isinstance(value, bool):
        raise TypeError(f"expected true or false, got {value!r}")
    if not isinstance(value, allowed) or (isinstance(value, bool) and bool not in allowed):
        names = " or ".join("null" if a is type(None) else a.__name__ for a in allowed)
        raise TypeError(f"expected {names}, got {value!r}")
    return value
