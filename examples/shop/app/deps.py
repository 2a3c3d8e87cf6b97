"""Shared dependencies."""

from collections.abc import Iterator


def get_db() -> Iterator[dict[int, dict]]:
    yield {}
