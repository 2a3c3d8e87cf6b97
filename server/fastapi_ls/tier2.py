"""The Tier 2 detector: which advanced topic the code under the cursor belongs to.

Topics are data (``snippets/topics.toml``) and are found two ways.  By what a name is: each
dotted name of the line is resolved through the module's imports (and the module-level names
bound to what an imported callable returns) to its qualified origin, which a topic claims by
its ``origins`` (``sqlalchemy.ext.asyncio``, ``httpx.ASGITransport``).  By text, for what no
import names (a class called ``ConnectionManager``, ``app.openapi = …``): a trigger is a regular
expression searched in the cursor's line (or in the selection), optionally limited to files
that import some module or whose path matches a pattern.  The whole line counts: a cursor on
``custom_openapi`` in ``app.openapi = custom_openapi`` is on the construct as much as one on
``openapi``.  Version gates name constructs that need a newer FastAPI or Pydantic than the one
installed.  Everything here is pure and cheap: computing code actions never touches the network.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Sequence

import attrs
from packaging.version import InvalidVersion, Version

from .analysis import ModuleAnalysis
from .knowledge import Topic, Trigger, VersionGate


@attrs.frozen
class Detection:
    topic: Topic
    #: the query to send: the topic's, or one made for a version gate
    query: str
    #: for version gates: the installed version the docs should be pinned to
    version_note: str | None = None
    title: str = ""

    @property
    def display_title(self) -> str:
        return self.title or self.topic.title


def detect(
    text: str,
    analysis: ModuleAnalysis,
    path: str,
    topics: Sequence[Topic],
    gates: Sequence[VersionGate] = (),
    installed: dict[str, Version] | None = None,
) -> list[Detection]:
    """Topics whose triggers match ``text`` (the cursor's line or the selection), or whose
    origins claim a name used in it."""
    found: list[Detection] = []
    seen: set[str] = set()
    origins = [origin for _, _, origin in references(text, analysis)]
    for topic in topics:
        if topic.id in seen:
            continue
        if any(_claims(topic, origin) for origin in origins) or any(
            _fires(trigger, text, analysis, path) for trigger in topic.triggers
        ):
            found.append(Detection(topic=topic, query=topic.query))
            seen.add(topic.id)
    found.extend(_version_gates(text, gates, installed or {}, topics))
    return found


#: A dotted name that is not itself an attribute (``x.y`` after ``).``) or a number's part.
_DOTTED = re.compile(r"(?<![\w.])[A-Za-z_]\w*(?:[ \t]*\.[ \t]*[A-Za-z_]\w*)*")
#: What follows a name that is bound rather than used: ``name=`` in a call, ``name = …``.
_BOUND_AFTER = re.compile(r"[ \t]*=(?!=)")
_BOUND_BEFORE = re.compile(r"(?:^|[(,])[ \t]*$")
#: The module of a ``from … import`` line names what the line brings in.
_FROM_MODULE = re.compile(r"^[ \t]*from[ \t]+([A-Za-z_][\w.]*)[ \t]+import\b", re.MULTILINE)


def references(text: str, analysis: ModuleAnalysis) -> list[tuple[int, int, str]]:
    """The names used in ``text`` that resolve through the module's imports:
    (start column, end column, qualified origin), outside strings and comments."""
    code = code_only(text)
    found = [(m.start(1), m.end(1), m.group(1)) for m in _FROM_MODULE.finditer(code)]
    for match in _DOTTED.finditer(code):
        if _BOUND_AFTER.match(code, match.end()) and _BOUND_BEFORE.search(code, 0, match.start()):
            continue
        origin = analysis.qualified(re.sub(r"\s+", "", match.group(0)))
        if origin is not None:
            found.append((match.start(), match.end(), origin))
    return found


def code_only(text: str) -> str:
    """``text`` with the contents of string literals and comments blanked (columns kept)."""
    out = list(text)
    quote = ""
    index = 0
    while index < len(text):
        char = text[index]
        if quote:
            if char == "\\":
                out[index] = " "
                if index + 1 < len(text) and text[index + 1] != "\n":
                    out[index + 1] = " "
                index += 2
                continue
            if text.startswith(quote, index):
                index += len(quote)
                quote = ""
                continue
            if char != "\n":
                out[index] = " "
            elif len(quote) == 1:
                quote = ""
        elif char == "#":
            newline = text.find("\n", index)
            newline = len(text) if newline == -1 else newline
            out[index:newline] = " " * (newline - index)
            index = newline
            continue
        elif char in "\"'":
            quote = char * 3 if text.startswith(char * 3, index) else char
            index += len(quote)
            continue
        index += 1
    return "".join(out)


def _claims(topic: Topic, origin: str) -> bool:
    return any(origin == claimed or origin.startswith(claimed + ".") for claimed in topic.origins)


def _fires(trigger: Trigger, text: str, analysis: ModuleAnalysis, path: str) -> bool:
    if trigger.imports and not _imports_any(analysis, trigger.imports):
        return False
    if trigger.paths and not any(_path_matches(path, pattern) for pattern in trigger.paths):
        return False
    return trigger.compiled.search(text) is not None


def _imports_any(analysis: ModuleAnalysis, modules: Sequence[str]) -> bool:
    origins = analysis.bindings.values()
    return any(
        origin == module or origin.startswith(module + ".")
        for origin in origins
        for module in modules
    )


def _path_matches(path: str, pattern: str) -> bool:
    normalised = path.replace("\\", "/")
    return fnmatch.fnmatch(normalised, pattern) or fnmatch.fnmatch(normalised, "*/" + pattern)


def _version_gates(
    text: str,
    gates: Sequence[VersionGate],
    installed: dict[str, Version],
    topics: Sequence[Topic],
) -> list[Detection]:
    by_id = {topic.id: topic for topic in topics}
    found = []
    for gate in gates:
        version = installed.get(gate.package)
        if version is None:
            continue
        try:
            if version >= Version(gate.min_version):
                continue
        except InvalidVersion:
            continue
        if gate.compiled.search(text) is None:
            continue
        topic = by_id[gate.topic]
        package = _PACKAGE_NAMES.get(gate.package, gate.package)
        found.append(
            Detection(
                topic=topic,
                query=f"{gate.feature} new in {package} {gate.min_version}",
                version_note=f"{package} {version} is installed; {gate.feature} needs "
                f"{package} {gate.min_version} or newer.",
                title=f"{gate.feature} needs {package} ≥ {gate.min_version} (you have {version})",
            )
        )
    return found


_PACKAGE_NAMES = {"fastapi": "FastAPI", "pydantic": "Pydantic"}


def topics_at(
    text: str,
    start: int,
    end: int,
    analysis: ModuleAnalysis,
    path: str,
    topics: Sequence[Topic],
) -> list[Topic]:
    """Topics with a trigger match, or a name they claim, that covers the columns
    ``start``..``end`` of the line."""
    found = []
    origins = [
        origin
        for begin, finish, origin in references(text, analysis)
        if begin <= end and finish >= start
    ]
    for topic in topics:
        if any(_claims(topic, origin) for origin in origins):
            found.append(topic)
            continue
        for trigger in topic.triggers:
            if trigger.imports and not _imports_any(analysis, trigger.imports):
                continue
            if trigger.paths and not any(_path_matches(path, p) for p in trigger.paths):
                continue
            if any(m.start() <= end and m.end() >= start for m in trigger.compiled.finditer(text)):
                found.append(topic)
                break
    return found
