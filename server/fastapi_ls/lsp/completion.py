"""``textDocument/completion`` and ``completionItem/resolve``: Tier 1 snippets and names."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types

from .. import completion
from ..context import cursor_context
from .errors import SAME_AS_PARAMS, guarded
from .test_calls import path_items

if TYPE_CHECKING:
    from ..server import FastApiLanguageServer

TRIGGER_CHARACTERS = ["@", "=", "(", ".", ","]


def complete(
    ls: FastApiLanguageServer, params: types.CompletionParams
) -> types.CompletionList | None:
    paths = path_items(ls, params)
    if paths is not None:
        return paths
    if not ls.settings.snippets.enabled:
        return None
    view = ls.fastapi_view(params.text_document.uri)
    if view is None:
        return None
    state = view.state
    line, column = view.position(params.position)
    context = cursor_context(
        state.lines, line, column, state.analysis, is_test_file=state.is_test_file
    )
    if context is None:
        return None
    return completion.complete(
        completion.Request(
            context=context,
            line=line,
            column=column,
            lines=state.lines,
            header=state.header,
            analysis=state.analysis,
            knowledge=ls.knowledge,
            client=ls.support.completion,
            versions=ls.versions,
            to_client=view.client_position,
            add_imports=ls.settings.snippets.add_imports,
            excluded=frozenset(ls.settings.snippets.exclude),
        )
    )


def resolve(ls: FastApiLanguageServer, item: types.CompletionItem) -> types.CompletionItem:
    return completion.resolve(item, ls.knowledge, ls.support.completion)


def register(server: FastApiLanguageServer) -> None:
    server.feature(
        types.TEXT_DOCUMENT_COMPLETION,
        types.CompletionOptions(trigger_characters=TRIGGER_CHARACTERS, resolve_provider=True),
    )(guarded(complete))
    server.feature(types.COMPLETION_ITEM_RESOLVE)(guarded(resolve, SAME_AS_PARAMS))
