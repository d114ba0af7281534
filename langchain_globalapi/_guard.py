"""One gateway call's limits: its total deadline, silence inside a stream, and its typed errors.

`CallGuard` is made when a call starts. `guard_stream` / `aguard_stream` relay a model's
chunks while enforcing `chunk_timeout_s` and `total_timeout_s`, turn SDK and httpx errors
into the package's typed errors (`_failures.translate`), and raise `EmptyResponseError`
for a stream that ended without an answer. In async code the limits are exact
(`asyncio.timeout`); sync code cannot be interrupted, so there the deadline caps every
HTTP attempt and socket read (`_http.deadline_scope`) and is checked at every chunk.

Example:
    >>> guard = CallGuard.start(
    ...     model="m", base_url="http://localhost:1/v1", request_timeout_s=None,
    ...     chunk_timeout_s=5.0, total_timeout_s=60.0,
    ... )
    >>> guard.chunk_limit_s(first=False)
    5.0
"""

from __future__ import annotations

import asyncio
import functools
import math
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import openai
from langchain_core.messages import BaseMessageChunk
from langchain_core.outputs import ChatGenerationChunk

from langchain_globalapi._failures import timeout_error, translate, typed_errors
from langchain_globalapi._http import deadline_scope
from langchain_globalapi.errors import EmptyResponseError, GlobalAPIError, ModelNotFoundError

__all__ = [
    "CallGuard",
    "aguard_stream",
    "check_request_timeout",
    "check_seconds",
    "guard_stream",
    "within",
]

_T = TypeVar("_T")


def check_seconds(value: float | None, name: str) -> float | None:
    """`value` if it is a usable number of seconds (or None: no limit), else ValueError.

    Example:
        >>> check_seconds(float("nan"), "total_timeout_s")
        Traceback (most recent call last):
        ...
        ValueError: total_timeout_s must be a finite number of seconds > 0 (or None for no limit), got nan
    """  # noqa: E501
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        msg = f"{name} must be a number of seconds > 0 (or None for no limit), got {value!r}"
        raise ValueError(msg)
    if not math.isfinite(value) or value <= 0:
        msg = f"{name} must be a finite number of seconds > 0 (or None for no limit), got {value!r}"
        raise ValueError(msg)
    return float(value)


def check_request_timeout(value: Any) -> Any:
    """A `timeout=` for the openai SDK, its numbers checked by `check_seconds`.

    Seconds, a `(connect, read)` tuple, an `httpx.Timeout` (taken as given) or None.
    """
    numbers = value if isinstance(value, tuple) else (value,)
    for number in numbers:
        if number is None or isinstance(number, int | float):
            check_seconds(number, "timeout")
    return value


if sys.version_info >= (3, 11):

    async def within(awaitable: Awaitable[_T], seconds: float | None) -> _T:
        """Await `awaitable`, raising `TimeoutError` after `seconds` (None: no limit)."""
        async with asyncio.timeout(seconds):
            return await awaitable

else:  # pragma: no cover - Python 3.10

    async def within(awaitable: Awaitable[_T], seconds: float | None) -> _T:
        """Await `awaitable`, raising `TimeoutError` after `seconds` (None: no limit)."""
        return await asyncio.wait_for(awaitable, seconds)


@dataclass(frozen=True)
class CallGuard:
    """The limits of one call and what to say when one of them is hit.

    Attributes:
        model: The model called, for messages.
        base_url: The endpoint, for messages.
        request_timeout_s: The SDK's request timeout, for messages (None if not a number).
        chunk_timeout_s: Longest silence between two streamed chunks (None: no limit).
        total_timeout_s: Longest the whole call may take (None: no limit).
        deadline: `time.monotonic()` at which the call must end (inf without one).
    """

    model: str
    base_url: str
    request_timeout_s: float | None
    chunk_timeout_s: float | None
    total_timeout_s: float | None
    deadline: float

    @classmethod
    def start(
        cls,
        *,
        model: str,
        base_url: str,
        request_timeout_s: float | None,
        chunk_timeout_s: float | None,
        total_timeout_s: float | None,
    ) -> CallGuard:
        """The guard of a call starting now."""
        now = time.monotonic()
        deadline = now + total_timeout_s if total_timeout_s is not None else math.inf
        return cls(model, base_url, request_timeout_s, chunk_timeout_s, total_timeout_s, deadline)

    def remaining_s(self) -> float | None:
        """Seconds left before the deadline (None without one; may be negative)."""
        return self.deadline - time.monotonic() if math.isfinite(self.deadline) else None

    def expired(self) -> bool:
        """Whether the total deadline has passed."""
        return time.monotonic() >= self.deadline

    def chunk_limit_s(self, *, first: bool) -> float | None:
        """How long to wait for the next chunk: the first one only has the total deadline.

        (Before the first chunk, the SDK's own request timeout bounds each HTTP attempt.)
        """
        candidates = (self.remaining_s(), None if first else self.chunk_timeout_s)
        limits = [limit for limit in candidates if limit is not None]
        if not limits:
            return None
        return max(min(limits), 0.0)

    @property
    def sync_deadline(self) -> float | None:
        """The deadline for `deadline_scope` (None without one)."""
        return self.deadline if math.isfinite(self.deadline) else None

    def typed(self, error: BaseException, *, streaming: bool = False) -> BaseException | None:
        """The package's error for `error`, or None to raise `error` as it is."""
        if isinstance(error, openai.NotFoundError):
            msg = (
                f"model {self.model!r} was rejected by {self.base_url} ({error.status_code}: "
                f"{error.message}). Check the id with `globalapi models`; ids are case-sensitive."
            )
            return ModelNotFoundError(msg, model=self.model, base_url=self.base_url)
        return translate(
            error,
            model=self.model,
            base_url=self.base_url,
            request_timeout_s=self.request_timeout_s,
            chunk_timeout_s=self.chunk_timeout_s,
            total_timeout_s=self.total_timeout_s,
            deadline_passed=self.expired(),
            streaming=streaming,
        )

    def fired(self, error: BaseException) -> bool:
        """Whether `error` is `within`'s own timeout at this call's deadline."""
        return (
            isinstance(error, TimeoutError)
            and not isinstance(error, openai.APIError | GlobalAPIError)
            and self.expired()
        )

    def past_deadline(self) -> BaseException:
        """The error for a call that ran past its total deadline."""
        return timeout_error(
            "total", self.total_timeout_s, model=self.model, base_url=self.base_url
        )

    def empty_stream(self) -> EmptyResponseError:
        """The error for a stream that ended without an answer."""
        msg = (
            f"{self.model} at {self.base_url} ended its stream without an answer (no text, "
            "tool call or finish reason): a server fault"
        )
        return EmptyResponseError(msg, model=self.model, base_url=self.base_url)


def answers(chunk: ChatGenerationChunk) -> bool:
    """Whether a chunk carries any part of an answer (text, tool call, reasoning, finish)."""
    message: BaseMessageChunk = chunk.message
    return bool(
        message.content
        or getattr(message, "tool_call_chunks", None)
        or message.additional_kwargs
        or (chunk.generation_info or {}).get("finish_reason")
    )


def guard_stream(
    guard: CallGuard, stream: Iterator[ChatGenerationChunk]
) -> Iterator[ChatGenerationChunk]:
    """Relay `stream` under `guard` (sync: the deadline caps reads and is checked per chunk)."""
    answered = False
    try:
        while True:
            try:
                with (
                    typed_errors(lambda error: guard.typed(error, streaming=True)),
                    deadline_scope(guard.sync_deadline),
                ):
                    chunk = next(stream)
            except StopIteration:
                break
            if guard.expired():
                raise guard.past_deadline()
            answered = answered or answers(chunk)
            yield chunk
    finally:
        close = getattr(stream, "close", None)
        if close is not None:
            close()
    if not answered:
        raise guard.empty_stream()


async def aguard_stream(
    guard: CallGuard, stream: AsyncIterator[ChatGenerationChunk]
) -> AsyncIterator[ChatGenerationChunk]:
    """Relay `stream` under `guard`: each wait is bounded by the chunk and total limits."""
    answered = False
    count = 0
    try:
        while True:
            try:
                with typed_errors(functools.partial(_typed_in_stream, guard, count)):
                    chunk = await within(anext(stream), guard.chunk_limit_s(first=count == 0))
            except StopAsyncIteration:
                break
            count += 1
            answered = answered or answers(chunk)
            yield chunk
    finally:
        aclose: Any = getattr(stream, "aclose", None)
        if aclose is not None:
            await aclose()
    if not answered:
        raise guard.empty_stream()


def _typed_in_stream(guard: CallGuard, count: int, error: Exception) -> BaseException | None:
    return _silence(guard, error, count) or guard.typed(error, streaming=True)


def _silence(guard: CallGuard, error: BaseException, count: int) -> BaseException | None:
    # `within` fired: the total deadline, or the chunk timeout after `count` chunks.
    if not isinstance(error, asyncio.TimeoutError) or isinstance(error, GlobalAPIError):
        return None
    if guard.expired():
        return guard.past_deadline()
    return timeout_error(
        "chunk",
        guard.chunk_timeout_s,
        model=guard.model,
        base_url=guard.base_url,
        detail=f", after {count} chunks",
    )
