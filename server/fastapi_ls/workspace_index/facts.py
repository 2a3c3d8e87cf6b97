"""What one module says about apps, routers and routes, as small immutable records.

Names are kept as written (``Ref``: a dotted name, ``"()"`` marking a call, so
``get_settings().API_V1_STR`` is ``("get_settings", "()", "API_V1_STR")``); the linker resolves
them across modules later.  Positions are 0-based lines and columns counted in code points.
"""

from __future__ import annotations

import attrs

Ref = tuple[str, ...]
#: A string built from literals and names: ``f"{settings.API_V1_STR}/items"`` is
#: ``(("settings", "API_V1_STR"), "/items")``.
StrParts = tuple["str | Ref", ...]
Span = tuple[int, int, int, int]


@attrs.frozen
class Dependency:
    text: str
    #: the callable given to ``Depends``/``Security`` when it is a name
    callee: Ref | None = None


@attrs.frozen
class Construction:
    """A call assigned to a name: maybe ``FastAPI(...)``, ``APIRouter(...)`` or a factory."""

    callee: Ref
    prefix: StrParts | None = ("",)
    dependencies: tuple[Dependency, ...] = ()
    tags: tuple[str, ...] = ()
    span: Span = (0, 0, 0, 0)


@attrs.frozen
class NameValue:
    ref: Ref


@attrs.frozen
class StrValue:
    parts: StrParts


@attrs.frozen(cache_hash=True)
class SeqValue:
    items: tuple[Value, ...]


@attrs.frozen
class ElementOf:
    """A ``for`` target: each element of what is iterated."""

    source: Value


Value = "Construction | NameValue | StrValue | SeqValue | ElementOf"


@attrs.frozen
class Import:
    #: module as written, leading dots for relative imports
    module: str
    #: imported name, None for ``import a.b``/``import a.b as c``
    name: str | None


@attrs.frozen
class ClassFacts:
    bases: tuple[Ref, ...]
    #: class attributes with a string default (settings fields)
    strings: dict[str, StrParts]
    line: int


@attrs.frozen
class FunctionFacts:
    params: tuple[str, ...]
    returns: tuple[Value, ...]
    #: names bound in the body (assignments and ``for`` targets), last binding wins
    names: dict[str, Value]
    #: calling it gives something that is not callable (a generator, ``None``, a literal)
    returns_plain_value: bool
    line: int


@attrs.frozen(cache_hash=True)
class RouteDecl:
    scope: str
    target: Ref
    methods: tuple[str, ...]
    path: StrParts | None
    endpoint: str
    decorator: Span
    definition: Span
    params: tuple[str, ...]
    takes_any_keyword: bool
    response_model: str | None
    status_code: str | None
    dependencies: tuple[Dependency, ...]
    param_dependencies: tuple[Dependency, ...]
    tags: tuple[str, ...]
    condition: str | None
    websocket: bool = False


@attrs.frozen(cache_hash=True)
class IncludeDecl:
    scope: str
    parent: Ref
    child: Value | None
    prefix: StrParts | None
    dependencies: tuple[Dependency, ...]
    tags: tuple[str, ...]
    span: Span
    condition: str | None
    #: ``mount(path, app)`` rather than ``include_router``
    mount: bool = False


@attrs.frozen
class CallSite:
    """A call of a name with name arguments, to bind a helper's parameters to what it gets."""

    scope: str
    callee: Ref
    args: tuple[Ref | None, ...]
    kwargs: tuple[tuple[str, Ref], ...]


@attrs.frozen
class CalledDependency:
    """``Depends(fn())``: the dependency called where it should be passed."""

    callee: Ref
    text: str
    span: Span


@attrs.frozen
class ModuleFacts:
    names: dict[str, Import | Value | ClassFacts | FunctionFacts]
    star_imports: tuple[str, ...]
    routes: tuple[RouteDecl, ...]
    includes: tuple[IncludeDecl, ...]
    calls: tuple[CallSite, ...]
    called_dependencies: tuple[CalledDependency, ...]
    imports_fastapi: bool
    #: parsed as written (False: repaired around syntax errors)
    clean: bool
