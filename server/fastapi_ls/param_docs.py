"""Each keyword argument's own documentation, read from the user's installed packages.

FastAPI documents every parameter as ``Annotated[T, Doc("...")]``; Pydantic's ``Field`` lists
its arguments in its docstring.  The installed sources are parsed with ``ast`` (never
imported or run), once per (package, version), in a worker thread: a hover answers from what
is parsed already and asks for the rest, so it never waits on a cold lookup.
"""

from __future__ import annotations

import ast
import inspect
import logging
import re
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import attrs

from .files import read_source

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
        trees: dict[str, ast.Module | None] = {}
        for key in sorted(keys):
            signature, _ = key
            try:
                docs = read_signature(signature, sys_path, trees)
            except Exception:
                log.exception("reading the parameter docs of %s failed", signature)
                docs = None
            with self._lock:
                self._parsed[key] = docs
                self._pending.discard(key)


def read_signature(
    signature: str,
    sys_path: Sequence[str],
    trees: dict[str, ast.Module | None] | None = None,
) -> dict[str, ParamDoc] | None:
    """Parameter docs of ``module:Qualified.name`` in the first matching source on sys_path.

    ``trees`` keeps parsed modules between calls, so several signatures of one file cost one
    parse.
    """
    trees = {} if trees is None else trees
    module, _, qualified = signature.partition(":")
    if module not in trees:
        path = find_module(module, sys_path)
        source = read_source(path) if path else None
        trees[module] = ast.parse(source, filename=str(path)) if source is not None else None
    tree = trees[module]
    if tree is None:
        return None
    function = _find(tree, qualified.split("."))
    if function is None:
        return None
    return _parameters(function)


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
