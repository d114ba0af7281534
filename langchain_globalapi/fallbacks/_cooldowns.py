"""Cooldowns and circuit breakers for fallback members, in-process or shared through Redis.

A member's circuit opens for `open_s` when more than `failure_rate` of the calls it was
sent in the last `failure_window_s` failed (with at least `min_calls` calls: LiteLLM's
defaults, > 50% with >= 5 calls in 60 s), or, when set, after `failure_threshold` failures
in a row. Failures are rate limits, 5xx, timeouts, dropped connections. The rate divides by
calls *started* (counted when admitted), not calls finished: failures come back faster
than answers, so among 50 calls in flight the first few outcomes are mostly failures even
when 70% of the calls will succeed. After `open_s` one caller at a time is let through as a
*half-open probe*: its success closes the circuit, its failure opens it again. Everyone
else skips the member meanwhile, so a fleet of workers stops hammering a limited model
together.

A 429's `Retry-After` benches the member for everyone only when it is long
(`bench_retry_after_s`, 1 s by default): a short wait on a busy pool is that request's
business (it waits and retries, or moves on, by its `RetryPolicy` and deadline) while
other requests may well get through; benching for every 200 ms wait would send most
traffic to the pricier members. Short ones still count as failures for the rate.

State is per `Cooldowns` object and in-process by default; with `redis_url` it lives in
Redis (each transition one Lua script, so concurrent workers agree) and every process
pointing at the same URL and namespace shares it. If Redis is unreachable the breaker
fails open: members are tried, and a warning is logged.

Example:
    >>> from langchain_globalapi.fallbacks import Cooldowns
    >>> cooldowns = Cooldowns(failure_rate=0.5, min_calls=5, open_s=30)
    >>> cooldowns.admit("flash").allowed
    True
"""

from __future__ import annotations

import asyncio
import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from langchain_globalapi._redis import redis_client
from langchain_globalapi._validate import (
    finite_number,
    non_negative_number,
    optional_positive_int,
    positive_int,
    seconds,
)
from langchain_globalapi.fallbacks._classify import Failure, FailureKind

__all__ = ["Admission", "Cooldowns"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Admission:
    """Whether a member may be called now.

    Attributes:
        allowed: Call it.
        probe: This call is the half-open probe: its outcome opens or closes the circuit.
        reason: Why not: `"rate_limit"` (Retry-After), `"circuit_open"`, or `"probing"`
            (another caller holds the probe).
        remaining_s: How long the member stays unavailable, as far as is known.
    """

    allowed: bool
    probe: bool = False
    reason: str | None = None
    remaining_s: float = 0.0


@dataclass
class _MemberState:
    starts: deque[float] = field(default_factory=deque)  # admitted calls, oldest first
    failures: deque[float] = field(default_factory=deque)
    streak: int = 0  # failures in a row
    cooldown_until: float = -math.inf
    cooldown_reason: str = ""
    half_open: bool = False
    probe_until: float = -math.inf

    def forget_before(self, moment: float) -> None:
        for times in (self.starts, self.failures):
            while times and times[0] < moment:
                times.popleft()

    def reset_counts(self) -> None:
        self.starts.clear()
        self.failures.clear()
        self.streak = 0


class _MemoryBackend:
    def __init__(self, cooldowns: Cooldowns, clock: Callable[[], float]) -> None:
        self._settings = cooldowns
        self._clock = clock
        self._lock = threading.Lock()
        self._states: dict[str, _MemberState] = {}

    def admit(self, key: str, lease_s: float, *, claim: bool) -> Admission:
        now = self._clock()
        with self._lock:
            state = self._states.setdefault(key, _MemberState())
            if now < state.cooldown_until:
                return Admission(False, False, state.cooldown_reason, state.cooldown_until - now)
            if not state.half_open:
                if claim:
                    # Trim here too: a healthy member never fails, so `failure` alone
                    # would let `starts` grow by one timestamp per call, forever.
                    state.forget_before(now - self._settings.failure_window_s)
                    state.starts.append(now)
                return Admission(True)
            if now < state.probe_until:
                return Admission(False, False, "probing", state.probe_until - now)
            if claim:
                state.probe_until = now + lease_s
            return Admission(True, probe=True)

    def failure(self, key: str, bench_s: float) -> None:
        now, settings = self._clock(), self._settings
        with self._lock:
            state = self._states.setdefault(key, _MemberState())
            state.probe_until = -math.inf
            if bench_s > 0:
                self._cool(state, now + bench_s, "rate_limit")
            state.forget_before(now - settings.failure_window_s)
            state.failures.append(now)
            state.streak += 1
            calls, failed = len(state.starts), len(state.failures)
            if state.half_open or settings.trips(calls, failed, state.streak):
                self._cool(state, now + settings.open_s, "circuit_open")
                state.half_open = True
                state.reset_counts()

    @staticmethod
    def _cool(state: _MemberState, until: float, reason: str) -> None:
        if until > state.cooldown_until:
            state.cooldown_until, state.cooldown_reason = until, reason

    def success(self, key: str) -> None:
        with self._lock:
            state = self._states.setdefault(key, _MemberState())
            state.probe_until = -math.inf
            if state.half_open:
                # Recovered: start counting afresh.
                state.half_open = False
                state.reset_counts()
                return
            state.streak = 0

    def release(self, key: str) -> None:
        with self._lock:
            if (state := self._states.get(key)) is not None:
                state.probe_until = -math.inf

    def clear(self) -> None:
        with self._lock:
            self._states.clear()


# KEYS: cooldown, half_open, probe, counts. ARGV: probe lease (ms), claim (1/0), bucket (ms),
# window (ms). A claimed admission outside a probe counts as a call started now.
_ADMIT = """
local ttl = redis.call('PTTL', KEYS[1])
if ttl > 0 then return {0, ttl, redis.call('GET', KEYS[1]) or ''} end
if redis.call('EXISTS', KEYS[2]) == 0 then
  if ARGV[2] == '1' then
    local t = redis.call('TIME')
    local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
    redis.call('HINCRBY', KEYS[4], math.floor(now / tonumber(ARGV[3])) .. ':start', 1)
    redis.call('PEXPIRE', KEYS[4], ARGV[4])
  end
  return {1, 0, ''}
end
local held = redis.call('PTTL', KEYS[3])
if held > 0 then return {0, held, 'probing'} end
if ARGV[2] == '1' then redis.call('SET', KEYS[3], '1', 'PX', ARGV[1]) end
return {1, 0, 'probe'}
"""
# KEYS: cooldown, half_open, probe, counts (hash "<bucket>:start|fail" -> n), streak.
# ARGV: failed (1/0), bench (ms, 0 for none), streak threshold (0 off), open (ms),
#       window (ms), half-open ttl (ms), failure rate, min calls, bucket (ms).
# Counts live in time buckets (the server's clock, so workers agree) within the window.
_OUTCOME = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local size, window = tonumber(ARGV[9]), tonumber(ARGV[5])
local bucket, oldest = math.floor(now / size), math.floor((now - window) / size)
redis.call('DEL', KEYS[3])
if ARGV[1] == '0' then
  if redis.call('EXISTS', KEYS[2]) == 1 then
    redis.call('DEL', KEYS[2], KEYS[4], KEYS[5])
    return 0
  end
  redis.call('DEL', KEYS[5])
  return 0
end
local bench = tonumber(ARGV[2])
if bench > 0 and redis.call('PTTL', KEYS[1]) < bench then
  redis.call('SET', KEYS[1], 'rate_limit', 'PX', bench)
end
redis.call('HINCRBY', KEYS[4], bucket .. ':fail', 1)
redis.call('PEXPIRE', KEYS[4], window)
local streak = redis.call('INCR', KEYS[5])
redis.call('PEXPIRE', KEYS[5], window)
local calls, failed = 0, 0
local fields = redis.call('HGETALL', KEYS[4])
for i = 1, #fields, 2 do
  local at, kind = string.match(fields[i], '^(%d+):(%a+)$')
  if tonumber(at) < oldest then
    redis.call('HDEL', KEYS[4], fields[i])
  else
    local n = tonumber(fields[i + 1])
    if kind == 'fail' then failed = failed + n else calls = calls + n end
  end
end
local threshold = tonumber(ARGV[3])
local trips = (threshold > 0 and streak >= threshold)
  or (calls >= tonumber(ARGV[8]) and failed > calls * tonumber(ARGV[7]))
if trips or redis.call('EXISTS', KEYS[2]) == 1 then
  if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[4]) then
    redis.call('SET', KEYS[1], 'circuit_open', 'PX', ARGV[4])
  end
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[6])
  redis.call('DEL', KEYS[4], KEYS[5])
  return 1
end
return 0
"""


class _RedisBackend:
    def __init__(self, cooldowns: Cooldowns, url: str, namespace: str) -> None:
        self._client = redis_client(url, owner="Cooldowns(redis_url=...)", timeout_s=1.0)
        import redis  # noqa: PLC0415 - importable: redis_client succeeded

        self._errors: tuple[type[BaseException], ...] = (redis.RedisError, OSError)
        self._settings = cooldowns
        self._prefix = f"globalapi:cooldown:{namespace}:"
        self._admit = self._client.register_script(_ADMIT)
        self._outcome = self._client.register_script(_OUTCOME)
        self._last_warning = -math.inf

    def _keys(self, key: str, *names: str) -> list[str]:
        return [f"{self._prefix}{key}:{name}" for name in names]

    def _unavailable(self, error: BaseException) -> None:
        # Fail open, and say so at most once a minute rather than on every call.
        now = time.monotonic()
        if now - self._last_warning > 60:
            self._last_warning = now
            logger.warning("cooldown state in Redis is unavailable, trying members: %s", error)

    def admit(self, key: str, lease_s: float, *, claim: bool) -> Admission:
        keys = self._keys(key, "cooldown", "half_open", "probe", "counts")
        window_ms = self._window_ms()
        args = [max(int(lease_s * 1000), 1), "1" if claim else "0", window_ms // 12, window_ms]
        try:
            allowed, remaining_ms, reason = self._admit(keys=keys, args=args)
        except self._errors as error:
            self._unavailable(error)
            return Admission(True)
        reason_text = reason.decode() if isinstance(reason, bytes) else str(reason)
        if allowed:
            return Admission(True, probe=reason_text == "probe")
        return Admission(False, False, reason_text or "rate_limit", int(remaining_ms) / 1000)

    def _window_ms(self) -> int:
        return max(int(self._settings.failure_window_s * 1000), 12)

    def _record(self, key: str, *, failed: bool, bench_s: float = 0.0) -> None:
        settings = self._settings
        keys = self._keys(key, "cooldown", "half_open", "probe", "counts", "streak")
        window_ms = self._window_ms()
        args: list[int | float | str] = [
            int(failed),
            int(bench_s * 1000),
            settings.failure_threshold or 0,
            max(int(settings.open_s * 1000), 1),
            window_ms,
            max(int(settings.half_open_ttl_s * 1000), 1),
            repr(settings.failure_rate),
            settings.min_calls,
            window_ms // 12,
        ]
        try:
            self._outcome(keys=keys, args=args)
        except self._errors as error:
            self._unavailable(error)

    def failure(self, key: str, bench_s: float) -> None:
        self._record(key, failed=True, bench_s=bench_s)

    def _delete(self, *keys: str) -> None:
        try:
            self._client.delete(*keys)
        except self._errors as error:
            self._unavailable(error)

    def success(self, key: str) -> None:
        self._record(key, failed=False)

    def release(self, key: str) -> None:
        self._delete(*self._keys(key, "probe"))

    def clear(self) -> None:
        try:
            for found in self._client.scan_iter(match=self._prefix + "*"):
                self._client.delete(found)
        except self._errors as error:
            self._unavailable(error)


class Cooldowns:
    """Which fallback members to skip for now: Retry-After cooldowns and circuit breakers.

    Share one `Cooldowns` between chains to share state in a process; give `redis_url`
    to share it across processes and hosts. Member keys are the model name plus the
    endpoint's base URL, so the same model behind two endpoints has two breakers.

    Args:
        failure_rate: Open the circuit when failures in the window exceed this share of
            the calls started in it...
        min_calls: ...and the window holds at least this many calls.
        failure_window_s: The sliding window the rate is measured over.
        failure_threshold: Also open after this many failures in a row (None: off, the
            default). It catches a member that just died under heavy traffic sooner (the
            rate over a busy window takes a while to pass `failure_rate`), but under
            concurrency fast failures arrive in runs: 3 in a row benched a member failing
            30% of the time for most of a soak.
        open_s: How long an open circuit skips the member before a half-open probe.
        bench_retry_after_s: A 429's `Retry-After` at least this long benches the member
            for everyone; a shorter one is left to the request that got it.
        max_cooldown_s: Cap on a server's `Retry-After` (a bogus header cannot bench a
            member for a day).
        redis_url: `redis://host:6379/0` to keep the state in Redis.
        namespace: Separates independent fleets sharing one Redis.
        clock: Monotonic seconds for the in-process state (tests pass a fake one).

    Raises:
        InvalidSettingError: `failure_rate` not a finite number in [0, 1), `min_calls` or
            `failure_threshold` not an integer >= 1, a duration not a finite number of
            seconds > 0 (`bench_retry_after_s`: >= 0).

    Example:
        >>> from langchain_core.exceptions import ModelAPIError
        >>> from langchain_globalapi.fallbacks import Failure, FailureKind
        >>> now = [0.0]
        >>> cooldowns = Cooldowns(open_s=10, clock=lambda: now[0])
        >>> outage = Failure(FailureKind.SERVER_ERROR, ModelAPIError("503"), 503)
        >>> def call(failed):
        ...     assert cooldowns.admit("flash").allowed  # counts the call
        ...     if failed:
        ...         cooldowns.record_failure("flash", outage)
        ...     else:
        ...         cooldowns.record_success("flash")
        >>> for failed in (False, False, True, False, True, True):  # 3 of 6: not > 50%
        ...     call(failed)
        >>> cooldowns.status("flash").allowed
        True
        >>> call(True)  # 4 of 7
        >>> cooldowns.admit("flash")
        Admission(allowed=False, probe=False, reason='circuit_open', remaining_s=10.0)
        >>> now[0] = 10.0
        >>> cooldowns.admit("flash")  # one caller probes...
        Admission(allowed=True, probe=True, reason=None, remaining_s=0.0)
        >>> cooldowns.admit("flash").reason  # ...the others wait for its outcome
        'probing'
        >>> cooldowns.record_success("flash")
        >>> cooldowns.admit("flash").allowed
        True
    """

    def __init__(
        self,
        *,
        failure_rate: float = 0.5,
        min_calls: int = 5,
        failure_window_s: float = 60.0,
        failure_threshold: int | None = None,
        open_s: float = 30.0,
        bench_retry_after_s: float = 1.0,
        max_cooldown_s: float = 300.0,
        redis_url: str | None = None,
        namespace: str = "default",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        owner = "Cooldowns"
        self.failure_rate = finite_number(
            owner, "failure_rate", failure_rate, min=0, max=1, max_inclusive=False
        )
        self.min_calls = positive_int(owner, "min_calls", min_calls)
        self.failure_window_s = seconds(owner, "failure_window_s", failure_window_s)
        self.failure_threshold = optional_positive_int(
            owner, "failure_threshold", failure_threshold
        )
        self.open_s = open_s = seconds(owner, "open_s", open_s)
        self.bench_retry_after_s = non_negative_number(
            owner, "bench_retry_after_s", bench_retry_after_s
        )
        self.max_cooldown_s = seconds(owner, "max_cooldown_s", max_cooldown_s)
        self.redis_url = redis_url
        self.namespace = namespace
        # A half-open flag outlives many open periods; it only guards against a member that
        # is never called again keeping the flag forever.
        self.half_open_ttl_s = max(open_s * 20, 3600.0)
        self._backend: _MemoryBackend | _RedisBackend = (
            _RedisBackend(self, redis_url, namespace) if redis_url else _MemoryBackend(self, clock)
        )

    def trips(self, calls: int, failed: int, streak: int) -> bool:
        """Whether a window of `calls` with `failed` failures, `streak` in a row, opens it."""
        if self.failure_threshold is not None and streak >= self.failure_threshold:
            return True
        return calls >= self.min_calls and failed > calls * self.failure_rate

    def __repr__(self) -> str:
        where = "redis" if self.redis_url else "in-process"
        return (
            f"Cooldowns(failure_rate={self.failure_rate}, min_calls={self.min_calls}, "
            f"failure_window_s={self.failure_window_s}, "
            f"failure_threshold={self.failure_threshold}, open_s={self.open_s}, "
            f"bench_retry_after_s={self.bench_retry_after_s}, {where}, "
            f"namespace={self.namespace!r})"
        )

    # --- sync ------------------------------------------------------------------------

    def admit(self, key: str, *, probe_lease_s: float = 30.0) -> Admission:
        """May `key` be called now? Claims the half-open probe when one is due.

        Args:
            key: The member's key.
            probe_lease_s: How long a claimed probe blocks others if its caller never
                reports back (crashed); normally the call's deadline.
        """
        return self._backend.admit(key, probe_lease_s, claim=True)

    def status(self, key: str) -> Admission:
        """Like `admit`, without claiming a probe (for inspection)."""
        return self._backend.admit(key, 0.0, claim=False)

    def record_failure(self, key: str, failure: Failure) -> None:
        """Count a failed call for the breaker; a long Retry-After also benches the member.

        Failures that are about the request (context overflow, bad request) are ignored.
        """
        if failure.counts_against_member:
            self._backend.failure(key, self._bench_of(failure))
        else:
            self._backend.release(key)

    def record_success(self, key: str) -> None:
        """A successful call: counts for the rate; a half-open member's circuit closes."""
        self._backend.success(key)

    def release_probe(self, key: str) -> None:
        """Give up a claimed probe without a verdict (the call was cancelled)."""
        self._backend.release(key)

    def reset(self) -> None:
        """Forget all state (in Redis too, within this namespace)."""
        self._backend.clear()

    def _bench_of(self, failure: Failure) -> float:
        wait = failure.retry_after_s
        if failure.kind is not FailureKind.RATE_LIMIT or wait is None:
            return 0.0
        if wait < self.bench_retry_after_s:
            return 0.0
        return min(wait, self.max_cooldown_s)

    # --- async: the in-process state never blocks; Redis calls go to a worker thread ------

    async def _run(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if isinstance(self._backend, _MemoryBackend):
            return function(*args, **kwargs)
        return await asyncio.to_thread(function, *args, **kwargs)

    async def aadmit(self, key: str, *, probe_lease_s: float = 30.0) -> Admission:
        """Async `admit`."""
        admission: Admission = await self._run(self.admit, key, probe_lease_s=probe_lease_s)
        return admission

    async def arecord_failure(self, key: str, failure: Failure) -> None:
        """Async `record_failure`."""
        await self._run(self.record_failure, key, failure)

    async def arecord_success(self, key: str) -> None:
        """Async `record_success`."""
        await self._run(self.record_success, key)

    async def arelease_probe(self, key: str) -> None:
        """Async `release_probe`."""
        await self._run(self.release_probe, key)
