"""When to retry the same member instead of moving on: small named strategies, composed.

As in tenacity, behaviour is built from parts rather than flags. A `RetryPolicy` holds
strategies, each of which may propose a wait before retrying the same member; the first
proposal wins, `max_attempts_per_member` caps the retries, and the chain drops any wait
that does not fit the call's remaining deadline (then it moves on at once).

Example:
    >>> from langchain_globalapi.fallbacks import RetryAfter, RetryPolicy
    >>> policy = RetryPolicy(RetryAfter(max_wait_s=2.0), max_attempts_per_member=2)
    >>> from langchain_core.exceptions import ModelRateLimitError
    >>> from langchain_globalapi.fallbacks import FailureKind, Failure
    >>> limited = Failure(FailureKind.RATE_LIMIT, ModelRateLimitError(), 429, retry_after_s=0.5)
    >>> policy.wait_before_retry(limited, attempt=1)
    0.5
    >>> policy.wait_before_retry(limited, attempt=2) is None  # already tried twice
    True
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from langchain_globalapi._validate import (
    finite_number,
    non_negative_number,
    positive_int,
    positive_number,
    probability,
)
from langchain_globalapi.fallbacks._classify import Failure, FailureKind

__all__ = ["ExponentialBackoff", "NoRetry", "RetryAfter", "RetryPolicy", "RetryStrategy"]


@runtime_checkable
class RetryStrategy(Protocol):
    """Proposes a wait before retrying the same member, or None to let others decide."""

    def wait_s(self, failure: Failure, attempt: int) -> float | None:
        """Seconds to wait before attempt `attempt + 1` on this member, or None."""


@dataclass(frozen=True)
class RetryAfter:
    """Retry the same member when the server said when (`retry-after[-ms]`) and it is soon.

    Args:
        max_wait_s: Longest server-requested wait worth sitting out (seconds, >= 0);
            longer ones move on.
    """

    max_wait_s: float = 5.0

    def __post_init__(self) -> None:
        non_negative_number("RetryAfter", "max_wait_s", self.max_wait_s)

    def wait_s(self, failure: Failure, attempt: int) -> float | None:
        """The server's wait, when there is one and it is at most `max_wait_s`."""
        wait = failure.retry_after_s
        if wait is None or wait > self.max_wait_s:
            return None
        return wait


@dataclass(frozen=True)
class ExponentialBackoff:
    """Retry the same member after `initial_s * 2**(attempt-1)` (capped, jittered).

    Off by default: with several members, moving on is usually faster than waiting.

    Args:
        kinds: The failure kinds this applies to.
        initial_s: First wait (seconds, > 0).
        max_s: Longest wait (seconds, >= `initial_s`).
        jitter: Fraction of the wait taken off at random, so a fleet does not retry in
            step (in [0, 1]).
    """

    kinds: frozenset[FailureKind] = field(
        default_factory=lambda: frozenset({FailureKind.SERVER_ERROR, FailureKind.CONNECTION})
    )
    initial_s: float = 0.2
    max_s: float = 2.0
    jitter: float = 0.25

    def __post_init__(self) -> None:
        owner = "ExponentialBackoff"
        initial = positive_number(owner, "initial_s", self.initial_s)
        finite_number(owner, "max_s", self.max_s, min=initial)
        probability(owner, "jitter", self.jitter)

    def wait_s(self, failure: Failure, attempt: int) -> float | None:
        """A growing wait for the listed kinds; None for others."""
        if failure.kind not in self.kinds:
            return None
        wait: float = min(self.initial_s * 2.0 ** max(attempt - 1, 0), self.max_s)
        return wait * (1 - self.jitter * random.random())  # noqa: S311 - jitter, not crypto


@dataclass(frozen=True)
class NoRetry:
    """Never retry the same member: every failure moves on at once."""

    def wait_s(self, failure: Failure, attempt: int) -> float | None:
        """Always None."""
        return None


class RetryPolicy:
    """Strategies tried in order; the first proposed wait wins, within an attempt cap.

    Args:
        strategies: `RetryAfter`, `ExponentialBackoff`, `NoRetry`, or your own
            `RetryStrategy`. Default: `RetryAfter()` alone.
        max_attempts_per_member: Calls to one member within one request, first included
            (an integer >= 1).

    Example:
        >>> RetryPolicy(RetryAfter(max_wait_s=1.0), ExponentialBackoff(), max_attempts_per_member=3)
        RetryPolicy(RetryAfter(max_wait_s=1.0), ExponentialBackoff(...), max_attempts_per_member=3)
    """

    def __init__(self, *strategies: RetryStrategy, max_attempts_per_member: int = 2) -> None:
        max_attempts_per_member = positive_int(
            "RetryPolicy", "max_attempts_per_member", max_attempts_per_member
        )
        self.strategies: tuple[RetryStrategy, ...] = strategies or (RetryAfter(),)
        self.max_attempts_per_member = max_attempts_per_member

    @classmethod
    def never(cls) -> RetryPolicy:
        """A policy that always moves on."""
        return cls(NoRetry(), max_attempts_per_member=1)

    def wait_before_retry(self, failure: Failure, attempt: int) -> float | None:
        """The wait before retrying the same member after its `attempt`-th failure, or None."""
        if not failure.kind.is_transient or attempt >= self.max_attempts_per_member:
            return None
        for strategy in self.strategies:
            wait = strategy.wait_s(failure, attempt)
            if wait is not None:
                return max(wait, 0.0)
        return None

    def __repr__(self) -> str:
        parts: Iterable[str] = (
            repr(s) if not isinstance(s, ExponentialBackoff) else "ExponentialBackoff(...)"
            for s in self.strategies
        )
        return (
            f"RetryPolicy({', '.join(parts)}, "
            f"max_attempts_per_member={self.max_attempts_per_member})"
        )
