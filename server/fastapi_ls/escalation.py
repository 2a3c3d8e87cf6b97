"""Tier 2 escalation: what to look up, and the one Markdown document that answers it.

Following the seed's protocol, a document says first what the curated tier knows, then
shows the current docs fetched from Context7 (library, version, the exact query sent, when it
was fetched) and last the sources.  When Context7 could not answer, the curated part still
stands and the document says in words why the rest is missing.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import time
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING

import attrs
import cattrs
from packaging.version import Version

from .analysis import ModuleAnalysis
from .json_mapping import camel_case, camel_case_converter
from .knowledge import KnowledgeBase, Topic
from .tier2 import Detection, detect

if TYPE_CHECKING:  # the Context7 stack is imported at the first lookup, not at start-up
    from .context7 import DocPage
    from .docs_service import DocsService, LookupResult

log = logging.getLogger(__name__)

COMMAND = "fastapiLs.context7.lookup"
CLEAR_CACHE_COMMAND = "fastapiLs.context7.clearCache"

#: Where a lookup without a topic (an error, a selection) is sent.
DEFAULT_LIBRARY_ID = "/websites/fastapi_tiangolo"
DEFAULT_LIBRARY_NAME = "FastAPI"
DEFAULT_PACKAGE = "fastapi"
#: Context7 takes at most 500 characters of query.
MAX_QUERY_LENGTH = 500
#: The title of a lookup of text the user chose, by its kind.
TEXT_TITLES = {"error": "look up this error", "selection": "look up the selected text"}
LOOKUP_KINDS = frozenset({"topic", *TEXT_TITLES})
#: The words that open the explanation of why no current docs are shown.
MISSING_DOCS = "No current docs:"
#: A lone (dotted) name: where the cursor is, not text chosen to be sent.
_SINGLE_NAME = re.compile(r"[A-Za-z_][\w.]*")


@attrs.frozen
class Lookup:
    """One escalation, as carried by a code action to the command (camelCase JSON)."""

    title: str
    query: str
    library_name: str = DEFAULT_LIBRARY_NAME
    library_id: str | None = DEFAULT_LIBRARY_ID
    topic: str | None = None
    package: str | None = None
    #: why the construct needs a newer version than the installed one, for version gates
    version_note: str | None = None
    #: what it looks up: a detected "topic", a diagnostic's "error", or the user's "selection"
    kind: str = "topic"

    def to_json(self) -> dict[str, str]:
        return {key: value for key, value in _json.unstructure(self).items() if value is not None}

    @classmethod
    def from_json(cls, raw: object) -> Lookup:
        """Read the command argument; raise ValueError with the reason when it is unusable."""
        if not isinstance(raw, dict):
            raise ValueError("the command expects one object argument")
        values = {key: value for key, value in raw.items() if value is not None}
        if not isinstance(values.get("query", ""), str) or not values.get("query", "").strip():
            raise ValueError("the query is empty")
        values.setdefault("title", values["query"])
        if "libraryName" in values and "libraryId" not in values:
            values["libraryId"] = None
        if values.get("libraryId", DEFAULT_LIBRARY_ID) == DEFAULT_LIBRARY_ID:
            # A typed lookup names no package: FastAPI's docs are pinned to FastAPI's version.
            values.setdefault("package", DEFAULT_PACKAGE)
        try:
            lookup = _json.structure(values, cls)
        except cattrs.ClassValidationError as error:
            failed = error.group_exceptions()[0]
            if not failed:
                raise ValueError("the command argument is not a lookup") from None
            reason, note = failed[0]
            raise ValueError(f"{camel_case(note.name)} must be a string ({reason})") from None
        if lookup.kind not in LOOKUP_KINDS:
            raise ValueError(f"kind must be one of {', '.join(sorted(LOOKUP_KINDS))}")
        return lookup


_json = camel_case_converter()


def for_detection(detection: Detection) -> Lookup:
    topic = detection.topic
    return Lookup(
        title=detection.display_title,
        query=detection.query,
        library_name=topic.library_name,
        library_id=topic.library_id,
        topic=topic.id,
        package=topic.package,
        version_note=detection.version_note,
    )


def for_text(text: str, kind: str) -> Lookup:
    """A lookup of text the user chose (a diagnostic's message, a selection), sent as is."""
    query = re.sub(r"\s+", " ", text).strip()[:MAX_QUERY_LENGTH]
    return Lookup(title=TEXT_TITLES[kind], query=query, package=DEFAULT_PACKAGE, kind=kind)


def action_title(lookup: Lookup) -> str:
    return f"Context7: {lookup.title} ({lookup.library_name} docs)"


@attrs.frozen
class Answer:
    """What the escalation found, ready to render."""

    lookup: Lookup
    topic: Topic | None
    library_id: str | None
    #: the installed version the docs were asked for, if any
    version: str | None
    result: LookupResult | None
    #: why nothing was fetched at all (Context7 disabled, library not found…)
    problem: str | None = None


def render(answer: Answer, now: datetime | None = None) -> str:
    now = now or datetime.now(timezone.utc)
    lookup, topic = answer.lookup, answer.topic
    parts = [f"# {lookup.title}", ""]
    parts += _curated_section(lookup, topic)
    parts += _fetched_section(answer, now)
    page = answer.result.page if answer.result else None
    parts += ["## Sources", ""]
    sources = list(page.sources if page else ())
    if topic is not None:
        sources.append(topic.docs)
    parts += [f"- <{url}>" for url in dict.fromkeys(sources)] or ["- none"]
    return "\n".join(parts).rstrip() + "\n"


def _curated_section(lookup: Lookup, topic: Topic | None) -> list[str]:
    lines = ["## What fastapi-ls knows", ""]
    if lookup.version_note:
        lines += [f"> {lookup.version_note}", ""]
    if topic is None:
        return [*lines, "fastapi-ls has no notes of its own on this.", ""]
    return [*lines, topic.curated.strip(), "", f"Official page: <{topic.docs}>", ""]


#: What the user can do about each kind of failure (``Context7Error.kind``, or "offline").
_ADVICE = {
    "offline": "Turn off `context7.offline` to fetch current docs.",
    "network": "Check the network connection and try again; lookups answer from the cache "
    "meanwhile.",
    "timeout": "Try again, or allow more time with `context7.timeout`.",
    "unavailable": "Context7 has a passing problem; try again in a few minutes.",
    "not_finalized": "Try again in a few minutes.",
    "invalid_api_key": "Set a valid Context7 API key, or remove it to use Context7 without one.",
}


def _fetched_section(answer: Answer, now: datetime) -> list[str]:
    lookup, result = answer.lookup, answer.result
    page = result.page if result else None
    lines = ["## Current documentation from Context7", ""]
    problem = answer.problem or (result.problem if result else None)
    if problem:
        lines += [f"> **{MISSING_DOCS}** {problem.rstrip('.')}.", ""]
        advice = _ADVICE.get(result.failure or "") if result else None
        if advice:
            lines += [f"> **What to do:** {advice}", ""]
    if result is not None and result.stale_age is not None:
        lines += [
            f"> **Older copy:** shown from the cache, where it was stored {_age(result.stale_age)} "
            "ago.",
            "",
        ]
    library_id = page.library_id if page else answer.library_id
    library = f"{lookup.library_name} (`{library_id}`)" if library_id else lookup.library_name
    lines += [
        f"- Library: {library}",
        f"- Version: {_version_text(answer, page)}",
        f"- Query sent: `{_code(page.query if page else lookup.query)}`",
    ]
    if page is not None:
        fetched = page.fetched_at.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        origin = " (from the cache)" if result and result.from_cache else ""
        lines.append(f"- Fetched: {fetched}{origin}")
    lines.append("")
    if page is None:
        nothing = "Nothing was fetched"
        lines += [f"{nothing}; the notes above still apply." if answer.topic else f"{nothing}.", ""]
    elif page.empty or not page.markdown.strip():
        lines += ["Context7 found nothing for this query.", ""]
    else:
        lines += [_demote_headings(page.markdown.strip()), ""]
    return lines


def _version_text(answer: Answer, page: DocPage | None) -> str:
    package = answer.lookup.package
    if page is not None and page.version:
        return f"`{page.version}`, the installed version"
    if page is not None and page.version_note:
        return f"latest — {page.version_note}"
    if answer.version:
        return f"`{answer.version}`, the installed version"
    if package:
        return f"latest ({package} was not found in the project's Python environment)"
    return "latest"


def _demote_headings(markdown: str) -> str:
    """Keep fetched headings below the document's own sections."""
    return re.sub(r"(?m)^(#{1,4}) ", lambda m: "#" * (len(m.group(1)) + 2) + " ", markdown)


def _code(text: str) -> str:
    return text.replace("`", "'")


def _age(age: timedelta) -> str:
    seconds = int(age.total_seconds())
    if seconds < 3600:
        return f"{max(seconds // 60, 1)} minutes"
    if seconds < 2 * 86400:
        return f"{seconds // 3600} hours"
    return f"{seconds // 86400} days"


@attrs.frozen
class Offer:
    """A lookup to offer, and the diagnostic message it answers (for "look up this error")."""

    lookup: Lookup
    diagnostic: str | None = None


def lookups_at(
    text: str,
    *,
    selection: str,
    diagnostics: Sequence[str],
    analysis: ModuleAnalysis,
    path: str,
    knowledge: KnowledgeBase,
    installed: dict[str, Version],
) -> list[Offer]:
    """The escalations to offer: detected topics, then each diagnostic, then the selection.

    ``text`` is the cursor's line or the selected text.  A selection that is one name is not
    offered: Eglot sends the symbol at point as the range when nothing is selected.  An error
    lookup keeps the diagnostic's message as it came, so that the action can name the
    diagnostic it answers however the query was cleaned.  Pure and local: no network, no jedi.
    """
    detections = detect(text, analysis, path, knowledge.topics, knowledge.version_gates, installed)
    offers = [Offer(for_detection(detection)) for detection in detections]
    for message in dict.fromkeys(m for m in diagnostics if m.strip()):
        offers.append(Offer(for_text(message, "error"), diagnostic=message))
    if selection.strip() and not _SINGLE_NAME.fullmatch(selection.strip()):
        offers.append(Offer(for_text(selection, "selection")))
    return offers


async def answer(
    lookup: Lookup,
    knowledge: KnowledgeBase,
    service: DocsService | None,
    installed: dict[str, Version],
) -> Answer:
    """Resolve the library, fetch the docs (pinned to the installed version) and combine.

    ``service`` is None when Context7 is turned off: the answer is the curated part alone.
    """
    started = time.monotonic()
    try:
        found = await _answer(lookup, knowledge, service, installed)
    except asyncio.CancelledError:
        log.info("%s: cancelled or timed out after %s", _described(lookup), _since(started))
        raise
    log.info("%s: %s in %s", _described(lookup), outcome(found), _since(started))
    return found


async def _answer(
    lookup: Lookup,
    knowledge: KnowledgeBase,
    service: DocsService | None,
    installed: dict[str, Version],
) -> Answer:
    if service is None:
        return unanswered(lookup, knowledge, installed, CONTEXT7_DISABLED)
    topic = knowledge.topic(lookup.topic) if lookup.topic else None
    version = _installed_version(lookup, installed)
    library_id = lookup.library_id or await service.resolve_library(
        lookup.library_name, lookup.query
    )
    if library_id is None:
        problem = (
            f"Context7 knows no library named {lookup.library_name!r}, or could not be asked "
            "(see the server log)"
        )
        return Answer(lookup, topic, None, version, None, problem)
    result = await service.lookup(library_id, lookup.query, version)
    return Answer(lookup, topic, library_id, version, result)


def outcome(answer: Answer) -> str:
    """How a lookup went, in a few words for the log: fetched, cached, stale or failed."""
    result = answer.result
    page = result.page if result else None
    problem = answer.problem or (result.problem if result else None)
    if page is None:
        return f"failed ({problem})" if problem else "nothing fetched"
    pinned = f" {page.version}" if page.version else ""
    where = f"{page.library_id}{pinned}"
    if result is not None and result.stale_age is not None:
        return f"stale copy of {where} from the cache ({problem})"
    if result is not None and result.from_cache:
        return f"{where} from the cache"
    return f"{where} fetched" + (" (nothing found)" if page.empty else "")


def _described(lookup: Lookup) -> str:
    topic = f"topic {lookup.topic}" if lookup.topic else lookup.kind
    package = f", {lookup.package}" if lookup.package else ""
    return f"Context7 lookup {lookup.title!r} ({topic}, {lookup.library_name}{package})"


def _since(started: float) -> str:
    return f"{time.monotonic() - started:.2f} s"


def unanswered(
    lookup: Lookup, knowledge: KnowledgeBase, installed: dict[str, Version], problem: str
) -> Answer:
    """The curated part alone, with the reason Context7's part is missing."""
    topic = knowledge.topic(lookup.topic) if lookup.topic else None
    version = _installed_version(lookup, installed)
    return Answer(lookup, topic, lookup.library_id, version, None, problem)


def _installed_version(lookup: Lookup, installed: dict[str, Version]) -> str | None:
    version = installed.get(lookup.package) if lookup.package else None
    return str(version) if version else None


CONTEXT7_DISABLED = "Context7 is turned off in the settings (`context7.enabled`)"


def write_document(answer: Answer, directory: Path, now: datetime | None = None) -> Path:
    """Write the rendered document; the same lookup always writes the same file.

    The file is named after the title, which editors show as the tab's title; the folder
    above it keeps lookups with the same title apart.
    """
    lookup = answer.lookup
    key = f"{lookup.library_id or lookup.library_name}\n{lookup.query}"
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:10]
    slug = re.sub(r"[^a-z0-9]+", "-", lookup.title.lower()).strip("-")[:60] or "lookup"
    path = directory / digest / f"{slug}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(answer, now), encoding="utf-8")
    return path


def summary(answer: Answer) -> str:
    """One line for clients that cannot open the document themselves."""
    result = answer.result
    if result is not None and result.page is not None and not result.page.empty:
        origin = "cached" if result.from_cache else "fetched"
        fetched = f"Context7 docs {origin} for `{result.page.library_id}`"
    else:
        fetched = "no Context7 docs"
    problem = answer.problem or (result.problem if result else None)
    return f"{answer.lookup.title}: curated notes and {fetched}" + (
        f" ({problem})" if problem else ""
    )
