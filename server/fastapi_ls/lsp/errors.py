"""One error policy for every handler: log the traceback, answer the empty result.

An exception that escapes a pygls request handler becomes a JSON-RPC error the user cannot act
on, and one in a notification handler pops up "Error in server".  Every handler, sync or
async, request, notification or command, is registered through :func:`guarded`: an unexpected
error is logged with its traceback and the client gets the handler's empty answer.  A
cancelled request is left to pygls, which answers it as cancelled.
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

#: The empty answer of a request whose result is its own params (``completionItem/resolve``,
#: ``codeAction/resolve``): the item comes back as it was.
SAME_AS_PARAMS = object()


def guarded(handler: Callable[..., Any], empty: Any = None) -> Callable[..., Any]:
    """``handler`` answering ``empty`` instead of raising."""

    def fallback(args: tuple[Any, ...]) -> Any:
        return args[-1] if empty is SAME_AS_PARAMS else empty

    if inspect.iscoroutinefunction(handler):

        @functools.wraps(handler)
        async def guarded_async(*args: Any) -> Any:
            try:
                return await handler(*args)
            except Exception:
                log.exception("%s failed", handler.__qualname__)
                return fallback(args)

        return _without_server_annotation(guarded_async)

    @functools.wraps(handler)
    def guarded_sync(*args: Any) -> Any:
        try:
            return handler(*args)
        except Exception:
            log.exception("%s failed", handler.__qualname__)
            return fallback(args)

    return _without_server_annotation(guarded_sync)


def _without_server_annotation(wrapper: Callable[..., Any]) -> Callable[..., Any]:
    """pygls reads a command's annotations to convert its arguments; the ``ls`` parameter's
    names the server class, imported only for type checking, which it cannot resolve."""
    wrapper.__annotations__ = {
        name: hint for name, hint in wrapper.__annotations__.items() if name != "ls"
    }
    return wrapper
