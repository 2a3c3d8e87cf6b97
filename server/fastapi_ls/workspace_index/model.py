"""The route table's records: what the index answers with (plain values, no LSP types)."""

from __future__ import annotations

import operator

import attrs

from .facts import Span


@attrs.frozen(cache_hash=True)
class App:
    name: str
    file: str
    #: the constructor call (``FastAPI(...)``, a subclass or the factory's ``return``)
    span: Span
    #: the factory function that builds it, "" for a module-level app
    factory: str = ""
    #: defined in a test module (tests often build small apps of their own)
    in_tests: bool = False

    @property
    def label(self) -> str:
        return f"{self.factory}().{self.name}" if self.factory else self.name


@attrs.frozen
class Router:
    name: str
    file: str
    span: Span
    #: the router's own ``APIRouter(prefix=...)``
    prefix: str
    factory: str = ""


@attrs.frozen(cache_hash=True)
class ChainLink:
    """One step from an app down to a route: the router (or mounted app) included there."""

    name: str
    file: str
    #: where ``include_router``/``mount`` is called
    include_file: str
    include_span: Span
    #: what this step adds to the path: the include's prefix and the router's own prefix
    prefix: str
    mount: bool = False
    condition: str | None = None


@attrs.frozen(cache_hash=True)
class RouteContext:
    """What an app and the includes on the way give every route of one router."""

    #: None for a router that no app includes
    app: App | None
    prefix: str
    chain: tuple[ChainLink, ...]
    router_dependencies: tuple[str, ...]
    tags: tuple[str, ...]
    conditions: tuple[str, ...]
    resolved: bool


@attrs.frozen(cache_hash=True)
class RouteDeclaration:
    """What the decorator and the endpoint say, with the router's own prefix applied."""

    methods: tuple[str, ...]
    #: the router's prefix and the decorator's path
    path: str
    endpoint: str
    file: str
    decorator: Span
    definition: Span
    response_model: str | None
    status_code: str | None
    route_dependencies: tuple[str, ...]
    tags: tuple[str, ...]
    condition: str | None
    websocket: bool
    resolved: bool
    params: tuple[str, ...]
    takes_any_keyword: bool
    #: parameters taken by the route's own dependencies, None when one does not resolve
    dependency_params: tuple[str, ...] | None


class Route:
    """One route as an app serves it: a declaration seen through one chain of includes.

    Routes share their context (one per router per include path) and declaration, so that
    re-linking after an edit builds thousands of routes in a few milliseconds.
    """

    __slots__ = ("context", "declaration")

    def __init__(self, context: RouteContext, declaration: RouteDeclaration) -> None:
        self.context = context
        self.declaration = declaration

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Route)
            and self.context == other.context
            and self.declaration == other.declaration
        )

    def __hash__(self) -> int:
        return hash((self.context, self.declaration))

    def __repr__(self) -> str:
        return f"Route({self.label!r}, {self.endpoint}, {self.file}:{self.decorator[0] + 1})"

    @property
    def app(self) -> App | None:
        return self.context.app

    @property
    def path(self) -> str:
        """The full path the app serves (router-relative for a router no app includes)."""
        return self.context.prefix + self.declaration.path

    @property
    def chain(self) -> tuple[ChainLink, ...]:
        """The includes from the app down to the route's router (app → router → router)."""
        return self.context.chain

    @property
    def router_dependencies(self) -> tuple[str, ...]:
        """From the app, the includes and the routers on the way, in the order FastAPI runs
        them."""
        return self.context.router_dependencies

    @property
    def route_dependencies(self) -> tuple[str, ...]:
        """From the decorator's ``dependencies=`` and the endpoint's parameters."""
        return self.declaration.route_dependencies

    @property
    def tags(self) -> tuple[str, ...]:
        return (*self.context.tags, *self.declaration.tags)

    @property
    def condition(self) -> str | None:
        """The ``if``/``except``/``case`` an include or the decorator on the way sits under."""
        conditions = self.context.conditions
        if self.declaration.condition:
            conditions = (*conditions, self.declaration.condition)
        return " and ".join(conditions) or None

    @property
    def conditional(self) -> bool:
        return bool(self.context.conditions or self.declaration.condition)

    @property
    def resolved(self) -> bool:
        """Every part of the path was resolved to a string."""
        return self.context.resolved and self.declaration.resolved

    @property
    def label(self) -> str:
        """``GET /api/v1/items/{id}``, ``WS /ws``; ``GET|PUT /x`` for several methods."""
        return f"{'|'.join(self.declaration.methods)} {self.path}"


for _field in (
    "methods",
    "endpoint",
    "file",
    "decorator",
    "definition",
    "response_model",
    "status_code",
    "websocket",
    "params",
    "takes_any_keyword",
    "dependency_params",
):
    setattr(Route, _field, property(operator.attrgetter(f"declaration.{_field}")))


@attrs.frozen
class Diagnostic:
    code: str
    file: str
    span: Span
    message: str
    #: "warning" or "information"
    severity: str = "warning"
