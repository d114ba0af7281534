"""Closing a stream a wrapper stopped reading, at once and without raising.

A wrapper that relays an inner model's stream must end the inner call when its own consumer
stops (the HTTP stream closes, the inner run ends and is billed now, not whenever the garbage
collector finalizes the generator).

Example:
    >>> def numbers():
    ...     try:
    ...         yield 1
    ...         yield 2
    ...     finally:
    ...         print("closed")
    >>> stream = numbers()
    >>> next(stream)
    1
    >>> close_stream(stream)
    closed
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from typing import Any

__all__ = ["aclose_stream", "close_stream"]


def close_stream(stream: Iterator[Any]) -> None:
    """Close a sync iterator that has `close()` (a generator); errors are swallowed."""
    close = getattr(stream, "close", None)
    if close is not None:
        with contextlib.suppress(Exception):
            close()


async def aclose_stream(stream: AsyncIterator[Any]) -> None:
    """Close an async iterator that has `aclose()` (an async generator); errors are swallowed."""
    aclose = getattr(stream, "aclose", None)
    if aclose is not None:
        with contextlib.suppress(Exception):
            await aclose()
