"""Spend limits: total, per model or per tier, per period, soft or hard, held under concurrency.

A `Budget` is enforced wherever it is attached (`get_globalapi_callback(budget=...)`, a
`CostTracker`, the router, the fallback wrapper, the tripwire): every model call
**reserves** its worst-case cost before it is sent, and a *hard* limit that cannot take
the reservation refuses the call with `BudgetExceededError` before any request is made
(a call whose worst case does not fit is still let through when nothing else is in
flight and the limit is not yet reached, so a limit is overshot by at most one call).
When the call ends the reservation is **settled** to what the call really cost (or
**released** when it failed), so fifty calls started at once cannot all slip under a limit
that only one of them fits. A *soft* limit never refuses: once reached, the router
downgrades to a cheaper tier and the budget warns once per period.

State lives in-process by default; give a `redis://` URL to share it across processes
and hosts. Amounts are integer nano-dollars, and each reservation is checked and taken in
one atomic step (a lock in memory, a Lua script in Redis). A reservation whose process
died is dropped after `reservation_lease_s`. When Redis cannot be reached, soft limits
fail open with one warning; hard limits refuse with `BudgetUnavailableError`
(`on_unavailable="refuse"`, the default) or fail open with a warning
(`on_unavailable="allow"`). Spend that could not be written is kept and written when Redis
is back: a paid answer is never thrown away, and never billed twice.

Example:
    >>> from decimal import Decimal
    >>> from langchain_globalapi import Budget, SpendLimit
    >>> budget = Budget([SpendLimit.total("5.00", per="day"),
    ...                  SpendLimit.tier("pro", "1.00", per="day", hard=True)])
    >>> budget.record(Decimal("0.80"), model="deepseek-ai/DeepSeek-V4-Pro", tier="pro")
    >>> budget.allows(tier="pro")
    True
    >>> hold = budget.reserve(Decimal("0.15"), tier="pro")   # the worst case of a pro call
    >>> budget.reserve(Decimal("0.15"), tier="pro")
    Traceback (most recent call last):
    ...
    langchain_globalapi.errors.BudgetExceededError: budget reached: tier 'pro' per day ($1.00): ...
    >>> budget.settle(hold, Decimal("0.05"))                  # it cost less
    >>> budget.spent(budget.limits[1])
    Decimal('0.85')
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from langchain_globalapi._redis import redis_client
from langchain_globalapi.errors import BudgetExceededError, BudgetUnavailableError, GlobalAPIError

__all__ = ["Budget", "BudgetCheck", "Reservation", "SpendLimit"]

logger = logging.getLogger(__name__)

Period = Literal["total", "hour", "day", "month"]
Scope = Literal["total", "model", "tier"]
OnUnavailable = Literal["refuse", "allow"]
_PERIODS: tuple[str, ...] = ("total", "hour", "day", "month")
_NANO = Decimal("1e9")
_ONE_NANO = Decimal("1e-9")


def _amount(value: Decimal | str | int | float, what: str) -> Decimal:
    try:
        amount = Decimal(repr(value) if isinstance(value, float) else str(value))
    except (InvalidOperation, ValueError) as exc:
        msg = f"{what}: {value!r} is not a USD amount"
        raise GlobalAPIError(msg) from exc
    if not amount.is_finite() or amount < _ONE_NANO:
        msg = (
            f"{what}: {value!r} must be a finite USD amount of at least $0.000000001 "
            "(budgets count in nano-dollars)"
        )
        raise GlobalAPIError(msg)
    return amount


def _nanos(usd: Decimal | str | int | float) -> int:
    amount = Decimal(repr(usd) if isinstance(usd, float) else str(usd))
    if not amount.is_finite() or amount <= 0:
        return 0
    return int((amount * _NANO).to_integral_value())


def _from_nanos(nanos: int) -> Decimal:
    amount = Decimal(nanos) / _NANO
    # Drop the trailing zeros of the division without switching to exponent notation.
    return amount.quantize(Decimal(1)) if amount == amount.to_integral() else amount.normalize()


@dataclass(frozen=True)
class SpendLimit:
    """One limit: `usd` per `period` on everything, one model, or one tier.

    Build them with the constructors: `SpendLimit.total("100", per="month")`,
    `SpendLimit.model("gpt-4o", "10", per="day", hard=True)`, `SpendLimit.tier("pro", "5")`.

    Example:
        >>> SpendLimit.tier("pro", "5", per="day", hard=True).label
        "tier 'pro' per day"
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
        if self.scope not in ("total", "model", "tier"):
            msg = f"SpendLimit scope={self.scope!r} is not one of 'total', 'model', 'tier'"
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

    @property
    def nanos(self) -> int:
        """The limit in nano-dollars."""
        return _nanos(self.usd)

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
    """What a budget says about one more call: allowed, and which limits are reached.

    `unavailable` lists limits that could not be checked because the store is down.
    """

    allowed: bool
    reached: tuple[SpendLimit, ...] = ()
    unavailable: tuple[SpendLimit, ...] = ()

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


@dataclass
class Reservation:
    """Money set aside for one call until it is settled or released.

    Attributes:
        key: The call's id (a run id); reserving twice under one key shares the hold.
        nanos: The worst case held, in nano-dollars.
        counter_keys: The period counters the call counts against.
        held: False when nothing could be held (the store was down and the limits
            failed open); settling still records the spend.
    """

    key: str
    nanos: int
    counter_keys: tuple[str, ...]
    ttl_s: int | None = None
    held: bool = True
    holders: int = 1
    settled_nanos: int = 0
    done: bool = field(default=False, repr=False)


def _admits(spent: int, held: int, nanos: int, limit: int) -> bool:
    """Whether a hard limit takes a call holding `nanos`, with `held` already in flight.

    A call whose worst case fits is taken. One that does not fit is still taken when
    nothing else is in flight and the limit is not yet reached: the worst case is rarely
    spent, so refusing it would leave the end of every budget unusable, and with nothing
    else in flight the overshoot is at most this one call's cost. Calls started together
    see each other's holds, so at most one of them can overshoot.

    Example:
        >>> _admits(spent=0, held=0, nanos=50, limit=10)      # alone: taken
        True
        >>> _admits(spent=0, held=50, nanos=50, limit=10)     # another is in flight
        False
        >>> _admits(spent=4, held=3, nanos=3, limit=10)       # fits
        True
    """
    return spent + held + nanos <= limit or (held == 0 and spent < limit)


class _StoreUnavailableError(Exception):
    """The counter store could not be reached."""


class _MemoryCounters:
    def __init__(self) -> None:
        self._spent: dict[str, int] = {}
        self._held: dict[str, dict[str, tuple[int, float]]] = {}
        self._lock = threading.Lock()

    def _outstanding(self, key: str, now: float) -> int:
        holds = self._held.get(key)
        if not holds:
            return 0
        for hold_id in [h for h, (_, until) in holds.items() if until <= now]:
            del holds[hold_id]  # a lease that ran out: its call is long gone
        return sum(nanos for nanos, _ in holds.values())

    def reserve(
        self,
        hold_id: str,
        nanos: int,
        checks: Sequence[tuple[str, int, bool]],
        *,
        now: float,
        lease_until: float,
        ttl_s: int | None,
    ) -> list[int]:
        with self._lock:
            over = [
                index
                for index, (key, limit, hard) in enumerate(checks)
                if hard
                and not _admits(self._spent.get(key, 0), self._outstanding(key, now), nanos, limit)
            ]
            if not over:
                for key, _, _ in checks:
                    self._held.setdefault(key, {})[hold_id] = (nanos, lease_until)
            return over

    def settle(self, hold_id: str, keys: Sequence[str], nanos: int, ttl_s: int | None) -> None:
        with self._lock:
            for key in keys:
                self._held.get(key, {}).pop(hold_id, None)
                if nanos:
                    self._spent[key] = self._spent.get(key, 0) + nanos

    def totals(self, keys: Sequence[str], now: float) -> list[tuple[int, int]]:
        with self._lock:
            return [(self._spent.get(key, 0), self._outstanding(key, now)) for key in keys]

    def clear(self) -> None:
        with self._lock:
            self._spent.clear()
            self._held.clear()


# KEYS: per limit (spent, holds hash, hold-expiry zset). ARGV: hold id, nanos, now,
# lease_until, ttl (0: none), then per limit its limit in nanos and 1/0 for hard.
_RESERVE_LUA = """
local id, n, now = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local lease, ttl = tonumber(ARGV[4]), tonumber(ARGV[5])
local count = #KEYS / 3
local over = {}
for i = 0, count - 1 do
  local holds, expiry = KEYS[3 * i + 2], KEYS[3 * i + 3]
  local gone = redis.call('ZRANGEBYSCORE', expiry, '-inf', now)
  for _, hold in ipairs(gone) do redis.call('HDEL', holds, hold) end
  if #gone > 0 then redis.call('ZREMRANGEBYSCORE', expiry, '-inf', now) end
  if ARGV[7 + 2 * i] == '1' then
    local spent = tonumber(redis.call('GET', KEYS[3 * i + 1]) or '0')
    local held = 0
    for _, h in ipairs(redis.call('HVALS', holds)) do held = held + tonumber(h) end
    local limit = tonumber(ARGV[6 + 2 * i])
    -- the same rule as _admits below
    if not (spent + held + n <= limit or (held == 0 and spent < limit)) then
      table.insert(over, i)
    end
  end
end
if #over > 0 then return over end
for i = 0, count - 1 do
  redis.call('HSET', KEYS[3 * i + 2], id, n)
  redis.call('ZADD', KEYS[3 * i + 3], lease, id)
  if ttl > 0 then
    redis.call('EXPIRE', KEYS[3 * i + 2], ttl)
    redis.call('EXPIRE', KEYS[3 * i + 3], ttl)
  end
end
return over
"""

# KEYS: per limit (spent, holds hash, hold-expiry zset). ARGV: hold id, nanos, ttl (0: none).
_SETTLE_LUA = """
local id, n, ttl = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
for i = 0, #KEYS / 3 - 1 do
  redis.call('HDEL', KEYS[3 * i + 2], id)
  redis.call('ZREM', KEYS[3 * i + 3], id)
  if n > 0 then
    redis.call('INCRBY', KEYS[3 * i + 1], n)
    if ttl > 0 then redis.call('EXPIRE', KEYS[3 * i + 1], ttl) end
  end
end
return 1
"""


class _RedisCounters:
    def __init__(self, url: str, prefix: str) -> None:
        self._client = redis_client(url, owner="Budget(redis_url=...)", timeout_s=2.0)
        self._prefix = prefix
        self._reserve = self._client.register_script(_RESERVE_LUA)
        self._settle = self._client.register_script(_SETTLE_LUA)
        import redis  # noqa: PLC0415 - present: redis_client imported it

        self._errors: tuple[type[BaseException], ...] = (redis.exceptions.RedisError, OSError)

    def _keys(self, keys: Sequence[str]) -> list[str]:
        full: list[str] = []
        for key in keys:
            base = self._prefix + key
            full += [base, base + ":holds", base + ":expiry"]
        return full

    def _call(self, operation: Callable[[], Any]) -> Any:
        try:
            return operation()
        except self._errors as exc:
            raise _StoreUnavailableError(str(exc)) from exc

    def reserve(
        self,
        hold_id: str,
        nanos: int,
        checks: Sequence[tuple[str, int, bool]],
        *,
        now: float,
        lease_until: float,
        ttl_s: int | None,
    ) -> list[int]:
        args: list[Any] = [hold_id, nanos, now, lease_until, ttl_s or 0]
        for _, limit, hard in checks:
            args += [limit, 1 if hard else 0]
        keys = self._keys([key for key, _, _ in checks])
        over = self._call(lambda: self._reserve(keys=keys, args=args))
        return [int(index) for index in over]

    def settle(self, hold_id: str, keys: Sequence[str], nanos: int, ttl_s: int | None) -> None:
        full = self._keys(keys)
        self._call(lambda: self._settle(keys=full, args=[hold_id, nanos, ttl_s or 0]))

    def totals(self, keys: Sequence[str], now: float) -> list[tuple[int, int]]:
        def read() -> list[Any]:
            pipe = self._client.pipeline(transaction=False)
            for key in keys:
                base = self._prefix + key
                pipe.get(base)
                pipe.hgetall(base + ":holds")
                pipe.zrangebyscore(base + ":expiry", now, "+inf")
            return list(pipe.execute())

        replies = self._call(read)
        totals = []
        for index in range(len(keys)):
            spent, holds, live = replies[3 * index : 3 * index + 3]
            live_ids = set(live)
            held = sum(int(v) for hold, v in holds.items() if hold in live_ids)
            totals.append((int(spent) if spent is not None else 0, held))
        return totals

    def clear(self) -> None:
        def wipe() -> None:
            for key in self._client.scan_iter(match=self._prefix + "*"):
                self._client.delete(key)

        self._call(wipe)


_TTL_S = {"hour": 2 * 3600, "day": 2 * 86400, "month": 62 * 86400, "total": None}


def _ttl(limits: Sequence[SpendLimit]) -> int | None:
    # Counters outlive their period; a "total" counter never expires.
    if any(limit.per == "total" for limit in limits):
        return None
    return max((_TTL_S[limit.per] or 0 for limit in limits), default=0) or None


class Budget:
    """Spend limits shared by the cost tracker, the router, the fallback wrapper and the tripwire.

    Args:
        limits: the `SpendLimit`s to enforce.
        redis_url: share the counters through Redis (`redis://host:6379/0`) instead of
            keeping them in this process.
        namespace: separates budgets that share one Redis.
        on_limit: called once per limit and period when a limit is first reached.
        on_unavailable: what hard limits do when Redis cannot be reached: `"refuse"`
            (raise `BudgetUnavailableError`, the default) or `"allow"` (fail open with a
            warning). Soft limits always fail open.
        reserve_output_tokens: the output tokens a call's reservation assumes when the
            call sets no `max_tokens` (default 4,096).
        reservation_lease_s: how long a reservation may stay open before it is dropped
            (a process that died mid-call leaves one behind; default 15 minutes).
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
        on_unavailable: OnUnavailable = "refuse",
        reserve_output_tokens: int = 4096,
        reservation_lease_s: float = 900.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.limits = tuple(limits)
        if not self.limits:
            msg = "Budget needs at least one SpendLimit, e.g. SpendLimit.total('100', per='month')"
            raise GlobalAPIError(msg)
        if not all(isinstance(limit, SpendLimit) for limit in self.limits):
            msg = "Budget limits must be SpendLimit objects, e.g. SpendLimit.total('100')"
            raise GlobalAPIError(msg)
        if on_unavailable not in ("refuse", "allow"):
            msg = f"Budget on_unavailable={on_unavailable!r}: use 'refuse' or 'allow'"
            raise GlobalAPIError(msg)
        if (
            isinstance(reserve_output_tokens, bool)
            or not isinstance(reserve_output_tokens, int)
            or not 1 <= reserve_output_tokens <= 10_000_000
        ):
            msg = (
                f"Budget reserve_output_tokens={reserve_output_tokens!r} must be an integer "
                "from 1 to 10,000,000"
            )
            raise GlobalAPIError(msg)
        if not isinstance(reservation_lease_s, int | float) or not (
            1.0 <= float(reservation_lease_s) <= 86_400.0
        ):
            msg = (
                f"Budget reservation_lease_s={reservation_lease_s!r} must be a number of "
                "seconds from 1 to 86400"
            )
            raise GlobalAPIError(msg)
        self.redis_url = redis_url
        self.on_unavailable: OnUnavailable = on_unavailable
        self.reserve_output_tokens = reserve_output_tokens
        self.reservation_lease_s = float(reservation_lease_s)
        self._counters: _MemoryCounters | _RedisCounters = (
            _RedisCounters(redis_url, f"globalapi:budget:{namespace}:")
            if redis_url
            else _MemoryCounters()
        )
        self._on_limit = on_limit
        self._clock = clock
        self._alerted: set[str] = set()
        self._holds: dict[str, Reservation] = {}
        # Writes that failed while the store was down: (hold id, counter keys, nanos, ttl).
        self._pending: list[tuple[str, tuple[str, ...], int, int | None]] = []
        self._outage = False
        self._lock = threading.Lock()

    # --- reservations ---------------------------------------------------------------------

    def _applicable(self, model: str | None, tier: str | None) -> list[SpendLimit]:
        return [limit for limit in self.limits if limit.applies_to(model=model, tier=tier)]

    def reserve(
        self,
        usd: Decimal | str | int | float,
        *,
        model: str | None = None,
        tier: str | None = None,
        key: str | None = None,
    ) -> Reservation:
        """Hold `usd` (a call's worst case) against every limit it counts against.

        Raises:
            BudgetExceededError: a hard limit cannot take it; nothing is held.
            BudgetUnavailableError: Redis is down, a hard limit applies and
                `on_unavailable="refuse"`.
        """
        nanos = _nanos(usd)
        limits = self._applicable(model, tier)
        now = self._clock()
        keys = tuple(limit.key(now) for limit in limits)
        hold_id = key or _new_hold_id()
        with self._lock:
            shared = self._holds.get(hold_id)
            if shared is not None and not shared.done:
                shared.holders += 1  # a second guard on the same call: one hold
                return shared
        checks = [(k, limit.nanos, limit.hard) for k, limit in zip(keys, limits, strict=True)]
        ttl = _ttl(limits)
        try:
            over = self._counters.reserve(
                hold_id,
                nanos,
                checks,
                now=now,
                lease_until=now + self.reservation_lease_s,
                ttl_s=ttl,
            )
        except _StoreUnavailableError as exc:
            self._unavailable(exc, [limit for limit in limits if limit.hard])
            reservation = Reservation(hold_id, nanos, keys, ttl, held=False)
        else:
            self._back_online()
            if over:
                raise self._refusal(tuple(limits[index] for index in over), nanos)
            reservation = Reservation(hold_id, nanos, keys, ttl)
        with self._lock:
            self._holds[hold_id] = reservation
        return reservation

    def _refusal(self, limits: tuple[SpendLimit, ...], nanos: int) -> BudgetExceededError:
        parts = [
            f"{limit.label} (${limit.usd}): ${_from_nanos(spent)} spent, "
            f"${_from_nanos(held)} held by calls in flight"
            for limit, (spent, held) in zip(limits, self._totals(limits), strict=True)
        ]
        message = (
            f"budget reached: {'; '.join(parts)}; this call may cost up to "
            f"${_from_nanos(nanos)} (set max_tokens to reserve less)"
        )
        return BudgetExceededError(message, limits=limits)

    def settle(self, reservation: Reservation, usd: Decimal | str | int | float) -> None:
        """Replace the hold with what the call really cost (0 releases it). Never raises."""
        with self._lock:
            reservation.settled_nanos = max(reservation.settled_nanos, _nanos(usd))
            reservation.holders -= 1
            if reservation.holders > 0 or reservation.done:
                return
            reservation.done = True
            self._holds.pop(reservation.key, None)
        self._write(
            reservation.key,
            reservation.counter_keys,
            reservation.settled_nanos,
            reservation.ttl_s,
            held=reservation.held,
        )

    def release(self, reservation: Reservation) -> None:
        """Give the hold back: the call failed and cost nothing."""
        self.settle(reservation, 0)

    def record(
        self, usd: Decimal | str | int | float, *, model: str | None = None, tier: str | None = None
    ) -> None:
        """Add spend on `model` (and its `tier`) to every limit it counts against, unreserved."""
        nanos = _nanos(usd)
        if nanos <= 0:
            return
        now = self._clock()
        limits = self._applicable(model, tier)
        keys = tuple(limit.key(now) for limit in limits)
        self._write(_new_hold_id(), keys, nanos, _ttl(limits))

    def _write(
        self,
        hold_id: str,
        keys: tuple[str, ...],
        nanos: int,
        ttl: int | None,
        *,
        held: bool = False,
    ) -> None:
        try:
            self._flush_pending()
            self._counters.settle(hold_id, keys, nanos, ttl)
        except _StoreUnavailableError as exc:
            if nanos or held:
                # Written when the store is back, under the same hold id: a store that kept
                # its data still has the hold, which must go when the spend is added.
                with self._lock:
                    self._pending.append((hold_id, keys, nanos, ttl))
            self._unavailable(exc, [])
            return
        self._back_online()
        if nanos:
            self._alert_reached(keys)

    def _flush_pending(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, []
        for index, (hold_id, keys, nanos, ttl) in enumerate(pending):
            try:
                self._counters.settle(hold_id, keys, nanos, ttl)
            except _StoreUnavailableError:
                with self._lock:
                    self._pending[:0] = pending[index:]
                raise

    # --- reading --------------------------------------------------------------------------

    def spent(self, limit: SpendLimit) -> Decimal:
        """What has been spent against `limit` in its current period (settled calls)."""
        return _from_nanos(self._totals([limit])[0][0])

    def reserved(self, limit: SpendLimit) -> Decimal:
        """What calls in flight hold against `limit` right now."""
        return _from_nanos(self._totals([limit])[0][1])

    def remaining(self, limit: SpendLimit) -> Decimal:
        """What is left of `limit` in its current period, holds included (never negative)."""
        spent, held = self._totals([limit])[0]
        return max(limit.usd - _from_nanos(spent + held), Decimal(0))

    def _totals(self, limits: Sequence[SpendLimit]) -> list[tuple[int, int]]:
        now = self._clock()
        try:
            totals = self._counters.totals([limit.key(now) for limit in limits], now)
        except _StoreUnavailableError as exc:
            self._unavailable(exc, [])
            totals = [(0, 0) for _ in limits]
        with self._lock:
            pending = list(self._pending)
        keys = [limit.key(now) for limit in limits]
        return [
            (spent + sum(n for _, ks, n, _ in pending if key in ks), held)
            for key, (spent, held) in zip(keys, totals, strict=True)
        ]

    def _alert_reached(self, keys: Sequence[str]) -> None:
        now = self._clock()
        with self._lock:
            limits = [
                limit
                for limit in self.limits
                if limit.key(now) in keys and limit.key(now) not in self._alerted
            ]
        if not limits:
            return  # every limit this spend counts against has been reported this period
        for limit, (spent, _) in zip(limits, self._totals(limits), strict=True):
            if spent >= limit.nanos:
                self._alert(limit, now)

    def check(
        self,
        *,
        model: str | None = None,
        tier: str | None = None,
        estimated_usd: Decimal = Decimal(0),
    ) -> BudgetCheck:
        """Whether a limit on `model`/`tier` is reached (with `estimated_usd` more spent).

        This is the question a soft limit asks (downgrade?): settled spend only. What
        calls in flight hold is the reservation's business (`reserve`), which is what
        keeps hard limits under concurrency. When the store is down, hard limits are
        reported in `unavailable` (and refused by `ensure` unless `on_unavailable="allow"`);
        soft ones are treated as not reached.
        """
        limits = self._applicable(model, tier)
        now = self._clock()
        try:
            totals = self._counters.totals([limit.key(now) for limit in limits], now)
        except _StoreUnavailableError as exc:
            hard = tuple(limit for limit in limits if limit.hard)
            self._unavailable(exc, [])
            blocked = hard if self.on_unavailable == "refuse" else ()
            return BudgetCheck(allowed=not blocked, unavailable=blocked)
        self._back_online()
        extra = _nanos(estimated_usd)
        reached = tuple(
            limit
            for limit, (spent, _) in zip(limits, totals, strict=True)
            if spent + extra >= limit.nanos
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
        """`check`, raising when a reached limit is hard (or cannot be checked)."""
        result = self.check(model=model, tier=tier, estimated_usd=estimated_usd)
        if result.unavailable:
            raise BudgetUnavailableError(self._unavailable_message(result.unavailable))
        if result.hard:
            raise BudgetExceededError(result.reason, limits=result.reached)
        return result

    def reset(self) -> None:
        """Zero every counter and hold (in Redis too).

        Raises:
            BudgetUnavailableError: Redis cannot be reached; nothing was reset.
        """
        try:
            self._counters.clear()
        except _StoreUnavailableError as exc:
            msg = (
                f"budget store {self.redis_url} cannot be reached, so its counters were not "
                "reset; call reset() again when Redis is back"
            )
            raise BudgetUnavailableError(msg) from exc
        with self._lock:
            self._alerted.clear()
            self._holds.clear()
            self._pending.clear()

    # --- outages and alerts ---------------------------------------------------------------

    def _unavailable_message(self, hard: Sequence[SpendLimit]) -> str:
        labels = ", ".join(limit.label for limit in hard)
        return (
            f"budget store {self.redis_url} cannot be reached, so the hard limit(s) {labels} "
            "cannot be checked: the call was refused before it was sent. Bring Redis back, or "
            "construct the Budget with on_unavailable='allow' to fail open."
        )

    def _unavailable(self, error: _StoreUnavailableError, hard: Sequence[SpendLimit]) -> None:
        if hard and self.on_unavailable == "refuse":
            raise BudgetUnavailableError(self._unavailable_message(hard)) from error
        with self._lock:
            first = not self._outage
            self._outage = True
        if first:
            refusing = self.on_unavailable == "refuse" and any(lim.hard for lim in self.limits)
            effect = (
                "soft limits fail open and calls under hard limits are refused"
                if refusing
                else "limits fail open"
            )
            warnings.warn(
                f"budget store {self.redis_url} cannot be reached ({error}); {effect} until "
                "it is back, and spend is written when it returns",
                stacklevel=4,
            )
            logger.warning("budget store %s cannot be reached: %s", self.redis_url, error)

    def _back_online(self) -> None:
        if self._outage:
            with self._lock:
                self._outage = False
            logger.warning("budget store %s is reachable again", self.redis_url)

    def _alert(self, limit: SpendLimit, now: float) -> None:
        key = limit.key(now)
        with self._lock:
            if key in self._alerted:
                return
            self._alerted.add(key)
        spent = self.spent(limit)
        warnings.warn(f"budget reached: {limit.label} (${limit.usd}, spent ${spent})", stacklevel=3)
        logger.warning("budget reached: %s ($%s, spent $%s)", limit.label, limit.usd, spent)
        if self._on_limit is not None:
            self._on_limit(limit, spent)


def _new_hold_id() -> str:
    return uuid.uuid4().hex
