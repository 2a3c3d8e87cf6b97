"""Names imported from the user's other modules: which file, and what it defines there.

``from .routers.items import router`` is followed to ``routers/items.py`` next to the importing
file (absolute imports are looked up from the workspace roots and the file's parent folders)
and that module is analysed like an open one: its text is read, never imported or run.  Results
are cached per file and modification time; an open document's own analysis wins over disk.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import attrs

from .analysis import ModuleAnalysis, analyse
from .files import read_source

log = logging.getLogger(__name__)

#: Modules larger than this are not read.
MAX_MODULE_BYTES = 1_000_000


@attrs.frozen
class ImportedName:
    """Where an imported name is defined."""

    module: Path
    #: the name inside that module ("" when the import names the module itself)
    name: str
    analysis: ModuleAnalysis


class ModuleIndex:
    def __init__(self, open_analysis: Callable[[Path], ModuleAnalysis | None]) -> None:
        self._open_analysis = open_analysis
        self._cache: dict[Path, tuple[float, ModuleAnalysis]] = {}

    def resolve(self, importer: Path, origin: str, roots: list[Path]) -> ImportedName | None:
        """Follow an import origin (".routers.items.router", "app.deps.get_db") to its file."""
        level = len(origin) - len(origin.lstrip("."))
        parts = [part for part in origin.lstrip(".").split(".") if part]
        if level:
            base = importer.parent
            for _ in range(level - 1):
                base = base.parent
            bases = [base]
        else:
            bases = [*roots, *importer.parents]
        for base in dict.fromkeys(bases):
            for split in range(len(parts), 0, -1):
                module = self._module_file(base, parts[:split])
                if module is None:
                    continue
                analysis = self.analysis(module)
                if analysis is None:
                    return None
                return ImportedName(module, ".".join(parts[split:]), analysis)
        return None

    def analysis(self, path: Path) -> ModuleAnalysis | None:
        analysis = self._open_analysis(path)
        if analysis is not None:
            return analysis
        try:
            stat = path.stat()
            if stat.st_size > MAX_MODULE_BYTES:
                return None
            cached = self._cache.get(path)
            if cached and cached[0] == stat.st_mtime:
                return cached[1]
        except OSError as error:
            log.debug("cannot read %s: %s", path, error)
            return None
        # A FIFO or a device named like a module must not block: read_source refuses them.
        source = read_source(path, MAX_MODULE_BYTES)
        if source is None:
            return None
        analysis = analyse(source)
        self._cache[path] = (stat.st_mtime, analysis)
        return analysis

    @staticmethod
    def _module_file(base: Path, parts: list[str]) -> Path | None:
        candidate = base.joinpath(*parts)
        for path in (candidate.with_suffix(".py"), candidate / "__init__.py"):
            if path.is_file():
                return path
        return None
