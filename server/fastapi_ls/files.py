"""Reading source files that may not be files: FIFOs, devices, huge or vanishing paths.

A workspace can hold anything under a ``.py`` name: a FIFO blocks ``open()`` until a writer
comes (forever, in a cloned repository), ``/dev/zero`` never ends, a generated module can be
hundreds of megabytes.  The server reads every source through :func:`read_source`, which opens
without blocking, checks on the open descriptor (not the path, which can change in between)
that it is a regular file, and never reads more than a cap.
"""

from __future__ import annotations

import logging
import os
import stat

log = logging.getLogger(__name__)

#: Sources larger than this are not read (a hand-written module is far smaller).
MAX_SOURCE_BYTES = 8_000_000

_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)


def read_source(path: str | os.PathLike[str], max_bytes: int = MAX_SOURCE_BYTES) -> str | None:
    """The text of the regular file at ``path`` (undecodable bytes replaced), or None.

    None when the path is missing, not a regular file, larger than ``max_bytes`` or
    unreadable; the reason is logged at debug, since all of these are normal in a workspace.
    """
    data = read_bytes(path, max_bytes)
    return None if data is None else data.decode("utf-8", errors="replace")


def read_bytes(path: str | os.PathLike[str], max_bytes: int = MAX_SOURCE_BYTES) -> bytes | None:
    """The bytes of the regular file at ``path``, or None (see :func:`read_source`)."""
    try:
        descriptor = os.open(path, _OPEN_FLAGS)
    except (OSError, ValueError) as error:
        log.debug("not reading %s: %s", path, error)
        return None
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            log.debug("not reading %s: not a regular file", path)
            return None
        if info.st_size > max_bytes:
            log.debug("not reading %s: %d bytes, more than %d", path, info.st_size, max_bytes)
            return None
        chunks: list[bytes] = []
        size = 0
        # The file may grow between fstat and read: stop at the cap whatever it says.
        while chunk := os.read(descriptor, min(1 << 20, max_bytes + 1 - size)):
            chunks.append(chunk)
            size += len(chunk)
            if size > max_bytes:
                log.debug("not reading %s: grew past %d bytes", path, max_bytes)
                return None
        return b"".join(chunks)
    except OSError as error:
        log.debug("cannot read %s: %s", path, error)
        return None
    finally:
        os.close(descriptor)
