"""Completion items for a cursor context: Tier 1 snippets and the file's own names.

Pure translation from (context, analysis, knowledge) to lsprotocol items.  Positions are
character columns; ``to_client`` turns a (line, column) into the client's encoding.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence

import attrs
from lsprotocol import types
from packaging.version import InvalidVersion, Version

from . import prefill, snippet_syntax
from .analysis import ModuleAnalysis
from .context import CursorContext, cursor_conditions
from .imports import ImportHeader, TextEdit, import_edits
from .knowledge import KnowledgeBase, Snippet, StatusCode
from .source_text import route_decorator

ToClient = Callable[[int, int], types.Position]

#: Status codes worth seeing first, by how often routes use them.
_STATUS_FOR_METHOD = {"post": 201, "delete": 204}
#: Apps/routers whose decorators are listed at once once a name is being typed after "@".
MAX_DECORATOR_TARGETS = 3
#: Names listed at once after "response_model=" and the like; typing narrows the list.
MAX_NAME_ITEMS = 40
#: Models also offered as ``list[Model]`` before "list[" is typed.
MAX_LIST_VARIANTS = 5
#: The header of a snippet's documentation where the description follows in the documentation:
#: VS Code wraps a long header anywhere, even mid-word.
SNIPPET_DETAIL = "FastAPI snippet"
#: Model roles that are request bodies, rarely what a route returns.
_INPUT_ROLES = frozenset({"create", "update"})


@attrs.frozen
class ClientFeatures:
    snippets: bool = True
    markdown: bool = True
    #: the client lists plaintext among its documentation formats (else: a bare string)
    plaintext_markup: bool = True
    insert_text_mode_as_is: bool = False
    label_details: bool = False

    @property
    def indents_continuation_lines(self) -> bool:
        """Whether the client itself indents a multi-line snippet to the cursor's line.

        Snippet engines (VS Code's, Neovim's vim.snippet, yasnippet) do, unless told to keep
        the text as is; plain text is inserted as it comes.
        """
        return self.snippets and not self.insert_text_mode_as_is

    @classmethod
    def from_capabilities(cls, capabilities: types.ClientCapabilities) -> ClientFeatures:
        completion = capabilities.text_document and capabilities.text_document.completion
        item = completion.completion_item if completion else None
        if item is None:
            return cls(snippets=False, markdown=False, plaintext_markup=False)
        modes = item.insert_text_mode_support.value_set if item.insert_text_mode_support else []
        formats = item.documentation_format or []
        return cls(
            snippets=bool(item.snippet_support),
            markdown=types.MarkupKind.Markdown in formats,
            plaintext_markup=types.MarkupKind.PlainText in formats,
            insert_text_mode_as_is=types.InsertTextMode.AsIs in modes,
            label_details=bool(item.label_details_support),
        )


@attrs.frozen
class Versions:
    fastapi: Version | None = None
    pydantic: Version | None = None
    starlette: Version | None = None

    def allows(self, snippet: Snippet) -> bool:
        return (
            _at_least(self.fastapi, snippet.min_fastapi)
            and _at_least(self.pydantic, snippet.min_pydantic)
            and _at_least(self.starlette, snippet.min_starlette)
        )

    def has_status(self, status: StatusCode) -> bool:
        """Whether the installed Starlette has the name and does not deprecate it. While the
        version is unknown the current names are offered, never the deprecated ones."""
        if status.below_starlette is not None and (
            self.starlette is None or _at_least(self.starlette, status.below_starlette)
        ):
            return False
        return _at_least(self.starlette, status.min_starlette)


def _at_least(installed: Version | None, minimum: str | None) -> bool:
    if installed is None or minimum is None:
        return True
    try:
        return installed >= Version(minimum)
    except InvalidVersion:
        return True


@attrs.frozen
class Request:
    """Everything one completion request needs, gathered by the server."""

    context: CursorContext
    line: int
    column: int
    lines: Sequence[str]
    header: ImportHeader
    analysis: ModuleAnalysis
    knowledge: KnowledgeBase
    client: ClientFeatures
    versions: Versions
    to_client: ToClient
    add_imports: bool = True
    excluded: frozenset[str] = frozenset()

    @functools.cached_property
    def prefill(self) -> prefill.Prefill:
        """The file's names for the snippets' variables (computed once per analysis)."""
        return _prefill(self.analysis, self.knowledge)

    @functools.cached_property
    def replace_range(self) -> types.Range:
        """The typed text that an item replaces, in client units."""
        return types.Range(
            start=self.to_client(self.line, self.context.start),
            end=self.to_client(self.line, self.column),
        )


_recent_prefills: list[tuple[ModuleAnalysis, KnowledgeBase, prefill.Prefill]] = []


def _prefill(analysis: ModuleAnalysis, knowledge: KnowledgeBase) -> prefill.Prefill:
    """The pre-filling of a document version, kept for the next keystrokes' requests."""
    for seen_analysis, seen_knowledge, found in _recent_prefills:
        if seen_analysis is analysis and seen_knowledge is knowledge:
            return found
    found = prefill.prefill(analysis, knowledge.conventions)
    _recent_prefills.insert(0, (analysis, knowledge, found))
    del _recent_prefills[8:]
    return found


def complete(request: Request) -> types.CompletionList:
    kind = request.context.kind
    if kind == "depends":
        items = _dependency_items(request)
    elif kind == "response_model":
        items = _model_items(request)
    elif kind == "status_code":
        items = _status_items(request)
    else:
        items = _snippet_items(request)
    # The list is filtered by what was typed, so the client must ask again as typing goes on.
    return types.CompletionList(is_incomplete=True, items=items)


def _snippet_items(request: Request) -> list[types.CompletionItem]:
    context = request.context
    contexts = ["empty", "module"] if context.kind == "empty" else [context.kind]
    variables = request.prefill.values
    imports = _ImportPlanner(request)
    items: list[types.CompletionItem] = []
    offered: set[str] = set()
    at_cursor = cursor_conditions(context, request.lines, request.line)
    for rank, name in enumerate(contexts):
        for index, snippet in enumerate(request.knowledge.for_context(name)):
            if snippet.id in offered or snippet.id in request.excluded:
                continue
            if not request.versions.allows(snippet) or not request.prefill.allows(
                snippet, at_cursor
            ):
                continue
            offered.add(snippet.id)
            if name == "decorator" and "{{target}}" in snippet.body:
                # One item per app/router: the file's own target first, then the app-wide
                # decorators (exception handlers, middleware), then the other targets.
                for order, target in enumerate(_decorator_targets(request, variables)):
                    values = {**variables, "target": target}
                    target_rank = rank + (order + 1 if order else 0)
                    item = _snippet_item(request, snippet, values, imports, target_rank, index)
                    if item is not None:
                        items.append(item)
                continue
            app_wide = 1 if name == "decorator" else 0
            item = _snippet_item(request, snippet, variables, imports, rank + app_wide, index)
            if item is not None:
                items.append(item)
    return items


def _decorator_targets(request: Request, variables: dict[str, str]) -> list[str]:
    """Apps and routers to offer decorators for: those matching what was typed after "@"."""
    analysis = request.analysis
    targets = list(dict.fromkeys([variables["target"], *analysis.routers, *analysis.apps]))
    if not analysis.routers and not analysis.apps:
        return targets
    typed = request.context.typed[1:].split(".", 1)[0]
    if typed:
        return [t for t in targets if t.startswith(typed)][:MAX_DECORATOR_TARGETS]
    # "@" alone: the file's own target; the others come as their name is typed (the list is
    # incomplete, so the client asks again).
    return targets[:1]


def _snippet_item(
    request: Request,
    snippet: Snippet,
    values: dict[str, str],
    imports: _ImportPlanner,
    rank: int,
    index: int,
) -> types.CompletionItem | None:
    context = request.context
    if context.kind == "decorator":
        body, plain = _expand(
            snippet.body, tuple(sorted(values.items())), _renames(request, snippet)
        )
        filter_text = label = plain.split("\n", 1)[0]
        if not label.lower().startswith(context.typed.lower()):
            return None
        score = "000"
    else:
        match = _best_prefix(snippet, context.typed)
        if match is None:
            return None
        filter_text, score = match
        label = snippet.label
        body, plain = _expand(
            snippet.body, tuple(sorted(values.items())), _renames(request, snippet)
        )
    text = body if request.client.snippets else plain
    indent = "" if request.client.indents_continuation_lines else context.indent
    text = _reindent(text, indent, tabs="\t" in context.indent)
    statements = list(
        _snippet_statements(
            snippet.imports, tuple(sorted(values.items())), plain, tuple(request.prefill.imports)
        )
    )
    edits = imports.edits(statements)
    return types.CompletionItem(
        label=label,
        kind=types.CompletionItemKind.Snippet,
        detail=SNIPPET_DETAIL if request.client.markdown else snippet.description,
        label_details=types.CompletionItemLabelDetails(description="FastAPI")
        if request.client.label_details
        else None,
        filter_text=filter_text,
        sort_text=f"{rank}{score}{index:03d}",
        insert_text_format=types.InsertTextFormat.Snippet
        if request.client.snippets
        else types.InsertTextFormat.PlainText,
        insert_text_mode=types.InsertTextMode.AsIs
        if request.client.insert_text_mode_as_is
        else None,
        text_edit=_replace_typed(request, text),
        additional_text_edits=[_to_lsp(request, edit) for edit in edits] or None,
        data={"snippet": snippet.id, "indent": indent, "imports": statements},
    )


@functools.lru_cache(maxsize=4096)
def _snippet_statements(
    imports: tuple[str, ...], values: tuple[tuple[str, str], ...], code: str, extra: tuple[str, ...]
) -> tuple[str, ...]:
    return tuple(prefill.snippet_imports(imports, dict(values), code, extra))


def _renames(request: Request, snippet: Snippet) -> tuple[tuple[str, str], ...]:
    """Placeholder renames that keep the snippet's functions from reusing the module's names."""
    if request.context.kind == "model_body":
        return ()
    return snippet_syntax.renames_for(snippet.body, request.analysis.function_names)


@functools.lru_cache(maxsize=1024)
def _expand(
    body: str, values: tuple[tuple[str, str], ...], renames: tuple[tuple[str, str], ...] = ()
) -> tuple[str, str]:
    """The body with the file's names filled in, as a snippet and as plain text."""
    filled = snippet_syntax.fill_variables(
        snippet_syntax.apply_renames(body, renames), dict(values)
    )
    return filled, snippet_syntax.to_plain_text(filled)


def _best_prefix(snippet: Snippet, typed: str) -> tuple[str, str] | None:
    """The prefix that matches what was typed, and its sort key (smaller is better).

    Exact matches first, then prefixes starting with the typed text (the closest in length
    first), then fuzzy matches that share the first letter.
    """
    if not typed:
        return snippet.prefixes[0], "200"
    wanted = typed.lower()
    matches = []
    for prefix in snippet.prefixes:
        candidate = prefix.lower()
        if candidate == wanted:
            matches.append((0, 0, prefix))
        elif candidate.startswith(wanted):
            matches.append((1, len(candidate) - len(wanted), prefix))
        elif candidate[0] == wanted[0] and _is_subsequence(wanted, candidate):
            matches.append((3, len(candidate) - len(wanted), prefix))
    if not matches:
        return None
    score, distance, prefix = min(matches)
    return prefix, f"{score}{min(distance, 99):02d}"


def _is_subsequence(needle: str, haystack: str) -> bool:
    characters = iter(haystack)
    return all(char in characters for char in needle)


def _reindent(text: str, indent: str, *, tabs: bool) -> str:
    """Continuation lines indented with ``indent``, and with tabs when the file uses them."""
    if tabs:
        text = re.sub(r"(?m)^((?:    )+)", lambda m: "\t" * (len(m.group(1)) // 4), text)
    if not indent:
        return text
    lines = text.split("\n")
    return "\n".join([lines[0], *(f"{indent}{line}" if line else line for line in lines[1:])])


def _replace_typed(request: Request, new_text: str) -> types.TextEdit:
    return types.TextEdit(range=request.replace_range, new_text=new_text)


def _to_lsp(request: Request, edit: TextEdit) -> types.TextEdit:
    return types.TextEdit(
        range=types.Range(
            start=request.to_client(edit.line, edit.character),
            end=request.to_client(edit.end_line, edit.end_character),
        ),
        new_text=edit.new_text,
    )


def resolve(
    item: types.CompletionItem, knowledge: KnowledgeBase, client: ClientFeatures
) -> types.CompletionItem:
    """Add the documentation preview to a snippet item the client is about to show.

    The preview is built from the item itself (its text and import edits), so nothing is kept
    between the completion and the resolve request.
    """
    snippet_id = item.data.get("snippet") if isinstance(item.data, dict) else None
    snippet = knowledge.snippet(snippet_id) if isinstance(snippet_id, str) else None
    if snippet is None or item.text_edit is None:
        return item
    code = item.text_edit.new_text
    if item.insert_text_format == types.InsertTextFormat.Snippet:
        code = snippet_syntax.to_plain_text(code)
    inserted = " ".join(edit.new_text for edit in item.additional_text_edits or [])
    statements = item.data.get("imports")
    if not isinstance(statements, list):
        statements = []
    added = _added_imports(
        [s for s in statements if isinstance(s, str)], set(re.findall(r"\w+", inserted))
    )
    indent = item.data.get("indent")
    if isinstance(indent, str) and indent:
        first, *rest = code.split("\n")
        code = "\n".join([first, *(line.removeprefix(indent) for line in rest)])
    item.documentation = _documentation(client, snippet, code, added)
    return item


def _added_imports(statements: Sequence[str], inserted_names: set[str]) -> list[str]:
    """The snippet's import statements, reduced to the names the item's edits add."""
    added = []
    for statement in statements:
        if statement.startswith("import "):
            if statement.split()[-1] in inserted_names:
                added.append(statement)
            continue
        head, _, names = statement.partition(" import ")
        kept = [n.strip() for n in names.split(",") if n.strip().split()[-1] in inserted_names]
        if kept:
            added.append(f"{head} import {', '.join(kept)}")
    return added


def _documentation(
    client: ClientFeatures, snippet: Snippet, code: str, added: list[str]
) -> types.MarkupContent | str:
    install = f"Needs `pip install {' '.join(snippet.packages)}`." if snippet.packages else ""
    if client.markdown:
        parts = [snippet.description, f"```python\n{code.rstrip()}\n```"]
        if added:
            parts.append("Adds imports:\n\n```python\n" + "\n".join(added) + "\n```")
        if install:
            parts.append(install)
        parts.append(f"[Documentation]({snippet.docs})")
        return types.MarkupContent(kind=types.MarkupKind.Markdown, value="\n\n".join(parts))
    # Without Markdown the description is the item's detail; said once is enough.
    parts = [code.rstrip()]
    if added:
        parts.append("Adds imports:\n" + "\n".join(added))
    if install:
        parts.append(install.replace("`", ""))
    parts.append(f"Documentation: {snippet.docs}")
    text = "\n\n".join(parts)
    if client.plaintext_markup:
        return types.MarkupContent(kind=types.MarkupKind.PlainText, value=text)
    return text


class _ImportPlanner:
    """Import edits for one request; results memoised per set of statements."""

    def __init__(self, request: Request) -> None:
        self._request = request
        # Kept with the header, which lives until a change touches the imports: keystrokes
        # below them plan nothing again.
        self._cache = request.header.planned
        self._bound = frozenset(request.analysis.bindings)

    def edits(self, statements: Sequence[str]) -> list[TextEdit]:
        if not self._request.add_imports or not statements:
            return []
        key = (tuple(statements), self._bound)
        if key not in self._cache:
            self._cache[key] = import_edits(
                self._request.lines,
                statements,
                already_bound=self._request.analysis.bindings,
                header=self._request.header,
            )
        return self._cache[key]


def _name_item(
    request: Request,
    label: str,
    kind: types.CompletionItemKind,
    detail: str,
    sort_text: str,
    *,
    filter_text: str | None = None,
    additional: list[TextEdit] | None = None,
    preselect: bool = False,
) -> types.CompletionItem:
    return types.CompletionItem(
        label=label,
        kind=kind,
        detail=detail,
        sort_text=sort_text,
        filter_text=filter_text,
        preselect=preselect or None,
        insert_text_format=types.InsertTextFormat.PlainText,
        text_edit=_replace_typed(request, label),
        additional_text_edits=[_to_lsp(request, e) for e in additional or []] or None,
    )


def _dependency_items(request: Request) -> list[types.CompletionItem]:
    analysis = request.analysis
    items = []
    for index, name in enumerate(analysis.dependencies):
        origin = analysis.origin(name)
        detail = f"from {origin.rsplit('.', 1)[0]}" if origin else "defined in this file"
        items.append(
            _name_item(
                request,
                name,
                types.CompletionItemKind.Function,
                f"dependency ({detail})",
                f"0{index:03d}",
            )
        )
    return items


def _model_items(request: Request) -> list[types.CompletionItem]:
    analysis = request.analysis
    typed = request.context.typed
    only_lists = typed.startswith("list[")
    wanted = typed.removeprefix("list[").lower()
    conventions = request.knowledge.conventions
    models = [
        m
        for m in dict.fromkeys((*analysis.imported_models, *reversed(analysis.models)))
        if conventions.role_of(m) != "settings" and wanted in m.lower()
    ][:MAX_NAME_ITEMS]
    items = []
    for index, model in enumerate(models):
        group = 1 if conventions.role_of(model) in _INPUT_ROLES else 0
        if not only_lists:
            items.append(
                _name_item(
                    request,
                    model,
                    types.CompletionItemKind.Class,
                    "Pydantic model",
                    f"{group}{index:03d}",
                )
            )
        if only_lists or index < MAX_LIST_VARIANTS:
            items.append(
                _name_item(
                    request,
                    f"list[{model}]",
                    types.CompletionItemKind.Class,
                    "a list of this model",
                    f"{group + 2}{index:03d}",
                )
            )
    return items


def _status_items(request: Request) -> list[types.CompletionItem]:
    typed = request.context.typed
    line_text = request.lines[request.line] if request.line < len(request.lines) else ""
    decorator = route_decorator(line_text)
    preferred = _STATUS_FOR_METHOD.get(decorator[1]) if decorator else None
    bound = request.analysis.bindings.get("status")
    additional = (
        import_edits(request.lines, ["from fastapi import status"], header=request.header)
        if request.add_imports and bound is None
        else []
    )
    items = []
    for status in request.knowledge.status_codes:
        if not status.name.startswith("HTTP_"):
            continue  # WebSocket close codes are not HTTP statuses
        if not request.versions.has_status(status):
            continue
        label = f"status.{status.name}"
        common = 0 if status.code == preferred else 1 if status.common else 2
        filter_text = f"{status.code} {label}" if typed[:1].isdigit() else label
        items.append(
            _name_item(
                request,
                label,
                types.CompletionItemKind.Constant,
                f"{status.code} {status.phrase}",
                f"{common}{status.code:03d}",
                filter_text=filter_text,
                additional=additional,
                preselect=status.code == preferred,
            )
        )
    return items
