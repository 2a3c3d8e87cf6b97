"""Open, change, save and close: keep each document's state current."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types

from .errors import guarded

if TYPE_CHECKING:
    from ..server import FastApiLanguageServer


def did_open(ls: FastApiLanguageServer, params: types.DidOpenTextDocumentParams) -> None:
    ls.documents.refresh(ls.fetch_document(params.text_document.uri))
    ls.diagnostics.schedule(params.text_document.uri, 0)
    ls.routes.document_changed(params.text_document.uri, 0)


def did_change(ls: FastApiLanguageServer, params: types.DidChangeTextDocumentParams) -> None:
    document = ls.fetch_document(params.text_document.uri)
    ls.documents.changed(document, params.content_changes)
    ls.diagnostics.schedule(params.text_document.uri)
    ls.routes.document_changed(params.text_document.uri)


def did_save(ls: FastApiLanguageServer, params: types.DidSaveTextDocumentParams) -> None:
    ls.documents.forget_projects()
    ls.routes.document_changed(params.text_document.uri, 0)


def did_close(ls: FastApiLanguageServer, params: types.DidCloseTextDocumentParams) -> None:
    ls.documents.forget(params.text_document.uri)
    ls.diagnostics.forget(params.text_document.uri)
    ls.routes.document_closed(params.text_document.uri)


def register(server: FastApiLanguageServer) -> None:
    server.feature(types.TEXT_DOCUMENT_DID_OPEN)(guarded(did_open))
    server.feature(types.TEXT_DOCUMENT_DID_CHANGE)(guarded(did_change))
    server.feature(types.TEXT_DOCUMENT_DID_SAVE)(guarded(did_save))
    server.feature(types.TEXT_DOCUMENT_DID_CLOSE)(guarded(did_close))
