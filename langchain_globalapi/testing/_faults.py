"""Injected failures for the fake OpenAI server: what can go wrong, and when it does.

A `Fault` describes one failure (an HTTP error, a slow first byte, a dropped connection);
`FaultPlan` decides, call by call and thread-safely, which fault (if any) a request meets:
first the scripted injections in FIFO order, then the seeded random `fail_rate`.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

__all__ = ["Fault", "FaultPlan"]

#: Injections and failure rates registered under this name apply to every chat model.
ANY_MODEL = "*"


@dataclass(frozen=True)
class Fault:
    """One failure the fake server produces instead of (or on the way to) a normal reply.

    Build faults with the class methods, then hand them to `FakeOpenAIServer.inject` or
    `FakeOpenAIServer.fail_rate`:

    ```python
    from langchain_globalapi.testing import FakeOpenAIServer, Fault

    with FakeOpenAIServer() as server:
        server.inject("model-a", Fault.rate_limit(retry_after_s=1.5), times=2)
        server.inject("model-a", Fault.server_error(503))
        server.inject("model-b", Fault.drop_after_chunks(2))
    ```

    Malformed answers (status 200, wrong body) test what a client does with a broken
    gateway; each has a streamed and a non-streamed form:

    | fault | streamed call | non-streamed call |
    |---|---|---|
    | `empty_choices()` | chunks with `"choices": []`, then `[DONE]` | `"choices": []` |
    | `null_choices()` | chunks with `"choices": null`, then `[DONE]` | `"choices": null` |
    | `not_json()` | a JSON content type over a body that is not JSON | the same |
    | `html_page()` | a `text/html` error page | the same |
    | `sse_done_only()` | `data: [DONE]` and nothing else | an empty body |
    | `sse_garbage()` | a `data:` line that is not JSON, then the reply | a body that is not JSON |
    | `stall_after_chunks(n)` | `n` chunks, then silence | half the body, then silence |
    | `keepalive_after_chunks(n)` | `n` chunks, then `: keep-alive` comments | one byte at a time |

    A stalled or trickling connection stays open until the client gives up or the server
    stops.

    Attributes:
        kind: What happens: `"rate_limit"`, `"server_error"`, `"bad_request"`, `"unauthorized"`,
            `"context_overflow"`, `"http_error"`, `"slow_first_byte"`,
            `"drop_before_first_chunk"`, `"drop_after_chunks"`, or a malformed answer:
            `"empty_choices"`, `"null_choices"`, `"not_json"`, `"html_page"`,
            `"sse_done_only"`, `"sse_garbage"`, `"stall_after_chunks"`,
            `"keepalive_after_chunks"`.
        status: HTTP status of an error fault, 0 for the others.
        error_type: The `error.type` field of the error body.
        error_code: The `error.code` field of the error body.
        message: The `error.message` field of the error body.
        headers: Extra response headers, e.g. `retry-after`.
        delay_s: Seconds to wait before the first byte (`slow_first_byte`), or between two
            trickled bytes or comments (`keepalive_after_chunks`).
        after_headers: For `slow_first_byte` on a stream: send the headers first, then wait.
        chunks_before_drop: Data chunks sent before the connection is killed (or stalls).
        context_window_tokens: The window quoted in a `context_overflow` message.
    """

    kind: str
    status: int = 0
    error_type: str = ""
    error_code: str | None = None
    message: str = ""
    headers: tuple[tuple[str, str], ...] = field(default=())
    delay_s: float = 0.0
    after_headers: bool = False
    chunks_before_drop: int = 0
    context_window_tokens: int = 0

    @property
    def is_http_error(self) -> bool:
        """Whether the fault answers with an HTTP error status instead of a reply."""
        return self.status >= 400

    @classmethod
    def http_error(
        cls,
        status: int,
        *,
        error_type: str,
        code: str | None = None,
        message: str = "Injected error.",
        headers: dict[str, str] | None = None,
        kind: str = "http_error",
    ) -> Fault:
        """Any OpenAI-shaped error: `{"error": {"message", "type", "param", "code"}}`.

        Args:
            status: HTTP status code, 400-599.
            error_type: `error.type`, e.g. `"invalid_request_error"`.
            code: `error.code`, e.g. `"model_not_found"`.
            message: `error.message`.
            headers: Extra response headers.
            kind: Label recorded with the request; the named constructors set it.

        Returns:
            The fault.
        """
        if not 400 <= status <= 599:
            msg = f"status must be an HTTP error code (400-599), got {status}"
            raise ValueError(msg)
        return cls(
            kind=kind,
            status=status,
            error_type=error_type,
            error_code=code,
            message=message,
            headers=tuple(sorted((headers or {}).items())),
        )

    @classmethod
    def rate_limit(
        cls, retry_after_s: float | None = None, retry_after_ms: int | None = None
    ) -> Fault:
        """HTTP 429 `rate_limit_exceeded`, with `retry-after` / `retry-after-ms` when given."""
        headers: dict[str, str] = {}
        if retry_after_s is not None:
            # `:g` keeps "2" for whole seconds (what HTTP servers send) and "1.5" otherwise;
            # the openai SDK parses both as floats.
            headers["retry-after"] = f"{retry_after_s:g}"
        if retry_after_ms is not None:
            headers["retry-after-ms"] = str(int(retry_after_ms))
        wait = retry_after_s if retry_after_s is not None else (retry_after_ms or 0) / 1000
        hint = f" Please try again in {wait:g}s." if headers else ""
        return cls.http_error(
            429,
            error_type="requests",
            code="rate_limit_exceeded",
            message=f"Rate limit reached for requests (injected fault).{hint}",
            headers=headers,
            kind="rate_limit",
        )

    @classmethod
    def server_error(cls, status: int = 500) -> Fault:
        """HTTP 5xx (500, 502, 503, ...) with an OpenAI-shaped `server_error` body."""
        if not 500 <= status <= 599:
            msg = f"server_error needs a 5xx status, got {status}"
            raise ValueError(msg)
        messages = {
            502: "Bad gateway.",
            503: "The engine is currently overloaded, please try again later.",
        }
        return cls.http_error(
            status,
            error_type="server_error",
            message=messages.get(status, "The server had an error while processing your request."),
            kind="server_error",
        )

    @classmethod
    def bad_request(cls, message: str = "Invalid request (injected fault).") -> Fault:
        """HTTP 400 `invalid_request_error` (not retryable, not a context overflow)."""
        return cls.http_error(
            400, error_type="invalid_request_error", message=message, kind="bad_request"
        )

    @classmethod
    def unauthorized(cls) -> Fault:
        """HTTP 401 `invalid_api_key`."""
        return cls.http_error(
            401,
            error_type="invalid_request_error",
            code="invalid_api_key",
            message="Incorrect API key provided (injected fault).",
            kind="unauthorized",
        )

    @classmethod
    def context_overflow(cls, context_window_tokens: int = 8192) -> Fault:
        """HTTP 400 `context_length_exceeded`, worded as OpenAI words it.

        langchain-openai looks for `context_length_exceeded` in the error to raise its
        `ContextOverflowError`; the message quotes the request's estimated prompt tokens.
        """
        return cls(
            kind="context_overflow",
            status=400,
            error_type="invalid_request_error",
            error_code="context_length_exceeded",
            context_window_tokens=context_window_tokens,
        )

    @classmethod
    def slow_first_byte(cls, delay_s: float, *, after_headers: bool = False) -> Fault:
        """Wait `delay_s` before answering; the reply itself is normal.

        Args:
            delay_s: Seconds to wait.
            after_headers: Streams only: send `200` headers at once and wait before the first
                SSE chunk (a slow model rather than a slow gateway).

        Returns:
            The fault.
        """
        return cls(kind="slow_first_byte", delay_s=delay_s, after_headers=after_headers)

    @classmethod
    def drop_before_first_chunk(cls) -> Fault:
        """Close the connection before any response byte (the client sees no response)."""
        return cls(kind="drop_before_first_chunk")

    @classmethod
    def drop_after_chunks(cls, n: int) -> Fault:
        """Send `200` headers and `n` SSE data chunks, then kill the TCP connection.

        A non-streaming call gets its headers and part of its body instead.
        `drop_after_chunks(0)` drops right after the headers.
        """
        if n < 0:
            msg = f"n must be >= 0, got {n}"
            raise ValueError(msg)
        return cls(kind="drop_after_chunks", chunks_before_drop=n)

    @classmethod
    def empty_choices(cls) -> Fault:
        """Status 200 with `"choices": []`: no answer at all (streamed: empty chunks)."""
        return cls(kind="empty_choices")

    @classmethod
    def null_choices(cls) -> Fault:
        """Status 200 with `"choices": null`, as some OpenAI-compatible servers send."""
        return cls(kind="null_choices")

    @classmethod
    def not_json(cls) -> Fault:
        """Status 200, `content-type: application/json`, and a body that is not JSON."""
        return cls(kind="not_json")

    @classmethod
    def html_page(cls) -> Fault:
        """Status 200 with a `text/html` page, as a proxy or captive portal serves one."""
        return cls(kind="html_page")

    @classmethod
    def sse_done_only(cls) -> Fault:
        """A stream of `data: [DONE]` alone (non-streamed: an empty 200 body)."""
        return cls(kind="sse_done_only")

    @classmethod
    def sse_garbage(cls) -> Fault:
        """A `data:` event that is not JSON before the reply (non-streamed: a non-JSON body)."""
        return cls(kind="sse_garbage")

    @classmethod
    def stall_after_chunks(cls, n: int = 1) -> Fault:
        """Send `n` SSE data chunks, then nothing, keeping the connection open.

        A non-streamed call gets its headers and half of its body, then nothing. The
        connection stays open until the client hangs up or the server stops: the fault a
        client's chunk and total timeouts exist for.
        """
        if n < 0:
            msg = f"n must be >= 0, got {n}"
            raise ValueError(msg)
        return cls(kind="stall_after_chunks", chunks_before_drop=n)

    @classmethod
    def keepalive_after_chunks(cls, n: int = 1, every_s: float = 0.05) -> Fault:
        """Send `n` SSE data chunks, then a `: keep-alive` comment every `every_s`, forever.

        The connection never goes silent, so a client's read timeout never fires: only a
        limit on the whole call ends it. A non-streamed call gets its body one byte every
        `every_s`.
        """
        if n < 0 or not every_s > 0:
            msg = f"n must be >= 0 and every_s > 0, got n={n}, every_s={every_s}"
            raise ValueError(msg)
        return cls(kind="keepalive_after_chunks", chunks_before_drop=n, delay_s=every_s)

    @property
    def is_malformed_answer(self) -> bool:
        """Whether the fault answers 200 with a broken body (see the table above)."""
        return self.kind in _MALFORMED_KINDS


_MALFORMED_KINDS = frozenset(
    {
        "empty_choices",
        "null_choices",
        "not_json",
        "html_page",
        "sse_done_only",
        "sse_garbage",
        "stall_after_chunks",
        "keepalive_after_chunks",
    }
)


@dataclass
class _Injection:
    fault: Fault
    remaining: int | None  # None: every call until cleared


@dataclass
class _RandomFaults:
    rate: float
    kinds: tuple[Fault, ...]
    rng: random.Random


class FaultPlan:
    """Thread-safe schedule of faults per model: scripted injections, then random ones."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queues: dict[str, list[_Injection]] = {}
        self._rates: dict[str, _RandomFaults] = {}

    def inject(self, model: str, fault: Fault, times: int | None = 1) -> None:
        """Queue `fault` for the next `times` calls to `model` (None: every call)."""
        if times is not None and times < 1:
            msg = f"times must be >= 1 or None, got {times}"
            raise ValueError(msg)
        with self._lock:
            self._queues.setdefault(model, []).append(_Injection(fault, times))

    def fail_rate(self, model: str, rate: float, kinds: Sequence[Fault], seed: int) -> None:
        """Fail a `rate` share of calls to `model` with a fault drawn from `kinds`."""
        if not 0.0 <= rate <= 1.0:
            msg = f"rate must be within [0, 1], got {rate}"
            raise ValueError(msg)
        if not kinds:
            msg = "kinds must name at least one Fault"
            raise ValueError(msg)
        # A seeded generator per model, drawn under the lock: N calls always meet the same
        # faults in the same order, so soak tests are reproducible.
        rng = random.Random(seed)  # noqa: S311 - test fixture, not cryptography
        with self._lock:
            self._rates[model] = _RandomFaults(rate, tuple(kinds), rng)

    def next_fault(self, model: str, *, include_wildcard: bool = True) -> Fault | None:
        """Consume and return the fault the next call to `model` meets, if any."""
        names = [model, ANY_MODEL] if include_wildcard else [model]
        with self._lock:
            for name in names:
                queue = self._queues.get(name)
                if queue:
                    head = queue[0]
                    if head.remaining is not None:
                        head.remaining -= 1
                        if head.remaining == 0:
                            queue.pop(0)
                    return head.fault
            for name in names:
                random_faults = self._rates.get(name)
                if random_faults is not None:
                    # Always two draws per call, so the sequence does not depend on outcomes.
                    roll = random_faults.rng.random()
                    pick = random_faults.rng.randrange(len(random_faults.kinds))
                    return random_faults.kinds[pick] if roll < random_faults.rate else None
        return None

    def models(self) -> list[str]:
        """Model names with a fault configured (the wildcard excluded)."""
        with self._lock:
            names = [*self._queues, *self._rates]
        return [name for name in dict.fromkeys(names) if name != ANY_MODEL]

    def clear(self) -> None:
        """Forget every injection and failure rate."""
        with self._lock:
            self._queues.clear()
            self._rates.clear()
