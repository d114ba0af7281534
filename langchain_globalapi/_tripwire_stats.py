"""What `QualityTripwire.stats()` returns: a typed, printable snapshot of the tripwire's state.

Kept apart from `tripwire.py` so the evaluator reads on its own; both names are re-exported
there and from the package root.

Migrating from the dict that `stats()` returned before: every key is now an attribute of the
same name (`stats["samples"]` -> `stats.samples`), `spend_usd` is a `Decimal` (it was a
string), `by_task` maps to `TaskAgreement` objects, and `stats.as_dict()` returns the old
dict exactly (JSON-ready: money as a string). Subscripting still works for now, with a
`DeprecationWarning`. The semantic-cache audit is `stats.cache` (a `CacheAuditStats`, with
its own `as_dict()`), printed below the agreement lines once a semantic hit was seen.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

__all__ = ["CacheAuditAction", "CacheAuditStats", "ScopeAudit", "TaskAgreement", "TripwireStats"]


@dataclass(frozen=True)
class TaskAgreement:
    """Shadow samples of one task type and how often the cheap answer agreed.

    `kappa` (Cohen's kappa) is set for `classification`, where raw agreement can look fine
    while the labels carry no information.

    Example:
        >>> TaskAgreement(samples=4, agreement=0.75)
        TaskAgreement(samples=4, agreement=0.75, kappa=None)
    """

    samples: int
    agreement: float
    kappa: float | None = None

    def as_dict(self) -> dict[str, float]:
        """The pre-`TripwireStats` dict: `samples`, `agreement` and, when set, `kappa`."""
        data: dict[str, float] = {"samples": self.samples, "agreement": self.agreement}
        if self.kappa is not None:
            data["kappa"] = self.kappa
        return data


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def _short(scope: str | None) -> str:
    return "all scopes" if scope is None else f"scope {scope[:12]}"


@dataclass(frozen=True)
class CacheAuditAction:
    """What the cache audit did when a scope's (or a whole cache's) false hits were too many.

    `action` is `"raised_threshold"` (the cache's similarity threshold went from
    `threshold_before` to `threshold_after`), `"disabled_scope"` (semantic hits off for
    `scope`; exact hits are still served) or `"none"` (evidence of too many false hits, but
    no lever left or actions turned off: a person should look). `scope` is `None` when the
    evidence is the whole cache's, pooled over its scopes. The evidence: `false_hits` of
    `samples` re-asked hits disagreed, with the Wilson 95% interval `[low, high]` of the
    false-hit rate; the rule is `low > target` with at least `min_samples`.

    Alert hooks receive it like a `TripwireAlarm` (both have `message` and `as_dict()`).

    Example:
        >>> action = CacheAuditAction("raised_threshold", "3f2a9c1b7d4e55", "SemanticCache()",
        ...                           5, 5, 1.0, 0.566, 1.0, 0.05, 0.85, 0.9,
        ...                           "false hits sit below 0.90")
        >>> print(action.message)
        semantic cache audit: 5 of 5 re-asked hits in scope 3f2a9c1b7d4e were false (95% CI 56.6%-100.0%, target <= 5%): raised the threshold 0.85 -> 0.90 (false hits sit below 0.90)
    """  # noqa: E501

    action: str
    scope: str | None
    cache: str
    samples: int
    false_hits: int
    false_hit_rate: float
    low: float
    high: float
    target: float
    threshold_before: float
    threshold_after: float
    reason: str

    @property
    def message(self) -> str:
        """One line for logs and pages."""
        if self.action == "raised_threshold":
            did = f"raised the threshold {self.threshold_before:.2f} -> {self.threshold_after:.2f}"
        elif self.action == "disabled_scope":
            did = f"semantic hits off for {_short(self.scope)}"
        else:
            did = "no action taken"
        where = "the cache" if self.scope is None else _short(self.scope)
        return (
            f"semantic cache audit: {self.false_hits} of {self.samples} re-asked hits in "
            f"{where} were false (95% CI {_pct(self.low)}-{_pct(self.high)}, target <= "
            f"{self.target:.0%}): {did} ({self.reason})"
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready payload (what the webhook receives)."""
        return {
            "event": "globalapi.quality_tripwire.cache_action",
            "message": self.message,
            "action": self.action,
            "scope": self.scope,
            "cache": self.cache,
            "samples": self.samples,
            "false_hits": self.false_hits,
            "false_hit_rate": self.false_hit_rate,
            "false_hit_rate_low": self.low,
            "false_hit_rate_high": self.high,
            "target": self.target,
            "threshold_before": self.threshold_before,
            "threshold_after": self.threshold_after,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class ScopeAudit:
    """The re-asked semantic hits of one scope: how many were false, and what was done.

    `false_hit_rate`, `low` and `high` (Wilson 95%) cover every sample of the scope since
    the tripwire first saw it; `threshold` is its cache's threshold now, and `disabled`
    whether its semantic hits are off.

    Example:
        >>> ScopeAudit(samples=10, false_hits=0, false_hit_rate=0.0, low=0.0, high=0.278,
        ...            threshold=0.85, disabled=False).as_dict()["high"]
        0.278
    """

    samples: int
    false_hits: int
    false_hit_rate: float | None
    low: float | None
    high: float | None
    threshold: float
    disabled: bool

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of the fields."""
        return {
            "samples": self.samples,
            "false_hits": self.false_hits,
            "false_hit_rate": self.false_hit_rate,
            "low": self.low,
            "high": self.high,
            "threshold": self.threshold,
            "disabled": self.disabled,
        }


@dataclass(frozen=True)
class CacheAuditStats:
    """The semantic-cache audit: hits re-asked, false hits with their Wilson interval, actions.

    Counts: `observed` semantic hits handed over; `sampled` picked by the sampling hash
    (`sample_rate`, deterministic for the same request ids); `samples` re-asked and
    compared; `false_hits` among them; `dropped` (queue full), `skipped_budget`, `errors`.
    `false_hit_rate` and its bounds pool every sample (`None` before the first);
    `by_scope` holds the most recent scopes (at most 256); `actions` the most recent
    actions (at most 100). Act rule: `low > target` after `min_samples` (see
    `QualityTripwire`).

    Example:
        >>> print(CacheAuditStats(observed=40, sampled=12, samples=12, false_hits=0,
        ...                       false_hit_rate=0.0, low=0.0, high=0.243))
        cache audit: 12 of 40 semantic hits re-asked, 0 false
          false-hit rate 0.0% (95% CI 0.0%-24.3%)
          act when the lower bound > 5% after 30 samples; 0 action(s)
          skipped 0 (budget), dropped 0, errors 0; spend $0
    """

    observed: int = 0
    sampled: int = 0
    samples: int = 0
    false_hits: int = 0
    false_hit_rate: float | None = None
    low: float | None = None
    high: float | None = None
    dropped: int = 0
    skipped_budget: int = 0
    errors: int = 0
    sample_rate: float = 0.1
    target: float = 0.05
    min_samples: int = 30
    spend_usd: Decimal = Decimal(0)
    by_scope: Mapping[str, ScopeAudit] = field(default_factory=dict)
    actions: tuple[CacheAuditAction, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (money as a decimal string, scopes and actions as dicts)."""
        return {
            "observed": self.observed,
            "sampled": self.sampled,
            "samples": self.samples,
            "false_hits": self.false_hits,
            "false_hit_rate": self.false_hit_rate,
            "low": self.low,
            "high": self.high,
            "dropped": self.dropped,
            "skipped_budget": self.skipped_budget,
            "errors": self.errors,
            "sample_rate": self.sample_rate,
            "target": self.target,
            "min_samples": self.min_samples,
            "spend_usd": str(self.spend_usd),
            "by_scope": {scope: audit.as_dict() for scope, audit in self.by_scope.items()},
            "actions": [action.as_dict() for action in self.actions],
        }

    def lines(self) -> list[str]:
        """The printed lines (no trailing newline), at most 80 columns."""
        rate = (
            "n/a"
            if self.false_hit_rate is None
            else f"{_pct(self.false_hit_rate)} (95% CI {_pct(self.low)}-{_pct(self.high)})"
        )
        lines = [
            f"cache audit: {self.samples} of {self.observed} semantic hits re-asked, "
            f"{self.false_hits} false",
            f"  false-hit rate {rate}",
            f"  act when the lower bound > {self.target:.0%} after {self.min_samples} "
            f"samples; {len(self.actions)} action(s)",
        ]
        for scope, audit in self.by_scope.items():
            state = "semantic hits off" if audit.disabled else f"threshold {audit.threshold:.2f}"
            lines.append(
                f"  {_short(scope)}: {audit.false_hits}/{audit.samples} false, "
                f"CI {_pct(audit.low)}-{_pct(audit.high)}, {state}"
            )
        for action in self.actions:
            if action.action == "raised_threshold":
                did = f"threshold {action.threshold_before:.2f} -> {action.threshold_after:.2f}"
            elif action.action == "disabled_scope":
                did = "semantic hits off"
            else:
                did = "alert only"
            lines.append(
                f"  action: {did} ({_short(action.scope)}, "
                f"{action.false_hits}/{action.samples} false)"
            )
        lines.append(
            f"  skipped {self.skipped_budget} (budget), dropped {self.dropped}, errors "
            f"{self.errors}; spend ${self.spend_usd}"
        )
        return lines

    def __str__(self) -> str:
        return "\n".join(self.lines())


@dataclass(frozen=True)
class TripwireStats:
    """A snapshot of a `QualityTripwire`: counts, agreement with its Wilson 95% interval, spend.

    Counts: `observed` answers seen; `sampled` picked by the sampling hash (deterministic for
    the same request ids); `samples` shadow-evaluated so far; `dropped` because the queue was
    full; `skipped_budget` because the tripwire's budget was spent; `skipped_reference`
    because the reference model itself answered; `errors` of shadow calls; `queued` waiting.
    `sampled == samples + dropped + skipped_budget + errors + queued` once the worker is idle.

    `agreement` and its bounds cover the rolling `window` of the latest samples (`None`
    before the first); the alarm fires when `agreement_low` falls below `threshold` with at
    least `min_samples` in the window.

    Example:
        >>> stats = TripwireStats(observed=120, sampled=54, samples=54, window=54,
        ...                       agreement=0.556, agreement_low=0.423, agreement_high=0.681,
        ...                       threshold=0.8, min_samples=20, alarms=1, alarmed=True,
        ...                       spend_usd=Decimal("0.00216"),
        ...                       by_task={"classification": TaskAgreement(54, 0.556, 0.0)})
        >>> print(stats)
        quality tripwire: agreement 55.6% (95% CI 42.3%-68.1%) over 54 samples: ALARM
          alarm when the lower bound < 80% after 20 samples; 1 alarm(s) so far
          observed 120, sampled 54, evaluated 54, queued 0, dropped 0
          skipped 0 (budget), 0 (reference answered); errors 0; spend $0.00216
          classification: 54 samples, agreement 55.6%, kappa 0.00
        >>> stats.as_dict()["spend_usd"], stats.as_dict()["by_task"]["classification"]["kappa"]
        ('0.00216', 0.0)
    """

    observed: int = 0
    sampled: int = 0
    samples: int = 0
    dropped: int = 0
    skipped_budget: int = 0
    skipped_reference: int = 0
    errors: int = 0
    queued: int = 0
    window: int = 0
    agreement: float | None = None
    agreement_low: float | None = None
    agreement_high: float | None = None
    threshold: float = 0.0
    min_samples: int = 0
    by_task: Mapping[str, TaskAgreement] = field(default_factory=dict)
    spend_usd: Decimal = Decimal(0)
    alarms: int = 0
    alarmed: bool = False
    cache: CacheAuditStats = field(default_factory=CacheAuditStats)

    def as_dict(self) -> dict[str, Any]:
        """The dict `stats()` used to return (JSON-ready: `spend_usd` is a decimal string)."""
        return {
            "observed": self.observed,
            "sampled": self.sampled,
            "samples": self.samples,
            "dropped": self.dropped,
            "skipped_budget": self.skipped_budget,
            "skipped_reference": self.skipped_reference,
            "errors": self.errors,
            "queued": self.queued,
            "window": self.window,
            "agreement": self.agreement,
            "agreement_low": self.agreement_low,
            "agreement_high": self.agreement_high,
            "by_task": {task: counts.as_dict() for task, counts in self.by_task.items()},
            "spend_usd": str(self.spend_usd),
            "alarms": self.alarms,
            "alarmed": self.alarmed,
        }

    def __getitem__(self, key: str) -> Any:
        """Deprecated dict access: use the attribute (`stats.samples`) or `as_dict()`."""
        warnings.warn(
            f"tripwire.stats() returns a TripwireStats: use stats.{key} (or stats.as_dict())"
            f" instead of stats[{key!r}]",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.as_dict()[key]

    def __str__(self) -> str:
        if self.agreement is None:
            head = "quality tripwire: no shadow samples yet"
        else:
            head = (
                f"quality tripwire: agreement {_pct(self.agreement)} (95% CI "
                f"{_pct(self.agreement_low)}-{_pct(self.agreement_high)}) over {self.window} "
                f"samples" + (": ALARM" if self.alarmed else "")
            )
        lines = [
            head,
            f"  alarm when the lower bound < {self.threshold:.0%} after {self.min_samples} "
            f"samples; {self.alarms} alarm(s) so far",
            f"  observed {self.observed}, sampled {self.sampled}, evaluated {self.samples}, "
            f"queued {self.queued}, dropped {self.dropped}",
            f"  skipped {self.skipped_budget} (budget), {self.skipped_reference} (reference "
            f"answered); errors {self.errors}; spend ${self.spend_usd}",
        ]
        for task, counts in self.by_task.items():
            kappa = "" if counts.kappa is None else f", kappa {counts.kappa:.2f}"
            lines.append(
                f"  {task}: {counts.samples} samples, agreement {_pct(counts.agreement)}{kappa}"
            )
        if self.cache.observed:
            lines.extend(f"  {line}" for line in self.cache.lines())
        return "\n".join(lines)
