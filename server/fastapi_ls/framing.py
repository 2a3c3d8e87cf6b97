"""LSP base-protocol framing on a byte stream: headers, then a body of ``Content-Length`` bytes.

pygls's reader accepts only ``Content-Length: N\\r\\n`` spelled exactly so, reads whatever
length a header claims in one allocation, and after a malformed header waits for a line that
happens to end the header block: a client's one mistake could leave the server deaf or kill
it.  This reader is lenient where the specification allows it and careful where it must be:

- header names are matched case-insensitively and lines may end with ``\\n`` alone;
- a body larger than :data:`MAX_BODY_BYTES`, a length that is not a non-negative number or a
  header block without a length is logged as an error and skipped: the reader then looks for
  the next ``Content-Length`` header, even in the middle of a line, and goes on from there;
- a body is read in chunks as it arrives, never allocated at the size its header claims;
- a body that turns out not to be JSON because its length was wrong is given back to the
  reader from the next ``Content-Length`` header inside it, so the frames after it survive.
"""

from __future__ import annotations

import logging
import re
from typing import BinaryIO

log = logging.getLogger(__name__)

#: Bodies above this are refused (the largest real messages, whole-file syncs, are far below).
MAX_BODY_BYTES = 64 * 1024 * 1024
#: Longest header line read at once; longer lines are read in pieces of this size.
MAX_HEADER_LINE = 8192
_CHUNK = 1 << 20
_HEADER_NAME = b"content-length"
_LENGTH_HEADER = re.compile(rb"content-length[ \t]*:", re.IGNORECASE)
_HEADER = re.compile(rb"^([!-9;-~]+)[ \t]*:[ \t]*(.*?)[ \t]*$")


class FrameReader:
    """Bodies of the frames on ``stream``, one per :meth:`next_body` call (blocking)."""

    def __init__(self, stream: BinaryIO, max_body: int = MAX_BODY_BYTES) -> None:
        self._stream = stream
        self._max_body = max_body
        self._pushed_back = b""

    def next_body(self) -> bytes | None:
        """The next frame's body; None at the end of the stream."""
        while True:
            length = self._read_headers()
            if length is None:
                return None
            if length < 0:
                continue
            body = self._read(length)
            if len(body) < length:
                log.error("the stream ended inside a message (%d of %d bytes)", len(body), length)
                return None
            return body

    def give_back_after_header(self, body: bytes) -> bool:
        """Re-read from the first ``Content-Length`` header inside ``body``, if there is one.

        For a body that could not be parsed: its declared length was probably wrong, and the
        frames it swallowed start at that header.
        """
        match = _LENGTH_HEADER.search(body)
        if match is not None:
            start = match.start()
        else:
            # The body may end inside the header of the frame it swallowed the start of.
            lowered = body[-len(_HEADER_NAME) :].lower()
            start = next(
                (
                    len(body) - size
                    for size in range(len(lowered), 0, -1)
                    if _HEADER_NAME.startswith(lowered[-size:])
                ),
                None,
            )
            if start is None:
                return False
        self._pushed_back = body[start:] + self._pushed_back
        return True

    def _read_headers(self) -> int | None:
        """The body length of the next header block; -1 for a block to skip, None at the end."""
        length: int | None = None
        problem: str | None = None
        seen_header = False
        while True:
            line = self._readline()
            if not line:
                return None
            text = line.rstrip(b"\r\n")
            if not text:
                if not seen_header:
                    continue  # stray blank lines between frames
                if problem is None and length is None:
                    problem = "a header block without Content-Length"
                if problem is not None:
                    log.error("skipping a malformed message: %s", problem)
                    return -1
                return length
            if not seen_header:
                # Between frames only a Content-Length header starts one; anything else is
                # the rest of a broken frame, and the next header may follow it on this line.
                found = _LENGTH_HEADER.search(text)
                if found is None:
                    log.error("skipping %d bytes that are not a message header", len(line))
                    continue
                if found.start() > 0:
                    log.error("skipping %d bytes before a message header", found.start())
                    text = text[found.start() :]
                seen_header = True
            header = _HEADER.match(text)
            if header is None:
                problem = problem or f"a malformed header line {text[:80]!r}"
                continue
            name, value = header.group(1).lower(), header.group(2)
            if name != b"content-length":
                continue
            if not value.isdigit():
                problem = problem or f"Content-Length {value[:40]!r} is not a length"
            elif len(value) > 12 or int(value) > self._max_body:
                problem = problem or (
                    f"Content-Length {value[:40].decode('ascii', 'replace')} is above the "
                    f"limit of {self._max_body} bytes"
                )
            else:
                length = int(value)

    def _readline(self) -> bytes:
        if self._pushed_back:
            end = self._pushed_back.find(b"\n", 0, MAX_HEADER_LINE)
            cut = end + 1 if end >= 0 else min(len(self._pushed_back), MAX_HEADER_LINE)
            line, self._pushed_back = self._pushed_back[:cut], self._pushed_back[cut:]
            if line.endswith(b"\n") or len(line) == MAX_HEADER_LINE:
                return line
            return line + self._stream.readline(MAX_HEADER_LINE - len(line))
        return self._stream.readline(MAX_HEADER_LINE)

    def _read(self, size: int) -> bytes:
        chunks = []
        if self._pushed_back:
            head, self._pushed_back = self._pushed_back[:size], self._pushed_back[size:]
            chunks.append(head)
            size -= len(head)
        while size > 0:
            chunk = self._stream.read(min(size, _CHUNK))
            if not chunk:
                break
            chunks.append(chunk)
            size -= len(chunk)
        return b"".join(chunks)
