"""The JSON-RPC protocol layer: pygls's protocol with this server's corrections."""

from __future__ import annotations

from typing import Any

from lsprotocol import types
from pygls.protocol import LanguageServerProtocol, lsp_method

from .line_document import OpenDocuments

STATUS_REQUEST = "fastapiLs/status"
#: The route table for the Routes view (see :mod:`fastapi_ls.lsp.routes`).
ROUTES_REQUEST = "fastapiLs/routes"
#: Sent to the client when the route table changed.
ROUTES_CHANGED_NOTIFICATION = "fastapiLs/routesChanged"
#: Requests of this server's own (not in LSP).
OWN_REQUESTS = frozenset({STATUS_REQUEST, ROUTES_REQUEST})


class FastApiProtocol(LanguageServerProtocol):
    """pygls's protocol, with the server's own open documents and bare own requests.

    The open documents are :class:`~fastapi_ls.line_document.OpenDocuments` (kept as lines)
    rather than pygls's workspace documents: the text-synchronisation notifications update them
    and then reach the server's handlers, as pygls's own do.

    JSON-RPC lets a request leave ``params`` out; pygls requires it for methods that lsprotocol
    does not know, and fails on ``fastapiLs/status`` sent bare.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.open_documents = OpenDocuments()

    @lsp_method(types.TEXT_DOCUMENT_DID_OPEN)
    def lsp_text_document__did_open(self, params: types.DidOpenTextDocumentParams):
        self.open_documents.codec = self.workspace.position_codec
        self.open_documents.open(params.text_document)
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_OPEN)) is not None:
            yield handler, (params,), None

    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params: types.DidChangeTextDocumentParams):
        self.open_documents.change(params)
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_CHANGE)) is not None:
            yield handler, (params,), None

    @lsp_method(types.TEXT_DOCUMENT_DID_CLOSE)
    def lsp_text_document__did_close(self, params: types.DidCloseTextDocumentParams):
        self.open_documents.close(params.text_document.uri)
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_CLOSE)) is not None:
            yield handler, (params,), None

    def structure_message(self, data: dict[str, Any]) -> Any:
        if "id" in data and data.get("method") in OWN_REQUESTS and "params" not in data:
            data = {**data, "params": None}
        return super().structure_message(data)
