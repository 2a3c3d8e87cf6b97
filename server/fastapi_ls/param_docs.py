"""Each keyword argument's own documentation, read from the user's installed packages.

FastAPI documents every parameter as ``Annotated[T, Doc("...")]``; Pydantic's ``Field`` lists
its arguments in its docstring.  The installed sources are parsed with ``ast`` (never
imported or run), once per (package, version), in a worker thread: a hover answers from what
is parsed already and asks for the rest, so it never waits on a cold lookup.

Only the statements defining the asked names are parsed (``class APIRouter`` in
``fastapi/routing.py``, then its ``def get``): the tree of the whole module would take 12 MB.
"""

from __future__ import annotations

import ast
import functools
import inspect
import itertools
import logging
import re
import threading
import tokenize
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import attrs

from .files import read_source
from .source_text import statement_starts

log = logging.getLogger(__name__)

#: Installed source files larger than this are not parsed.
MAX_SOURCE_BYTES = 2_000_000


@attrs.frozen
class ParamDoc:
    name: str
    annotation: str
    default: str | None
    doc: str


#: (signature "module:Qualified.name", package version) -> parameter docs (None: nothing found)
_Key = tuple[str, str]


class ParamDocs:
    """Parsed parameter docs of the installed packages, filled in the background."""

    def __init__(self) -> None:
        self._parsed: dict[_Key, dict[str, ParamDoc] | None] = {}
        self._pending: set[_Key] = set()
        self._lock = threading.Lock()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="param-docs")

    def get(
        self, signature: str, version: str, sys_path: Sequence[str], parameter: str
    ) -> ParamDoc | None:
        """The parameter's docs if parsed; otherwise start parsing and answer None."""
        key = (signature, version)
        with self._lock:
            if key in self._parsed:
                docs = self._parsed[key]
                return docs.get(parameter) if docs else None
        self.prepare([signature], version, sys_path)
        return None

    def prepare(self, signatures: Sequence[str], version: str, sys_path: Sequence[str]) -> None:
        """Parse these signatures in the background (each once, each source file once)."""
        keys = []
        with self._lock:
            for signature in dict.fromkeys(signatures):
                key = (signature, version)
                if key not in self._parsed and key not in self._pending:
                    self._pending.add(key)
                    keys.append(key)
        if keys:
            self._executor.submit(self._parse, keys, list(sys_path))

    def wait(self) -> None:
        """Block until everything asked for is parsed (for tests and benchmarks)."""
        self._executor.submit(lambda: None).result()

    def _parse(self, keys: list[_Key], sys_path: list[str]) -> None:
        sources: dict[str, str | None] = {}
        for key in sorted(keys):
            signature, _ = key
            try:
                docs = read_signature(signature, sys_path, sources)
            except Exception:
                log.exception("reading the parameter docs of %s failed", signature)
                docs = None
            with self._lock:
                self._parsed[key] = docs
                self._pending.discard(key)
        _statements.cache_clear()


def read_signature(
    signature: str,
    sys_path: Sequence[str],
    sources: dict[str, str | None] | None = None,
) -> dict[str, ParamDoc] | None:
    """Parameter docs of ``module:Qualified.name`` in the first matching source on sys_path.

    ``sources`` keeps the modules' texts between calls, so several signatures of one file
    read it once.
    """
    sources = {} if sources is None else sources
    module, _, qualified = signature.partition(":")
    if module not in sources:
        path = find_module(module, sys_path)
        sources[module] = read_source(path) if path else None
    source = sources[module]
    if source is None:
        return None
    names = qualified.split(".")
    try:
        function = _find_in_text(source, names)
    except (SyntaxError, ValueError, tokenize.TokenError):
        # Cut in a wrong place (a string the scanner misread): the whole module, then.
        function = _find(ast.parse(source), names)
    if function is None:
        return None
    return _parameters(function)


def _find_in_text(
    text: str, names: list[str], indent: str = ""
) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    """What ``_find`` finds in the tree of ``text``, parsing only the statements whose header
    names what is looked for; ``indent``: ``text`` is a class's body, indented so."""
    head, rest = names[0], names[1:]
    header = re.compile(
        rf"^{indent}(?:async[ \t]+def|def|(class))[ \t]+{re.escape(head)}\b", re.MULTILINE
    )
    found: ast.FunctionDef | ast.AsyncFunctionDef | None = None
    for start, end in _statements(text, indent):
        match = header.search(text, start, end)
        if match is None:
            continue
        statement = text[start:end]
        if match.group(1) is None:
            for node in _parse_statements(statement, indent):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == head:
                    found = node if not rest else None
            continue
        heading, body, body_indent = _split_class(statement, indent)
        for node in _parse_statements(heading, indent):
            if isinstance(node, ast.ClassDef) and node.name == head:
                found = _find_in_text(body, rest or ["__init__"], body_indent) if body else None
    return found


@functools.lru_cache(maxsize=4)
def _statements(text: str, indent: str) -> tuple[tuple[int, int], ...]:
    """(start, end) offsets of the statements of ``text`` at ``indent``: scanned once for the
    several signatures of one module or class (the cache is emptied after each batch)."""
    starts = [0, *(offset for offset, _ in statement_starts(text, indent)), len(text)]
    return tuple(itertools.pairwise(starts))


def _parse_statements(text: str, indent: str) -> list[ast.stmt]:
    if not indent:
        return ast.parse(text).body
    # Indented statements parse as the body of a class.
    wrapper = ast.parse("class _:\n" + text).body[0]
    return wrapper.body if isinstance(wrapper, ast.ClassDef) else []


def _split_class(statement: str, indent: str) -> tuple[str, str, str]:
    """A class statement's heading (decorators and header, with a ``pass`` body), its body's
    text and the body's indentation; no body text when the body is on the header's line."""
    wrapped = bool(indent)
    source = "class _:\n" + statement if wrapped else statement
    lines = statement.splitlines(keepends=True)
    for token in tokenize.generate_tokens(iter(source.splitlines(keepends=True)).__next__):
        if token.type == tokenize.INDENT and len(token.string) > len(indent):
            first = token.start[0] - 1 - wrapped
            heading = "".join(lines[:first]) + token.string + "pass\n"
            return heading, "".join(lines[first:]), token.string
    return statement, "", ""


def find_module(module: str, sys_path: Sequence[str]) -> Path | None:
    relative = Path(*module.split("."))
    for entry in sys_path:
        for candidate in (Path(entry) / f"{relative}.py", Path(entry) / relative / "__init__.py"):
            try:
                if candidate.is_file() and candidate.stat().st_size <= MAX_SOURCE_BYTES:
                    return candidate
            except OSError:
                continue
    return None


def _find(tree: ast.AST, names: list[str]) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    """The function at ``names`` (a class's ``__init__`` for a class).

    The last definition wins: ``@overload`` stubs come before the implementation, which
    carries the docstring.
    """
    head, rest = names[0], names[1:]
    found: ast.FunctionDef | ast.AsyncFunctionDef | None = None
    for node in getattr(tree, "body", []):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == head:
            found = node if not rest else None
        elif isinstance(node, ast.ClassDef) and node.name == head:
            found = _find(node, rest or ["__init__"])
    return found


def _parameters(function: ast.FunctionDef | ast.AsyncFunctionDef) -> dict[str, ParamDoc]:
    arguments = function.args
    positional = [*arguments.posonlyargs, *arguments.args]
    defaults: dict[str, ast.expr | None] = dict.fromkeys(a.arg for a in positional)
    for argument, default in zip(reversed(positional), reversed(arguments.defaults), strict=False):
        defaults[argument.arg] = default
    for argument, default in zip(arguments.kwonlyargs, arguments.kw_defaults, strict=True):
        defaults[argument.arg] = default
    docstring_args = _docstring_args(ast.get_docstring(function) or "")
    docs: dict[str, ParamDoc] = {}
    for argument in [*positional, *arguments.kwonlyargs]:
        if argument.arg in ("self", "cls"):
            continue
        annotation, doc = _annotation_and_doc(argument.annotation)
        doc = doc or docstring_args.get(argument.arg, "")
        default = defaults.get(argument.arg)
        docs[argument.arg] = ParamDoc(
            name=argument.arg,
            annotation=annotation,
            default=ast.unparse(default) if default is not None else None,
            doc=doc,
        )
    return docs


def _annotation_and_doc(annotation: ast.expr | None) -> tuple[str, str]:
    """``Annotated[T, Doc("text")]`` -> ("T", "text"); other annotations -> (text, "")."""
    if annotation is None:
        return "", ""
    if (
        isinstance(annotation, ast.Subscript)
        and _name(annotation.value) == "Annotated"
        and isinstance(annotation.slice, ast.Tuple)
        and annotation.slice.elts
    ):
        inner, *metadata = annotation.slice.elts
        for item in metadata:
            if (
                isinstance(item, ast.Call)
                and _name(item.func) == "Doc"
                and item.args
                and isinstance(item.args[0], ast.Constant)
                and isinstance(item.args[0].value, str)
            ):
                return ast.unparse(inner), inspect.cleandoc(item.args[0].value)
        return ast.unparse(inner), ""
    return ast.unparse(annotation), ""


def _name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


_ARGS_HEADER = re.compile(r"^\s*(Args|Arguments|Parameters):\s*$")
_ARG_LINE = re.compile(r"^(\s*)(\w+)(?:\s*\([^)]*\))?:\s*(.*)$")


def _docstring_args(docstring: str) -> dict[str, str]:
    """The ``Args:`` section of a Google-style docstring (how Pydantic documents ``Field``)."""
    found: dict[str, str] = {}
    lines = docstring.splitlines()
    inside = False
    indent: int | None = None
    current: str | None = None
    for line in lines:
        if _ARGS_HEADER.match(line):
            inside, indent, current = True, None, None
            continue
        if not inside:
            continue
        if line.strip() and not line.startswith(" "):
            break
        match = _ARG_LINE.match(line)
        if match and (indent is None or len(match.group(1)) == indent):
            indent = len(match.group(1))
            current = match.group(2)
            found[current] = match.group(3).strip()
        elif current and line.strip():
            found[current] = f"{found[current]} {line.strip()}".strip()
    return found
