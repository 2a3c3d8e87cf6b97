"""The Context7 code actions: a Tier 2 topic under the cursor, a diagnostic, a selection.

Each action runs the lookup command (see :mod:`fastapi_ls.lsp.commands`); it has no edit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types

from .. import escalation

if TYPE_CHECKING:
    from ..server import FastApiLanguageServer
    from .code_actions import ActionRequest
    from .view import DocumentView


class Context7Provider:
    name = "context7"
    kinds = (types.CodeActionKind.QuickFix, types.CodeActionKind.Empty)

    def actions(self, ls: FastApiLanguageServer, request: ActionRequest) -> list[types.CodeAction]:
        view = request.view
        if not ls.settings.context7.enabled or not view.state.tier2_enabled:
            return []
        selection = request.selection
        text = selection if "\n" in selection else view.lines[request.start[0]]
        by_message = {d.message: d for d in request.diagnostics}
        offers = escalation.lookups_at(
            text,
            selection=selection,
            diagnostics=list(by_message),
            analysis=view.state.analysis,
            path=view.document.path,
            knowledge=ls.knowledge,
            installed=ls.installed,
        )
        return [self._action(offer, by_message) for offer in offers]

    def _action(
        self, offer: escalation.Offer, diagnostics: dict[str, types.Diagnostic]
    ) -> types.CodeAction:
        lookup = offer.lookup
        is_error = lookup.kind == "error"
        source = diagnostics.get(offer.diagnostic) if offer.diagnostic is not None else None
        return types.CodeAction(
            title=escalation.action_title(lookup),
            kind=types.CodeActionKind.QuickFix if is_error else types.CodeActionKind.Empty,
            command=types.Command(
                title=escalation.action_title(lookup),
                command=escalation.COMMAND,
                arguments=[lookup.to_json()],
            ),
            diagnostics=[source] if source is not None else None,
        )

    def resolve(
        self, ls: FastApiLanguageServer, view: DocumentView, action: types.CodeAction
    ) -> types.CodeAction:
        return action
