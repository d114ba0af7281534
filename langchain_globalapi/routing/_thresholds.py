"""Cut points that turn a complexity score into a tier: validation, defaults and calibration.

With tiers ordered cheapest first, `len(tiers) - 1` increasing cut points in [0, 1] split the
score range: a score below the first cut goes to the cheapest tier, a score at or above the
last cut to the strongest. Scores are not comparable across scorers or traffic (RouteLLM's
thresholds do not transfer), so `calibrate_thresholds` places the cuts at quantiles of a
sample of the user's own prompts to hit a target tier mix.

Example:
    >>> cuts = calibrate_thresholds([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0],
    ...                             ["economy", "flash", "pro"],
    ...                             {"economy": 0.5, "flash": 0.3, "pro": 0.2})
    >>> realized_mix([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0], cuts,
    ...              ["economy", "flash", "pro"])
    {'economy': 0.5, 'flash': 0.3, 'pro': 0.2}
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Mapping, Sequence

import numpy as np

from langchain_globalapi.errors import RoutingConfigError

__all__ = [
    "calibrate_thresholds",
    "default_thresholds",
    "realized_mix",
    "tier_index",
    "validate_thresholds",
]

# Rough cuts for three tiers on general chat traffic; a starting point only: calibrate on your
# own prompts. The learned scorer's score estimates P(only the strong model is right); its cuts
# give 44/41/15% on examples/prompts.jsonl and 33/36/31% on MT-Bench + Arena-Hard first turns
# (the heuristic's: 39/46/15% on examples/prompts.jsonl).
_DEFAULT_CUTS: dict[str, tuple[float, float]] = {
    "LearnedScorer": (0.1, 0.21),
    "HeuristicScorer": (0.3, 0.5),
    "LengthScorer": (0.05, 0.5),  # 0.5 is the seed's "> 2000 chars" rule
}


def default_thresholds(scorer_name: str, n_tiers: int) -> tuple[float, ...]:
    """Default cut points for a scorer class and a tier count (the strong cut for two tiers)."""
    low, high = _DEFAULT_CUTS.get(scorer_name, (1 / 3, 2 / 3))
    if n_tiers <= 1:
        return ()
    if n_tiers == 2:
        return (high,)
    return tuple(float(x) for x in np.linspace(low, high, n_tiers - 1))


def validate_thresholds(
    thresholds: Sequence[float], tier_names: Sequence[str]
) -> tuple[float, ...]:
    """Check that `thresholds` are `len(tiers) - 1` increasing numbers in [0, 1].

    Raises:
        RoutingConfigError: Wrong count, a value outside [0, 1] or not strictly increasing.
    """
    cuts = tuple(float(x) for x in thresholds)
    expected = len(tier_names) - 1
    example = ", ".join(f"{(i + 1) / (expected + 1):.2g}" for i in range(expected))
    if len(cuts) != expected:
        msg = (
            f"thresholds: {len(tier_names)} tiers {list(tier_names)} need {expected} cut "
            f"point(s), got {len(cuts)}: {list(cuts)}. Example: thresholds=[{example}]"
        )
        raise RoutingConfigError(msg)
    if any(not (0.0 <= x <= 1.0) or math.isnan(x) for x in cuts):
        msg = f"thresholds must lie in [0, 1] (scores do), got {list(cuts)}"
        raise RoutingConfigError(msg)
    if any(b <= a for a, b in itertools.pairwise(cuts)):
        msg = f"thresholds must be strictly increasing (cheapest tier first), got {list(cuts)}"
        raise RoutingConfigError(msg)
    return cuts


def tier_index(score: float, thresholds: Sequence[float]) -> int:
    """Index of the tier a score falls in (a score equal to a cut goes to the stronger tier)."""
    return bisect.bisect_right(thresholds, score)


def _normalized_mix(tier_names: Sequence[str], target_mix: Mapping[str, float]) -> list[float]:
    unknown = sorted(set(target_mix) - set(tier_names))
    if unknown:
        msg = f"target_mix names unknown tier(s) {unknown}; the tiers are {list(tier_names)}"
        raise RoutingConfigError(msg)
    shares = [float(target_mix.get(name, 0.0)) for name in tier_names]
    if any(share < 0 or math.isnan(share) for share in shares):
        msg = f"target_mix shares must be >= 0, got {dict(target_mix)}"
        raise RoutingConfigError(msg)
    total = sum(shares)
    if not math.isclose(total, 1.0, abs_tol=1e-6):
        msg = f"target_mix shares must sum to 1, got {total:g}: {dict(target_mix)}"
        raise RoutingConfigError(msg)
    return shares


def calibrate_thresholds(
    scores: Sequence[float], tier_names: Sequence[str], target_mix: Mapping[str, float]
) -> tuple[float, ...]:
    """Cut points at score quantiles so that `scores` split into `target_mix` (RouteLLM's method).

    The cut above tier *i* is the quantile at the cumulative share of tiers 0..i. Ties make
    the realized mix differ from the target; `realized_mix` reports what was reached.

    Raises:
        RoutingConfigError: An unknown tier in the mix, shares that do not sum to 1, or no
            scores to calibrate on.
    """
    shares = _normalized_mix(tier_names, target_mix)
    if not scores:
        msg = "calibrate needs at least one sample input"
        raise RoutingConfigError(msg)
    values = np.asarray(scores, dtype=np.float64)
    cumulative = np.cumsum(shares)[:-1]
    cuts: list[float] = []
    floor = -1.0
    for share in cumulative:
        cut = 1.0 if share >= 1.0 else float(np.quantile(values, share, method="higher"))
        # A zero-share tier (or heavy ties) would repeat a cut: nudge it so cuts stay increasing.
        cut = min(max(cut, floor + 1e-9), 1.0)
        cuts.append(cut)
        floor = cut
    if cuts and cuts[-1] > 1.0:  # pragma: no cover - min() above keeps cuts <= 1
        cuts[-1] = 1.0
    return tuple(cuts)


def realized_mix(
    scores: Sequence[float], thresholds: Sequence[float], tier_names: Sequence[str]
) -> dict[str, float]:
    """The share of `scores` each tier gets under `thresholds`."""
    counts = [0] * len(tier_names)
    for score in scores:
        counts[tier_index(score, thresholds)] += 1
    n = max(len(scores), 1)
    return {name: round(count / n, 6) for name, count in zip(tier_names, counts, strict=True)}
