"""The route table's records: what the index answers with (plain values, no LSP types)."""

from __future__ import annotations

import attrs

from .facts import Span


@attrs.frozen
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


@attrs.frozen
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


@attrs.frozen
class Route:
    methods: tuple[str, ...]
    #: the full path the app serves (router-relative for a router no app includes)
    path: str
    endpoint: str
    file: str
    decorator: Span
    definition: Span
    #: None for a route of a router that no app includes
    app: App | None
    chain: tuple[ChainLink, ...]
    response_model: str | None
    status_code: str | None
    #: from the app, the includes and the routers on the way (in the order FastAPI runs them)
    router_dependencies: tuple[str, ...]
    #: from the decorator's ``dependencies=`` and the endpoint's parameters
    route_dependencies: tuple[str, ...]
    tags: tuple[str, ...]
    #: an include or a decorator on the way sits under ``if``/``except``/``case``
    condition: str | None
    websocket: bool
    #: every part of the path was resolved to a string
    resolved: bool = True
    params: tuple[str, ...] = ()
    takes_any_keyword: bool = False

    @property
    def conditional(self) -> bool:
        return self.condition is not None

    @property
    def label(self) -> str:
        """``GET /api/v1/items/{id}``, ``WS /ws``; ``GET|HEAD /`` for several methods."""
        return f"{'|'.join(self.methods)} {self.path}"


@attrs.frozen
class Diagnostic:
    code: str
    file: str
    span: Span
    message: str
    #: "warning" or "information"
    severity: str = "warning"
