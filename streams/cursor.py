"""The one parser of a stream cursor, whoever sends it (socket URL, ``resume`` frame, long-poll query)."""

from typing import Any

# Cursors are BIGINTs: 18 digits always fit.
MAX_DIGITS = 18


def parse(value: Any) -> int | None:
    """A cursor sent by a client (a string or number holding a decimal integer), or ``None``."""
    text = str(value) if isinstance(value, str | int) and not isinstance(value, bool) else ""
    return int(text) if text.isascii() and text.isdigit() and len(text) <= MAX_DIGITS else None
