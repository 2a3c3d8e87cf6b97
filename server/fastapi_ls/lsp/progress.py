"""Work-done progress for a long command, when the client supports it, with a cancel button."""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import TYPE_CHECKING, Any

from lsprotocol import types

if TYPE_CHECKING:
    from ..server import FastApiLanguageServer

log = logging.getLogger(__name__)


class Progress:
    def __init__(self, ls: FastApiLanguageServer, token: str | None) -> None:
        self.ls = ls
        self.token = token

    @classmethod
    async def start(cls, ls: FastApiLanguageServer, title: str) -> Progress:
        if not ls.support.work_done_progress:
            return cls(ls, None)
        token = f"fastapi-ls-{uuid.uuid4()}"
        try:
            await ls.work_done_progress.create_async(token)
        except Exception:
            log.warning("the client refused a progress token")
            return cls(ls, None)
        ls.work_done_progress.begin(
            token, types.WorkDoneProgressBegin(title=title, cancellable=True)
        )
        return cls(ls, token)

    def report(self, message: str) -> None:
        if self.token:
            self.ls.work_done_progress.report(
                self.token, types.WorkDoneProgressReport(message=message)
            )

    @property
    def cancelled(self) -> bool:
        future = self.ls.work_done_progress.tokens.get(self.token) if self.token else None
        return bool(future and future.cancelled())

    async def until_done(self, work: asyncio.Future[Any], timeout: float) -> Any:
        """The work's result; None when the user cancelled or ``timeout`` seconds passed.

        pygls does not really cancel a running command, so the cancel button is watched here.
        """
        deadline = asyncio.get_running_loop().time() + timeout
        while not work.done():
            remaining = deadline - asyncio.get_running_loop().time()
            if self.cancelled or remaining <= 0:
                work.cancel()
                return None
            await asyncio.wait({work}, timeout=min(0.1, remaining))
        return work.result()

    def end(self) -> None:
        if self.token:
            message = "cancelled" if self.cancelled else "done"
            self.ls.work_done_progress.end(self.token, types.WorkDoneProgressEnd(message=message))
            self.token = None
