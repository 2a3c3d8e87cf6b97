"""Disk cache of Context7 answers: documentation pages and library-id resolutions.

Context7 advises caching its answers for hours or days, and a cached page is what the user
still gets offline or while rate-limited.  Each entry is one small JSON file named by the
SHA-256 of its key.  The cache never raises: an unreadable or corrupt entry is deleted and
counts as a miss, a failed write is logged and forgotten, and a directory that cannot be
created turns the cache into a no-op.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn

from fastapi_ls import user_cache
from fastapi_ls.context7 import DocPage
from fastapi_ls.json_mapping import strict_converter

logger = logging.getLogger(__name__)

#: Bumped when the file layout changes; files of another format are misses.
_FORMAT = 1
_PAGE_PREFIX = "page-"
_LIBRARY_PREFIX = "library-"
_TEMPORARY_PREFIX = ".tmp-"


def default_cache_dir() -> Path:
    """The Context7 cache inside the user's cache directory (:func:`fastapi_ls.user_cache.root`)."""
    return user_cache.root() / "context7"


@attrs.frozen
class CachedPage:
    page: DocPage
    #: Time since the page was fetched from Context7.
    age: timedelta
    #: Younger than the cache's time to live.
    fresh: bool


class DocCache:
    """Entries under ``directory``, fresh for ``ttl`` and kept (as stale) until cleared."""

    def __init__(self, directory: Path, ttl: timedelta) -> None:
        self.directory = directory
        self.ttl = ttl
        self._disabled = False

    def get(self, library_id: str, version: str | None, query: str) -> CachedPage | None:
        """The page stored under this key, fresh or stale, or ``None``."""
        key = ["page", library_id, version, query]
        entry = self._read(_PAGE_PREFIX, key)
        if entry is None:
            return None
        try:
            page = _page_from_json(entry["page"])
        except (KeyError, TypeError, ValueError) as error:
            self._discard(_PAGE_PREFIX, key, error)
            return None
        age = max(datetime.now(timezone.utc) - page.fetched_at, timedelta(0))
        return CachedPage(page=page, age=age, fresh=age < self.ttl)

    def put(self, page: DocPage, *, key: tuple[str, str | None, str] | None = None) -> None:
        """Store ``page`` under ``key`` — (library id, version, query) as they were asked for.

        Without ``key`` the page's own library id, version and query are used; pass the key
        when they differ from the request (a redirect, a version fallback, a clipped query),
        so that the same request finds the page next time.
        """
        library_id, version, query = key or (page.library_id, page.version, page.query)
        self._write(
            _PAGE_PREFIX, ["page", library_id, version, query], {"page": _page_to_json(page)}
        )

    def get_library(self, name: str, query: str, *, allow_stale: bool = False) -> str | None:
        """The library id ``name`` resolved to for ``query``, if stored and fresh enough."""
        key = ["library", name, query]
        entry = self._read(_LIBRARY_PREFIX, key)
        if entry is None:
            return None
        try:
            library_id = entry["library_id"]
            stored_at = _aware_datetime(entry["stored_at"])
            if not isinstance(library_id, str):
                raise TypeError("library_id is not a string")
        except (KeyError, TypeError, ValueError) as error:
            self._discard(_LIBRARY_PREFIX, key, error)
            return None
        fresh = datetime.now(timezone.utc) - stored_at < self.ttl
        return library_id if fresh or allow_stale else None

    def put_library(self, name: str, query: str, library_id: str) -> None:
        self._write(
            _LIBRARY_PREFIX,
            ["library", name, query],
            {"library_id": library_id, "stored_at": datetime.now(timezone.utc).isoformat()},
        )

    def clear(self) -> int:
        """Delete every entry; returns how many there were."""
        removed = 0
        try:
            paths = list(self.directory.iterdir())
        except OSError:
            return 0
        for path in paths:
            is_entry = path.suffix == ".json" and path.name.startswith(
                (_PAGE_PREFIX, _LIBRARY_PREFIX)
            )
            # Leftovers of interrupted writes go too, but are not entries.
            if not is_entry and not path.name.startswith(_TEMPORARY_PREFIX):
                continue
            try:
                path.unlink()
            except OSError as error:
                logger.warning("Could not delete the cache file %s: %s", path, error)
                continue
            if is_entry:
                removed += 1
        return removed

    def _path(self, prefix: str, key: list[Any]) -> Path:
        digest = hashlib.sha256(json.dumps(key).encode()).hexdigest()
        return self.directory / f"{prefix}{digest}.json"

    def _read(self, prefix: str, key: list[Any]) -> dict[str, Any] | None:
        if self._disabled:
            return None
        path = self._path(prefix, key)
        try:
            entry = json.loads(path.read_bytes())
        except (FileNotFoundError, NotADirectoryError):
            return None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            self._discard(prefix, key, error)
            return None
        # The key is stored too, so that a file that is not what its name says is no hit.
        if not isinstance(entry, dict) or entry.get("format") != _FORMAT or entry.get("key") != key:
            self._discard(prefix, key, ValueError("not an entry for this key"))
            return None
        return entry

    def _discard(self, prefix: str, key: list[Any], reason: Exception) -> None:
        path = self._path(prefix, key)
        logger.warning("Discarding the unreadable cache entry %s: %s", path, reason)
        try:
            path.unlink(missing_ok=True)
        except OSError as error:
            logger.warning("Could not delete the cache file %s: %s", path, error)

    def _write(self, prefix: str, key: list[Any], fields: dict[str, Any]) -> None:
        if self._disabled:
            return
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            self._disabled = True
            logger.warning(
                "Cannot create the Context7 cache directory %s (%s); docs will not be cached",
                self.directory,
                error,
            )
            return
        data = json.dumps({"format": _FORMAT, "key": key, **fields}).encode()
        path = self._path(prefix, key)
        temporary: str | None = None
        try:
            # Write aside, then rename: a reader never sees half a file.
            descriptor, temporary = tempfile.mkstemp(
                dir=self.directory, prefix=_TEMPORARY_PREFIX, suffix=".json"
            )
            with os.fdopen(descriptor, "wb") as file:
                file.write(data)
            os.replace(temporary, path)
        except OSError as error:
            logger.warning("Could not write the cache file %s: %s", path, error)
            if temporary is not None:
                Path(temporary).unlink(missing_ok=True)


def _page_to_json(page: DocPage) -> dict[str, Any]:
    return _pages.unstructure(page)


def _page_from_json(data: Any) -> DocPage:
    if not isinstance(data, dict):
        raise TypeError("the page is not an object")
    try:
        return _pages.structure(data, DocPage)
    except cattrs.ClassValidationError as error:
        raise TypeError("; ".join(cattrs.transform_error(error))) from None


def _aware_datetime(value: Any, _: type = datetime) -> datetime:
    if not isinstance(value, str):
        raise TypeError("a timestamp is not a string")
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError(f"the timestamp {value} has no time zone")
    return moment


#: Pages as stored: snake_case keys, ISO timestamps with their time zone.
_pages = strict_converter()
_pages.register_structure_hook(datetime, _aware_datetime)
_pages.register_unstructure_hook(datetime, datetime.isoformat)
_pages.register_structure_hook(
    DocPage, make_dict_structure_fn(DocPage, _pages, _cattrs_forbid_extra_keys=False)
)
