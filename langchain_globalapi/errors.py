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
from langchain_core.exceptions import ModelError, ModelRateLimitError

__all__ = [
    "AllModelsFailedError",
    "AllModelsRateLimitedError",
    "BudgetExceededError",
    "CacheConfigError",
    "CatalogError",
    "GlobalAPIError",
    "GoldenSetError",
    "MidStreamError",
    "MissingAPIKeyError",
    "ModelNotFoundError",
    "NoCapableTierError",
    "OutcomeError",
    "OutcomeStoreError",
    "PromptFileError",
    "RoutingConfigError",
]


class GlobalAPIError(Exception):
    """Base class of every error this package raises on its own."""


class MissingAPIKeyError(GlobalAPIError):
    """No API key was given: export `GLOBAL_API_KEY` or pass `api_key=`.

    Deliberately not a `ValueError`: pydantic would wrap one in a `ValidationError`,
    and this must reach the caller as itself.
    """


class CacheConfigError(GlobalAPIError, ValueError):
    """A cache or cache store is misconfigured (threshold, path, URL): the message says how."""


class CatalogError(GlobalAPIError, ValueError):
    """A catalog entry, override file, price or model lookup is malformed."""


class ModelNotFoundError(GlobalAPIError, LookupError):
    """The endpoint rejected the model id (HTTP 404): it names the model and the base URL."""

    def __init__(self, message: str, *, model: str, base_url: str) -> None:
        super().__init__(message)
        self.model = model
        self.base_url = base_url


class BudgetExceededError(GlobalAPIError):
    """A hard spend limit is reached; `limits` lists which."""

    def __init__(self, message: str, *, limits: Sequence[Any] = ()) -> None:
        super().__init__(message)
        self.limits = tuple(limits)


class GoldenSetError(GlobalAPIError, ValueError):
    """A golden-set record is malformed; `path` and `line` say where (line is 1-based)."""

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None) -> None:
        where = f"{path or '<records>'}:{line}: " if line is not None else ""
        super().__init__(where + message)
        self.path = path
        self.line = line


class RoutingConfigError(GlobalAPIError, ValueError):
    """A router is misconfigured or got an unknown hint: the message lists the valid values."""


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
