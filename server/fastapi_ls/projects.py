"""Which projects depend on FastAPI: the answer that every file of a project shares.

A project depends on FastAPI when its manifest says so (a few small files, read at once) or
when one of its modules imports FastAPI (a scan of the modules' heads, run in a worker thread
so no request waits for it; until it ends, the manifest's answer stands).  Answers are kept per
project root; after a save they are checked again while the old answer still serves.  The
workspace index can answer the same question: it replaces :class:`FastApiProjects` through the
:class:`ProjectFacts` interface.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from . import project

log = logging.getLogger(__name__)


class ProjectFacts(Protocol):
    def depends_on_fastapi(self, root: Path) -> bool:
        """The best answer known now; never waits for slow work."""

    def forget(self) -> None:
        """Check every project again (a manifest or a module may have changed)."""


class FastApiProjects:
    def __init__(
        self,
        manifest: Callable[[Path], bool] = project.depends_on_fastapi,
        scan: Callable[[Path], bool] = project.imports_fastapi_somewhere,
    ) -> None:
        self._manifest = manifest
        self._scan = scan
        self._answers: dict[Path, bool] = {}
        self._stale: set[Path] = set()
        self._scanning: set[Path] = set()

    def depends_on_fastapi(self, root: Path) -> bool:
        if root in self._answers and root not in self._stale:
            return self._answers[root]
        self._stale.discard(root)
        if self._manifest(root):
            self._answers[root] = True
        else:
            self._answers.setdefault(root, False)
            self._scan_modules(root)
        return self._answers[root]

    def forget(self) -> None:
        self._stale.update(self._answers)

    def _scan_modules(self, root: Path) -> None:
        if root in self._scanning:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self._answers[root] = self._scan(root)
            return
        self._scanning.add(root)
        future = loop.run_in_executor(None, self._scan, root)

        def done(finished: asyncio.Future[bool]) -> None:
            self._scanning.discard(root)
            if finished.cancelled() or finished.exception() is not None:
                log.info("scanning %s for FastAPI imports failed: %s", root, finished)
                return
            self._answers[root] = finished.result()

        future.add_done_callback(done)
