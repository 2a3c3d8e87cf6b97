"""``workspace/executeCommand``: the Context7 lookup and clearing its cache."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from .. import escalation
from .errors import guarded
from .progress import Progress

if TYPE_CHECKING:
    from ..server import FastApiLanguageServer

log = logging.getLogger(__name__)


async def look_up(ls: FastApiLanguageServer, *arguments: Any) -> dict[str, str] | None:
    """Answer a Tier 2 lookup with one document: curated notes, then Context7's docs."""
    try:
        lookup = escalation.Lookup.from_json(arguments[0] if arguments else None)
    except ValueError as error:
        ls.tell_user(f"Context7 lookup: {error}.", types.MessageType.Error)
        return None
    progress = await Progress.start(ls, f"Context7: {lookup.title}")
    try:
        progress.report("fetching current docs")
        work = asyncio.ensure_future(
            escalation.answer(lookup, ls.knowledge, ls.docs_service(), ls.installed)
        )
        timeout = ls.settings.context7.timeout
        answer = await progress.until_done(work, timeout)
        if progress.cancelled:
            return None
        if answer is None:
            answer = escalation.unanswered(
                lookup,
                ls.knowledge,
                ls.installed,
                f"Context7 did not answer within {timeout:g} s (fastapiLs.context7.timeout).",
            )
        path = escalation.write_document(answer, ls.cache_root / "documents")
        await ls.show_document(
            path.as_uri(), f"{escalation.summary(answer)}. The document is at {path}"
        )
        return {"uri": path.as_uri(), "path": str(path)}
    except Exception:
        log.exception("the Context7 lookup failed")
        ls.tell_user(
            f"Context7 lookup of {lookup.title!r} failed unexpectedly; see the server log.",
            types.MessageType.Error,
        )
        return None
    finally:
        progress.end()


def clear_cache(ls: FastApiLanguageServer, *arguments: Any) -> int:
    service = ls.docs_service()
    removed = service.clear_cache() if service else 0
    ls.tell_user(f"Context7 cache cleared ({removed} entries).", types.MessageType.Info)
    return removed


def register(server: FastApiLanguageServer) -> None:
    server.command(escalation.COMMAND)(guarded(look_up))
    server.command(escalation.CLEAR_CACHE_COMMAND)(guarded(clear_cache))
