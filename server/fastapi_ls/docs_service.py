"""Documentation lookups for Tier 2 escalation: the disk cache first, Context7 when needed.

The policy, in order: a fresh cached page is answered at once without the network; in
offline mode, or when Context7 fails in any way, a stale cached page is served with the words
explaining why fresh docs are missing (or only those words, when nothing is cached);
otherwise the page is fetched and cached.  Lookups of the same key that overlap share one
request, so an impatient user clicking twice costs one call against the rate limit.

Two limits keep a slow or unwilling service from costing the user the cached copy: a lookup
waits for the network at most ``deadline`` seconds (the request goes on in the background and
fills the cache when it ends), so the stale copy is served before the caller gives up; and
after a 429 no request is sent until its ``Retry-After`` has passed.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Callable, Hashable, Sequence
from datetime import timedelta
from typing import Any, TypeVar

import attrs

from fastapi_ls.context7 import Context7Client, Context7Error, DocPage, Library
from fastapi_ls.doc_cache import CachedPage, DocCache

logger = logging.getLogger(__name__)

OFFLINE_PROBLEM = "Offline mode is on, so Context7 was not asked"
#: Seconds a lookup waits for Context7: below the default lookup timeout of 15 s, so the
#: cached copy is shown before the editor's side stops waiting.
DEFAULT_DEADLINE = 12.0
#: Seconds to keep quiet after a 429 that did not say how long (or said something absurd).
DEFAULT_RATE_LIMIT_WAIT = 60.0
MAX_RATE_LIMIT_WAIT = 3600.0

_T = TypeVar("_T")


@attrs.frozen
class LookupResult:
    #: The docs to show, fresh or stale; ``None`` when there are none.
    page: DocPage | None
    from_cache: bool
    #: How old the page is, when it is served although it is past its time to live.
    stale_age: timedelta | None
    #: Why fresh docs are missing, in words for the user; ``None`` when they are not.
    problem: str | None
    #: What went wrong, for advice: a ``Context7Error.kind`` or ``"offline"``.
    failure: str | None = None


class DocsService:
    """Context7 behind a cache.

    ``client_factory`` is called for each network operation and the client it returns is
    closed afterwards, so that changed settings (URL, key, timeout) apply to the next lookup.
    ``offline`` may be changed at any time.
    """

    def __init__(
        self,
        client_factory: Callable[[], Context7Client],
        cache: DocCache,
        *,
        offline: bool,
        deadline: float = DEFAULT_DEADLINE,
    ) -> None:
        self._client_factory = client_factory
        self._cache = cache
        self.offline = offline
        self.deadline = deadline
        self._in_flight: dict[Hashable, asyncio.Task[Any]] = {}
        #: ``time.monotonic()`` before which Context7 is not asked (after a 429).
        self._quiet_until = 0.0

    async def lookup(self, library_id: str, query: str, version: str | None = None) -> LookupResult:
        """The docs of ``library_id`` (at ``version``) for ``query``; never raises Context7Error."""
        cached = self._cache.get(library_id, version, query)
        if cached is not None and cached.fresh:
            return LookupResult(page=cached.page, from_cache=True, stale_age=None, problem=None)
        if self.offline:
            return _without_fresh_docs(cached, OFFLINE_PROBLEM, "offline")
        if (waiting := self._rate_limit_wait()) is not None:
            return _without_fresh_docs(cached, waiting, "rate_limited")
        try:
            page = await self._single_flight(
                ("page", library_id, version, query),
                lambda: self._fetch_page(library_id, query, version),
            )
        except Context7Error as error:
            return _without_fresh_docs(cached, error.message, error.kind)
        except asyncio.TimeoutError:
            problem = f"Context7 did not answer within {self.deadline:g} s"
            return _without_fresh_docs(cached, problem, "timeout")
        return LookupResult(page=page, from_cache=False, stale_age=None, problem=None)

    async def resolve_library(self, library_name: str, query: str) -> str | None:
        """The Context7 id of ``library_name``; a stale resolution when Context7 cannot answer."""
        library_id = self._cache.get_library(library_name, query)
        if library_id is not None:
            return library_id
        if not self.offline and self._rate_limit_wait() is None:
            try:
                return await self._single_flight(
                    ("library", library_name, query),
                    lambda: self._search(library_name, query),
                )
            except (Context7Error, asyncio.TimeoutError) as error:
                logger.warning("Could not resolve %s with Context7: %r", library_name, error)
        return self._cache.get_library(library_name, query, allow_stale=True)

    def clear_cache(self) -> int:
        """Forget every cached page and resolution; returns how many entries there were."""
        return self._cache.clear()

    async def _fetch_page(self, library_id: str, query: str, version: str | None) -> DocPage:
        async with self._client_factory() as client:
            page = await client.context(library_id, query, version)
        # Filed under the request, which a redirect or a version fallback may not match.
        self._cache.put(page, key=(library_id, version, query))
        return page

    async def _search(self, library_name: str, query: str) -> str | None:
        async with self._client_factory() as client:
            libraries = await client.search(library_name, query)
        best = best_library(libraries)
        if best is None:
            return None
        self._cache.put_library(library_name, query, best.id)
        return best.id

    async def _single_flight(self, key: Hashable, start: Callable[[], Awaitable[_T]]) -> _T:
        """The shared request's result; raises asyncio.TimeoutError after ``deadline``."""
        task = self._in_flight.get(key)
        if task is None:
            task = asyncio.ensure_future(start())
            self._in_flight[key] = task
            task.add_done_callback(lambda done: self._finished(key, done))
        # One waiter being cancelled, or giving up, must not cancel the request the others
        # wait for (and whose answer the cache wants).
        return await asyncio.wait_for(asyncio.shield(task), self.deadline)

    def _finished(self, key: Hashable, task: asyncio.Task[Any]) -> None:
        if self._in_flight.get(key) is task:
            del self._in_flight[key]
        # Retrieve the outcome so that a failure nobody waited for is not reported as lost.
        if task.cancelled():
            return
        error = task.exception()
        if isinstance(error, Context7Error) and error.kind == "rate_limited":
            wait = error.retry_after
            if wait is None or not 0 <= wait <= MAX_RATE_LIMIT_WAIT:
                wait = DEFAULT_RATE_LIMIT_WAIT if wait is None else MAX_RATE_LIMIT_WAIT
            self._quiet_until = max(self._quiet_until, time.monotonic() + wait)

    def _rate_limit_wait(self) -> str | None:
        """Why Context7 is not asked now, while a 429's Retry-After runs; else None."""
        left = self._quiet_until - time.monotonic()
        if left <= 0:
            return None
        return (
            f"Context7's rate limit was reached; it is asked again in {math.ceil(left)} s "
            "(Retry-After)"
        )


def best_library(libraries: Sequence[Library]) -> Library | None:
    """Finalized libraries first, then the highest trust score; Context7's ranking breaks ties."""

    def rank(library: Library) -> tuple[bool, float]:
        trust = library.trust_score if library.trust_score is not None else -1.0
        return library.state != "finalized", -trust

    return min(libraries, key=rank, default=None)


def _without_fresh_docs(cached: CachedPage | None, problem: str, failure: str) -> LookupResult:
    page, age = (cached.page, cached.age) if cached else (None, None)
    return LookupResult(page, cached is not None, age, problem, failure)
