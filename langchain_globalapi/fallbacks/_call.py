"""One fallback call's bookkeeping: the deadline, skips, attempts, decisions and the outcome.

`CallState` holds everything the sync, async and streaming loops of `FallbackChatModel`
share, so each loop only does the calling (and the waiting) in its own style. It decides
what a failure means (retry the same member, move on, raise now), stamps the winner's
`response_metadata["fallback"]`, and builds `AllModelsFailedError` when nobody answered.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from langchain_core.messages import BaseMessage

from langchain_globalapi._failures import check_url_hint
from langchain_globalapi._tokens import estimate_message_tokens
from langchain_globalapi.budgets import Budget
from langchain_globalapi.catalog import Catalog
from langchain_globalapi.errors import (
    AllModelsFailedError,
    AllModelsRateLimitedError,
    EndpointUnreachableError,
)
from langchain_globalapi.fallbacks._classify import Failure, FailureKind, classify_error
from langchain_globalapi.fallbacks._cooldowns import Admission
from langchain_globalapi.fallbacks._members import Member
from langchain_globalapi.fallbacks._policy import RetryPolicy

__all__ = ["CallState", "Decision"]

_M = TypeVar("_M", bound=BaseMessage)


@dataclass(frozen=True)
class Decision:
    """What to do after a failed attempt: raise now, retry after `wait_s`, or move on."""

    raise_now: bool = False
    wait_s: float | None = None


@dataclass(frozen=True)
class CallSettings:
    """The chain's settings one call needs."""

    members: Sequence[Member]
    policy: RetryPolicy
    catalog: Catalog
    budget: Budget | None
    timeout_s: float | None
    attempt_timeout_s: float | None
    first_chunk_timeout_s: float | None


class CallState:
    """The state of one call through the chain (not shared between calls)."""

    def __init__(self, settings: CallSettings, messages: Sequence[BaseMessage]) -> None:
        self.settings = settings
        self.messages = messages
        self.started = time.monotonic()
        self.deadline = (
            self.started + settings.timeout_s if settings.timeout_s is not None else math.inf
        )
        self.attempts: list[dict[str, Any]] = []
        self.skipped: list[dict[str, Any]] = []
        self.outcomes: dict[str, dict[str, Any]] = {}  # the last word on each member
        self.errors: list[BaseException] = []
        self.cooling_s: list[float] = []
        self.required_window: int | None = None
        self._overflow: BaseException | None = None

    # --- time -----------------------------------------------------------------------------

    def remaining_s(self) -> float:
        """Seconds left before the call's deadline (inf without one)."""
        return self.deadline - time.monotonic()

    def probe_lease_s(self) -> float:
        """How long a claimed half-open probe may block others: this call's time left."""
        remaining = self.remaining_s()
        return min(remaining, 300.0) if math.isfinite(remaining) else 300.0

    def attempt_timeout_s(self, *, first_chunk: bool = False) -> float | None:
        """The time one attempt (or its first streamed chunk) may take."""
        limits = [self.remaining_s()]
        per_attempt = self.settings.attempt_timeout_s
        if first_chunk and self.settings.first_chunk_timeout_s is not None:
            per_attempt = self.settings.first_chunk_timeout_s
        if per_attempt is not None:
            limits.append(per_attempt)
        limit = min(limits)
        return max(limit, 0.001) if math.isfinite(limit) else None

    def call_kwargs(
        self, member: Member, kwargs: dict[str, Any], *, first_chunk: bool = False
    ) -> dict[str, Any]:
        """The member's call kwargs: the SDK's own timeout for OpenAI-compatible members."""
        timeout = self.attempt_timeout_s(first_chunk=first_chunk)
        if member.takes_timeout and timeout is not None and "timeout" not in kwargs:
            return {**kwargs, "timeout": timeout}
        return kwargs

    # --- before an attempt ------------------------------------------------------------------

    def skip_reason(self, member: Member, index: int) -> bool:
        """Record and return True when `member` must not be called for this request."""
        if self.remaining_s() <= 0:
            self._skip(member, "deadline", "the call's timeout_s was used up")
            return True
        if self.required_window is not None and (
            member.context_window is None or member.context_window <= self.required_window
        ):
            window = member.context_window or "unknown"
            detail = f"context window {window} is not larger than {self.required_window}"
            self._skip(member, "context_window", detail)
            return True
        vetoed = self._budget_veto(member, index)
        if vetoed is not None:
            self._skip(member, "budget", vetoed)
            return True
        return False

    def _budget_veto(self, member: Member, index: int) -> str | None:
        budget, primary = self.settings.budget, self.settings.members[0]
        if budget is None or index == 0:
            return None
        # Only escalations are vetoed: a member no pricier than the primary is never blocked.
        if (
            member.price_per_mtok is not None
            and primary.price_per_mtok is not None
            and member.price_per_mtok <= primary.price_per_mtok
        ):
            return None
        catalog = self.settings.catalog
        estimated = catalog.cost(
            member.model,
            input_tokens=estimate_message_tokens(list(self.messages), []),
            output_tokens=0,
        )
        check = budget.check(
            model=member.model,
            tier=catalog.tier_of(member.model),
            estimated_usd=estimated or Decimal(0),
        )
        return None if check.allowed else check.reason

    def admitted(self, member: Member, admission: Admission) -> bool:
        """True when the cooldowns admit `member`; otherwise record it as skipped."""
        if admission.allowed:
            return True
        self.cooling_s.append(admission.remaining_s)
        detail = f"{admission.reason}, {admission.remaining_s:.3f}s left"
        self._skip(member, "cooldown", detail, reason=admission.reason)
        return False

    def _skip(self, member: Member, error: str, detail: str, **extra: Any) -> None:
        entry = {"model": member.model, "error": error, "status": None, "detail": detail, **extra}
        self.skipped.append(entry)
        self.outcomes.setdefault(member.key, entry)

    # --- after an attempt -------------------------------------------------------------------

    def on_failure(
        self, member: Member, error: BaseException, started: float, attempt: int
    ) -> tuple[Failure, Decision]:
        """Classify a failed attempt, record it, and decide what comes next."""
        failure = classify_error(error)
        wait: float | None = None
        if failure.kind.is_transient:
            wait = self.settings.policy.wait_before_retry(failure, attempt)
            # Retry only when the wait and a sliver of a call still fit the deadline.
            if wait is not None and wait + 0.01 >= self.remaining_s():
                wait = None
        entry = {
            "model": member.model,
            "error": failure.kind.value,
            "status": failure.status,
            "wait_s": round(wait, 3) if wait is not None else 0.0,
            "latency_ms": round((time.monotonic() - started) * 1000, 1),
            "detail": failure.describe(),
        }
        self.attempts.append(entry)
        self.outcomes[member.key] = entry
        self.errors.append(error)
        if failure.kind is FailureKind.CONTEXT_OVERFLOW:
            self._overflow = error
            window = member.context_window or failure.context_window or 0
            self.required_window = max(self.required_window or 0, window)
        if not failure.moves_on:
            self._annotate(error)
            return failure, Decision(raise_now=True)
        return failure, Decision(wait_s=wait)

    def on_success(self, member: Member, started: float) -> dict[str, Any]:
        """Record `member`'s answer as the last attempt; the answer's `fallback` metadata."""
        self.attempts.append(
            {
                "model": member.model,
                "error": None,
                "status": None,
                "wait_s": 0.0,
                "latency_ms": round((time.monotonic() - started) * 1000, 1),
            }
        )
        return self.metadata(member)

    def metadata(self, member: Member) -> dict[str, Any]:
        """The `fallback` metadata of an answer `member` served."""
        return {
            "served_by": member.model,
            "attempts": [dict(attempt) for attempt in self.attempts],
            "skipped": [dict(skip) for skip in self.skipped],
        }

    def all_failed(self) -> BaseException:
        """The error to raise when no member answered."""
        if self._overflow is not None:
            # The request itself is too long for every member that could take it: the
            # caller must shorten it, which is what ContextOverflowError tells them.
            self._annotate(self._overflow)
            return self._overflow
        failures = [
            self.outcomes.get(member.key)
            or {"model": member.model, "error": "not_tried", "status": None, "detail": ""}
            for member in self.settings.members
        ]
        listing = "; ".join(f"{f['model']}: {f['error']} ({f.get('detail', '')})" for f in failures)
        message = f"all {len(failures)} fallback models failed: {listing}"
        rate_limited = all(
            f["error"] == "rate_limit" or f.get("reason") == "rate_limit" for f in failures
        )
        transient = all(f["error"] in _TRANSIENT or (f["error"] == "cooldown") for f in failures)
        retry_after = min(self.cooling_s) if self.cooling_s else None
        cls = AllModelsRateLimitedError if rate_limited else AllModelsFailedError
        error = cls(
            message + self._hint(),
            failures=failures,
            errors=self.errors,
            retry_after_s=retry_after,
            retryable=transient,
        )
        if self.errors:
            error.__cause__ = self.errors[-1]
        return error

    def _hint(self) -> str:
        # Every member that was tried could not even connect: a configuration mistake
        # (wrong URL, no network), which waiting or adding members will not fix.
        unreachable = [e for e in self.errors if isinstance(e, EndpointUnreachableError)]
        if not unreachable or len(unreachable) < len(self.errors):
            return _HINT
        urls = ", ".join(dict.fromkeys(error.base_url for error in unreachable))
        return f". No member's endpoint could be reached ({urls}): {check_url_hint}."

    def _annotate(self, error: BaseException) -> None:
        tried = [a for a in self.attempts if a["error"] is not None][:-1]
        if tried or self.skipped:
            summary = ", ".join(f"{a['model']}: {a['error']}" for a in [*tried, *self.skipped])
            add_note = getattr(error, "add_note", None)  # Python 3.11+
            if add_note is not None:
                add_note(f"FallbackChatModel: earlier members: {summary}")


_TRANSIENT = {kind.value for kind in FailureKind if kind.is_transient} | {"deadline"}
_HINT = ". Retry later, add members, or raise timeout_s."
