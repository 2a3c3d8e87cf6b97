"""The workspace index: every module of the workspace folders, read statically, and the
route table built from them.

Threads: ``build`` and the update methods may run on any thread; they serialise on one lock,
compute a new immutable ``Snapshot`` and swap it in with one assignment.  Readers take
``self.snapshot`` once and answer from it, never waiting for a build.

Cost: modules that mention nothing route-related (no ``fastapi``, ``APIRouter``,
``include_router``, ``mount(`` or route decorator) are only parsed when a name is followed into
them (a constant module, a settings class, a re-exporting ``__init__.py``).  An edit re-parses
its one module and re-links the table from the modules' facts, which are kept.
"""

from __future__ import annotations

import functools
import gc
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import attrs

from .. import project
from ..files import read_source
from ..source_text import ROUTE_METHODS
from ..workspace_modules import MAX_MODULE_BYTES
from .diagnostics import all_diagnostics
from .extract import extract
from .facts import ModuleFacts
from .linker import Linked, Linker
from .model import App, Diagnostic, Route, Router
from .search import RouteMatcher, rank_routes

log = logging.getLogger(__name__)

#: A workspace with more Python files than this is indexed up to this many (in walk order).
MAX_FILES = 20_000
_SKIPPED_FOLDERS = {"__pycache__", "node_modules", "site-packages", "dist-packages"}
_MANIFESTS = ("pyproject.toml", "setup.py", "setup.cfg")
_RELEVANT = re.compile(
    r"fastapi|FastAPI|APIRouter|include_router|\.mount\(|add_api_route"
    rf"|^[ \t]*@[\w.]+\.(?:{'|'.join(sorted(ROUTE_METHODS))})\(",
    re.MULTILINE,
)


@attrs.define
class _Module:
    facts: ModuleFacts | None = None
    loaded: bool = False
    #: mentions something route-related: its facts are read at every build
    relevant: bool = False
    #: facts are from an earlier text (the current one does not parse)
    stale: bool = False


class Snapshot:
    """One consistent state of the index.  What only some requests need (diagnostics, routes
    by file, the search matcher) is computed on first use, so an edit costs only the link."""

    def __init__(
        self,
        linked: Linked,
        diagnose: Callable[[], dict[str, list[Diagnostic]]],
        is_fastapi_project: bool,
        module_count: int,
        stale_files: frozenset[str],
    ) -> None:
        self.linked = linked
        self._diagnose = diagnose
        self.is_fastapi_project = is_fastapi_project
        self.module_count = module_count
        self.stale_files = stale_files
        #: (module, dotted name) -> the string it holds, filled by ``resolve_string``
        self.strings: dict[tuple[str, str], str | None] = {}

    @classmethod
    def empty(cls) -> Snapshot:
        return cls(Linked((), (), (), (), 0), dict, False, 0, frozenset())

    @functools.cached_property
    def diagnostics(self) -> dict[str, list[Diagnostic]]:
        return self._diagnose()

    @functools.cached_property
    def routes_by_file(self) -> dict[str, tuple[Route, ...]]:
        by_file: dict[str, list[Route]] = {}
        for route in (*self.linked.routes, *self.linked.orphan_routes):
            by_file.setdefault(route.file, []).append(route)
        return {
            path: tuple(sorted(routes, key=lambda route: route.decorator))
            for path, routes in by_file.items()
        }

    @functools.cached_property
    def matcher(self) -> RouteMatcher:
        return RouteMatcher(self.linked.routes)


def normalise(path: str | os.PathLike[str]) -> str:
    return os.path.normpath(os.path.abspath(os.fspath(path)))


class WorkspaceIndex:
    def __init__(
        self,
        roots: Iterable[str | os.PathLike[str]],
        *,
        max_files: int = MAX_FILES,
        max_file_bytes: int = MAX_MODULE_BYTES,
    ) -> None:
        self.roots = [normalise(root) for root in roots]
        self.max_files = max_files
        self.max_file_bytes = max_file_bytes
        self.snapshot = Snapshot.empty()
        self._lock = threading.Lock()
        self._modules: dict[str, _Module] = {}
        self._open: dict[str, str] = {}
        self._source_roots: list[str] = []
        self._manifest_fastapi = False
        self._module_files: dict[tuple[str, str], str | None] = {}
        self._linker: Linker | None = None

    # building ----------------------------------------------------------------------------

    def build(self) -> Snapshot:
        """Read every module of the roots and link the table (seconds on a big workspace:
        run it off the event loop)."""
        files, source_roots = self._discover()
        modules: dict[str, _Module] = {}
        for path in files:
            modules[path] = self._read(path, None)
            # Let the event loop's thread run between modules: parsing holds the GIL.
            time.sleep(0)
        manifest_fastapi = any(
            project.depends_on_fastapi(Path(root)) for root in (*self.roots, *source_roots)
        )
        with self._lock:
            for path, text in self._open.items():
                modules[path] = self._parsed(text, self._modules.get(path))
            self._modules = modules
            self._source_roots = source_roots
            self._manifest_fastapi = manifest_fastapi
            snapshot = self._relink(None)
        # The index holds hundreds of thousands of long-lived objects; left in the collected
        # generations, each full collection walks them all (a 25 ms pause inside an edit).
        gc.freeze()
        return snapshot

    def update_document(self, path: str | os.PathLike[str], text: str) -> Snapshot:
        """An open document's text wins over the file on disk until ``close_document``."""
        path = normalise(path)
        with self._lock:
            self._open[path] = text
            known = path in self._modules
            self._modules[path] = self._parsed(text, self._modules.get(path))
            return self._relink(path if known else None)

    def close_document(self, path: str | os.PathLike[str]) -> Snapshot:
        path = normalise(path)
        with self._lock:
            if self._open.pop(path, None) is None:
                return self.snapshot
            if not os.path.isfile(path):
                return self._forget(path)
            self._modules[path] = self._read(path, self._modules.get(path))
            return self._relink(path)

    def file_changed(self, path: str | os.PathLike[str]) -> Snapshot:
        """A file created or changed on disk (``workspace/didChangeWatchedFiles``)."""
        path = normalise(path)
        if not path.endswith(".py") or not self._under_roots(path):
            return self.snapshot
        with self._lock:
            if path in self._open:
                return self.snapshot
            known = path in self._modules
            self._modules[path] = self._read(path, self._modules.get(path))
            return self._relink(path if known else None)

    def file_deleted(self, path: str | os.PathLike[str]) -> Snapshot:
        path = normalise(path)
        with self._lock:
            if path in self._open:
                return self.snapshot
            prefix = path + os.sep
            gone = [known for known in self._modules if known == path or known.startswith(prefix)]
            if not gone:
                return self.snapshot
            for known in gone:
                del self._modules[known]
            return self._relink(None)

    def _forget(self, path: str) -> Snapshot:
        self._modules.pop(path, None)
        return self._relink(None)

    def _read(self, path: str, previous: _Module | None) -> _Module:
        text = self._read_text(path)
        if text is None:
            return _Module(loaded=True)
        if not _RELEVANT.search(text):
            return _Module()
        return self._parsed(text, previous)

    def _read_text(self, path: str) -> str | None:
        # Regular files only, never blocking: a FIFO named like a module must not hang the
        # build.
        return read_source(path, self.max_file_bytes)

    def _parsed(self, text: str, previous: _Module | None) -> _Module:
        old = previous.facts if previous is not None else None
        # Repaired facts would not replace clean ones (below), so a text that does not parse
        # is not repaired then: repairs parse the whole module at once.
        facts = extract(text, repair=old is None or not old.clean)
        relevant = bool(_RELEVANT.search(text))
        if old is not None and old.clean and (facts is None or not facts.clean):
            # Half-typed code: keep what the last text that parsed said.
            return _Module(old, True, relevant or previous.relevant, stale=True)
        return _Module(facts, True, relevant)

    def _facts(self, path: str) -> ModuleFacts | None:
        module = self._modules.get(path)
        if module is None:
            return None
        if not module.loaded:
            text = self._read_text(path)
            module.facts = extract(text) if text is not None else None
            module.loaded = True
        return module.facts

    def _relink(self, changed: str | None) -> Snapshot:
        """Link again; ``changed`` is the one module whose text changed, None when files came
        or went (then module lookups and every resolution start afresh)."""
        relevant = [path for path, module in self._modules.items() if module.relevant]
        linker = self._linker
        if changed is None or linker is None:
            self._module_files.clear()
            linker = self._linker = Linker(self._facts, self._module_file, relevant, _in_tests)
        else:
            linker.invalidate([changed], relevant)
        linked = linker.link()
        facts = {path: self._modules[path].facts for path in relevant if self._modules[path].facts}
        is_fastapi = self._manifest_fastapi or any(
            module.facts is not None and module.facts.imports_fastapi
            for module in self._modules.values()
            if module.relevant
        )
        lock = self._lock

        def diagnose() -> dict[str, list[Diagnostic]]:
            # the linker's memo is shared with the writer, so diagnose under its lock
            with lock:
                return all_diagnostics(linker, linked, facts)

        self.snapshot = Snapshot(
            linked=linked,
            diagnose=diagnose,
            is_fastapi_project=is_fastapi,
            module_count=len(self._modules),
            stale_files=frozenset(path for path, module in self._modules.items() if module.stale),
        )
        return self.snapshot

    # files -------------------------------------------------------------------------------

    def _discover(self) -> tuple[list[str], list[str]]:
        files: list[str] = []
        source_roots: list[str] = []
        pending = list(reversed(self.roots))
        while pending and len(files) < self.max_files:
            folder = pending.pop()
            try:
                with os.scandir(folder) as scan:
                    entries = sorted(scan, key=lambda entry: entry.name)
            except OSError:
                continue
            names = {entry.name for entry in entries}
            if "pyvenv.cfg" in names:
                continue
            if folder in self.roots or any(name in names for name in _MANIFESTS):
                source_roots.append(folder)
                if "src" in names:
                    source_roots.append(os.path.join(folder, "src"))
            folders = []
            for entry in entries:
                try:
                    if entry.is_dir(follow_symlinks=False):
                        if not entry.name.startswith(".") and entry.name not in _SKIPPED_FOLDERS:
                            folders.append(entry.path)
                    elif entry.name.endswith(".py") and entry.is_file(follow_symlinks=False):
                        files.append(entry.path)
                except OSError:
                    continue
            pending.extend(reversed(folders))
        if len(files) >= self.max_files:
            log.warning("workspace index: only the first %d Python files are read", self.max_files)
        return files[: self.max_files], source_roots

    def _under_roots(self, path: str) -> bool:
        return any(path == root or path.startswith(root + os.sep) for root in self.roots)

    def _module_file(self, importer: str, spec: str) -> str | None:
        folder = os.path.dirname(importer)
        key = (folder, spec)
        if key in self._module_files:
            return self._module_files[key]
        found = self._find_module(folder, spec)
        self._module_files[key] = found
        return found

    def _find_module(self, folder: str, spec: str) -> str | None:
        stripped = spec.lstrip(".")
        parts = [part for part in stripped.split(".") if part]
        level = len(spec) - len(stripped)
        if level:
            base = folder
            for _ in range(level - 1):
                base = os.path.dirname(base)
            return self._module_at(base, parts)
        for base in self._bases(folder):
            found = self._module_at(base, parts)
            if found is not None:
                return found
        return None

    def _bases(self, folder: str) -> list[str]:
        """Where an absolute import is looked up from: the project's source roots holding the
        importer (deepest first), then the importer's own parent folders."""
        holding = [
            root
            for root in self._source_roots
            if folder == root or folder.startswith(root + os.sep)
        ]
        holding.sort(key=len, reverse=True)
        parents = []
        current = folder
        while self._under_roots(current):
            parents.append(current)
            current = os.path.dirname(current)
        return list(dict.fromkeys((*holding, *parents)))

    def _module_at(self, base: str, parts: list[str]) -> str | None:
        target = os.path.join(base, *parts)
        if parts:
            module = target + ".py"
            if module in self._modules:
                return module
        package = os.path.join(target, "__init__.py")
        return package if package in self._modules else None

    # queries -----------------------------------------------------------------------------

    def is_fastapi_project(self) -> bool:
        return self.snapshot.is_fastapi_project

    def apps(self) -> tuple[App, ...]:
        return self.snapshot.linked.apps

    def routes(self) -> tuple[Route, ...]:
        """Every route an app serves, app by app in the order FastAPI registers them."""
        return self.snapshot.linked.routes

    def route_table(self) -> dict[App, tuple[Route, ...]]:
        table: dict[App, list[Route]] = {app: [] for app in self.snapshot.linked.apps}
        for route in self.snapshot.linked.routes:
            table[route.app].append(route)
        return {app: tuple(routes) for app, routes in table.items()}

    def routes_in_file(self, path: str | os.PathLike[str]) -> tuple[Route, ...]:
        """Routes declared in the file (also those of routers no app includes: ``app`` None)."""
        return self.snapshot.routes_by_file.get(normalise(path), ())

    def route_at(self, path: str | os.PathLike[str], line: int) -> tuple[Route, ...]:
        """Routes whose decorators or ``def`` line cover the 0-based ``line``: one per app
        (and per include) serving that endpoint."""
        return tuple(
            route
            for route in self.routes_in_file(path)
            if route.decorator[0] <= line <= max(route.decorator[2], route.definition[0])
        )

    def unincluded_routers(self) -> tuple[Router, ...]:
        linked = self.snapshot.linked
        return () if linked.unresolved_includes else linked.unincluded_routers

    def find_routes(self, query: str, limit: int = 100) -> list[Route]:
        """Served routes whose ``METHOD /path`` label matches: substrings first, then fuzzy."""
        return rank_routes(self.snapshot.matcher, query, limit)

    def match_path(self, method: str | None, path: str) -> list[Route]:
        """The routes a request path reaches (``/api/v1/items/42?q=1``); ``{…}`` in ``path``
        (an f-string's placeholder) matches any one segment.  Most specific first."""
        return self.snapshot.matcher.match(method, path)

    def diagnostics(self, path: str | os.PathLike[str]) -> list[Diagnostic]:
        return self.snapshot.diagnostics.get(normalise(path), [])

    def files(self) -> list[str]:
        """Every Python file the index knows (read or not)."""
        with self._lock:
            return list(self._modules)

    def resolve_string(
        self, path: str | os.PathLike[str], name: str, timeout: float = -1
    ) -> str | None:
        """The constant string a dotted module-level name of ``path`` holds
        (``settings.API_V1_STR`` through the module's imports); None when it holds none, or
        when the index is busy for longer than ``timeout`` seconds (-1: wait)."""
        snapshot = self.snapshot
        key = (normalise(path), name)
        if key in snapshot.strings:
            return snapshot.strings[key]
        if not self._lock.acquire(timeout=timeout):
            return None
        try:
            linker = self._linker
            ref = tuple(name.split("."))
            value = linker.string(key[0], "", (ref,)) if linker and all(ref) else None
        finally:
            self._lock.release()
        snapshot.strings[key] = value
        return value


def _in_tests(path: str) -> bool:
    return project.is_test_file(path) or f"{os.sep}tests{os.sep}" in path
