"""``initialize``, ``initialized``, configuration changes and the server's status request."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lsprotocol import types

from .. import __version__
from ..protocol import STATUS_REQUEST
from .capabilities import ClientSupport
from .errors import guarded

if TYPE_CHECKING:
    from ..server import FastApiLanguageServer

CONFIGURATION_SECTION = "fastapiLs"


def initialize(ls: FastApiLanguageServer, params: types.InitializeParams) -> None:
    ls.support = ClientSupport.from_capabilities(params.capabilities)
    ls.initialize_settings(params.initialization_options)


def initialized(ls: FastApiLanguageServer, params: types.InitializedParams) -> None:
    for problem in ls.pending_problems:
        ls.tell_user(f"fastapi-ls settings: {problem}", types.MessageType.Warning)
    ls.pending_problems = []
    ls.inspect_environment()
    ls.routes.start()
    ls.routes.watch_files()


async def did_change_configuration(
    ls: FastApiLanguageServer, params: types.DidChangeConfigurationParams
) -> None:
    if ls.support.configuration:
        (raw,) = await ls.workspace_configuration_async(
            types.ConfigurationParams(
                items=[types.ConfigurationItem(section=CONFIGURATION_SECTION)]
            )
        )
    else:
        raw = params.settings
        if isinstance(raw, dict) and CONFIGURATION_SECTION in raw:
            raw = raw[CONFIGURATION_SECTION]
    ls.apply_settings(raw)
    ls.diagnostics.schedule_all()


def status(ls: FastApiLanguageServer, params: Any) -> dict[str, Any]:
    """What the server found, for an editor's status bar: versions, interpreter, Context7 mode."""
    info = ls.environment
    context7 = ls.settings.context7
    mode = "disabled" if not context7.enabled else "offline" if context7.offline else "online"
    versions = info.versions if info else {}
    return {
        "serverVersion": __version__,
        "interpreter": info.interpreter if info else None,
        "environmentReady": info is not None,
        "environmentError": info.error if info else None,
        "fastapi": str(versions["fastapi"]) if "fastapi" in versions else None,
        "pydantic": str(versions["pydantic"]) if "pydantic" in versions else None,
        "context7": mode,
        "cacheDir": str(ls.cache_root),
    }


def register(server: FastApiLanguageServer) -> None:
    server.feature(types.INITIALIZE)(guarded(initialize))
    server.feature(types.INITIALIZED)(guarded(initialized))
    server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)(guarded(did_change_configuration))
    server.feature(STATUS_REQUEST)(guarded(status))
