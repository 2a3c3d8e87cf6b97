"""Serving the protocol on stdio or on one TCP connection, with this server's own reader.

Both transports read frames with :class:`~fastapi_ls.framing.FrameReader` and hand each body
to :meth:`FastApiProtocol.receive`, so a client gets the same framing and JSON-RPC
checks whichever it uses.

Messages are read and decoded in a reader thread and handled in the order they came, with one
exception.  Decoding a body of :data:`~fastapi_ls.json_pieces.SLICED_BODY_BYTES` or more (the
``didOpen`` of a 50 MB module takes about 0.2 s) runs in a worker thread of its own while the
reader goes on; the messages after it that name another document (``textDocument.uri``) are
handled meanwhile, so that opening a huge file does not stall the work in other files, and so
are the :data:`INDEPENDENT_REQUESTS` (the status, the route table, workspace symbols).  Every
other message waits for the large one: those about the same document, and the rest of those
that name no document (commands, configuration, lifecycle).  The document a large message is
about is read from its first few kilobytes (where clients that write ``uri`` before ``text``
put ``textDocument.uri``); when it cannot be read there, nothing overtakes the message.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import re
import socket
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, BinaryIO
from urllib.parse import unquote

from pygls.io_ import StdoutWriter

from .framing import FrameReader
from .json_pieces import SLICED_BODY_BYTES
from .protocol import (
    ROUTES_REQUEST,
    STATUS_REQUEST,
    Decoded,
    FastApiProtocol,
    NotJson,
    decode,
)

log = logging.getLogger(__name__)

#: How much of a large body is searched for the document it is about.
ENVELOPE_BYTES = 4096
#: Requests that name no document and read nothing a text change could make wrong at once (the
#: status, the route table and its search: the index follows edits after a pause anyway): they
#: go ahead of a large message too.
INDEPENDENT_REQUESTS = frozenset({STATUS_REQUEST, ROUTES_REQUEST, "workspace/symbol"})
# A key is real JSON only where a quote is not preceded by a backslash: inside a string
# literal, every quote is escaped.
_METHOD = re.compile(rb'[{,]\s*"method"\s*:\s*"(textDocument/did(?:Open|Change))"')
_URI = re.compile(rb'[{,]\s*"textDocument"\s*:\s*\{\s*"uri"\s*:\s*"([^"\\]*)"')


def serve_stdio(server: Any, stdin: BinaryIO | None = None, stdout: BinaryIO | None = None) -> int:
    """Serve ``server`` (a pygls LanguageServer with a :class:`FastApiProtocol`) on stdio.

    Returns the exit code: the one ``exit`` asked for, else 0 at the end of the input.
    """
    return serve_streams(server, stdin or sys.stdin.buffer, stdout or sys.stdout.buffer)


def serve_tcp(server: Any, host: str, port: int) -> int:
    """Serve ``server`` to the first client that connects to ``host``:``port``, as on stdio.

    One process serves one editor session, as on stdio: the listening socket is closed once a
    client has connected, and the process ends with that session (``exit``, or the client
    closing the connection).  Returns the exit code; 2 when the port cannot be opened.
    """
    try:
        listener = socket.create_server((host, port))
    except OSError as error:
        log.error("cannot listen on %s:%s: %s", host, port, error)
        return 2
    with listener:
        address = listener.getsockname()
        log.info("waiting for a client on TCP %s:%s", address[0], address[1])
        try:
            connection, peer = listener.accept()
        except KeyboardInterrupt:
            return 0
    log.info("serving the client at %s:%s", peer[0], peer[1])
    with connection, connection.makefile("rb") as incoming, connection.makefile("wb") as outgoing:
        return serve_streams(server, incoming, outgoing)


class _Message:
    """A message read from the client and not handled yet."""

    def __init__(self, body: bytes, decoded: Decoded = None, *, large: bool = False) -> None:
        self.body = body
        self.decoded = decoded
        self.large = large
        #: The document the message is about (unquoted), None when it names none.
        self.uri = _envelope_uri(body) if large else _document_uri(decoded)
        self.independent = _is_independent(decoded)
        self.decoding: asyncio.Future[Decoded] | None = None

    @property
    def ready(self) -> bool:
        return self.decoding is None or self.decoding.done()


def serve_streams(server: Any, incoming: BinaryIO, outgoing: BinaryIO) -> int:
    """Serve ``server`` on a pair of byte streams; the exit code (see :func:`serve_stdio`)."""
    protocol: FastApiProtocol = server.protocol
    reader = FrameReader(incoming)
    protocol.set_writer(StdoutWriter(outgoing))
    server._stop_event = stop = threading.Event()
    # Its own thread: a read waiting for the client must not hold up the pool's shutdown.
    reading = ThreadPoolExecutor(1, thread_name_prefix="fastapi-ls-reader")
    waiting: collections.deque[_Message] = collections.deque()

    def next_message() -> _Message | None:
        body = reader.next_body()
        if body is None:
            return None
        if len(body) >= SLICED_BODY_BYTES:
            return _Message(body, large=True)
        decoded = decode(body)
        if isinstance(decoded, NotJson):
            # A wrong length may have swallowed the frames after it: read them again.
            reader.give_back_after_header(body[1:])
        return _Message(body, decoded)

    def handle(message: _Message) -> None:
        try:
            decoded = message.decoding.result() if message.decoding else message.decoded
            if (
                message.uri is not None
                and not isinstance(decoded, NotJson)
                and message.uri != _document_uri(decoded)
            ):
                log.warning("a large message is not about the document its start named")
            protocol.receive(decoded)
        except SystemExit:
            stop.set()
            if not stopped.done():
                stopped.set_result(None)
        except Exception:
            log.exception("a message could not be handled")

    def pump() -> None:
        """Handle every waiting message that nothing before it holds up."""
        held_uris: set[str] = set()
        barrier = False
        for message in list(waiting):
            if stop.is_set():
                return
            free = not barrier and (
                not held_uris
                or message.independent
                or (message.uri is not None and message.uri not in held_uris)
            )
            if free and message.ready:
                waiting.remove(message)
                handle(message)
            elif message.uri is not None:
                held_uris.add(message.uri)
            else:
                barrier = True

    stopped: asyncio.Future[None]

    async def loop() -> None:
        nonlocal stopped
        running = asyncio.get_running_loop()
        # Set by ``exit``, which may be handled while the reader waits for the client.
        stopped = running.create_future()
        while not stop.is_set():
            read = asyncio.ensure_future(running.run_in_executor(reading, next_message))
            await asyncio.wait({read, stopped}, return_when=asyncio.FIRST_COMPLETED)
            if stop.is_set():
                break
            message = read.result()
            if message is None:
                break
            waiting.append(message)
            if message.large:
                message.decoding = running.run_in_executor(server.thread_pool, decode, message.body)
                message.decoding.add_done_callback(lambda _: pump())
            pump()
        # The end of the input: what is still being decoded was sent before it.
        while waiting and not stop.is_set():
            pending = [m.decoding for m in waiting if m.decoding is not None and not m.ready]
            if pending:
                await asyncio.wait(pending)
            pump()

    try:
        asyncio.run(loop())
    except ConnectionError:
        log.error("the connection to the client is lost")
    except KeyboardInterrupt:
        pass
    finally:
        reading.shutdown(wait=False)
        server.shutdown()
    return protocol.exit_code or 0


def _document_uri(decoded: Decoded) -> str | None:
    """The ``params.textDocument.uri`` of a message, unquoted; None when it has none."""
    params = decoded.get("params") if isinstance(decoded, dict) else None
    document = params.get("textDocument") if isinstance(params, dict) else None
    uri = document.get("uri") if isinstance(document, dict) else None
    return unquote(uri) if isinstance(uri, str) else None


def _is_independent(decoded: Decoded) -> bool:
    """Whether a message is one of the :data:`INDEPENDENT_REQUESTS` (a request: it has an id)."""
    return (
        isinstance(decoded, dict)
        and "id" in decoded
        and decoded.get("method") in INDEPENDENT_REQUESTS
    )


def _envelope_uri(body: bytes) -> str | None:
    """The document a large ``didOpen``/``didChange`` is about, from the start of its body."""
    head = body[:ENVELOPE_BYTES]
    uri = _URI.search(head)
    if _METHOD.search(head) is None or uri is None:
        return None
    try:
        return unquote(uri.group(1).decode("utf-8"))
    except UnicodeDecodeError:
        return None
