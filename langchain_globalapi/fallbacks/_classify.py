"""Error classification: what one failed model call means for the rest of a fallback chain.

A failure is one of a few kinds, and the kind decides what happens next: transient kinds
(rate limit, server error, timeout, connection, empty answer) move on to the next member
(a malformed 200, `MalformedResponseError`, is a server error; an unreachable endpoint,
`EndpointUnreachableError`, a connection failure);
a context overflow moves on only to a member with a larger window; everything else
(bad request, authentication, permission, content policy, unknown model, programming
errors) is raised at once, because a pricier model would fail the same way.

LangChain's own classes (`langchain_core.exceptions`, which langchain-openai's errors
inherit) are checked first, then the openai SDK's, then builtin timeouts.

Example:
    >>> from langchain_core.exceptions import ModelRateLimitError
    >>> classify_error(ModelRateLimitError("slow down")).kind
    <FailureKind.RATE_LIMIT: 'rate_limit'>
    >>> classify_error(ValueError("bad input")).moves_on
    False
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from enum import Enum
from typing import Any

import openai
from langchain_core.exceptions import (
    ContextOverflowError,
    ModelAPIError,
    ModelConnectionError,
    ModelRateLimitError,
    ModelTimeoutError,
)

from langchain_globalapi.errors import (
    BudgetExceededError,
    BudgetUnavailableError,
    EmptyResponseError,
)

__all__ = ["EmptyResponseError", "Failure", "FailureKind", "classify_error", "retry_after_s"]


class FailureKind(str, Enum):
    """What kind of failure a model call met; the fallback chain acts on the kind."""

    RATE_LIMIT = "rate_limit"
    SERVER_ERROR = "server_error"
    TIMEOUT = "timeout"
    CONNECTION = "connection"
    EMPTY_RESPONSE = "empty_response"
    CONTEXT_OVERFLOW = "context_overflow"
    BUDGET = "budget"
    FATAL = "fatal"

    @property
    def is_transient(self) -> bool:
        """Whether another member (or the same one later) may well succeed."""
        return self in _TRANSIENT


_TRANSIENT = frozenset(
    {
        FailureKind.RATE_LIMIT,
        FailureKind.SERVER_ERROR,
        FailureKind.TIMEOUT,
        FailureKind.CONNECTION,
        FailureKind.EMPTY_RESPONSE,
    }
)


@dataclass(frozen=True)
class Failure:
    """One classified failure.

    Attributes:
        kind: The failure kind.
        error: The exception the member raised.
        status: The HTTP status, when the error came from an HTTP response.
        retry_after_s: The server's `retry-after-ms` / `retry-after`, in seconds.
        context_window: For a context overflow, the window the error quotes (if any).
    """

    kind: FailureKind
    error: BaseException
    status: int | None = None
    retry_after_s: float | None = None
    context_window: int | None = None

    @property
    def moves_on(self) -> bool:
        """Whether the chain may try another member after this failure.

        A budget refusal moves on only when every limit it hit is one model's own: any
        other limit would refuse the next member too.
        """
        if self.kind is FailureKind.BUDGET:
            limits = getattr(self.error, "limits", ())
            return bool(limits) and all(getattr(lim, "scope", None) == "model" for lim in limits)
        return self.kind.is_transient or self.kind is FailureKind.CONTEXT_OVERFLOW

    @property
    def counts_against_member(self) -> bool:
        """Whether this failure says the member is unhealthy (feeds its circuit breaker).

        Overflows and fatal errors are about the request, not the member.
        """
        return self.kind.is_transient

    def describe(self, limit: int = 200) -> str:
        """`ClassName: message`, shortened for metadata and error listings."""
        text = f"{type(self.error).__name__}: {self.error}".replace("\n", " ")
        return text if len(text) <= limit else text[: limit - 1] + "…"


_WINDOW = re.compile(r"maximum context length is (\d+)", re.IGNORECASE)
_OVERFLOW_HINTS = ("context_length_exceeded", "maximum context length", "context window")


def classify_error(error: BaseException) -> Failure:
    """Classify an exception raised by a chat model call.

    Args:
        error: What the member raised.

    Returns:
        The `Failure`, with the HTTP status and Retry-After when the error carries them.
    """
    status = _status_of(error)
    kind = _kind_of(error, status)
    window = None
    if kind is FailureKind.CONTEXT_OVERFLOW and (match := _WINDOW.search(str(error))):
        window = int(match.group(1))
    return Failure(kind, error, status, retry_after_s(error), window)


def _kind_of(error: BaseException, status: int | None) -> FailureKind:
    # langchain-core's classes come first: langchain-openai's errors inherit them, and so
    # may other providers' integrations.
    checks: tuple[tuple[type[BaseException] | tuple[type[BaseException], ...], FailureKind], ...]
    checks = (
        ((BudgetExceededError, BudgetUnavailableError), FailureKind.BUDGET),
        (ContextOverflowError, FailureKind.CONTEXT_OVERFLOW),
        (ModelRateLimitError, FailureKind.RATE_LIMIT),
        ((ModelTimeoutError, openai.APITimeoutError, TimeoutError), FailureKind.TIMEOUT),
        (ModelAPIError, FailureKind.SERVER_ERROR),
        (ModelConnectionError, FailureKind.CONNECTION),
        (openai.RateLimitError, FailureKind.RATE_LIMIT),
        (openai.InternalServerError, FailureKind.SERVER_ERROR),
        (openai.APIConnectionError, FailureKind.CONNECTION),
    )
    for classes, kind in checks:
        if isinstance(error, classes):
            if isinstance(error, EmptyResponseError):
                return FailureKind.EMPTY_RESPONSE
            return kind
    if isinstance(error, openai.BadRequestError) and _mentions_overflow(error):
        return FailureKind.CONTEXT_OVERFLOW
    if status is not None and (status == 429 or status >= 500):
        return FailureKind.RATE_LIMIT if status == 429 else FailureKind.SERVER_ERROR
    return FailureKind.FATAL


def _mentions_overflow(error: openai.BadRequestError) -> bool:
    text = f"{error.code or ''} {error}".lower()
    return any(hint in text for hint in _OVERFLOW_HINTS)


def _status_of(error: BaseException) -> int | None:
    status = getattr(error, "status_code", None)
    if isinstance(status, int):
        return status
    response = getattr(error, "response", None)
    status = getattr(response, "status_code", None)
    return status if isinstance(status, int) else None


def retry_after_s(error: BaseException, *, now: float | None = None) -> float | None:
    """The wait the server asked for, from `retry-after-ms`, then `retry-after`.

    `retry-after` may be seconds or an HTTP date, as the openai SDK also reads it.

    Args:
        error: An exception that may carry an HTTP response.
        now: Seconds since the epoch, for HTTP dates (default: the clock).

    Returns:
        Seconds (never negative), or None when the response asks for nothing.

    Example:
        >>> class Response:
        ...     headers = {"retry-after-ms": "250"}
        >>> class Limited(Exception):
        ...     response = Response()
        >>> retry_after_s(Limited())
        0.25
    """
    headers: Any = getattr(getattr(error, "response", None), "headers", None)
    if headers is None:
        return None
    milliseconds = _float(headers.get("retry-after-ms"))
    if milliseconds is not None:
        return max(milliseconds / 1000, 0.0)
    raw = headers.get("retry-after")
    seconds = _float(raw)
    if seconds is not None:
        return max(seconds, 0.0)
    if raw:
        try:
            moment = parsedate_to_datetime(str(raw))
        except (TypeError, ValueError):
            return None
        return max(moment.timestamp() - (time.time() if now is None else now), 0.0)
    return None


def _float(value: object) -> float | None:
    if value is None:
        return None
    try:
        number = float(str(value))
    except ValueError:
        return None
    return number if math.isfinite(number) else None
