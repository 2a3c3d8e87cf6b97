"""Hover: curated cards for FastAPI, Starlette and Pydantic symbols, keyword-argument docs,
route cards and Tier 2 hints.

The symbol under the cursor is resolved through the file's own imports (aliases included),
its apps and routers, and names imported from the user's other modules.  Names this server
knows nothing about get no hover at all: generic hovers belong to the type checker.
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Callable, Sequence

import attrs

from .analysis import ModuleAnalysis, call_arguments
from .knowledge import Card, KnowledgeBase, Topic
from .param_docs import ParamDoc
from .source_text import ends_in_comment_or_string, route_decorator, unclosed_bracket
from .tier2 import topics_at
from .workspace_index import Route
from .workspace_modules import ImportedName

_WORD = re.compile(r"[A-Za-z_]\w*")
_CHAIN_BEFORE = re.compile(r"(?:[A-Za-z_]\w*\s*\.\s*)+$")
_CHAIN_REACH = 300
_KEYWORD_AFTER = re.compile(r"\s*=(?!=)")
_NAME_BEFORE = re.compile(r"([A-Za-z_][\w.]*)\s*$")
_DEF = re.compile(r"^\s*(?:async\s+)?def\s+(\w+)")
_PATH_PARAMETER = re.compile(r"\{(\w+)(?::\w+)?\}")
#: How far up a call's "(" or a function's decorators are looked for.
MAX_SCAN_LINES = 40

#: Names a model's class body defines rather than imports; their card is the base class's.
CLASS_BODY_NAMES = frozenset({"model_config"})
#: The base of models that derive from the project's own models.
_DEFAULT_MODEL_BASE = "pydantic.BaseModel"
_CLASS_HEADER = re.compile(r"^class\s+\w+\s*\(([^)]*)\)")

#: Parameter docs lookup: (card signature, parameter) -> parsed docs, or None when not ready.
ParamLookup = Callable[[str, str], ParamDoc | None]
#: Cross-module lookup: an import origin -> where it is defined.
ImportLookup = Callable[[str], ImportedName | None]
#: The workspace index's routes declared at a 0-based line of the hovered file.
RoutesAt = Callable[[int], Sequence[Route]]


def no_routes(line: int) -> Sequence[Route]:
    return ()


@attrs.frozen
class Hover:
    text: str
    #: the hovered word: (line, start column, end column), in characters
    line: int
    start: int
    end: int


@attrs.frozen
class HoverRequest:
    lines: Sequence[str]
    line: int
    column: int
    analysis: ModuleAnalysis
    knowledge: KnowledgeBase
    path: str
    markdown: bool
    param_docs: ParamLookup
    imports: ImportLookup
    #: installed package versions, for the "from the installed FastAPI x.y" note
    installed: dict[str, str] = attrs.field(factory=dict)
    #: the project's routes (full paths, include chains); without them the card says what
    #: the file alone says
    routes_at: RoutesAt = no_routes


def hover(request: HoverRequest) -> Hover | None:
    if not 0 <= request.line < len(request.lines):
        return None
    text = request.lines[request.line].rstrip("\r\n")
    word = _word_at(text, request.column)
    if word is None or ends_in_comment_or_string(text[: word.start()]):
        return None
    chain = _chain(text, word)
    render = _Renderer(request.markdown)
    body = (
        _keyword_hover(request, text, word, render)
        or _route_hover(request, text, word, render)
        or _symbol_hover(request, text, word, chain, render)
    )
    hints = topics_at(
        text, word.start(), word.end(), request.analysis, request.path, request.knowledge.topics
    )
    if hints:
        body = render.join([body, *(render.tier2(topic, alone=body is None) for topic in hints)])
    if body is None:
        return None
    return Hover(body, request.line, word.start(), word.end())


def _word_at(text: str, column: int) -> re.Match[str] | None:
    for match in _WORD.finditer(text):
        if match.start() <= column <= match.end():
            return match
        if match.start() > column:
            break
    return None


def _chain(text: str, word: re.Match[str]) -> str:
    """The dotted name ending with the hovered word: ``fa.Depends``, ``status.HTTP_200_OK``."""
    # Searched for at each position, the pattern costs the square of the text's length:
    # look only as far back as a dotted name can reach.
    before = _CHAIN_BEFORE.search(text[max(0, word.start() - _CHAIN_REACH) : word.start()])
    prefix = re.sub(r"\s+", "", before.group(0)) if before else ""
    return prefix + word.group(0)


@attrs.frozen
class _Resolved:
    symbol: str
    #: for an app or router: its variable's name, and the keywords it was created with
    instance: str = ""
    keywords: dict[str, str] | None = None
    #: where the instance is defined, in words
    where: str = ""


def _symbol(request: HoverRequest, chain: str) -> _Resolved | None:
    """The qualified symbol of a dotted name, through imports, apps and routers."""
    analysis = request.analysis
    head, _, rest = chain.partition(".")
    tail = f".{rest}" if rest else ""
    here = f"`{head}` is defined in this file"
    keywords = analysis.constructor_keywords.get(head)
    if head in analysis.apps and head not in analysis.bindings:
        return _Resolved(f"fastapi.FastAPI{tail}", head, keywords, here)
    if head in analysis.routers and head not in analysis.bindings:
        return _Resolved(f"fastapi.APIRouter{tail}", head, keywords, here)
    origin = analysis.bindings.get(head)
    if origin is None:
        return None
    # A library the data names (a card's or a topic's package) is never followed into the
    # workspace; anything else may be the project's own app or router.
    if origin.startswith(".") or origin.split(".", 1)[0] not in request.knowledge.library_packages:
        return _imported_symbol(request, head, origin + tail)
    return _Resolved(origin + tail)


def _imported_symbol(request: HoverRequest, local: str, origin: str) -> _Resolved | None:
    """An app or router defined in another module of the workspace."""
    imported = request.imports(origin)
    if imported is None or not imported.name:
        return None
    name, _, rest = imported.name.partition(".")
    tail = f".{rest}" if rest else ""
    keywords = imported.analysis.constructor_keywords.get(name)
    where = f"`{local}` is `{name}` of `{imported.module.name}`"
    if name in imported.analysis.routers:
        return _Resolved(f"fastapi.APIRouter{tail}", name, keywords, where)
    if name in imported.analysis.apps:
        return _Resolved(f"fastapi.FastAPI{tail}", name, keywords, where)
    return None


def _find_card(knowledge: KnowledgeBase, symbol: str) -> Card | None:
    """The card for a symbol, trying shorter spellings of deep import paths."""
    parts = symbol.split(".")
    candidates = [symbol]
    if len(parts) > 2:
        candidates.append(f"{parts[0]}.{parts[-1]}")
        candidates.append(f"{parts[0]}.{parts[-2]}.{parts[-1]}")
    # "fastapi.status.HTTP_200_OK" -> the card of "fastapi.status"
    candidates += [".".join(parts[:end]) for end in range(len(parts) - 1, 1, -1)]
    for candidate in candidates:
        card = knowledge.card(candidate)
        if card is not None:
            return card
    return None


def _carded(request: HoverRequest, chain: str) -> tuple[_Resolved, Card] | None:
    """The dotted name's symbol and its card; None when either is unknown."""
    resolved = _symbol(request, chain)
    card = _find_card(request.knowledge, resolved.symbol) if resolved else None
    if resolved is None or card is None:
        return None
    # Cards on standard-library names (Annotated, asynccontextmanager) teach FastAPI idioms:
    # outside FastAPI modules (a project's db.py, tasks.py) they would be noise.
    stdlib = resolved.symbol.split(".", 1)[0] in sys.stdlib_module_names
    if stdlib and not request.analysis.imports_fastapi:
        return None
    return resolved, card


def _symbol_hover(
    request: HoverRequest, text: str, word: re.Match[str], chain: str, render: _Renderer
) -> str | None:
    if word.group(0) in CLASS_BODY_NAMES and text[: word.start()].strip() == "":
        card = _class_body_card(request, word.group(0))
        return render.card(card) if card else None
    found = _carded(request, chain)
    if found is None:
        return None
    resolved, card = found
    return render.card(card, _instance_details(resolved))


def _class_body_card(request: HoverRequest, name: str) -> Card | None:
    """The card of ``name`` on the enclosing class's library base (``BaseSettings``…)."""
    for line in range(request.line - 1, max(request.line - MAX_SCAN_LINES, -1), -1):
        header = _CLASS_HEADER.match(request.lines[line])
        if header is None:
            continue
        for base in header.group(1).split(","):
            origin = request.analysis.qualified(base.split("[", 1)[0].strip())
            card = _find_card(request.knowledge, f"{origin}.{name}") if origin else None
            if card is not None:
                return card
        break
    return request.knowledge.card(f"{_DEFAULT_MODEL_BASE}.{name}")


def _instance_details(resolved: _Resolved) -> list[str]:
    """What the file (or the module it comes from) says about an app or router."""
    if resolved.symbol not in ("fastapi.APIRouter", "fastapi.FastAPI") or not resolved.where:
        return []
    keywords = resolved.keywords or {}
    shown = [f"{name}={value}" for name, value in keywords.items() if name in _SHOWN_KEYWORDS]
    return [resolved.where + (f": `{', '.join(shown)}`" if shown else "")]


_SHOWN_KEYWORDS = ("prefix", "tags", "title", "version", "root_path", "dependencies")


def _keyword_hover(
    request: HoverRequest, text: str, word: re.Match[str], render: _Renderer
) -> str | None:
    """A keyword argument in a call: that parameter's own documentation."""
    if not _KEYWORD_AFTER.match(text, word.end()):
        return None
    callee = _callee(request.lines, request.line, word.start())
    if callee is None:
        return None
    found = _carded(request, callee)
    if found is None:
        return None
    card = found[1]
    name = word.group(0)
    documented = request.param_docs(card.signature, name) if card.signature else None
    if documented is not None and documented.doc:
        package = card.signature.split(".", 1)[0] if card.signature else ""
        version = request.installed.get(package, "")
        return render.parameter(card, documented, f"{package} {version}".strip())
    curated = card.params.get(name)
    if curated is not None:
        return render.curated_parameter(card, name, curated)
    return render.card(card)


def _callee(lines: Sequence[str], line: int, column: int) -> str | None:
    """The dotted name before the unclosed "(" that contains (line, column)."""
    first = max(0, line - MAX_SCAN_LINES + 1)
    text = "".join([*lines[first:line], lines[line][:column]])
    opening = unclosed_bracket(text)
    if opening is None or text[opening] != "(":
        return None
    match = _NAME_BEFORE.search(text, 0, opening)
    return match.group(1) if match else None


def _route_hover(
    request: HoverRequest, text: str, word: re.Match[str], render: _Renderer
) -> str | None:
    """A path operation: on its decorator's method, or on its function's name."""
    decorator = route_decorator(text)
    if decorator and decorator[1] == word.group(0):
        start = request.line
    else:
        definition = _DEF.match(text)
        if not definition or definition.group(1) != word.group(0):
            return None
        start = _route_decorator_above(request.lines, request.line)
        if start is None:
            return None
        decorator = route_decorator(request.lines[start])
        if decorator is None:
            return None
    target, method = decorator
    resolved = _symbol(request, f"{target}.{method}")
    indexed = [
        route
        for route in request.routes_at(start)
        if route.decorator[0] <= start <= route.decorator[2]
    ]
    if indexed:
        card = _find_card(request.knowledge, resolved.symbol) if resolved else None
        return render.routes(indexed, card)
    if resolved is None:
        return None
    source = "".join(request.lines[start : start + MAX_SCAN_LINES])
    open_paren = source.find("(", source.index(method))
    if open_paren == -1:
        return None
    route = _Route.read(source, open_paren, method)
    prefix = (resolved.keywords or {}).get("prefix")
    card = _find_card(request.knowledge, resolved.symbol)
    return render.route(route, _literal(prefix) if prefix else None, card)


def route_card(routes: Sequence[Route], markdown: bool) -> str:
    """The card of routes a request reaches (hover on a test client's path)."""
    return _Renderer(markdown).routes(routes)


def _module_label(path: str) -> str:
    """``items.py``, or ``routes/__init__.py`` for a package."""
    parts = path.replace("\\", "/").split("/")
    return "/".join(parts[-2:]) if parts[-1] == "__init__.py" else parts[-1]


def _route_decorator_above(lines: Sequence[str], def_line: int) -> int | None:
    current = def_line - 1
    while current >= 0 and def_line - current < MAX_SCAN_LINES:
        text = lines[current]
        if route_decorator(text):
            return current
        stripped = text.strip()
        if not stripped or stripped.startswith(("@", ")", "#")) or stripped.endswith((",", "(")):
            current -= 1
            continue
        return None
    return None


def _literal(source: str) -> str:
    try:
        value = ast.literal_eval(source)
    except (ValueError, SyntaxError):
        return source
    return value if isinstance(value, str) else source


@attrs.frozen
class _Route:
    method: str
    path: str
    keywords: dict[str, str]

    @classmethod
    def read(cls, source: str, open_paren: int, method: str) -> _Route:
        positional, keywords = call_arguments(source, open_paren)
        path = positional[0] if positional else keywords.get("path", "")
        return cls(method=method, path=_literal(path) if path else "", keywords=keywords)


class _Renderer:
    """Markdown for clients that take it, clean plain text for the others."""

    def __init__(self, markdown: bool) -> None:
        self.markdown = markdown

    def join(self, parts: Sequence[str | None]) -> str | None:
        present = [part for part in parts if part]
        separator = "\n\n---\n\n" if self.markdown else "\n\n"
        return separator.join(present) if present else None

    def _text(self, text: str) -> str:
        if self.markdown:
            return text
        text = re.sub(r"\[([^\]]+)\]\(([^)]+)\)", r"\1 (\2)", text)
        return text.replace("`", "").replace("**", "")

    def _code(self, code: str) -> list[str]:
        code = code.strip("\n")
        return [f"```python\n{code}\n```"] if self.markdown else [code]

    def _heading(self, title: str, summary: str) -> str:
        if self.markdown:
            return f"**{title}** — {summary}"
        return self._text(f"{title} — {summary}")

    def _link(self, url: str) -> str:
        return f"[Official documentation]({url})" if self.markdown else f"Docs: {url}"

    def card(self, card: Card, details: Sequence[str] = ()) -> str:
        parts = [self._heading(card.title, card.summary)]
        parts += [self._text(detail) for detail in details]
        if card.idiom.strip():
            parts += self._code(card.idiom)
        if card.mistake:
            label = "**Common mistake:**" if self.markdown else "Common mistake:"
            parts.append(f"{label} {self._text(card.mistake)}")
        if card.since:
            parts.append(self._text(f"Since {card.since}."))
        parts.append(self._link(card.docs))
        return "\n\n".join(parts)

    def parameter(self, card: Card, doc: ParamDoc, origin: str) -> str:
        default = f" = {doc.default}" if doc.default is not None else ""
        if self.markdown:
            head = f"**{doc.name}**: `{doc.annotation}{default}` — `{card.title}(…)`"
            source = f"*From the installed {origin}.*"
        else:
            head = f"{doc.name}: {doc.annotation}{default} — {card.title}(…)"
            source = f"From the installed {origin}."
        return "\n\n".join([head, self._text(doc.doc), source, self._link(card.docs)])

    def curated_parameter(self, card: Card, name: str, text: str) -> str:
        head = f"**{name}** — `{card.title}(…)`" if self.markdown else f"{name} — {card.title}(…)"
        return "\n\n".join([head, self._text(text), self._link(card.docs)])

    def route(self, route: _Route, prefix: str | None, card: Card | None) -> str:
        full_path = f"{prefix or ''}{route.path}"
        method = route.method.upper()
        lines = [f"**{method} {full_path}**" if self.markdown else f"{method} {full_path}"]
        facts = []
        if prefix:
            facts.append(f"router prefix `{prefix}` (plus any prefix given to `include_router`)")
        parameters = _PATH_PARAMETER.findall(full_path)
        if parameters:
            facts.append("path parameters: " + ", ".join(f"`{p}`" for p in parameters))
        for keyword, label in (
            ("response_model", "response model"),
            ("status_code", "status code"),
            ("dependencies", "dependencies"),
            ("tags", "tags"),
        ):
            if keyword in route.keywords:
                facts.append(f"{label}: `{route.keywords[keyword]}`")
        bullet = "- " if self.markdown else "  "
        lines += [bullet + self._text(fact) for fact in facts]
        if card is not None:
            lines += ["", self._heading(card.title, card.summary), "", self._link(card.docs)]
        return "\n".join(lines)

    def routes(self, routes: Sequence[Route], card: Card | None = None) -> str:
        """The route as the project serves it: one block per app (and include) serving it."""
        bullet = "- " if self.markdown else "  "
        blocks = []
        for route in routes:
            title = f"{route.label}"
            lines = [
                f"**{title}** — `{route.endpoint}`"
                if self.markdown
                else f"{title} — {route.endpoint}"
            ]
            facts = []
            if route.app is not None:
                steps = [f"`{route.app.label}`"]
                steps += [
                    f"`{link.name}` ({_module_label(link.file)}"
                    + (f", `{link.prefix}`)" if link.prefix else ")")
                    for link in route.chain
                ]
                facts.append("served by " + " → ".join(steps))
            else:
                facts.append("no app includes this router: FastAPI does not serve it")
            if route.condition:
                facts.append(f"only when `{route.condition}`")
            parameters = _PATH_PARAMETER.findall(route.path)
            if parameters:
                facts.append("path parameters: " + ", ".join(f"`{p}`" for p in parameters))
            dependencies = (*route.router_dependencies, *route.route_dependencies)
            if dependencies:
                facts.append("dependencies: " + ", ".join(f"`{d}`" for d in dependencies))
            if route.response_model:
                facts.append(f"response model: `{route.response_model}`")
            if route.status_code:
                facts.append(f"status code: `{route.status_code}`")
            if route.tags:
                facts.append("tags: " + ", ".join(f"`{t}`" for t in route.tags))
            lines += [bullet + self._text(fact) for fact in facts]
            blocks.append("\n".join(lines))
        text = "\n\n".join(blocks)
        if card is not None:
            text += (
                "\n\n" + self._heading(card.title, card.summary) + "\n\n" + self._link(card.docs)
            )
        return text

    def tier2(self, topic: Topic, *, alone: bool) -> str:
        action = "the Context7 code action fetches its current documentation"
        if alone:
            head = self._heading(topic.title, "an advanced (Tier 2) topic")
            first = topic.curated.strip().split("\n\n")[0].replace("\n", " ")
            return "\n\n".join(
                [head, self._text(first), self._text(f"Beyond the curated tier: {action}.")]
            )
        label = "**Advanced topic:**" if self.markdown else "Advanced topic:"
        return f"{label} {self._text(topic.title)} — {action}."
