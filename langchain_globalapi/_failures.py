"""What a failed gateway call means: SDK and httpx errors turned into the package's typed errors.

The openai SDK reports a wrong base URL as "Connection error.", a stalled stream as a raw
`httpx.ReadTimeout`, a body that is not JSON as a `JSONDecodeError`. `translate` maps each
to one error that names the model and the endpoint and says what to do; errors it does
not recognise are left alone (None).

Example:
    >>> import json
    >>> error = translate(
    ...     json.JSONDecodeError("Expecting value", "oops", 0),
    ...     model="gpt-4o",
    ...     base_url="http://localhost:1/v1",
    ... )
    >>> type(error).__name__
    'MalformedResponseError'
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import ssl
from collections.abc import Callable, Iterator

import openai

from langchain_globalapi._http import (
    DEFAULT_BASE_URL,
    DeadlineReached,
    UnexpectedContentType,
    httpx,
)
from langchain_globalapi.errors import (
    CallTimeoutError,
    EndpointUnreachableError,
    MalformedResponseError,
)

__all__ = ["check_url_hint", "timeout_error", "translate", "typed_errors", "unreachable"]

#: What to check when an endpoint cannot be reached; also used by the fallback chain.
check_url_hint = "check base_url= or the GLOBAL_API_BASE environment variable"

# Failures to open a connection at all: nothing was sent, the endpoint is the suspect.
_CONNECT_FAILURES: tuple[type[BaseException], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.UnsupportedProtocol,
    ssl.SSLError,
)


def _causes(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _connect_failure(error: BaseException) -> BaseException | None:
    return next((cause for cause in _causes(error) if isinstance(cause, _CONNECT_FAILURES)), None)


def _who(model: str | None, base_url: str) -> str:
    return f"{model} at {base_url}" if model else base_url


def unreachable(
    cause: BaseException, *, base_url: str, model: str | None = None
) -> EndpointUnreachableError:
    """The error for an endpoint no connection could be made to.

    Args:
        cause: The connection failure (its text says what failed: DNS, refused, TLS).
        base_url: The endpoint.
        model: The model being called, if any.
    """
    msg = (
        f"cannot reach {base_url} ({type(cause).__name__}: {cause}): {check_url_hint}; "
        f"the default is {DEFAULT_BASE_URL}"
    )
    if model:
        msg = f"{model}: {msg}"
    return EndpointUnreachableError(msg, base_url=base_url, model=model)


def timeout_error(
    which: str, timeout_s: float | None, *, model: str | None, base_url: str, detail: str = ""
) -> CallTimeoutError:
    """The error for a call past one of its timeouts.

    Args:
        which: `"request"`, `"chunk"` or `"total"`.
        timeout_s: The limit that was passed.
        model: The model being called.
        base_url: The endpoint.
        detail: Extra context, e.g. how many chunks had arrived.
    """
    knob = {"request": "timeout", "chunk": "chunk_timeout_s", "total": "total_timeout_s"}[which]
    what = {
        "request": "no answer within the request timeout",
        "chunk": "the stream went silent",
        "total": "the call ran past its total deadline",
    }[which]
    limit = f"{knob}={timeout_s:g}" if timeout_s is not None else knob
    msg = f"{_who(model, base_url)}: {what} ({limit}{detail}); raise {knob}= if answers are slow"
    return CallTimeoutError(msg, timeout=which, timeout_s=timeout_s, model=model, base_url=base_url)


def translate(
    error: BaseException,
    *,
    model: str | None,
    base_url: str,
    request_timeout_s: float | None = None,
    chunk_timeout_s: float | None = None,
    total_timeout_s: float | None = None,
    deadline_passed: bool = False,
    streaming: bool = False,
) -> BaseException | None:
    """The typed error for `error`, or None when it is not a gateway fault this knows.

    Args:
        error: What the SDK, httpx or the JSON decoder raised.
        model: The model being called (None for endpoint-wide calls like `/models`).
        base_url: The endpoint.
        request_timeout_s: The request timeout in force, for the message.
        chunk_timeout_s: The stream's chunk timeout, for the message.
        total_timeout_s: The call's total timeout, for the message.
        deadline_passed: The call's total deadline has passed: a timeout is reported as it.
        streaming: The call is a stream, whose read timeout is the chunk timeout.
    """
    if isinstance(error, DeadlineReached) or (
        deadline_passed
        and isinstance(error, openai.APITimeoutError | httpx.TimeoutException | TimeoutError)
    ):
        return timeout_error("total", total_timeout_s, model=model, base_url=base_url)
    if isinstance(error, UnexpectedContentType):
        msg = (
            f"{_who(model, base_url)} answered with an HTML page ({error.content_type}), not "
            f"the API: a proxy or login page, or a wrong URL; {check_url_hint}"
        )
        return MalformedResponseError(msg, model=model, base_url=base_url)
    if isinstance(error, openai.APIConnectionError) and not isinstance(
        error, openai.APIStatusError
    ):
        if (cause := _connect_failure(error)) is not None:
            return unreachable(cause, base_url=base_url, model=model)
        if isinstance(error, openai.APITimeoutError) and not streaming:
            return timeout_error("request", request_timeout_s, model=model, base_url=base_url)
        if not isinstance(error, openai.APITimeoutError):
            return None
    if isinstance(error, openai.APITimeoutError | httpx.TimeoutException | asyncio.TimeoutError):
        # A stream's reads time out after the smaller of chunk_timeout_s and timeout.
        if chunk_timeout_s is None or (
            request_timeout_s is not None and request_timeout_s < chunk_timeout_s
        ):
            return timeout_error("request", request_timeout_s, model=model, base_url=base_url)
        return timeout_error("chunk", chunk_timeout_s, model=model, base_url=base_url)
    if isinstance(error, json.JSONDecodeError):
        msg = (
            f"{_who(model, base_url)} answered with a body that is not JSON "
            f"({error.msg} at char {error.pos}: {error.doc[:80]!r}): a server fault"
        )
        return MalformedResponseError(msg, model=model, base_url=base_url)
    return None


@contextlib.contextmanager
def typed_errors(typed: Callable[[Exception], BaseException | None]) -> Iterator[None]:
    """Raise `typed(error)` from an error of the block, or the error itself when it is None.

    Example:
        >>> with typed_errors(lambda e: LookupError(f"typed: {e}")):
        ...     raise KeyError("k")
        Traceback (most recent call last):
        ...
        LookupError: typed: 'k'
    """
    try:
        yield
    except Exception as error:
        replacement = typed(error)
        if replacement is None:
            raise
        raise replacement from error
