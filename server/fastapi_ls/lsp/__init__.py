"""The LSP adapters: one module per method family, registered from :func:`register`.

Each adapter is thin: it asks the server for a :class:`~fastapi_ls.lsp.view.DocumentView`,
calls a pure module and translates its answer to lsprotocol types.  Every handler goes
through :func:`~fastapi_ls.lsp.errors.guarded`, so none raises into the client.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import (
    code_actions,
    commands,
    completion,
    hover,
    lifecycle,
    migrations,
    routes,
    symbols,
    test_calls,
    text_sync,
)
from .route_diagnostics import ROUTE_CHECKS

if TYPE_CHECKING:
    from ..server import FastApiLanguageServer

#: Every adapter module, each with a ``register(server)`` function.
ADAPTERS = (
    lifecycle,
    text_sync,
    completion,
    hover,
    code_actions,
    commands,
    migrations,
    routes,
    symbols,
    test_calls,
)
#: Every source of published diagnostics.
DIAGNOSTIC_SOURCES = (migrations.CHECKS, ROUTE_CHECKS)


def register(server: FastApiLanguageServer) -> None:
    for adapter in ADAPTERS:
        adapter.register(server)
