"""Malformed 200 answers for the fake server: broken bodies, empty streams, stalls.

Each fault of `Fault.is_malformed_answer` has a streamed and a non-streamed form (the
table in `Fault`'s docstring); `play_malformed` sends it in place of the normal reply.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from langchain_globalapi.testing._faults import Fault
from langchain_globalapi.testing._http import Handler

__all__ = ["play_malformed"]

_HTML_PAGE = (
    b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head>"
    b"<body><h1>502 Bad Gateway</h1><p>The upstream server is unavailable.</p></body></html>"
)
_NOT_JSON = b"upstream error: connection reset by peer"


def play_malformed(
    handler: Handler,
    fault: Fault,
    *,
    stream: bool,
    completion: dict[str, Any],
    chunks: list[dict[str, Any]],
    stopping: threading.Event,
) -> None:
    """Answer with `fault`'s broken form of `completion` (or of `chunks` when streaming).

    Args:
        handler: The connection to answer on.
        fault: A fault whose `is_malformed_answer` is True.
        stream: Whether the request asked for a stream.
        completion: The normal non-streamed body (the broken forms are built from it).
        chunks: The normal stream's chunks, without `[DONE]`.
        stopping: Set when the server stops; a stall ends then, by dropping the connection.
    """
    kind = fault.kind
    if kind == "html_page":
        handler.send_bytes(200, "text/html; charset=utf-8", _HTML_PAGE)
    elif kind == "not_json" or (kind == "sse_garbage" and not stream):
        handler.send_bytes(200, "application/json", _NOT_JSON)
    elif kind == "sse_done_only" and not stream:
        handler.send_bytes(200, "application/json", b"")
    elif kind in ("empty_choices", "null_choices"):
        choices: list[Any] | None = [] if kind == "empty_choices" else None
        if not stream:
            handler.send_json(200, {**completion, "choices": choices})
            return
        handler.start_sse()
        for chunk in chunks:
            handler.send_sse(json.dumps({**chunk, "choices": choices, "usage": None}))
        handler.end_sse()
    elif kind == "sse_done_only":
        handler.start_sse()
        handler.end_sse()
    elif kind == "sse_garbage":
        handler.start_sse()
        handler.send_sse("<html>upstream error</html>")
        for chunk in chunks:
            handler.send_sse(json.dumps(chunk))
        handler.end_sse()
    elif kind == "stall_after_chunks":
        if stream:
            handler.start_sse()
            for chunk in chunks[: fault.chunks_before_drop]:
                handler.send_sse(json.dumps(chunk))
        else:
            handler.send_half_json(completion)
        # Silence with the connection open, until the server stops (then hang up).
        stopping.wait()
        handler.drop()
    elif kind == "keepalive_after_chunks":
        _trickle(handler, fault, stream=stream, completion=completion, chunks=chunks,
                 stopping=stopping)  # fmt: skip
    else:  # pragma: no cover - guarded by Fault.is_malformed_answer
        msg = f"not a malformed-answer fault: {kind!r}"
        raise ValueError(msg)


def _trickle(
    handler: Handler,
    fault: Fault,
    *,
    stream: bool,
    completion: dict[str, Any],
    chunks: list[dict[str, Any]],
    stopping: threading.Event,
) -> None:
    # Bytes keep coming, so the client's read timeout never fires; it ends when the client
    # hangs up (the write fails) or the server stops.
    if stream:
        handler.start_sse()
        for chunk in chunks[: fault.chunks_before_drop]:
            handler.send_sse(json.dumps(chunk))
        while not stopping.wait(fault.delay_s):
            handler.send_raw_chunk(b": keep-alive\n\n")
    else:
        for byte in handler.start_json(completion):
            if stopping.wait(fault.delay_s):
                break
            handler.wfile.write(bytes([byte]))
    handler.drop()
