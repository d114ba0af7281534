"""Cooldowns and circuit breakers for fallback members, in-process or shared through Redis.

A member that answered 429 with `Retry-After` is skipped until the wait has passed. A
member that fails `failure_threshold` times in a row (rate limits without a wait, 5xx,
timeouts, dropped connections) has its circuit opened for `open_s`; after that one caller
at a time is let through as a *half-open probe*: its success closes the circuit, its
failure opens it again. Everyone else skips the member meanwhile, so a fleet of workers
stops hammering a limited model together.

State is per `Cooldowns` object and in-process by default; with `redis_url` it lives in
Redis (each transition one Lua script, so concurrent workers agree) and every process
pointing at the same URL and namespace shares it. If Redis is unreachable the breaker
fails open: members are tried, and a warning is logged.

Example:
    >>> from langchain_globalapi.fallbacks import Cooldowns
    >>> cooldowns = Cooldowns(failure_threshold=2, open_s=30)
    >>> cooldowns.admit("flash").allowed
    True
"""

from __future__ import annotations

import asyncio
import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from langchain_globalapi.errors import GlobalAPIError
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
    failures: int = 0
    last_failure_at: float = -math.inf
    cooldown_until: float = -math.inf
    cooldown_reason: str = ""
    half_open: bool = False
    probe_until: float = -math.inf


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
                return Admission(True)
            if now < state.probe_until:
                return Admission(False, False, "probing", state.probe_until - now)
            if claim:
                state.probe_until = now + lease_s
            return Admission(True, probe=True)

    def failure(self, key: str, wait_s: float | None) -> None:
        now, settings = self._clock(), self._settings
        with self._lock:
            state = self._states.setdefault(key, _MemberState())
            state.probe_until = -math.inf
            if wait_s is not None:
                if wait_s > 0:
                    self._cool(state, now + wait_s, "rate_limit")
                return
            if now - state.last_failure_at > settings.failure_window_s:
                state.failures = 0
            state.failures += 1
            state.last_failure_at = now
            if state.failures >= settings.failure_threshold or state.half_open:
                self._cool(state, now + settings.open_s, "circuit_open")
                state.half_open = True

    @staticmethod
    def _cool(state: _MemberState, until: float, reason: str) -> None:
        if until > state.cooldown_until:
            state.cooldown_until, state.cooldown_reason = until, reason

    def success(self, key: str) -> None:
        with self._lock:
            state = self._states.setdefault(key, _MemberState())
            state.failures, state.half_open, state.probe_until = 0, False, -math.inf

    def release(self, key: str) -> None:
        with self._lock:
            if (state := self._states.get(key)) is not None:
                state.probe_until = -math.inf

    def clear(self) -> None:
        with self._lock:
            self._states.clear()


# KEYS: cooldown, half_open, probe. ARGV: probe lease (ms), claim (1/0).
_ADMIT = """
local ttl = redis.call('PTTL', KEYS[1])
if ttl > 0 then return {0, ttl, redis.call('GET', KEYS[1]) or ''} end
if redis.call('EXISTS', KEYS[2]) == 0 then return {1, 0, ''} end
local held = redis.call('PTTL', KEYS[3])
if held > 0 then return {0, held, 'probing'} end
if ARGV[2] == '1' then redis.call('SET', KEYS[3], '1', 'PX', ARGV[1]) end
return {1, 0, 'probe'}
"""
# KEYS: cooldown, half_open, probe, failures.
# ARGV: wait (ms, -1 for none), threshold, open (ms), failure window (ms), half-open ttl (ms).
_FAILURE = """
redis.call('DEL', KEYS[3])
local wait = tonumber(ARGV[1])
if wait >= 0 then
  if wait > 0 and redis.call('PTTL', KEYS[1]) < wait then
    redis.call('SET', KEYS[1], 'rate_limit', 'PX', wait)
  end
  return 0
end
local n = redis.call('INCR', KEYS[4])
redis.call('PEXPIRE', KEYS[4], ARGV[4])
if n >= tonumber(ARGV[2]) or redis.call('EXISTS', KEYS[2]) == 1 then
  if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[3]) then
    redis.call('SET', KEYS[1], 'circuit_open', 'PX', ARGV[3])
  end
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[5])
  return 1
end
return 0
"""


class _RedisBackend:
    def __init__(self, cooldowns: Cooldowns, url: str, namespace: str) -> None:
        try:
            import redis  # noqa: PLC0415 - optional dependency
        except ImportError as exc:  # pragma: no cover - depends on the environment
            msg = (
                "Cooldowns(redis_url=...) needs the redis client: "
                "pip install 'langchain-globalapi[redis]'"
            )
            raise GlobalAPIError(msg) from exc
        self._errors: tuple[type[BaseException], ...] = (redis.RedisError, OSError)
        self._settings = cooldowns
        self._client = redis.Redis.from_url(url, socket_timeout=1.0, socket_connect_timeout=1.0)
        self._prefix = f"globalapi:cooldown:{namespace}:"
        self._admit = self._client.register_script(_ADMIT)
        self._failure = self._client.register_script(_FAILURE)
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
        keys = self._keys(key, "cooldown", "half_open", "probe")
        try:
            allowed, remaining_ms, reason = self._admit(
                keys=keys, args=[max(int(lease_s * 1000), 1), "1" if claim else "0"]
            )
        except self._errors as error:
            self._unavailable(error)
            return Admission(True)
        reason_text = reason.decode() if isinstance(reason, bytes) else str(reason)
        if allowed:
            return Admission(True, probe=reason_text == "probe")
        return Admission(False, False, reason_text or "rate_limit", int(remaining_ms) / 1000)

    def failure(self, key: str, wait_s: float | None) -> None:
        settings = self._settings
        keys = self._keys(key, "cooldown", "half_open", "probe", "failures")
        args = [
            -1 if wait_s is None else int(wait_s * 1000),
            settings.failure_threshold,
            max(int(settings.open_s * 1000), 1),
            max(int(settings.failure_window_s * 1000), 1),
            max(int(settings.half_open_ttl_s * 1000), 1),
        ]
        try:
            self._failure(keys=keys, args=args)
        except self._errors as error:
            self._unavailable(error)

    def _delete(self, *keys: str) -> None:
        try:
            self._client.delete(*keys)
        except self._errors as error:
            self._unavailable(error)

    def success(self, key: str) -> None:
        self._delete(*self._keys(key, "failures", "half_open", "probe"))

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
        failure_threshold: Consecutive failures that open a member's circuit.
        open_s: How long an open circuit skips the member before a half-open probe.
        failure_window_s: Failures further apart than this do not add up.
        max_cooldown_s: Cap on a server's `Retry-After` (a bogus header cannot bench a
            member for a day).
        redis_url: `redis://host:6379/0` to keep the state in Redis.
        namespace: Separates independent fleets sharing one Redis.
        clock: Monotonic seconds for the in-process state (tests pass a fake one).

    Example:
        >>> from langchain_core.exceptions import ModelAPIError
        >>> from langchain_globalapi.fallbacks import Failure, FailureKind
        >>> now = [0.0]
        >>> cooldowns = Cooldowns(failure_threshold=2, open_s=10, clock=lambda: now[0])
        >>> outage = Failure(FailureKind.SERVER_ERROR, ModelAPIError("503"), 503)
        >>> cooldowns.record_failure("flash", outage)
        >>> cooldowns.record_failure("flash", outage)
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
        failure_threshold: int = 3,
        open_s: float = 30.0,
        failure_window_s: float = 60.0,
        max_cooldown_s: float = 300.0,
        redis_url: str | None = None,
        namespace: str = "default",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if failure_threshold < 1:
            msg = f"failure_threshold must be >= 1, got {failure_threshold}"
            raise GlobalAPIError(msg)
        if open_s <= 0 or failure_window_s <= 0 or max_cooldown_s <= 0:
            msg = "open_s, failure_window_s and max_cooldown_s must be positive seconds"
            raise GlobalAPIError(msg)
        self.failure_threshold = failure_threshold
        self.open_s = open_s
        self.failure_window_s = failure_window_s
        self.max_cooldown_s = max_cooldown_s
        self.redis_url = redis_url
        self.namespace = namespace
        # A half-open flag outlives many open periods; it only guards against a member that
        # is never called again keeping the flag forever.
        self.half_open_ttl_s = max(open_s * 20, 3600.0)
        self._backend: _MemoryBackend | _RedisBackend = (
            _RedisBackend(self, redis_url, namespace) if redis_url else _MemoryBackend(self, clock)
        )

    def __repr__(self) -> str:
        where = "redis" if self.redis_url else "in-process"
        return (
            f"Cooldowns(failure_threshold={self.failure_threshold}, open_s={self.open_s}, "
            f"{where}, namespace={self.namespace!r})"
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
        """Count a failed call: Retry-After starts a cooldown; other failures feed the breaker.

        Failures that are about the request (context overflow, bad request) are ignored.
        """
        if failure.counts_against_member:
            self._backend.failure(key, self._wait_of(failure))
        else:
            self._backend.release(key)

    def record_success(self, key: str) -> None:
        """A successful call: closes the member's circuit."""
        self._backend.success(key)

    def release_probe(self, key: str) -> None:
        """Give up a claimed probe without a verdict (the call was cancelled)."""
        self._backend.release(key)

    def reset(self) -> None:
        """Forget all state (in Redis too, within this namespace)."""
        self._backend.clear()

    def _wait_of(self, failure: Failure) -> float | None:
        if failure.kind is not FailureKind.RATE_LIMIT or failure.retry_after_s is None:
            return None
        return min(failure.retry_after_s, self.max_cooldown_s)

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
