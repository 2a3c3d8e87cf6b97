"""Diagnostics: computed off the event loop once typing pauses, published per document.

Each source prepares a pure job from the document's text (run in a worker thread, since a
module's checks can take a good part of a second on a large file) and returns
:class:`Found` items in the server's positions.  The publisher converts them for the client
only if the document is still at the version they were computed for; a newer version has its
own run scheduled.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

import attrs
from lsprotocol import types

from ..documents import MAX_ANALYSED_CHARS

if TYPE_CHECKING:
    from ..server import FastApiLanguageServer
    from .view import DocumentView

log = logging.getLogger(__name__)

#: Seconds without changes before a document's diagnostics are computed again.
PUBLISH_DELAY = 0.4
SOURCE = "fastapi-ls"
_SEVERITIES = {
    "error": types.DiagnosticSeverity.Error,
    "warning": types.DiagnosticSeverity.Warning,
    "information": types.DiagnosticSeverity.Information,
    "hint": types.DiagnosticSeverity.Hint,
}


@attrs.frozen
class Found:
    """One diagnostic in the server's positions (line, character column)."""

    start: tuple[int, int]
    end: tuple[int, int]
    message: str
    code: str
    severity: str = "warning"
    link: str | None = None
    deprecated: bool = False
    unnecessary: bool = False
    data: Any = None


Job = Callable[[], Sequence[Found]]


class DiagnosticSource(Protocol):
    name: str

    def prepare(self, ls: FastApiLanguageServer, view: DocumentView) -> Job | None:
        """A job computing the document's diagnostics from data it captured now (the thread
        must not read the live document); None when the source has nothing to say here."""
        ...

    def forget(self, uri: str) -> None:
        """The document was closed."""
        ...

    def inputs(self, ls: FastApiLanguageServer, uri: str) -> Any:
        """What, beyond the document and the settings, the document's diagnostics depend on
        (the index's findings for it, say); the same inputs are not checked twice."""
        ...


class DiagnosticsPublisher:
    def __init__(self, ls: FastApiLanguageServer, sources: Sequence[DiagnosticSource]) -> None:
        self.ls = ls
        self.sources = sources
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._published: set[str] = set()
        #: uri -> what the last run was computed from; the same inputs are not checked again
        self._inputs: dict[str, tuple[Any, ...]] = {}

    def schedule(self, uri: str, delay: float = PUBLISH_DELAY) -> None:
        timer = self._timers.pop(uri, None)
        if timer is not None:
            timer.cancel()
        loop = asyncio.get_running_loop()
        self._timers[uri] = loop.call_later(delay, lambda: self._start(uri))

    def schedule_all(self) -> None:
        for uri in self.ls.protocol.open_documents.uris():
            self.schedule(uri, 0)

    def forget(self, uri: str) -> None:
        timer = self._timers.pop(uri, None)
        if timer is not None:
            timer.cancel()
        self._inputs.pop(uri, None)
        for source in self.sources:
            source.forget(uri)
        if uri in self._published:
            self._published.discard(uri)
            self._send(uri, None, [])

    def _start(self, uri: str) -> None:
        self._timers.pop(uri, None)
        self.ls.spawn(self._publish(uri), "publishing diagnostics failed")

    async def _publish(self, uri: str) -> None:
        ls = self.ls
        view = ls.view(uri)
        if not view.document.is_open:
            return
        inputs = (
            view.version,
            ls.settings.diagnostics,
            tuple(sorted((name, str(version)) for name, version in ls.installed.items())),
            *(source.inputs(ls, uri) for source in self.sources),
        )
        if self._inputs.get(uri) == inputs:
            return
        await ls.protocol.quiet()
        jobs: list[Job] = []
        # Beyond the analysis limit a document gets no diagnostics: parsing it would hold up
        # every other request.
        if ls.settings.diagnostics.enabled and view.document.size <= MAX_ANALYSED_CHARS:
            jobs = [job for source in self.sources if (job := source.prepare(ls, view))]
        version = view.version
        found: list[Found] = []
        if jobs:
            found = await ls.in_background(lambda: _run_all(jobs))
        current = ls.view(uri)
        if current.version != version or not current.document.is_open:
            return
        self._inputs[uri] = inputs
        disabled = set(ls.settings.diagnostics.disabled)
        diagnostics = [_to_lsp(current, f) for f in found if f.code not in disabled]
        if diagnostics or uri in self._published:
            self._send(uri, version, diagnostics)
        if diagnostics:
            self._published.add(uri)
        else:
            self._published.discard(uri)

    def _send(self, uri: str, version: int | None, diagnostics: list[types.Diagnostic]) -> None:
        self.ls.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, version=version, diagnostics=diagnostics)
        )


def _run_all(jobs: list[Job]) -> list[Found]:
    found: list[Found] = []
    for job in jobs:
        try:
            found.extend(job())
        except Exception:  # one source's bug must not cost the others
            log.exception("computing diagnostics failed")
    return found


def _to_lsp(view: DocumentView, found: Found) -> types.Diagnostic:
    tags = []
    if found.deprecated:
        tags.append(types.DiagnosticTag.Deprecated)
    if found.unnecessary:
        tags.append(types.DiagnosticTag.Unnecessary)
    return types.Diagnostic(
        range=view.client_range(found.start, found.end),
        message=found.message,
        severity=_SEVERITIES.get(found.severity, types.DiagnosticSeverity.Warning),
        code=found.code,
        code_description=types.CodeDescription(href=found.link) if found.link else None,
        source=SOURCE,
        tags=tags or None,
        data=found.data,
    )
