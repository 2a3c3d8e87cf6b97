"""JSON with camelCase keys to attrs classes and back, for settings and command arguments.

One cattrs converter per use, each built by :func:`camel_case_converter`: every attrs class is
read from and written to camelCase keys (``add_imports`` ↔ ``addImports``), unknown keys are
ignored (a newer client may send more), and scalars are taken as they are: JSON ``"yes"`` is
not a boolean and ``1`` is not a string.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override


def camel_case(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def strict_converter() -> cattrs.Converter:
    """A converter taking JSON scalars only as the declared type, and lists as lists."""
    converter = cattrs.Converter(forbid_extra_keys=False)
    converter.register_structure_hook(bool, _strict_bool)
    converter.register_structure_hook(str, _strict_str)
    converter.register_structure_hook(float, _number)
    converter.register_structure_hook_func(lambda kind: kind == list[str], _list_of_strings)
    converter.register_structure_hook_func(
        lambda kind: kind == tuple[str, ...], lambda value, _: tuple(_list_of_strings(value, _))
    )
    return converter


def camel_case_converter() -> cattrs.Converter:
    converter = strict_converter()

    def renames(cls: type) -> dict[str, Any]:
        return {a.name: override(rename=camel_case(a.name)) for a in attrs.fields(cls)}

    converter.register_structure_hook_factory(
        attrs.has,
        lambda cls: objects_only(make_dict_structure_fn(cls, converter, **renames(cls))),
    )
    converter.register_unstructure_hook_factory(
        attrs.has, lambda cls: make_dict_unstructure_fn(cls, converter, **renames(cls))
    )
    return converter


def objects_only(structure: Callable[[Any, type], Any]) -> Callable[[Any, type], Any]:
    """``structure``, refusing what is not a JSON object (cattrs would read a list or a
    string as an object without keys)."""

    def checked(value: Any, cls: type) -> Any:
        if not isinstance(value, dict):
            raise TypeError(f"expected an object, got {type(value).__name__}")
        return structure(value, cls)

    return checked


def _strict_bool(value: Any, _: type) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"expected true or false, got {value!r}")
    return value


def _strict_str(value: Any, _: type) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {value!r}")
    return value


def _number(value: Any, _: type) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        raise TypeError(f"expected a number, got {value!r}")
    return float(value)


def _list_of_strings(value: Any, _: type) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise TypeError(f"expected a list of strings, got {value!r}")
    return list(value)
