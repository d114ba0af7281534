"""Spend limits: total, per model or per tier, per period, soft or hard.

A `Budget` is fed by the `CostTracker` (every priced call is recorded) and consulted by
the router and the fallback wrapper before a call: a *soft* limit that is reached tells
them to downgrade to a cheaper model (and warns once per period); a *hard* limit that is
reached raises `BudgetExceededError`. State lives in-process by default; give a
`redis://` URL to share it across processes and hosts (amounts are kept as integer
nano-dollars with `INCRBY`, so they stay exact).

Example:
    >>> from decimal import Decimal
    >>> from langchain_globalapi import Budget, SpendLimit
    >>> budget = Budget([SpendLimit.total("5.00", per="day"),
    ...                  SpendLimit.tier("pro", "1.00", per="day", hard=True)])
    >>> budget.record(Decimal("0.80"), model="deepseek-ai/DeepSeek-V4-Pro", tier="pro")
    >>> budget.allows(tier="pro")
    True
    >>> budget.record(Decimal("0.30"), model="deepseek-ai/DeepSeek-V4-Pro", tier="pro")
    >>> budget.allows(tier="pro")
    False
"""

from __future__ import annotations

import logging
import threading
import time
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from langchain_globalapi._redis import redis_client
from langchain_globalapi.errors import BudgetExceededError, GlobalAPIError

__all__ = ["Budget", "BudgetCheck", "SpendLimit"]

logger = logging.getLogger(__name__)

Period = Literal["total", "hour", "day", "month"]
Scope = Literal["total", "model", "tier"]
_PERIODS: tuple[str, ...] = ("total", "hour", "day", "month")
_NANO = Decimal("1e9")


def _amount(value: Decimal | str | int | float, what: str) -> Decimal:
    try:
        amount = Decimal(repr(value) if isinstance(value, float) else str(value))
    except (InvalidOperation, ValueError) as exc:
        msg = f"{what}: {value!r} is not a USD amount"
        raise GlobalAPIError(msg) from exc
    if not amount.is_finite() or amount <= 0:
        msg = f"{what}: {value!r} must be a positive USD amount"
        raise GlobalAPIError(msg)
    return amount


def _from_nanos(nanos: int) -> Decimal:
    amount = Decimal(nanos) / _NANO
    # Drop the trailing zeros of the division without switching to exponent notation.
    return amount.quantize(Decimal(1)) if amount == amount.to_integral() else amount.normalize()


@dataclass(frozen=True)
class SpendLimit:
    """One limit: `usd` per `period` on everything, one model, or one tier.

    Build them with the constructors: `SpendLimit.total("100", per="month")`,
    `SpendLimit.model("gpt-4o", "10", per="day", hard=True)`, `SpendLimit.tier("pro", "5")`.
    """

    scope: Scope
    usd: Decimal
    per: Period = "month"
    name: str | None = None
    hard: bool = False

    def __post_init__(self) -> None:
        if self.per not in _PERIODS:
            msg = f"SpendLimit per={self.per!r} is not a period; use one of {list(_PERIODS)}"
            raise GlobalAPIError(msg)
        if self.scope != "total" and not self.name:
            msg = f"a {self.scope} limit needs the {self.scope}'s name"
            raise GlobalAPIError(msg)
        object.__setattr__(self, "usd", _amount(self.usd, f"{self.label} limit"))

    @classmethod
    def total(
        cls, usd: Decimal | str | int, *, per: Period = "month", hard: bool = False
    ) -> SpendLimit:
        """A limit on all spend."""
        return cls("total", _amount(usd, "total limit"), per, None, hard)

    @classmethod
    def model(
        cls, model: str, usd: Decimal | str | int, *, per: Period = "month", hard: bool = False
    ) -> SpendLimit:
        """A limit on one model id's spend."""
        return cls("model", _amount(usd, f"model {model!r} limit"), per, model, hard)

    @classmethod
    def tier(
        cls, tier: str, usd: Decimal | str | int, *, per: Period = "month", hard: bool = False
    ) -> SpendLimit:
        """A limit on one router tier's spend."""
        return cls("tier", _amount(usd, f"tier {tier!r} limit"), per, tier, hard)

    @property
    def label(self) -> str:
        """A readable name, e.g. `tier 'pro' per day`."""
        what = "total" if self.scope == "total" else f"{self.scope} {self.name!r}"
        return f"{what} per {self.per}" if self.per != "total" else what

    def applies_to(self, *, model: str | None, tier: str | None) -> bool:
        """Whether spend on this model/tier counts against the limit."""
        if self.scope == "total":
            return True
        return (self.scope == "model" and self.name == model) or (
            self.scope == "tier" and self.name == tier
        )

    def bucket(self, now: float) -> str:
        """The period bucket a moment falls in (UTC)."""
        if self.per == "total":
            return "all"
        fmt = {"hour": "%Y%m%d%H", "day": "%Y%m%d", "month": "%Y%m"}[self.per]
        return time.strftime(fmt, time.gmtime(now))

    def key(self, now: float) -> str:
        """The counter key for the current period."""
        return f"{self.scope}:{self.name or '*'}:{self.per}:{self.bucket(now)}"


@dataclass(frozen=True)
class BudgetCheck:
    """What a budget says about one more call: allowed, and which limits are reached."""

    allowed: bool
    reached: tuple[SpendLimit, ...] = ()

    @property
    def hard(self) -> bool:
        """Whether a reached limit is hard."""
        return any(limit.hard for limit in self.reached)

    @property
    def reason(self) -> str:
        """A sentence for metadata and warnings."""
        if not self.reached:
            return "within budget"
        return "budget reached: " + ", ".join(f"{lim.label} (${lim.usd})" for lim in self.reached)


class _MemoryCounters:
    def __init__(self) -> None:
        self._values: dict[str, int] = {}
        self._lock = threading.Lock()

    def add(self, keys: Iterable[str], nanos: int, ttl_s: int | None) -> None:
        with self._lock:
            for key in keys:
                self._values[key] = self._values.get(key, 0) + nanos

    def get(self, key: str) -> int:
        with self._lock:
            return self._values.get(key, 0)

    def clear(self) -> None:
        with self._lock:
            self._values.clear()


class _RedisCounters:
    def __init__(self, url: str, prefix: str) -> None:
        self._client = redis_client(url, owner="Budget(redis_url=...)", timeout_s=2.0)
        self._prefix = prefix

    def add(self, keys: Iterable[str], nanos: int, ttl_s: int | None) -> None:
        pipe = self._client.pipeline()
        for key in keys:
            pipe.incrby(self._prefix + key, nanos)
            if ttl_s is not None:
                pipe.expire(self._prefix + key, ttl_s)
        pipe.execute()

    def get(self, key: str) -> int:
        value = self._client.get(self._prefix + key)
        return int(value) if value is not None else 0

    def clear(self) -> None:
        for key in self._client.scan_iter(match=self._prefix + "*"):
            self._client.delete(key)


_TTL_S = {"hour": 2 * 3600, "day": 2 * 86400, "month": 62 * 86400, "total": None}


class Budget:
    """Spend limits shared by the cost tracker, the router and the fallback wrapper.

    Args:
        limits: the `SpendLimit`s to enforce.
        redis_url: share the counters through Redis (`redis://host:6379/0`) instead of
            keeping them in this process.
        namespace: separates budgets that share one Redis.
        on_limit: called once per limit and period when a limit is first reached.
        clock: seconds since the epoch; tests pass a fake one.

    Example:
        >>> budget = Budget([SpendLimit.total("0.01", per="day", hard=True)])
        >>> budget.record("0.02", model="gpt-4o")
        >>> budget.ensure(model="gpt-4o")
        Traceback (most recent call last):
        ...
        langchain_globalapi.errors.BudgetExceededError: budget reached: total per day ($0.01)
    """

    def __init__(
        self,
        limits: Iterable[SpendLimit],
        *,
        redis_url: str | None = None,
        namespace: str = "default",
        on_limit: Callable[[SpendLimit, Decimal], Any] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.limits = tuple(limits)
        if not self.limits:
            msg = "Budget needs at least one SpendLimit, e.g. SpendLimit.total('100', per='month')"
            raise GlobalAPIError(msg)
        self._counters: _MemoryCounters | _RedisCounters = (
            _RedisCounters(redis_url, f"globalapi:budget:{namespace}:")
            if redis_url
            else _MemoryCounters()
        )
        self._on_limit = on_limit
        self._clock = clock
        self._alerted: set[str] = set()
        self._alert_lock = threading.Lock()

    def record(
        self, usd: Decimal | str | int | float, *, model: str | None = None, tier: str | None = None
    ) -> None:
        """Add spend on `model` (and its `tier`) to every limit it counts against."""
        amount = Decimal(repr(usd) if isinstance(usd, float) else str(usd))
        if amount <= 0:
            return
        now = self._clock()
        nanos = int((amount * _NANO).to_integral_value())
        for limit in self.limits:
            if limit.applies_to(model=model, tier=tier):
                self._counters.add([limit.key(now)], nanos, _TTL_S[limit.per])
        for limit in self.check(model=model, tier=tier).reached:
            self._alert(limit, now)

    def spent(self, limit: SpendLimit) -> Decimal:
        """What has been spent against `limit` in its current period."""
        return _from_nanos(self._counters.get(limit.key(self._clock())))

    def remaining(self, limit: SpendLimit) -> Decimal:
        """What is left of `limit` in its current period (never negative)."""
        return max(limit.usd - self.spent(limit), Decimal(0))

    def check(
        self,
        *,
        model: str | None = None,
        tier: str | None = None,
        estimated_usd: Decimal = Decimal(0),
    ) -> BudgetCheck:
        """Whether one more call on `model`/`tier` (costing about `estimated_usd`) fits."""
        reached = tuple(
            limit
            for limit in self.limits
            if limit.applies_to(model=model, tier=tier)
            and self.spent(limit) + estimated_usd >= limit.usd
        )
        return BudgetCheck(allowed=not reached, reached=reached)

    def allows(self, *, model: str | None = None, tier: str | None = None) -> bool:
        """Shorthand for `check(...).allowed`."""
        return self.check(model=model, tier=tier).allowed

    def ensure(
        self,
        *,
        model: str | None = None,
        tier: str | None = None,
        estimated_usd: Decimal = Decimal(0),
    ) -> BudgetCheck:
        """`check`, raising `BudgetExceededError` when a reached limit is hard."""
        result = self.check(model=model, tier=tier, estimated_usd=estimated_usd)
        if result.hard:
            raise BudgetExceededError(result.reason, limits=result.reached)
        return result

    def reset(self) -> None:
        """Zero every counter (in Redis too)."""
        self._counters.clear()
        with self._alert_lock:
            self._alerted.clear()

    def _alert(self, limit: SpendLimit, now: float) -> None:
        key = limit.key(now)
        with self._alert_lock:
            if key in self._alerted:
                return
            self._alerted.add(key)
        spent = self.spent(limit)
        warnings.warn(f"budget reached: {limit.label} (${limit.usd}, spent ${spent})", stacklevel=3)
        logger.warning("budget reached: %s ($%s, spent $%s)", limit.label, limit.usd, spent)
        if self._on_limit is not None:
            self._on_limit(limit, spent)
