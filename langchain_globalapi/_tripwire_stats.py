"""What `QualityTripwire.stats()` returns: a typed, printable snapshot of the tripwire's state.

Kept apart from `tripwire.py` so the evaluator reads on its own; both names are re-exported
there and from the package root.

Migrating from the dict that `stats()` returned before: every key is now an attribute of the
same name (`stats["samples"]` -> `stats.samples`), `spend_usd` is a `Decimal` (it was a
string), `by_task` maps to `TaskAgreement` objects, and `stats.as_dict()` returns the old
dict exactly (JSON-ready: money as a string). Subscripting still works for now, with a
`DeprecationWarning`.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

__all__ = ["TaskAgreement", "TripwireStats"]


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
        return "\n".join(lines)
