"""The workspace index: apps, routers and routes of every module, read without running code.

``WorkspaceIndex(roots).build()`` reads the workspace; ``update_document``, ``close_document``,
``file_changed`` and ``file_deleted`` keep it current; the queries answer from an immutable
snapshot.  No LSP types here: positions are 0-based lines and columns in code points.
"""

from .diagnostics import DEPENDS_CALLED, DUPLICATE_ROUTE, PATH_PARAM_MISSING, ROUTER_NOT_INCLUDED
from .index import Snapshot, WorkspaceIndex
from .model import App, ChainLink, Diagnostic, Route, Router

__all__ = [
    "DEPENDS_CALLED",
    "DUPLICATE_ROUTE",
    "PATH_PARAM_MISSING",
    "ROUTER_NOT_INCLUDED",
    "App",
    "ChainLink",
    "Diagnostic",
    "Route",
    "Router",
    "Snapshot",
    "WorkspaceIndex",
]
