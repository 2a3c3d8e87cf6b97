"""The JSON-RPC protocol layer: pygls's protocol with this server's corrections."""

from __future__ import annotations

from typing import Any

from pygls.protocol import LanguageServerProtocol

STATUS_REQUEST = "fastapiLs/status"
#: Requests of this server's own (not in LSP).
OWN_REQUESTS = frozenset({STATUS_REQUEST})


class FastApiProtocol(LanguageServerProtocol):
    """pygls's protocol, accepting this server's own requests without ``params``.

    JSON-RPC lets a request leave ``params`` out; pygls requires it for methods that lsprotocol
    does not know, and fails on ``fastapiLs/status`` sent bare.
    """

    def structure_message(self, data: dict[str, Any]) -> Any:
        if "id" in data and data.get("method") in OWN_REQUESTS and "params" not in data:
            data = {**data, "params": None}
        return super().structure_message(data)
