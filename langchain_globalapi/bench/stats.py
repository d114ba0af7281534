"""Small statistics for reports and the tripwire: bootstrap means, Wilson bounds, Cohen's kappa.

Intervals reuse :class:`~langchain_globalapi.bench.evaluation.Interval` so router metrics and
harness metrics print the same way.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import numpy as np

from langchain_globalapi.bench.evaluation import Interval

__all__ = ["Interval", "bootstrap_mean", "cohen_kappa", "percentile", "wilson_interval"]

_Z95 = 1.959963984540054


def bootstrap_mean(
    values: Sequence[float], *, n_resamples: int = 1000, seed: int = 0, confidence: float = 0.95
) -> Interval:
    """The mean with a percentile bootstrap interval (seeded, so reports are reproducible).

    Example:
        >>> interval = bootstrap_mean([1.0, 0.0, 1.0, 1.0])
        >>> interval.value, 0.0 <= interval.low <= interval.high <= 1.0
        (0.75, True)
    """
    data = np.asarray(values, dtype=float)
    if len(data) == 0:
        return Interval(float("nan"), float("nan"), float("nan"))
    rng = np.random.default_rng(seed)
    means = data[rng.integers(0, len(data), (n_resamples, len(data)))].mean(axis=1)
    alpha = (1 - confidence) / 2
    low, high = np.quantile(means, [alpha, 1 - alpha])
    return Interval(float(data.mean()), float(low), float(high))


def wilson_interval(successes: int, n: int, *, z: float = _Z95) -> Interval:
    """The Wilson score interval of a proportion (95% by default); ``nan`` when ``n`` is 0.

    Unlike the normal approximation it stays inside [0, 1] and is honest at small ``n``:
    20 agreements out of 20 still only proves about 84%.

    Example:
        >>> round(wilson_interval(20, 20).low, 3)
        0.839
    """
    if n <= 0:
        return Interval(float("nan"), float("nan"), float("nan"))
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return Interval(p, max(0.0, centre - half), min(1.0, centre + half))


def cohen_kappa(pairs: Sequence[tuple[str, str]]) -> float:
    """Cohen's kappa of two raters' labels: agreement beyond what chance would give.

    1 is perfect agreement, 0 is chance level; ``nan`` with no pairs. When both raters use a
    single identical label throughout, agreement is perfect and kappa is defined as 1.

    Example:
        >>> cohen_kappa([("a", "a"), ("b", "b"), ("a", "b"), ("b", "b")])
        0.5
    """
    n = len(pairs)
    if n == 0:
        return float("nan")
    observed = sum(a == b for a, b in pairs) / n
    left, right = Counter(a for a, _ in pairs), Counter(b for _, b in pairs)
    expected = sum(left[label] * right[label] for label in left) / (n * n)
    if expected >= 1.0:
        return 1.0 if observed >= 1.0 else 0.0
    return (observed - expected) / (1 - expected)


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100, linear interpolation); ``nan`` when empty."""
    data = [v for v in values if v is not None and not math.isnan(v)]
    return float(np.percentile(data, q)) if data else float("nan")
