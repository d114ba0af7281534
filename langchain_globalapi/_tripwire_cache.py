"""The tripwire's semantic-cache audit: re-ask a sample of semantic hits, count false ones, act.

A semantic hit serves the answer written for another question. `CachedChatModel(...,
tripwire=tripwire)` hands every semantic hit to `QualityTripwire.audit_cache_hit`, which
samples it by a hash of the request id (`cache_sample_rate`, default 10%) and queues it on
the tripwire's bounded queue. The tripwire's worker re-asks the wrapped model the question
that was actually asked (one call, billed once under the tripwire's budget and marked
`globalapi_audit: "semantic_cache"` in its metadata), scores the served answer against the
fresh one with the tripwire's agreement scorer for the task, and records a false hit when
they disagree, per scope (the cache's search unit: model, parameters, system prompt,
earlier turns) and pooled over the cache.

## When it acts, and why this bound

With `n` samples of which `k` were false, the Wilson 95% interval `[low, high]` of the
false-hit rate is computed over the evidence that still describes what the cache serves
(the last `window` samples whose similarity clears the current threshold, from scopes
still on). The audit acts when **`low > target` with at least `min_samples`**: the data
show, at 97.5% one-sided confidence, that false hits are more frequent than `target`.

Acting on the *upper* bound passing the target would act on no evidence at all: with
zero false hits in 50 samples the upper bound is still 7.1%, above a 5% target, so every
healthy cache would be tightened until it had served some 75 clean samples per scope.
The upper bound is the right figure to *certify* a cache (`high < target`: the rate is
shown to be below target), and `stats()` reports it for that; acting costs hits, so it
waits for evidence. The minimum sample count keeps one early false hit (1 of 2: lower
bound 9%) from acting, and bounds the extra false alarms of checking after every sample.

## What it does

Per scope, when the rule fires: if raising the cache's threshold by `threshold_step`
(capped at `max_threshold`) would leave evidence that no longer fires (the false hits sit
in the similarity band the raise removes), and this scope has not raised it before, the
threshold is raised; otherwise (threshold at its cap, the false hits sit above the raised
threshold, or the scope keeps failing after its raise) semantic hits are turned off for
that scope (exact hits are still served). Pooled over a cache (many small scopes, none
with enough samples), the same rule raises the threshold, and only alerts when raising
cannot help. With `act=False` nothing changes and every firing is an alert. Each action
is logged, kept in `stats().cache.actions` and sent to the tripwire's alert hooks and
webhook as a `CacheAuditAction`. Thresholds and disabled scopes live in the process (see
`SemanticCache`).
"""

from __future__ import annotations

import contextvars
import functools
import logging
import threading
from collections import Counter, OrderedDict, deque
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, NamedTuple

from langchain_core.messages import BaseMessage
from langchain_core.runnables import RunnableConfig

from langchain_globalapi._pricing import price_message
from langchain_globalapi._tripwire_stats import CacheAuditAction, CacheAuditStats, ScopeAudit
from langchain_globalapi._validate import positive_int, probability
from langchain_globalapi.caching._audit import SemanticHit

if TYPE_CHECKING:
    from langchain_globalapi.bench.stats import Interval
    from langchain_globalapi.caching.semantic import SemanticCache
    from langchain_globalapi.tripwire import QualityTripwire

__all__ = ["AUDITING", "AUDIT_MARKER", "AuditJob", "CacheAudit"]

logger = logging.getLogger("langchain_globalapi.tripwire")

#: Metadata key and value that mark a cache audit's re-ask (also marked `globalapi_tripwire`).
AUDIT_MARKER = ("globalapi_audit", "semantic_cache")

#: Set while a tripwire re-asks: answers and hits seen meanwhile are not observed again.
AUDITING: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "globalapi_tripwire_auditing", default=False
)

_MAX_SCOPES = 256  # scope records kept (least recently audited dropped first)
_MAX_ACTIONS = 100  # actions kept for stats()


class _Sample(NamedTuple):
    scope: str
    similarity: float
    false_hit: bool


@dataclass
class _Record:
    """The evidence of one scope, or of a whole cache (pooled over its scopes)."""

    cache: SemanticCache
    window: deque[_Sample]
    samples: int = 0
    false_hits: int = 0
    raised: bool = False  # this scope has raised the threshold once already
    alerted: bool = False  # an alert-only firing is sent once, until the rule stops firing


@dataclass
class AuditJob:
    """A sampled semantic hit waiting for the tripwire's worker."""

    hit: SemanticHit
    request_id: str
    context: contextvars.Context


@dataclass
class _Evidence:
    samples: int
    false_hits: int
    low: float = float("nan")
    high: float = float("nan")
    rate: float = float("nan")
    fires: bool = False


class CacheAudit:
    """The semantic-cache side of a `QualityTripwire` (built by it; see the module doc).

    Example:
        >>> from langchain_core.language_models import GenericFakeChatModel
        >>> from langchain_globalapi import QualityTripwire
        >>> tripwire = QualityTripwire(GenericFakeChatModel(messages=iter([])),
        ...                            cache_sample_rate=0.5, cache_min_samples=10)
        >>> audit = tripwire.cache_audit
        >>> [audit.should_sample(f"req-{i}") for i in range(6)] == [
        ...     audit.should_sample(f"req-{i}") for i in range(6)]
        True
        >>> audit.fires(samples=10, false_hits=3), audit.fires(samples=50, false_hits=2)
        (True, False)
    """

    def __init__(
        self,
        tripwire: QualityTripwire,
        *,
        sample_rate: float,
        max_false_hit_rate: float,
        min_samples: int,
        threshold_step: float,
        max_threshold: float,
        act: bool,
        window: int,
    ) -> None:
        owner = "QualityTripwire"
        self.tripwire = tripwire
        self.sample_rate = probability(owner, "cache_sample_rate", sample_rate)
        self.target = probability(owner, "cache_max_false_hit_rate", max_false_hit_rate)
        self.min_samples = positive_int(owner, "cache_min_samples", min_samples)
        self.threshold_step = probability(owner, "cache_threshold_step", threshold_step)
        self.max_threshold = probability(owner, "cache_max_threshold", max_threshold)
        self.act = bool(act)
        self.window = positive_int(owner, "window", window)
        self.salt = f"{tripwire.salt}:semantic-cache"
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()
        self._spend = Decimal(0)
        self._unnamed = 0
        self._scopes: OrderedDict[tuple[int, str], _Record] = OrderedDict()
        self._caches: dict[int, _Record] = {}
        self._actions: deque[CacheAuditAction] = deque(maxlen=_MAX_ACTIONS)

    # --- sampling (on the caller's thread: never blocks) ------------------------------------

    def should_sample(self, request_id: str) -> bool:
        """Deterministic: the same request id always gives the same answer."""
        from langchain_globalapi.tripwire import _unit_hash  # noqa: PLC0415 - it imports us

        return _unit_hash(self.salt, request_id) < self.sample_rate

    def consider(self, hit: SemanticHit) -> AuditJob | None:
        """Count a semantic hit; the job to queue when it is sampled."""
        with self._lock:
            self._counts["observed"] += 1
            request_id = hit.request_id
            if not request_id:
                # Without a caller's id, the hit's position among the hits seen is the key.
                request_id, self._unnamed = f"#{self._unnamed}", self._unnamed + 1
        if not self.should_sample(request_id):
            return None
        with self._lock:
            self._counts["sampled"] += 1
        return AuditJob(hit, request_id, contextvars.copy_context())

    def count(self, what: str) -> None:
        """Count one `dropped`, `skipped_budget` or `errors` event."""
        with self._lock:
            self._counts[what] += 1

    # --- the worker's side ---------------------------------------------------------------------

    def run(self, job: AuditJob) -> None:
        """Re-ask, compare, record, act (on the tripwire's worker thread)."""
        tripwire, hit = self.tripwire, job.hit
        try:
            fresh = tripwire._shadow_call(
                functools.partial(_reask, hit),
                job.context,
                model=hit.model,
                metadata={AUDIT_MARKER[0]: AUDIT_MARKER[1], "request_id": job.request_id},
                run_name="semantic_cache_audit",
            )
        except Exception:
            logger.exception("semantic cache audit: the re-ask failed")
            self.count("errors")
            return
        if fresh is None:
            self.count("skipped_budget")
            return
        call = price_message(fresh, tripwire.catalog)
        task = hit.task or tripwire.default_task
        agreed = tripwire._agrees(task, str(hit.answer.text), str(fresh.text), hit.question)
        for action in self.record(hit, not agreed, call.usd if call else None):
            tripwire._notify(action)

    def record(
        self, hit: SemanticHit, false_hit: bool, usd: Decimal | None = None
    ) -> list[CacheAuditAction]:
        """Add one verdict and apply the rule; returns the actions taken (to notify)."""
        sample = _Sample(hit.scope, hit.similarity, false_hit)
        with self._lock:
            self._counts["samples"] += 1
            self._counts["false_hits"] += int(false_hit)
            self._spend += usd or Decimal(0)
            scope = self._scope(hit.cache, hit.scope)
            scope.window.append(sample)
            scope.samples += 1
            scope.false_hits += int(false_hit)
            pooled = self._caches.setdefault(
                id(hit.cache), _Record(hit.cache, deque(maxlen=self.window))
            )
            pooled.window.append(sample)
            actions = [*self._judge(scope, hit.scope), *self._judge(pooled, None)]
            self._actions.extend(actions)
        return actions

    # --- the rule --------------------------------------------------------------------------------

    def fires(self, *, samples: int, false_hits: int) -> bool:
        """The act rule: `samples >= min_samples` and the Wilson lower bound > target."""
        if samples < self.min_samples or samples == 0:
            return False
        return _wilson(false_hits, samples).low > self.target

    def _evidence(self, window: deque[_Sample], cache: SemanticCache, at: float) -> _Evidence:
        """The samples that still describe what `cache` serves at threshold `at`."""
        off = cache.disabled_scopes
        kept = [s for s in window if s.similarity >= at and s.scope not in off]
        n, k = len(kept), sum(s.false_hit for s in kept)
        evidence = _Evidence(n, k, fires=self.fires(samples=n, false_hits=k))
        if n:
            interval = _wilson(k, n)
            evidence.rate, evidence.low, evidence.high = interval.value, interval.low, interval.high
        return evidence

    def _raised(self, cache: SemanticCache) -> float:
        return min(round(cache.threshold + self.threshold_step, 9), self.max_threshold)

    def _judge(self, record: _Record, scope: str | None) -> list[CacheAuditAction]:
        """Apply the rule to one scope's evidence (`scope=None`: the cache's, pooled)."""
        cache = record.cache
        if scope is not None and scope in cache.disabled_scopes:
            return []
        now = cache.threshold
        evidence = self._evidence(record.window, cache, now)
        if not evidence.fires:
            record.alerted = False
            return []
        raised = self._raised(cache)
        if not self.act:
            reason = "actions are off"
        elif raised <= now:
            reason = f"the threshold is at its cap {self.max_threshold:.2f}"
        elif scope is not None and record.raised:
            reason = "still failing after raising the threshold"
        elif self._evidence(record.window, cache, raised).fires:
            reason = f"false hits sit above {raised:.2f} too"
        else:
            record.raised = True
            after = cache.raise_threshold(self.threshold_step, cap=self.max_threshold)
            reason = f"false hits sit below {after:.2f}"
            return [self._action("raised_threshold", scope, record, evidence, now, after, reason)]
        if scope is not None and self.act:
            cache.disable_scope(scope)
            return [self._action("disabled_scope", scope, record, evidence, now, now, reason)]
        # No lever left (pooled evidence has no scope to turn off), or actions are off:
        # alert once, and again only after the evidence stopped firing.
        if record.alerted:
            return []
        record.alerted = True
        if scope is None and self.act:
            reason += ": consider ExactCache"
        return [self._action("none", scope, record, evidence, now, now, reason)]

    def _action(  # noqa: PLR0917 - one call shape, all internal
        self,
        action: str,
        scope: str | None,
        record: _Record,
        evidence: _Evidence,
        before: float,
        after: float,
        reason: str,
    ) -> CacheAuditAction:
        return CacheAuditAction(
            action=action,
            scope=scope,
            cache=repr(record.cache),
            samples=evidence.samples,
            false_hits=evidence.false_hits,
            false_hit_rate=evidence.rate,
            low=evidence.low,
            high=evidence.high,
            target=self.target,
            threshold_before=before,
            threshold_after=after,
            reason=reason,
        )

    def _scope(self, cache: SemanticCache, scope: str) -> _Record:
        key = (id(cache), scope)
        record = self._scopes.get(key)
        if record is None:
            record = _Record(cache, deque(maxlen=self.window))
            self._scopes[key] = record
            while len(self._scopes) > _MAX_SCOPES:
                self._scopes.popitem(last=False)
        self._scopes.move_to_end(key)
        return record

    # --- reporting -----------------------------------------------------------------------------

    def stats(self) -> CacheAuditStats:
        """A snapshot (see `CacheAuditStats`)."""
        with self._lock:
            n, k = self._counts["samples"], self._counts["false_hits"]
            pooled = _wilson(k, n) if n else None
            by_scope: dict[str, ScopeAudit] = {}
            for (_, scope), record in reversed(self._scopes.items()):
                interval = _wilson(record.false_hits, record.samples)
                by_scope.setdefault(
                    scope,
                    ScopeAudit(
                        samples=record.samples,
                        false_hits=record.false_hits,
                        false_hit_rate=interval.value,
                        low=interval.low,
                        high=interval.high,
                        threshold=record.cache.threshold,
                        disabled=scope in record.cache.disabled_scopes,
                    ),
                )
            return CacheAuditStats(
                observed=self._counts["observed"],
                sampled=self._counts["sampled"],
                samples=n,
                false_hits=k,
                false_hit_rate=pooled.value if pooled else None,
                low=pooled.low if pooled else None,
                high=pooled.high if pooled else None,
                dropped=self._counts["dropped"],
                skipped_budget=self._counts["skipped_budget"],
                errors=self._counts["errors"],
                sample_rate=self.sample_rate,
                target=self.target,
                min_samples=self.min_samples,
                spend_usd=self._spend,
                by_scope=by_scope,
                actions=tuple(self._actions),
            )


def _reask(hit: SemanticHit, config: RunnableConfig) -> BaseMessage:
    # Runs in a copy of the caller's context: marking it here never leaks to the caller.
    AUDITING.set(True)
    return hit.reask(config)


def _wilson(successes: int, n: int) -> Interval:
    from langchain_globalapi.tripwire import _wilson as wilson  # noqa: PLC0415 - it imports us

    return wilson(successes, n)
