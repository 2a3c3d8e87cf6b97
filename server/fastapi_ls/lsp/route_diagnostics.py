"""Route diagnostics (``duplicate-route``, ``path-param-missing``, ``router-not-included``,
``depends-called``): a diagnostic source reading the workspace index.

The findings of a module can change when another module changes (a second route with the same
path, an include removed), so the route service computes them for every open document after
each index update and asks the publisher again for those whose findings moved.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pygls.uris import to_fs_path

from .diagnostics import Found, Job

if TYPE_CHECKING:
    from ..server import FastApiLanguageServer
    from .view import DocumentView


class RouteChecks:
    name = "routes"

    def __init__(self) -> None:
        #: uri -> the index's findings last handed to the publisher
        self.published: dict[str, tuple] = {}

    def prepare(self, ls: FastApiLanguageServer, view: DocumentView) -> Job | None:
        service = ls.routes
        index = service.index
        path = to_fs_path(view.uri)
        if index is None or not path or not view.state.tier2_enabled or not service.active:
            self.published.pop(view.uri, None)
            return None
        uri = view.uri

        def job() -> list[Found]:
            found = tuple(index.diagnostics(path))
            self.published[uri] = found
            return [
                Found(
                    start=(diagnostic.span[0], diagnostic.span[1]),
                    end=(diagnostic.span[2], diagnostic.span[3]),
                    message=diagnostic.message,
                    code=diagnostic.code,
                    severity=diagnostic.severity,
                )
                for diagnostic in found
            ]

        return job

    def forget(self, uri: str) -> None:
        self.published.pop(uri, None)


ROUTE_CHECKS = RouteChecks()
