"""The ``fastapi-ls`` command: serve LSP on stdio (default) or TCP."""

from __future__ import annotations

import argparse
import gc
import logging
import sys

from . import __version__
from .redaction import RedactingFormatter

#: Seconds a thread may hold the GIL before another waiting thread gets it (Python's default is
#: 0.005).
SWITCH_INTERVAL = 0.001


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fastapi-ls",
        description="FastAPI language server: curated snippets, hover cards and Context7 docs.",
    )
    parser.add_argument("--version", action="version", version=f"fastapi-ls {__version__}")
    transport = parser.add_mutually_exclusive_group()
    transport.add_argument(
        "--stdio", action="store_true", help="serve on stdin/stdout (the default)"
    )
    transport.add_argument(
        "--tcp", action="store_true", help="serve one client connecting to a TCP socket"
    )
    parser.add_argument("--host", default="127.0.0.1", help="TCP host (default: %(default)s)")
    parser.add_argument("--port", type=int, default=2087, help="TCP port (default: %(default)s)")
    parser.add_argument("--log-file", help="write the log to this file instead of stderr")
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="more logging (-v info, -vv debug)"
    )
    return parser


def configure_logging(verbosity: int, log_file: str | None) -> None:
    level = {0: logging.WARNING, 1: logging.INFO}.get(verbosity, logging.DEBUG)
    handler: logging.Handler = (
        logging.FileHandler(log_file, encoding="utf-8")
        if log_file
        else logging.StreamHandler(sys.stderr)
    )
    handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # pygls logs every message at DEBUG; keep it quieter unless asked twice.
    logging.getLogger("pygls").setLevel(level if verbosity >= 3 else max(level, logging.INFO))
    # At -v the log is one line per event worth knowing (the VS Code extension runs the server
    # so): without every message pygls sends, each feature it registers, or each HTTP request
    # that the Context7 lookup's own line already counts.
    chatty = ("pygls.protocol", "pygls.feature_manager", "httpx", "httpcore")
    for name in chatty:
        logging.getLogger(name).setLevel(logging.WARNING if verbosity < 2 else logging.NOTSET)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        configure_logging(args.verbose, args.log_file)
    except OSError as error:
        print(f"fastapi-ls: cannot open log file: {error}", file=sys.stderr)
        return 2
    # lsprotocol's types and pygls are tens of thousands of long-lived objects that every full
    # collection would walk again: twice during the server's own imports (about 25 ms each), and
    # every so often while requests wait. Frozen as soon as they are imported (after the young
    # garbage is collected, so none of it stays), they are skipped; the server's own modules
    # are frozen in turn. Collection is never switched off: the imports' cyclic garbage would
    # stay in memory, about 10 MB.
    import lsprotocol.types  # noqa: F401
    import pygls.lsp.server  # noqa: F401

    gc.collect(1)
    gc.freeze()
    from .server import server

    gc.freeze()
    # Worker threads (the workspace index, diagnostics) hold the GIL for Python-heavy work; a
    # short switch interval lets a request on the event loop's thread in sooner.
    sys.setswitchinterval(SWITCH_INTERVAL)
    from .protocol import exit_now
    from .transport import serve_stdio, serve_tcp

    # Ends the process at once: a worker thread (an environment probe can take seconds) must
    # not hold up the exit the client asked for.
    exit_now(serve_tcp(server, args.host, args.port) if args.tcp else serve_stdio(server))


if __name__ == "__main__":
    sys.exit(main())
