"""The JSON-RPC protocol layer: pygls's protocol with this server's corrections.

JSON-RPC and LSP say that every request gets an answer.  pygls drops several kinds of
malformed messages without one (and shows the user "Error in server" pop-ups for them), so
messages are checked here before pygls sees them, and each one that cannot be served is
answered with the error the specifications name:

- a body that is not JSON (not UTF-8, nested too deep, cut short): -32700, ``id`` null;
- a batch array, a message that is not an object, without ``"jsonrpc": "2.0"`` or with an id
  that is neither a string nor an integer: -32600 (``id`` null when it has no usable id);
- ``params`` of the wrong shape, positions outside LSP's range, a missing ``params`` where the
  method needs them: -32602; an unknown method: -32601;
- a request before ``initialize``: -32002; a second ``initialize`` or a request after
  ``shutdown``: -32600.  ``exit`` ends the server with 0 after ``shutdown``, 1 without.

Errors inside handlers are logged with their traceback; none reaches the user as a pop-up,
since there is nothing the user can do about them.  When the editor process named in
``initialize.processId`` dies, the server exits within :data:`PARENT_POLL_SECONDS`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
import time
from concurrent.futures import Future
from typing import Any, NoReturn

from cattrs.errors import BaseValidationError
from lsprotocol import types
from pygls.protocol import LanguageServerProtocol, lsp_method

from . import json_pieces
from .line_document import OpenDocuments

log = logging.getLogger(__name__)

#: The prefix of the methods of this server's own (not in LSP).
OWN_PREFIX = "fastapiLs/"
STATUS_REQUEST = "fastapiLs/status"
#: The route table for the Routes view (see :mod:`fastapi_ls.lsp.routes`).
ROUTES_REQUEST = "fastapiLs/routes"
#: Sent to the client when the route table changed.
ROUTES_CHANGED_NOTIFICATION = "fastapiLs/routesChanged"
#: Background work waits until the client has been quiet this long …
QUIET_SECONDS = 0.2
#: … but no longer than this.
QUIET_LIMIT = 30.0
#: How often the editor process is checked for being alive.
PARENT_POLL_SECONDS = 1.0

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
SERVER_NOT_INITIALIZED = -32002


class FastApiProtocol(LanguageServerProtocol):
    """pygls's protocol, answering every request and keeping internal errors in the log.

    The open documents are :class:`~fastapi_ls.line_document.OpenDocuments` (kept as lines)
    rather than pygls's workspace documents: the text-synchronisation notifications update them
    and then reach the server's handlers, as pygls's own do.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.open_documents = OpenDocuments()
        #: When the client last sent anything (see :meth:`quiet`).
        self.last_message_at = 0.0
        self._initialize_seen = False
        #: Set by ``exit``: the process's exit code.
        self.exit_code: int | None = None

    # Receiving -----------------------------------------------------------------------------

    def receive(self, data: Decoded) -> None:
        """Handle one message (see :func:`decode`): check it, answer what cannot be served, pass
        on the rest."""
        if isinstance(data, NotJson):
            log.error("a message is not valid JSON (%s); answering a parse error", data.reason)
            self._send_error(None, PARSE_ERROR, "Parse error: the message is not valid JSON")
            return
        if not (isinstance(data, dict) and str(data.get("method")).startswith(OWN_PREFIX)):
            # The server's own requests (status, the route table) are the editor's panels
            # polling, not the user at work.
            self.last_message_at = time.monotonic()
        problem = _envelope_problem(data)
        if problem is not None:
            log.error("an invalid message: %s", problem)
            message_id = data.get("id") if isinstance(data, dict) else None
            if not _is_id(message_id):
                message_id = None
            # A notification is never answered, not even a broken one.
            if not isinstance(data, dict) or "id" in data or "method" not in data:
                self._send_error(message_id, INVALID_REQUEST, f"Invalid request: {problem}")
            return
        if data.get("method") is None:
            self._receive_response(data)
        elif "id" in data:
            self._receive_request(data)
        else:
            self._receive_notification(data)

    def _receive_request(self, data: dict[str, Any]) -> None:
        message_id, method = data["id"], data["method"]
        if method == types.INITIALIZE:
            if self._initialize_seen:
                self._send_error(message_id, INVALID_REQUEST, "The server is already initialized")
                return
        elif not self._initialize_seen:
            self._send_error(message_id, SERVER_NOT_INITIALIZED, "The server is not initialized")
            return
        if self._shutdown:
            self._send_error(message_id, INVALID_REQUEST, "The server is shutting down")
            return
        message = self._structure(data)
        if message is None:
            known = self._is_known(method)
            code, text = (
                (INVALID_PARAMS, f"Invalid params for {method}")
                if known
                else (METHOD_NOT_FOUND, f"Unknown method {method}")
            )
            self._send_error(message_id, code, text)
            return
        if method == types.INITIALIZE:
            self._initialize_seen = True
            self._watch_parent(message.params.process_id)
        self.handle_message(message)

    def _receive_notification(self, data: dict[str, Any]) -> None:
        method = data["method"]
        if method == types.EXIT:
            self.exit_code = 0 if self._shutdown else 1
            log.info("exit: ending with code %d", self.exit_code)
            raise SystemExit(self.exit_code)
        if not self._initialize_seen or self._shutdown:
            log.debug("ignoring %s outside the session", method)
            return
        message = self._structure(data)
        if message is None:
            log.warning("ignoring a %s notification with invalid params", method)
            return
        self.handle_message(message)

    def _receive_response(self, data: dict[str, Any]) -> None:
        message = self._structure(data)
        if message is None:
            log.warning("ignoring a malformed response to %r", data.get("id"))
            return
        self.handle_message(message)

    def _structure(self, data: dict[str, Any]) -> Any:
        """The message as lsprotocol/pygls types, or None when its params do not fit."""
        if "method" in data and "params" not in data:
            # JSON-RPC lets params be left out; the types then say whether that is valid.
            data = {**data, "params": None}
        try:
            return self.structure_message(data)
        except Exception as error:
            log.debug("cannot structure %s: %s", data.get("method"), _reasons(error))
            return None

    async def quiet(self, seconds: float = QUIET_SECONDS, limit: float = QUIET_LIMIT) -> None:
        """Return once the client has sent nothing for ``seconds`` (or after ``limit``).

        Background work in a worker thread (indexing, diagnostics) competes with requests for
        the GIL; started while the client is busy, it would slow every answer down.
        """
        loop = asyncio.get_running_loop()
        give_up = loop.time() + limit
        while (waited := time.monotonic() - self.last_message_at) < seconds:
            if loop.time() >= give_up:
                return
            await asyncio.sleep(seconds - waited)

    # Text synchronisation ------------------------------------------------------------------

    @lsp_method(types.TEXT_DOCUMENT_DID_OPEN)
    def lsp_text_document__did_open(self, params: types.DidOpenTextDocumentParams):
        self.open_documents.codec = self.workspace.position_codec
        self.open_documents.open(params.text_document)
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_OPEN)) is not None:
            yield handler, (params,), None

    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params: types.DidChangeTextDocumentParams):
        self.open_documents.change(params)
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_CHANGE)) is not None:
            yield handler, (params,), None

    @lsp_method(types.TEXT_DOCUMENT_DID_CLOSE)
    def lsp_text_document__did_close(self, params: types.DidCloseTextDocumentParams):
        self.open_documents.close(params.text_document.uri)
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_CLOSE)) is not None:
            yield handler, (params,), None

    def structure_message(self, data: dict[str, Any]) -> Any:
        # pygls logs a traceback at ERROR for every malformed message before raising; the
        # caller answers those, so only the outcome matters here.
        if "jsonrpc" not in data:
            return data
        method = data.get("method")
        if "id" in data and "error" in data:
            return self._converter.structure(data, types.ResponseErrorMessage)
        if method is None:
            response_type = self._result_types.pop(data["id"], None)
            if response_type is not None:
                return self._converter.structure(data, response_type)
            return super().structure_message(data)
        message_type = self.get_message_type(method)
        if message_type is None:
            return super().structure_message(data)
        try:
            return self._converter.structure(data, message_type)
        except BaseValidationError as error:
            raise ValueError(f"invalid params for {method}") from error

    def _is_known(self, method: str) -> bool:
        return (
            method in self.fm.features
            or method in self.fm.builtin_features
            or self.get_message_type(method) is not None
        )

    def _send_error(self, message_id: int | str | None, code: int, message: str) -> None:
        # Written by hand: lsprotocol's converter leaves out an id of null, which JSON-RPC
        # requires in the answer to a message whose id could not be read.
        self._send_data(
            {"jsonrpc": "2.0", "id": message_id, "error": {"code": code, "message": message}}
        )

    # Errors ---------------------------------------------------------------------------------

    def _check_handler_result(self, future: Future[Any]) -> None:
        if not future.cancelled() and (error := future.exception()) is not None:
            log.error("a notification handler failed", exc_info=error)

    def _handle_notification(self, method_name: str, params: Any) -> None:
        try:
            super()._handle_notification(method_name, params)
        except Exception:
            log.exception("handling %s failed", method_name)

    # Parent process ---------------------------------------------------------------------------

    def _watch_parent(self, process_id: int | None) -> None:
        if process_id is None or process_id == os.getpid():
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return

        async def watch() -> None:
            while _is_alive(process_id):
                await asyncio.sleep(PARENT_POLL_SECONDS)
            log.warning("the editor process %d has ended; exiting", process_id)
            exit_now(1)

        self._parent_watch = loop.create_task(watch())


class NotJson:
    """What :func:`decode` gives for a body that is not JSON."""

    def __init__(self, reason: str) -> None:
        self.reason = reason


#: A message as :func:`decode` gives it: the JSON value, or a NotJson.
Decoded = Any


def decode(body: bytes) -> Decoded:
    """The message in ``body``; large ones are decoded in pieces, see :mod:`json_pieces`."""
    try:
        return json_pieces.loads(body)
    except (ValueError, RecursionError) as error:
        return NotJson(str(error)[:200])


def _envelope_problem(data: Any) -> str | None:
    """What makes ``data`` no JSON-RPC 2.0 message, or None."""
    if isinstance(data, list):
        return "batches are not supported by LSP"
    if not isinstance(data, dict):
        return f"a message must be an object, not {type(data).__name__}"
    if data.get("jsonrpc") != "2.0":
        return 'the message lacks "jsonrpc": "2.0"'
    if (
        "id" in data
        and not _is_id(data["id"])
        and not (data["id"] is None and "method" not in data)
    ):
        return "the id must be a string or an integer"
    method = data.get("method")
    if "method" in data and not isinstance(method, str):
        return "the method must be a string"
    if method is None and "id" not in data:
        return "the message is neither a request, a notification nor a response"
    return None


def _reasons(error: BaseException) -> str:
    """The innermost causes of a structuring error, in one line."""
    while error.__cause__ is not None:
        error = error.__cause__
    inner = getattr(error, "exceptions", None)
    if inner:
        return "; ".join(_reasons(item) for item in inner)
    return f"{type(error).__name__}: {error}"


def _is_id(value: Any) -> bool:
    return isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))


def _is_alive(process_id: int) -> bool:
    if os.name == "nt":
        # os.kill(pid, 0) would end the process there: Windows has no signal 0.
        return _is_alive_on_windows(process_id)
    try:
        os.kill(process_id, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # it exists, but belongs to someone else
    return True


def _is_alive_on_windows(process_id: int) -> bool:  # pragma: no cover - run on Windows only
    import ctypes
    from ctypes import wintypes

    synchronize, wait_timeout, access_denied = 0x00100000, 0x102, 5
    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
    kernel32.OpenProcess.argtypes = (wintypes.DWORD, wintypes.BOOL, wintypes.DWORD)
    kernel32.OpenProcess.restype = wintypes.HANDLE
    handle = kernel32.OpenProcess(synchronize, False, process_id)
    if not handle:
        # Denied: it exists but belongs to someone else; otherwise there is no such process.
        return ctypes.get_last_error() == access_denied
    try:
        return kernel32.WaitForSingleObject(handle, 0) == wait_timeout
    finally:
        kernel32.CloseHandle(handle)


def exit_now(code: int) -> NoReturn:
    """End the process now, although a worker thread may be busy or blocked reading stdin."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    logging.shutdown()
    os._exit(code)
