"""Server settings: a typed, fully defaulted tree read from camelCase JSON.

Settings arrive in ``initializationOptions`` and through ``workspace/didChangeConfiguration``
(pulled with ``workspace/configuration``, section ``fastapiLs``).  A wrong value never stops
the server: it is reported in words and the default is used instead.
"""

from __future__ import annotations

import typing
from collections.abc import Callable
from typing import Any

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, override

from . import redaction
from .json_mapping import camel_case, camel_case_converter, objects_only


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
    """``raw`` as ``cls``; each wrong value is reported and left to its default."""
    if raw is None:
        return cls()
    if not isinstance(raw, dict):
        problems.append(f"{path} should be an object, got {type(raw).__name__}; using defaults")
        return cls()
    data = dict(raw)
    hints = typing.get_type_hints(cls)
    for _ in attrs.fields(cls):
        try:
            return _converter.structure(data, cls)
        except cattrs.ClassValidationError as error:
            failed, _others = error.group_exceptions()
            for reason, note in failed:
                key = camel_case(note.name)
                if attrs.has(hints[note.name]):
                    nested = _structure_leniently(
                        hints[note.name], data[key], f"{path}.{key}", problems
                    )
                    data[key] = _converter.unstructure(nested)
                    continue
                # A secret is never repeated back, not even a wrongly typed one.
                text = "expected a string" if note.name == "api_key" else str(reason)
                problems.append(f"{path}.{key}: {text}; using the default")
                del data[key]
    return cls()


#: Upper bounds of the durations: a year of cache life (a larger one overflows date arithmetic)
#: and ten minutes for a lookup.  NaN and infinity fail the range check too.
_MAX_SECONDS = {"timeout": 600.0, "cache_ttl": 365 * 24 * 3600.0}


def _seconds(name: str) -> Callable[[Any, type], float]:
    def structure(value: Any, _: type) -> float:
        seconds = _converter.structure(value, float)
        if not 0 < seconds <= _MAX_SECONDS[name]:
            raise ValueError(
                f"expected a number of seconds above 0 and at most {_MAX_SECONDS[name]:g}, "
                f"got {value!r}"
            )
        return seconds

    return structure


def _url(value: Any, _: type) -> str:
    url = _converter.structure(value, str)
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"expected an http:// or https:// URL, got {value!r}")
    return url.rstrip("/")


_converter = camel_case_converter()
_converter.register_structure_hook(
    Context7Settings,
    objects_only(
        make_dict_structure_fn(
            Context7Settings,
            _converter,
            **{a.name: override(rename=camel_case(a.name)) for a in attrs.fields(Context7Settings)}
            | {
                "timeout": override(rename="timeout", struct_hook=_seconds("timeout")),
                "cache_ttl": override(rename="cacheTtl", struct_hook=_seconds("cache_ttl")),
                "base_url": override(rename="baseUrl", struct_hook=_url),
            },
        )
    ),
)
