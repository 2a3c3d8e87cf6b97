"""Keep the Context7 API key out of every log line.

pygls logs whole messages (the ``initialize`` parameters carry the settings, the key among
them), so redaction happens where log records become text: every handler of the server uses
:class:`RedactingFormatter`.
"""

from __future__ import annotations

import logging
import os
import re

REPLACEMENT = "[API key]"

#: Context7 keys start with "ctx7sk"; a key of another shape is caught by its setting's name.
_KEY_SHAPE = re.compile(r"ctx7sk[\w-]*")
_KEY_FIELD = re.compile(r"""(["']?api_?key["']?\s*[:=]\s*)(["'])[^"']*\2""", re.IGNORECASE)
_BEARER = re.compile(r"(Bearer\s+)[^\s'\"]+")

_known: set[str] = set()


def remember(secret: str | None) -> None:
    """Redact this exact value from now on, whatever its shape."""
    if secret and len(secret) >= 4:
        _known.add(secret)


def redact(text: str) -> str:
    for secret in _known:
        text = text.replace(secret, REPLACEMENT)
    text = _KEY_FIELD.sub(lambda m: f"{m.group(1)}{m.group(2)}{REPLACEMENT}{m.group(2)}", text)
    text = _BEARER.sub(lambda m: m.group(1) + REPLACEMENT, text)
    return _KEY_SHAPE.sub(REPLACEMENT, text)


class RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


remember(os.environ.get("CONTEXT7_API_KEY"))
