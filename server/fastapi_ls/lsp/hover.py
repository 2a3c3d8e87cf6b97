"""``textDocument/hover``: curated cards, keyword docs and route cards."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types

from .. import hover
from .errors import guarded
from .test_calls import call_hover

if TYPE_CHECKING:
    from ..server import FastApiLanguageServer


def hover_card(ls: FastApiLanguageServer, params: types.HoverParams) -> types.Hover | None:
    if not ls.settings.hover.enabled:
        return None
    view = ls.view(params.text_document.uri)
    if not view.state.tier2_enabled:
        return None
    on_call = call_hover(ls, params)
    if on_call is not None:
        return on_call
    index = ls.routes.index if ls.routes.active else None
    line, column = view.position(params.position)
    importer = view.path
    markdown = ls.support.hover_markdown
    found = hover.hover(
        hover.HoverRequest(
            lines=view.lines,
            line=line,
            column=column,
            analysis=view.state.analysis,
            knowledge=ls.knowledge,
            path=view.document.path,
            markdown=markdown,
            param_docs=ls.parameter_doc,
            imports=lambda origin: ls.modules.resolve(importer, origin, ls.workspace_roots()),
            installed={name: str(version) for name, version in ls.installed.items()},
            routes_at=(lambda at: index.route_at(importer, at)) if index else hover.no_routes,
        )
    )
    if found is None:
        return None
    kind = types.MarkupKind.Markdown if markdown else types.MarkupKind.PlainText
    return types.Hover(
        contents=types.MarkupContent(kind=kind, value=found.text),
        range=view.client_range((found.line, found.start), (found.line, found.end)),
    )


def register(server: FastApiLanguageServer) -> None:
    server.feature(types.TEXT_DOCUMENT_HOVER)(guarded(hover_card))
