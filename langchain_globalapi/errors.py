"""The package's exceptions, in one hierarchy under `GlobalAPIError`.

Errors are raised at the boundary and say what to do. Each also subclasses the builtin
that callers would naturally catch (`ValueError` for bad configuration, `LookupError` for
an unknown model), so existing `except` clauses keep working.

Example:
    >>> from langchain_globalapi.errors import GlobalAPIError
    >>> from langchain_globalapi.errors import CatalogError
    >>> issubclass(CatalogError, GlobalAPIError) and issubclass(CatalogError, ValueError)
    True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import openai
from langchain_core.exceptions import (
    ModelAPIError,
    ModelConnectionError,
    ModelError,
    ModelRateLimitError,
    ModelTimeoutError,
)

__all__ = [
    "AllModelsFailedError",
    "AllModelsRateLimitedError",
    "AnswerCheckError",
    "BudgetExceededError",
    "BudgetUnavailableError",
    "CacheConfigError",
    "CallTimeoutError",
    "CatalogError",
    "EmptyInputError",
    "EmptyResponseError",
    "EndpointUnreachableError",
    "GlobalAPIError",
    "GoldenSetError",
    "InvalidBaseURLError",
    "InvalidSettingError",
    "LedgerError",
    "MalformedResponseError",
    "MidStreamError",
    "MissingAPIKeyError",
    "ModelNotFoundError",
    "NoCapableTierError",
    "OutcomeError",
    "OutcomeStoreError",
    "PromptFileError",
    "RoutingConfigError",
    "SettingError",
]


class GlobalAPIError(Exception):
    """Base class of every error this package raises on its own."""


class MissingAPIKeyError(GlobalAPIError):
    """No API key was given: export `GLOBAL_API_KEY` or pass `api_key=`.

    Deliberately not a `ValueError`: pydantic would wrap one in a `ValidationError`,
    and this must reach the caller as itself.
    """


class SettingError(GlobalAPIError):
    """A constructor argument is NaN, infinite, out of range or of the wrong type.

    The message names the class, the argument, the allowed range and the value given;
    `owner`, `name` and `value` hold them. The package's pydantic models
    (`FallbackChatModel`, `GlobalAPIEmbeddings`) raise this class itself: it is
    deliberately not a `ValueError`, which pydantic would wrap in its `ValidationError`.
    Every other class raises `InvalidSettingError`, which is both.
    """

    def __init__(
        self, message: str, *, owner: str | None = None, name: str | None = None, value: Any = None
    ) -> None:
        super().__init__(message)
        self.owner = owner
        self.name = name
        self.value = value


class InvalidSettingError(SettingError, ValueError):
    """A `SettingError` that is also a `ValueError` (raised by every non-pydantic class)."""


class CacheConfigError(InvalidSettingError):
    """A cache or cache store is misconfigured (threshold, path, URL): the message says how."""


class CatalogError(GlobalAPIError, ValueError):
    """A catalog entry, override file, price or model lookup is malformed."""


class ModelNotFoundError(GlobalAPIError, LookupError):
    """The endpoint rejected the model id (HTTP 404): it names the model and the base URL."""

    def __init__(self, message: str, *, model: str, base_url: str) -> None:
        super().__init__(message)
        self.model = model
        self.base_url = base_url


class InvalidBaseURLError(GlobalAPIError, ValueError):
    """A base URL that is not an http(s) URL with a host (e.g. a missing `https://`)."""


class EmptyInputError(GlobalAPIError, ValueError):
    """A model was asked to answer an empty list of messages: nothing was sent or billed."""


class MalformedResponseError(GlobalAPIError, ModelAPIError):
    """The endpoint answered with something that is not a chat completion (a server fault).

    Empty or null `choices`, a body that is not JSON, an HTML page with status 200, a
    garbled stream: a `FallbackChatModel` moves on to its next member. `model` and
    `base_url` say which model and endpoint answered (None when unknown).
    """

    is_retryable = True

    def __init__(
        self, message: str, *, model: str | None = None, base_url: str | None = None
    ) -> None:
        super().__init__(message)
        self.model = model
        self.base_url = base_url


class EmptyResponseError(MalformedResponseError):
    """A stream ended without an answer: no text, no tool call, not even a finish reason."""


class CallTimeoutError(GlobalAPIError, ModelTimeoutError, TimeoutError):
    """A model call ran past one of its timeouts; the model and base URL are in the message.

    `timeout` says which limit fired: `"request"` (`timeout=`, one HTTP attempt),
    `"chunk"` (`chunk_timeout_s`, silence inside a stream) or `"total"`
    (`total_timeout_s`, the whole call with its retries); `timeout_s` is its value.
    """

    def __init__(
        self,
        message: str,
        *,
        timeout: str,
        timeout_s: float | None,
        model: str | None = None,
        base_url: str | None = None,
    ) -> None:
        super().__init__(message)
        self.timeout = timeout
        self.timeout_s = timeout_s
        self.model = model
        self.base_url = base_url


class EndpointUnreachableError(GlobalAPIError, ModelConnectionError, ConnectionError):
    """No connection could be made to `base_url` (DNS, refused, TLS, connect timeout).

    Usually a wrong `base_url=` / `GLOBAL_API_BASE`, or no network; the message names the URL.
    """

    def __init__(self, message: str, *, base_url: str, model: str | None = None) -> None:
        super().__init__(message)
        self.base_url = base_url
        self.model = model


class BudgetExceededError(GlobalAPIError):
    """A hard spend limit is reached; `limits` lists which."""

    def __init__(self, message: str, *, limits: Sequence[Any] = ()) -> None:
        super().__init__(message)
        self.limits = tuple(limits)


class BudgetUnavailableError(GlobalAPIError):
    """A budget's shared store cannot be reached, so a hard limit cannot be checked.

    Raised only for hard limits with `Budget(on_unavailable="refuse")` (the default);
    soft limits fail open with a warning.
    """


class GoldenSetError(GlobalAPIError, ValueError):
    """A golden-set record is malformed; `path` and `line` say where (line is 1-based)."""

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None) -> None:
        if line is not None:
            where = f"{path or '<records>'}:{line}: "
        else:
            where = f"{path}: " if path else ""
        super().__init__(where + message)
        self.path = path
        self.line = line


class LedgerError(GlobalAPIError, ValueError):
    """A usage ledger is misconfigured or unreadable (path, URL, retention): it says what to do."""


class RoutingConfigError(GlobalAPIError, ValueError):
    """A router is misconfigured or got an unknown hint: the message lists the valid values."""


class AnswerCheckError(GlobalAPIError, ValueError):
    """An answer check returned something that is not a risk in [0, 1], or raised (when strict)."""


class OutcomeError(GlobalAPIError, ValueError):
    """A routing outcome is malformed, or an outcome store is misconfigured: the message says how.

    Malformed: a verdict that is NaN or outside [0, 1], an input with no text. Misconfigured: a
    bad URL, path or limit.
    """


class OutcomeStoreError(GlobalAPIError):
    """An outcome store could not be read or written (Redis unreachable, SQLite locked)."""


class NoCapableTierError(GlobalAPIError, ValueError):
    """No router tier can take the request (context window, tools or images): add one that can."""


class PromptFileError(GlobalAPIError, ValueError):
    """A prompts file for `globalapi plan` is unreadable or has a malformed line (it says where)."""


class AllModelsFailedError(GlobalAPIError, ModelError):
    """Every member of a `FallbackChatModel` failed or was skipped.

    `failures` lists each member once, in chain order, as dicts with `model`, `error`
    (the failure kind: `rate_limit`, `server_error`, `timeout`, `connection`,
    `context_overflow`, or a skip: `cooldown`, `budget`, `context_window`, `deadline`),
    `status` and `detail`; `errors` holds the exceptions raised, the last one is also
    `__cause__`. `is_retryable` is True when every failure was transient, and
    `retry_after_s` says when the first member leaves its cooldown, if known.
    Raised as `AllModelsRateLimitedError` when every member was rate-limited.
    """

    def __init__(
        self,
        message: str,
        *,
        failures: Sequence[Mapping[str, Any]] = (),
        errors: Sequence[BaseException] = (),
        retry_after_s: float | None = None,
        retryable: bool = False,
    ) -> None:
        Exception.__init__(self, message)
        self.message = message
        self.failures = tuple(dict(failure) for failure in failures)
        self.errors = tuple(errors)
        self.retry_after_s = retry_after_s
        self.is_retryable = retryable


class AllModelsRateLimitedError(AllModelsFailedError, ModelRateLimitError, openai.RateLimitError):
    """Every member of a `FallbackChatModel` was rate-limited (or cooling down from it).

    It is a `ModelRateLimitError` and an `openai.RateLimitError`, so code that already
    catches a single model's rate limit (LangChain's or the SDK's) catches this too.
    `response` is the last member's 429 response when it came over HTTP, else None.
    """

    def __init__(
        self,
        message: str,
        *,
        failures: Sequence[Mapping[str, Any]] = (),
        errors: Sequence[BaseException] = (),
        retry_after_s: float | None = None,
        retryable: bool = True,
    ) -> None:
        super().__init__(
            message,
            failures=failures,
            errors=errors,
            retry_after_s=retry_after_s,
            retryable=retryable,
        )
        # openai.RateLimitError's attributes, taken from the last HTTP 429 when there is one.
        last = next((e for e in reversed(errors) if isinstance(e, openai.APIStatusError)), None)
        self.response: Any = last.response if last is not None else None
        self.request: Any = last.request if last is not None else None
        self.status_code = 429
        self.request_id = last.request_id if last is not None else None
        self.body: object | None = last.body if last is not None else None
        self.code = last.code if last is not None else "rate_limit_exceeded"
        self.param = None
        self.type = last.type if last is not None else None


class MidStreamError(GlobalAPIError, ModelError):
    """A member failed after part of its answer was already streamed to the caller.

    The fallback chain does not restart on another member: the caller would get the
    same text twice. `delivered_text` is what was delivered (`delivered_chars` long, in
    `chunks_delivered` chunks) by `model`; the cause is `__cause__`. Resume or retry
    knowingly, e.g. by asking for a continuation of `delivered_text`.
    """

    is_retryable = False

    def __init__(
        self, message: str, *, model: str, delivered_text: str, chunks_delivered: int
    ) -> None:
        super().__init__(message)
        self.model = model
        self.delivered_text = delivered_text
        self.delivered_chars = len(delivered_text)
        self.chunks_delivered = chunks_delivered
