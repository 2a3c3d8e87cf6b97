"""What the client can take, read once from ``initialize`` and asked by every adapter."""

from __future__ import annotations

import attrs
from lsprotocol import types

from ..completion import ClientFeatures


@attrs.frozen
class ClientSupport:
    completion: ClientFeatures = attrs.field(factory=ClientFeatures)
    hover_markdown: bool = True
    #: code actions as ``CodeAction`` literals (else bare commands)
    code_action_literals: bool = True
    #: the client asks ``codeAction/resolve`` for the ``edit`` property
    code_action_resolve_edit: bool = False
    show_document: bool = False
    work_done_progress: bool = False
    #: the client answers ``workspace/configuration``
    configuration: bool = False
    #: the client accepts a dynamic registration of ``workspace/didChangeWatchedFiles``
    watched_files_registration: bool = False

    @classmethod
    def from_capabilities(cls, capabilities: types.ClientCapabilities) -> ClientSupport:
        text = capabilities.text_document
        hover_formats = text.hover.content_format if text and text.hover else None
        code_action = text.code_action if text else None
        resolve = code_action.resolve_support if code_action else None
        window = capabilities.window
        workspace = capabilities.workspace
        watched = workspace.did_change_watched_files if workspace else None
        return cls(
            completion=ClientFeatures.from_capabilities(capabilities),
            hover_markdown=types.MarkupKind.Markdown in (hover_formats or []),
            code_action_literals=bool(code_action and code_action.code_action_literal_support),
            code_action_resolve_edit=bool(resolve and "edit" in resolve.properties),
            show_document=bool(window and window.show_document and window.show_document.support),
            work_done_progress=bool(window and window.work_done_progress),
            configuration=bool(workspace and workspace.configuration),
            watched_files_registration=bool(watched and watched.dynamic_registration),
        )
