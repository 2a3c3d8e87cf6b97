"""Async client of the Context7 REST API, version 2.

Context7 serves current, version-aware library documentation as snippets.  This module knows
its two endpoints — library search and documentation context — and turns every failure the API
documents (and the ones networks add) into a `Context7Error` whose message can be shown to the
user as it is.  The API key is sent only in the ``Authorization`` header: it is scrubbed from
every message this module builds and never logged.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import logging
import math
import os
import re
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import attrs

from . import redaction

if TYPE_CHECKING:
    import httpx

logger = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://context7.com/api"
API_KEY_ENVIRONMENT_VARIABLE = "CONTEXT7_API_KEY"
#: Comma-separated host names that may receive the API key besides Context7's own.  An
#: environment variable, so that no file in a repository can add a host.
KEY_HOSTS_ENVIRONMENT_VARIABLE = "FASTAPI_LS_CONTEXT7_KEY_HOSTS"
#: Loopback receives the key too: a local proxy or test double is the user's own.
_KEY_HOSTS = ("context7.com", "localhost", "127.0.0.1", "::1")
#: The API rejects longer ``libraryName`` and ``query`` parameters.
MAX_PARAMETER_LENGTH = 500
#: ``/owner/repo``, or pinned to a version: ``/owner/repo/1.2.3`` or ``/owner/repo@1.2.3``.
LIBRARY_ID = re.compile(r"^/[^/]+/[^/]+([/@][^/]+)?$")

#: Statuses worth one more try: the service says so for 500/503/504, and a gateway's 502 is
#: the same kind of passing trouble.
_RETRIED_STATUSES = frozenset({500, 502, 503, 504})
#: Longest piece of the server's own error text quoted to the user.
_SERVER_MESSAGE_LIMIT = 300
#: The operating system's "[Errno 111] " before a network error's words, which say it already.
_ERRNO = re.compile(r"\[Errno -?\d+\]\s*")
#: Said when requests without a key hit the rate limit; editors other than VS Code read it too.
KEY_ADVICE = (
    "An API key raises the limit: in VS Code run *FastAPI: Set Context7 API Key*; elsewhere "
    f"set the `context7.apiKey` setting or the `{API_KEY_ENVIRONMENT_VARIABLE}` environment "
    "variable"
)

_SIMPLE_STATUS_ERRORS: dict[int, tuple[str, str]] = {
    202: ("not_finalized", "Context7 is still indexing {subject}; try again later"),
    400: ("invalid_request", "Context7 rejected the request for {subject} as invalid"),
    402: ("spending_limit", "The spending limit of the Context7 account is exceeded"),
    403: ("forbidden", "Context7 denied access to {subject}"),
}

_NOT_FOUND_TEXTS = {
    "tag_not_found": "Context7 has not indexed {subject}",
    "no_snippets_found": "Context7 found no documentation for {subject} matching the query",
    "no_libraries_found": "Context7 found no library for {subject}",
}


@attrs.frozen
class Library:
    """One search result: a library Context7 has documentation for."""

    id: str
    title: str
    description: str
    versions: tuple[str, ...]
    #: From 0 to 10; the MCP server calls ≥ 7 "High" and ≥ 4 "Medium".
    trust_score: float | None
    #: ``finalized``, ``initial``, ``processing``, ``error`` or ``delete``.
    state: str | None


@attrs.frozen
class DocPage:
    """Documentation Context7 returned for one query, rendered as Markdown."""

    #: The library that answered, after any redirect; never carries the version.
    library_id: str
    #: The version the docs belong to; ``None`` for the latest indexed docs.
    version: str | None
    #: Exactly the query that was sent.
    query: str
    fetched_at: datetime
    markdown: str
    #: Source URLs of the snippets, each once, in the order they appeared.
    sources: tuple[str, ...]
    #: Why the docs are not of the version asked for, when they are not.
    version_note: str | None = None
    #: Context7 answered, but had nothing for this query.
    empty: bool = False


class Context7Error(Exception):
    """A request to Context7 failed; ``message`` explains it to the user.

    ``kind`` is one of ``not_finalized`` (202), ``invalid_request`` (400, or an id rejected
    before sending), ``invalid_api_key`` (401), ``spending_limit`` (402), ``forbidden`` (403),
    ``not_found`` (404), ``rate_limited`` (429), ``unavailable`` (5xx after a retry),
    ``http_error`` (any other status), ``network``, ``timeout``, ``too_large`` and
    ``bad_response``.  ``code`` is Context7's own error code when it sent one.
    """

    def __init__(
        self,
        kind: str,
        message: str,
        status: int | None = None,
        retry_after: float | None = None,
        *,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.status = status
        #: Seconds to wait before asking again, from ``Retry-After``.
        self.retry_after = retry_after
        self.code = code


@attrs.frozen
class _Answer:
    status: int
    headers: httpx.Headers
    body: bytes


class Context7Client:
    """Talks to the Context7 REST API at ``base_url`` (e.g. ``https://context7.com/api``).

    Without ``api_key`` the key comes from the ``CONTEXT7_API_KEY`` environment variable, and
    without either the requests are anonymous.  ``timeout`` bounds each attempt as a whole;
    network failures, timeouts and 5xx answers are tried once more after ``retry_backoff``
    seconds.  Close the client (or use it as an async context manager) when done.
    """

    def __init__(
        self,
        base_url: str,
        api_key: str | None,
        timeout: float,
        *,
        max_response_bytes: int = 2_000_000,
        client_name: str = "fastapi-ls",
        retry_backoff: float = 0.5,
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"the Context7 URL must start with http:// or https://: {base_url}")
        self._base_url = base_url.rstrip("/")
        key = (api_key or os.environ.get(API_KEY_ENVIRONMENT_VARIABLE) or "").strip()
        #: Scrubbed from everything this client returns, whether it is sent or not.
        self._secret = key
        if key and not key_may_go_to(self._base_url):
            logger.warning(
                "not sending the Context7 API key to %s: only Context7's own host and the hosts "
                "in %s receive it; asking anonymously",
                urlsplit(self._base_url).hostname,
                KEY_HOSTS_ENVIRONMENT_VARIABLE,
            )
            key = ""
        self._api_key = key
        self._timeout = timeout
        self._max_response_bytes = max_response_bytes
        self._retry_backoff = retry_backoff
        headers = {"X-Context7-Source": client_name}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        # Redirects are part of the API (301 + redirectUrl in the body), handled below.
        # httpx is imported with the first client: it weighs ~10 MB that a session without
        # lookups does not need.
        import httpx

        self._http = httpx.AsyncClient(headers=headers, timeout=timeout, follow_redirects=False)

    async def close(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> Context7Client:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    async def search(self, library_name: str, query: str) -> list[Library]:
        """Libraries matching ``library_name``, ranked by Context7 for ``query``."""
        params = {
            "libraryName": self._clip(library_name, "library name"),
            "query": self._clip(query, "query"),
        }
        subject = f'"{params["libraryName"]}"'
        answer = await self._get("/v2/libs/search", params)
        if answer.status == 404 and _error_body(answer.body)[0] == "no_libraries_found":
            return []
        if answer.status != 200:
            raise self._status_error(answer, subject)
        try:
            return _libraries(self._json(answer))
        except ValueError as error:
            raise self._bad_response(str(error)) from error

    async def context(self, library_id: str, query: str, version: str | None = None) -> DocPage:
        """Documentation of ``library_id`` for ``query``.

        ``version`` pins the docs to a release; a version inside ``library_id``
        (``/owner/repo/1.2.3`` or ``/owner/repo@1.2.3``) is used when ``version`` is not
        given.  When Context7 has not indexed the pinned version, the latest docs are fetched
        instead and ``DocPage.version_note`` says so.
        """
        base_id, version = self._split_library_id(library_id, version)
        query = self._clip(query, "query")
        if version is None:
            return await self._context_page(base_id, None, query, version_note=None)
        try:
            return await self._context_page(base_id, version, query, version_note=None)
        except Context7Error as error:
            if error.status != 404:
                raise
        logger.info("Context7 has no version %s of %s; fetching its latest docs", version, base_id)
        note = (
            f"Context7 has not indexed version {version} of {base_id}; "
            "these are the docs of its latest indexed version."
        )
        return await self._context_page(base_id, None, query, version_note=note)

    async def _context_page(
        self, base_id: str, version: str | None, query: str, version_note: str | None
    ) -> DocPage:
        params = {"libraryId": _pinned(base_id, version), "query": query, "type": "json"}
        answer = await self._get("/v2/context", params)
        if answer.status == 301:
            base_id, redirected_version = self._redirect_target(answer, params["libraryId"])
            version = redirected_version or version
            logger.info("Context7 moved %s to %s", params["libraryId"], base_id)
            params["libraryId"] = _pinned(base_id, version)
            answer = await self._get("/v2/context", params)
        # "No snippets" is an answer about the query, not a missing library or version.
        nothing_found = answer.status == 404 and (
            _error_body(answer.body)[0] == "no_snippets_found"
        )
        if answer.status != 200 and not nothing_found:
            raise self._status_error(answer, params["libraryId"])
        markdown, sources = ("", ()) if nothing_found else self._render(answer)
        # A service that echoes the request (its Authorization header) must not get the key
        # into the document and the cache.
        markdown = self._scrub(markdown)
        sources = tuple(self._scrub(source) for source in sources)
        return DocPage(
            library_id=base_id,
            version=version,
            query=query,
            fetched_at=datetime.now(timezone.utc),
            markdown=markdown,
            sources=sources,
            version_note=version_note,
            empty=not markdown,
        )

    def _render(self, answer: _Answer) -> tuple[str, tuple[str, ...]]:
        if not answer.body.strip():
            return "", ()
        media_type = _media_type(answer.headers)
        if media_type in ("text/plain", "text/markdown"):
            # The txt format is already Markdown, with a "Source:" line per snippet.
            text = answer.body.decode("utf-8", errors="replace").strip()
            return text, _unique_urls(re.findall(r"^Source:\s*(\S+)\s*$", text, re.MULTILINE))
        try:
            return _render_snippets(self._json(answer))
        except ValueError as error:
            raise self._bad_response(str(error)) from error

    def _json(self, answer: _Answer) -> Any:
        media_type = _media_type(answer.headers)
        if media_type != "application/json" and not media_type.endswith("+json"):
            raise self._bad_response(f"expected JSON, got {media_type or 'no content type'}")
        try:
            return json.loads(answer.body)
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise self._bad_response("the body is not valid JSON") from error

    def _redirect_target(self, answer: _Answer, library_id: str) -> tuple[str, str | None]:
        try:
            body = json.loads(answer.body)
        except (UnicodeDecodeError, json.JSONDecodeError):
            body = None
        target = body.get("redirectUrl") if isinstance(body, dict) else None
        if not isinstance(target, str) or not LIBRARY_ID.fullmatch(target):
            raise self._bad_response(f"{library_id} was redirected without a valid library id")
        return self._split_library_id(target, None)

    async def _get(self, path: str, params: dict[str, str]) -> _Answer:
        """GET ``path``, trying once more after a network failure, a timeout or a 5xx."""
        url = self._base_url + path
        logger.debug("Context7 GET %s %s", path, params)
        try:
            answer = await self._attempt(url, params)
        except Context7Error as error:
            if error.kind not in ("network", "timeout"):
                raise
            reason = error.message
        else:
            if answer.status not in _RETRIED_STATUSES:
                return answer
            reason = f"Context7 answered HTTP {answer.status}"
        logger.warning("%s; trying once more in %g s", reason, self._retry_backoff)
        await asyncio.sleep(self._retry_backoff)
        return await self._attempt(url, params)

    async def _attempt(self, url: str, params: dict[str, str]) -> _Answer:
        import httpx

        try:
            return await asyncio.wait_for(self._get_once(url, params), self._timeout)
        except (httpx.TimeoutException, asyncio.TimeoutError) as error:
            raise self._error(
                "timeout", f"Context7 could not be reached: no answer within {self._timeout:g} s"
            ) from error
        except httpx.TransportError as error:
            reason = _ERRNO.sub("", str(error)).strip() or type(error).__name__
            raise self._error("network", f"Context7 could not be reached: {reason}") from error

    async def _get_once(self, url: str, params: dict[str, str]) -> _Answer:
        async with self._http.stream("GET", url, params=params) as response:
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > self._max_response_bytes:
                raise self._too_large()
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > self._max_response_bytes:
                    raise self._too_large()
                chunks.append(chunk)
            return _Answer(response.status_code, response.headers, b"".join(chunks))

    def _status_error(self, answer: _Answer, subject: str) -> Context7Error:
        status = answer.status
        code, server_message = _error_body(answer.body)
        retry_after = None
        if status in _SIMPLE_STATUS_ERRORS:
            kind, template = _SIMPLE_STATUS_ERRORS[status]
            text = template.format(subject=subject)
        elif status == 301:
            kind, text = "bad_response", f"Context7 redirected {subject} more than once"
        elif status == 401:
            kind = "invalid_api_key"
            text = (
                "The Context7 API key was rejected"
                if self._api_key
                else "Context7 asks for an API key; none is set"
            )
        elif status == 404:
            kind = "not_found"
            text = _NOT_FOUND_TEXTS.get(code or "", "Context7 does not know {subject}")
            text = text.format(subject=subject)
        elif status == 429:
            kind = "rate_limited"
            retry_after = _retry_after(answer.headers)
            text = _rate_limit_text(
                retry_after, answer.headers.get("RateLimit-Reset"), keyed=bool(self._api_key)
            )
        elif status in _RETRIED_STATUSES:
            kind, text = "unavailable", f"Context7 is unavailable (HTTP {status}, twice)"
        else:
            kind, text = "http_error", f"Context7 answered with unexpected HTTP status {status}"
        if server_message:
            text = f"{text}. Context7 says: {server_message}"
        if kind == "rate_limited" and not self._api_key:
            text = f"{text.rstrip('.')}. {KEY_ADVICE}"
        return self._error(kind, text, status, retry_after, code=code)

    def _split_library_id(self, library_id: str, version: str | None) -> tuple[str, str | None]:
        if not LIBRARY_ID.fullmatch(library_id):
            raise self._error(
                "invalid_request",
                f"{library_id!r} is not a Context7 library id (expected /owner/repo)",
                code="invalid_library_id",
            )
        owner, repo, *pinned = library_id[1:].split("/")
        if not pinned and "@" in repo:
            repo, _, embedded = repo.partition("@")
            pinned = [embedded]
        version = version or (pinned[0] if pinned else None)
        if version is not None and not LIBRARY_ID.fullmatch(f"/{owner}/{repo}/{version}"):
            raise self._error(
                "invalid_request", f"{version!r} is not a valid version", code="invalid_library_id"
            )
        return f"/{owner}/{repo}", version

    def _clip(self, value: str, name: str) -> str:
        value = value.strip()
        if not value:
            raise self._error("invalid_request", f"a Context7 {name} must not be empty")
        return value[:MAX_PARAMETER_LENGTH]

    def _too_large(self) -> Context7Error:
        return self._error(
            "too_large",
            f"Context7's answer is larger than {self._max_response_bytes} bytes; it was not read",
        )

    def _bad_response(self, reason: str) -> Context7Error:
        return self._error("bad_response", f"Context7 sent an answer that cannot be used: {reason}")

    def _error(
        self,
        kind: str,
        message: str,
        status: int | None = None,
        retry_after: float | None = None,
        *,
        code: str | None = None,
    ) -> Context7Error:
        # Server texts are quoted in messages, and a server may echo what it was sent.
        return Context7Error(kind, self._scrub(message), status, retry_after, code=code)

    def _scrub(self, text: str) -> str:
        """``text`` without the API key, for anything shown, written or cached.

        Only the key itself is replaced: documentation is full of "Bearer token" examples
        that the log redaction's patterns would mangle.
        """
        return text.replace(self._secret, redaction.REPLACEMENT) if self._secret else text


def key_may_go_to(base_url: str) -> bool:
    """Whether the API key may be sent to the host of ``base_url``."""
    host = (urlsplit(base_url).hostname or "").lower().rstrip(".")
    extra = os.environ.get(KEY_HOSTS_ENVIRONMENT_VARIABLE, "")
    allowed = {*_KEY_HOSTS, *(name.strip().lower() for name in extra.split(",") if name.strip())}
    return host in allowed or host.endswith(".context7.com")


def _pinned(base_id: str, version: str | None) -> str:
    return base_id if version is None else f"{base_id}/{version}"


def _media_type(headers: httpx.Headers) -> str:
    return headers.get("Content-Type", "").split(";")[0].strip().lower()


def _error_body(body: bytes) -> tuple[str | None, str | None]:
    """Context7's error code and message, when the body is its usual error object."""
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None, None
    if not isinstance(payload, dict):
        return None, None
    code = _text(payload, "error") or None
    message = _one_line(_text(payload, "message"))[:_SERVER_MESSAGE_LIMIT] or None
    return code, message


def _retry_after(headers: httpx.Headers) -> float | None:
    value = headers.get("Retry-After")
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        # HTTP also allows a date here.
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        seconds = (when - datetime.now(timezone.utc)).total_seconds()
    return max(seconds, 0.0) if math.isfinite(seconds) else None


def _rate_limit_text(retry_after: float | None, reset: str | None, *, keyed: bool) -> str:
    text = "Context7's rate limit for " + (
        "your API key" if keyed else "requests without an API key"
    )
    text += " was reached"
    if retry_after is not None:
        text += f"; try again in {_duration(retry_after)}"
    if reset is not None and reset.strip().isdigit():
        when = datetime.fromtimestamp(int(reset), timezone.utc)
        text += f" (the quota resets at {when:%Y-%m-%d %H:%M} UTC)"
    return text


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{math.ceil(seconds)} s"
    if seconds < 7200:
        return f"{math.ceil(seconds / 60)} min"
    return f"{math.ceil(seconds / 3600)} h"


def _libraries(payload: Any) -> list[Library]:
    if not isinstance(payload, dict) or not isinstance(payload.get("results"), list):
        raise ValueError("a search answer must be an object with a list of results")
    libraries = []
    for item in payload["results"]:
        # One malformed entry should not hide the good ones around it.
        if not isinstance(item, dict) or not LIBRARY_ID.fullmatch(_text(item, "id")):
            continue
        trust = item.get("trustScore")
        versions = item.get("versions")
        state = item.get("state")
        libraries.append(
            Library(
                id=item["id"],
                title=_text(item, "title") or item["id"],
                description=_text(item, "description"),
                versions=tuple(v for v in versions if isinstance(v, str))
                if isinstance(versions, list)
                else (),
                trust_score=float(trust)
                if isinstance(trust, (int, float)) and not isinstance(trust, bool)
                else None,
                state=state if isinstance(state, str) else None,
            )
        )
    return libraries


def _render_snippets(payload: Any) -> tuple[str, tuple[str, ...]]:
    """Markdown and source URLs from a ``type=json`` context answer."""
    if not isinstance(payload, dict) or not ({"codeSnippets", "infoSnippets"} & payload.keys()):
        raise ValueError("a context answer must have codeSnippets or infoSnippets")
    sections: list[str] = []
    sources: list[str] = []
    for snippet in _objects(payload, "codeSnippets"):
        sections.append(_render_code_snippet(snippet))
        sources.append(_text(snippet, "codeId"))
    for snippet in _objects(payload, "infoSnippets"):
        content = _text(snippet, "content").strip()
        if content:
            breadcrumb = _one_line(_text(snippet, "breadcrumb"))
            sections.append(f"### {breadcrumb}\n\n{content}" if breadcrumb else content)
            sources.append(_text(snippet, "pageId"))
    return "\n\n".join(sections), _unique_urls(sources)


def _render_code_snippet(snippet: Mapping[str, Any]) -> str:
    title = _one_line(_text(snippet, "codeTitle") or _text(snippet, "pageTitle")) or "Snippet"
    parts = [f"### {title}"]
    description = _text(snippet, "codeDescription").strip()
    if description:
        parts.append(description)
    default_language = _text(snippet, "codeLanguage")
    for block in _objects(snippet, "codeList"):
        code = _text(block, "code").strip("\n")
        if code:
            parts.append(_fenced(code, _text(block, "language") or default_language))
    return "\n\n".join(parts)


def _fenced(code: str, language: str) -> str:
    # A fence must be longer than any backtick run inside the code it encloses.
    longest_run = max((len(run) for run in re.findall(r"`+", code)), default=0)
    fence = "`" * max(3, longest_run + 1)
    info = re.sub(r"[^\w+#.-]", "", language)
    return f"{fence}{info}\n{code}\n{fence}"


def _objects(container: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    value = container.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise ValueError(f"{key} must be a list of objects")
    return value


def _text(container: Mapping[str, Any], key: str) -> str:
    value = container.get(key)
    return value if isinstance(value, str) else ""


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _unique_urls(candidates: Iterable[str]) -> tuple[str, ...]:
    # Only web links: the sources end up as links in a Markdown document.
    urls = (url for url in candidates if url.startswith(("https://", "http://")))
    return tuple(dict.fromkeys(urls))
