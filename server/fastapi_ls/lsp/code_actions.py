"""``textDocument/codeAction`` and ``codeAction/resolve``: one pipeline, many providers.

A provider looks at the document and the requested range and offers its actions; it does not
know about the client's ``only`` filter, its support for literals, or lazy edits — the
pipeline handles those.  An action whose edit costs something carries ``data`` naming its
provider, and the edit is computed in ``codeAction/resolve`` (or at once, for clients that
cannot resolve edits).  Quick fixes and fix-all providers join by being listed in
:data:`PROVIDERS`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

import attrs
from lsprotocol import types

from .context7 import Context7Provider
from .errors import SAME_AS_PARAMS, guarded
from .migrations import CHECKS
from .view import DocumentView

if TYPE_CHECKING:
    from ..server import FastApiLanguageServer


@attrs.frozen
class ActionRequest:
    """One code-action request, in the server's positions."""

    view: DocumentView
    range: types.Range
    start: tuple[int, int]
    end: tuple[int, int]
    #: the selected text; "" when the range is empty
    selection: str
    diagnostics: Sequence[types.Diagnostic]


class CodeActionProvider(Protocol):
    #: the provider's name, carried in ``data`` so that resolve finds it again
    name: str
    #: every kind the provider may offer, announced in the server's capabilities
    kinds: Sequence[str]

    def actions(self, ls: FastApiLanguageServer, request: ActionRequest) -> list[types.CodeAction]:
        """The actions for the request; ``data`` (a dict) marks one whose edit comes later."""
        ...

    def resolve(
        self, ls: FastApiLanguageServer, view: DocumentView, action: types.CodeAction
    ) -> types.CodeAction:
        """The action with its ``edit`` filled in."""
        ...


PROVIDERS: tuple[CodeActionProvider, ...] = (CHECKS, Context7Provider())


def _kind_allowed(kind: str | None, only: Sequence[str] | None) -> bool:
    if not only:
        return True
    kind = kind or types.CodeActionKind.Empty
    return any(kind == wanted or kind.startswith(f"{wanted}.") for wanted in only)


def code_actions(
    ls: FastApiLanguageServer, params: types.CodeActionParams
) -> list[types.CodeAction | types.Command] | None:
    view = ls.view(params.text_document.uri)
    start, end = view.position(params.range.start), view.position(params.range.end)
    request = ActionRequest(
        view=view,
        range=params.range,
        start=start,
        end=end,
        selection=view.text_in(params.range),
        diagnostics=params.context.diagnostics,
    )
    only = params.context.only
    answer: list[types.CodeAction | types.Command] = []
    for provider in PROVIDERS:
        for action in provider.actions(ls, request):
            if not _kind_allowed(action.kind, only):
                continue
            if isinstance(action.data, dict):
                action.data = {**action.data, "provider": provider.name, "uri": view.uri}
                if not ls.support.code_action_resolve_edit:
                    action = provider.resolve(ls, view, action)
                    action.data = None
            if ls.support.code_action_literals:
                answer.append(action)
            elif action.command is not None and action.edit is None:
                answer.append(action.command)
    return answer or None


def resolve(ls: FastApiLanguageServer, action: types.CodeAction) -> types.CodeAction:
    data: Any = action.data
    if not isinstance(data, dict):
        return action
    provider = next((p for p in PROVIDERS if p.name == data.get("provider")), None)
    uri = data.get("uri")
    if provider is None or not isinstance(uri, str):
        return action
    return provider.resolve(ls, ls.view(uri), action)


def register(server: FastApiLanguageServer) -> None:
    kinds = sorted({kind for provider in PROVIDERS for kind in provider.kinds})
    server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=kinds, resolve_provider=True),
    )(guarded(code_actions))
    server.feature(types.CODE_ACTION_RESOLVE)(guarded(resolve, SAME_AS_PARAMS))
