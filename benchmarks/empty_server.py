"""Empty-handler LSP server: the latency baseline for ``benchmarks/latency.py``.

It is built on the same stack as fastapi-ls (pygls 2 + lsprotocol, incremental
text sync by default) but its handlers do no work, so whatever it costs to
answer a request is the floor set by Python, pygls and the stdio transport on
this machine. The benchmark divides the real server's latencies by these.

Run it on stdio with ``python benchmarks/empty_server.py``.
"""

from __future__ import annotations

from lsprotocol import types
from pygls.lsp.server import LanguageServer

server = LanguageServer("fastapi-ls-benchmark-baseline", "v1")


@server.feature(types.TEXT_DOCUMENT_COMPLETION)
def completion(params: types.CompletionParams) -> types.CompletionList:
    return types.CompletionList(is_incomplete=False, items=[])


@server.feature(types.TEXT_DOCUMENT_HOVER)
def hover(params: types.HoverParams) -> types.Hover | None:
    return None


@server.feature(types.TEXT_DOCUMENT_CODE_ACTION)
def code_action(params: types.CodeActionParams) -> list[types.CodeAction]:
    return []


if __name__ == "__main__":
    server.start_io()
