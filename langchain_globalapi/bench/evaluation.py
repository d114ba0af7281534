"""Measure how well a score routes between a weak and a strong model (RouteLLM's metrics).

Given one score per prompt (higher means "send to the strong model") and the quality each model
reached on that prompt, a router that sends the top ``x`` share of prompts to the strong model
reaches ``quality(x)``. From that curve come RouteLLM's metrics:

- **PGR(x)** = (quality(x) - quality_weak) / (quality_strong - quality_weak), the performance gap
  recovered with a strong share ``x``;
- **APGR**, the area under PGR over ``x`` in [0, 1] (trapezoid rule on every prompt; random = 0.5,
  an oracle exceeds 1 because it also keeps the prompts only the weak model gets right);
- **CPT(p)**, the smallest strong share whose PGR reaches ``p`` (linearly interpolated);
- the strong share and **cost cut** against sending everything to the strong model at 95% of the
  strong model's quality, given the cost of one call to each model (for a cascade, which asks
  the weak model first on every prompt, ``cascade=True`` counts that call everywhere).

Ties in the score are broken in expectation (a tied group is routed pro rata), so a coarse score
such as prompt length is not flattered or penalised by the order of the rows. Bootstrap intervals
resample prompts with a seeded generator. ``random_scores``, ``length_scores`` and
``oracle_scores`` give the baselines RouteLLM reports beside a router.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

# RouteLLM's prices in USD per million tokens (gpt-4-1106-preview blended ~$24.7, Mixtral-8x7B
# ~$0.24). With equal tokens per call only their ratio matters, so they double as per-call costs.
DEFAULT_STRONG_COST = 24.7
DEFAULT_WEAK_COST = 0.24


@dataclass(frozen=True)
class RoutingMetrics:
    """RouteLLM's routing metrics for one router on one labelled set.

    Shares and PGR targets are fractions in [0, 1]; ``cost_cut_at_95`` is the fraction of the
    all-strong cost saved. ``nan`` means the target is never reached.

    Example:
        >>> import numpy as np
        >>> weak, strong = np.array([1.0, 0.0, 0.0, 1.0]), np.array([1.0, 1.0, 1.0, 1.0])
        >>> m = routing_metrics(np.array([0.1, 0.9, 0.8, 0.2]), weak, strong)
        >>> round(m.cpt50, 2), round(m.strong_share_at_95, 2)
        (0.25, 0.45)
    """

    n: int
    quality_weak: float
    quality_strong: float
    apgr: float
    cpt50: float
    cpt80: float
    strong_share_at_95: float
    cost_cut_at_95: float

    def as_dict(self) -> dict[str, float]:
        """Return the metrics as a plain dict (for JSON reports)."""
        return {key: float(value) for key, value in asdict(self).items()}


@dataclass(frozen=True)
class Interval:
    """A point estimate with a bootstrap percentile interval.

    Example:
        >>> Interval(0.6, 0.55, 0.65).format(2)
        '0.60 [0.55, 0.65]'
    """

    value: float
    low: float
    high: float

    def format(self, digits: int = 3, scale: float = 1.0, suffix: str = "") -> str:
        """Render as ``value [low, high]``, optionally scaled (100 for percentages)."""
        if np.isnan(self.value):
            return "n/a"
        v, lo, hi = (round(x * scale, digits) for x in (self.value, self.low, self.high))
        return f"{v:.{digits}f}{suffix} [{lo:.{digits}f}, {hi:.{digits}f}]"


def _as_array(values: Sequence[float] | npt.ArrayLike) -> FloatArray:
    return np.asarray(values, dtype=np.float64).reshape(-1)


def quality_curve(
    scores: npt.ArrayLike, weak_quality: npt.ArrayLike, strong_quality: npt.ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """Mean quality when the top ``k`` of ``n`` prompts by score go to the strong model.

    Args:
        scores: One score per prompt; higher routes to the strong model first.
        weak_quality: Quality of the weak model per prompt (0/1 correctness or a judge score).
        strong_quality: Quality of the strong model per prompt, same scale.

    Returns:
        ``(shares, quality)``, each of length ``n + 1``: ``shares[k] = k / n`` and the expected
        mean quality with ties in ``scores`` broken uniformly at random.
    """
    s, w, q = _as_array(scores), _as_array(weak_quality), _as_array(strong_quality)
    if not (len(s) == len(w) == len(q)) or len(s) == 0:
        msg = "scores, weak_quality and strong_quality must be non-empty and of equal length"
        raise ValueError(msg)
    n = len(s)
    order = np.argsort(-s, kind="stable")
    gain = (q - w)[order]
    sorted_scores = s[order]
    # Boundaries of tie groups: cumulative gain is exact there and linear inside a group.
    ends = np.flatnonzero(np.append(sorted_scores[1:] != sorted_scores[:-1], True)) + 1
    cum_at_ends = np.concatenate(([0.0], np.cumsum(gain)[ends - 1]))
    counts = np.arange(n + 1, dtype=np.float64)
    cum = np.interp(counts, np.concatenate(([0.0], ends.astype(np.float64))), cum_at_ends)
    return counts / n, (w.sum() + cum) / n


def _first_share_reaching(shares: FloatArray, curve: FloatArray, target: float) -> float:
    """Smallest share at which ``curve`` reaches ``target``, linearly interpolated."""
    hits = np.flatnonzero(curve >= target - 1e-12)
    if len(hits) == 0:
        return float("nan")
    i = int(hits[0])
    if i == 0:
        return 0.0
    x0, x1, y0, y1 = shares[i - 1], shares[i], curve[i - 1], curve[i]
    return float(x0 + (target - y0) * (x1 - x0) / (y1 - y0))


def routing_metrics(
    scores: npt.ArrayLike,
    weak_quality: npt.ArrayLike,
    strong_quality: npt.ArrayLike,
    *,
    strong_cost: float = DEFAULT_STRONG_COST,
    weak_cost: float = DEFAULT_WEAK_COST,
    quality_target: float = 0.95,
    cascade: bool = False,
) -> RoutingMetrics:
    """Compute APGR, CPT(50%), CPT(80%) and the cost cut at 95% of strong quality.

    Args:
        scores: One score per prompt; higher routes to the strong model first.
        weak_quality: Quality of the weak model per prompt.
        strong_quality: Quality of the strong model per prompt.
        strong_cost: Cost of one strong call (any unit; default RouteLLM's $/M tokens).
        weak_cost: Cost of one weak call, same unit.
        quality_target: Fraction of the all-strong quality the cost cut is measured at.
        cascade: The weak model answers every prompt first and the score (a check of its
            answer) escalates the top share: the weak call is paid on every prompt, so a
            strong share ``x`` costs ``weak_cost + x * strong_cost``.

    Returns:
        The metrics. When both models score the same on average, PGR is undefined (``nan``).
    """
    shares, quality = quality_curve(scores, weak_quality, strong_quality)
    q_weak, q_strong = float(quality[0]), float(np.mean(_as_array(strong_quality)))
    gap = q_strong - q_weak
    pgr = (quality - q_weak) / gap if gap != 0 else np.full_like(quality, np.nan)
    apgr = float(np.sum((pgr[1:] + pgr[:-1]) * np.diff(shares)) / 2.0)
    share95 = _first_share_reaching(shares, quality, quality_target * q_strong)
    cost = share95 * strong_cost + (weak_cost if cascade else (1.0 - share95) * weak_cost)
    return RoutingMetrics(
        n=len(shares) - 1,
        quality_weak=q_weak,
        quality_strong=q_strong,
        apgr=apgr,
        cpt50=_first_share_reaching(shares, pgr, 0.5),
        cpt80=_first_share_reaching(shares, pgr, 0.8),
        strong_share_at_95=share95,
        cost_cut_at_95=1.0 - cost / strong_cost,
    )


def pgr_curve(
    scores: npt.ArrayLike, weak_quality: npt.ArrayLike, strong_quality: npt.ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """Return ``(strong shares, PGR)`` for plotting, one point per prompt plus the origin."""
    shares, quality = quality_curve(scores, weak_quality, strong_quality)
    gap = float(np.mean(_as_array(strong_quality))) - float(quality[0])
    return shares, (quality - quality[0]) / gap


def bootstrap_metrics(
    scores: npt.ArrayLike,
    weak_quality: npt.ArrayLike,
    strong_quality: npt.ArrayLike,
    *,
    n_resamples: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
    strong_cost: float = DEFAULT_STRONG_COST,
    weak_cost: float = DEFAULT_WEAK_COST,
    cascade: bool = False,
    groups: Sequence[str] | None = None,
) -> dict[str, Interval]:
    """Point estimates with bootstrap percentile intervals (prompts resampled with replacement).

    With ``groups`` (e.g. each prompt's MMLU subject), whole groups are resampled instead of
    prompts: the interval then says how much the result depends on *which* subjects a set has,
    which is what moves a router's score on data it never saw.

    Args:
        scores: One score per prompt.
        weak_quality: Quality of the weak model per prompt.
        strong_quality: Quality of the strong model per prompt.
        n_resamples: Number of bootstrap resamples.
        seed: Seed of the resampling generator; the same seed gives the same intervals, and the
            same seed across routers on one set gives paired resamples.
        confidence: Coverage of the percentile interval.
        strong_cost: Cost of one strong call.
        weak_cost: Cost of one weak call.
        cascade: Count the weak call on every prompt (see :func:`routing_metrics`).
        groups: Optional group label per prompt; resample whole groups (cluster bootstrap).

    Returns:
        One :class:`Interval` per field of :class:`RoutingMetrics` except ``n``.
    """
    s, w, q = _as_array(scores), _as_array(weak_quality), _as_array(strong_quality)
    metrics = functools.partial(
        routing_metrics, strong_cost=strong_cost, weak_cost=weak_cost, cascade=cascade
    )
    point = metrics(s, w, q).as_dict()
    rng = np.random.default_rng(seed)
    members = _group_members(groups, len(s))
    samples: dict[str, list[float]] = {key: [] for key in point if key != "n"}
    for _ in range(n_resamples):
        idx = _resample(rng, members, len(s))
        resampled = metrics(s[idx], w[idx], q[idx]).as_dict()
        for key, values in samples.items():
            values.append(resampled[key])
    alpha = (1.0 - confidence) / 2.0
    out: dict[str, Interval] = {}
    for key, values in samples.items():
        arr = np.asarray(values)
        arr = arr[~np.isnan(arr)]
        low, high = (
            (float(np.quantile(arr, alpha)), float(np.quantile(arr, 1 - alpha)))
            if len(arr)
            else (float("nan"), float("nan"))
        )
        out[key] = Interval(point[key], low, high)
    return out


def auroc(scores: npt.ArrayLike, positives: npt.ArrayLike) -> float:
    """Area under the ROC curve: the chance a random positive scores above a random negative.

    Ties count one half (the Mann-Whitney statistic with average ranks). Used for failure
    detection: ``positives`` marks the prompts the weak model got wrong.

    Returns:
        The AUROC in [0, 1], or ``nan`` when every label is the same.

    Example:
        >>> auroc([0.9, 0.8, 0.1, 0.8], [1, 1, 0, 0])
        0.875
    """
    s, p = _as_array(scores), _as_array(positives) > 0
    if len(s) != len(p):
        msg = "scores and positives must have equal length"
        raise ValueError(msg)
    n_pos, n_neg = int(p.sum()), int((~p).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    _, inverse, counts = np.unique(s, return_inverse=True, return_counts=True)
    ends = np.cumsum(counts)
    ranks = (ends - (counts - 1) / 2.0)[inverse]  # average 1-based rank of each tie group
    return float((ranks[p].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def apgr_difference(
    scores: npt.ArrayLike,
    baseline: npt.ArrayLike,
    weak_quality: npt.ArrayLike,
    strong_quality: npt.ArrayLike,
    *,
    n_resamples: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
    groups: Sequence[str] | None = None,
) -> Interval:
    """APGR of ``scores`` minus APGR of ``baseline`` on the same resampled prompts (paired).

    Two routers' separate intervals overlap long before their difference is uncertain: this
    interval is the one that says whether one ranks better than the other. ``groups`` resamples
    whole groups, as in :func:`bootstrap_metrics`.

    Example:
        >>> import numpy as np
        >>> w, s = np.array([0.0, 1.0, 0.0, 1.0] * 5), np.ones(20)
        >>> d = apgr_difference(oracle_scores(w, s), np.zeros(20), w, s, n_resamples=50)
        >>> round(d.value, 2), d.low > 0
        (0.25, True)
    """
    a, b = _as_array(scores), _as_array(baseline)
    w, q = _as_array(weak_quality), _as_array(strong_quality)

    def diff(idx: npt.NDArray[np.int64]) -> float:
        return (
            routing_metrics(a[idx], w[idx], q[idx]).apgr
            - routing_metrics(b[idx], w[idx], q[idx]).apgr
        )

    rng = np.random.default_rng(seed)
    members = _group_members(groups, len(a))
    draws = np.asarray([diff(_resample(rng, members, len(a))) for _ in range(n_resamples)])
    draws = draws[~np.isnan(draws)]
    alpha = (1.0 - confidence) / 2.0
    point = diff(np.arange(len(a)))
    if not len(draws):
        return Interval(point, float("nan"), float("nan"))
    return Interval(point, float(np.quantile(draws, alpha)), float(np.quantile(draws, 1 - alpha)))


def _group_members(groups: Sequence[str] | None, n: int) -> list[npt.NDArray[np.int64]]:
    """Indices of each group's prompts (empty list: resample prompts, not groups)."""
    if groups is None:
        return []
    if len(groups) != n:
        msg = "groups must give one label per prompt"
        raise ValueError(msg)
    labels = np.asarray(groups)
    return [np.flatnonzero(labels == g) for g in dict.fromkeys(labels.tolist())]


def _resample(
    rng: np.random.Generator, members: list[npt.NDArray[np.int64]], n: int
) -> npt.NDArray[np.int64]:
    """One bootstrap resample: whole groups when ``members`` is given, else prompts."""
    if members:
        picked = rng.integers(0, len(members), len(members))
        return np.concatenate([members[i] for i in picked])
    return rng.integers(0, n, n)


def random_scores(n: int, seed: int = 0) -> FloatArray:
    """Uniform random scores: the baseline every router must beat (APGR about 0.5)."""
    return np.random.default_rng(seed).random(n)


def length_scores(prompts: Sequence[str]) -> FloatArray:
    """Prompt length in characters: the seed article's signal, as a ranking."""
    return np.asarray([len(p) for p in prompts], dtype=np.float64)


def oracle_scores(weak_quality: npt.ArrayLike, strong_quality: npt.ArrayLike) -> FloatArray:
    """The ceiling: prompts where the strong model gains most go first, weak-only wins last."""
    return _as_array(strong_quality) - _as_array(weak_quality)


def evaluate_routers(
    routers: dict[str, npt.ArrayLike | Callable[[], npt.ArrayLike]],
    weak_quality: npt.ArrayLike,
    strong_quality: npt.ArrayLike,
    *,
    n_resamples: int = 1000,
    seed: int = 0,
    strong_cost: float = DEFAULT_STRONG_COST,
    weak_cost: float = DEFAULT_WEAK_COST,
    cascade: bool = False,
    groups: Sequence[str] | None = None,
) -> dict[str, dict[str, Interval]]:
    """Bootstrap every router's scores on one labelled set with the same (paired) resamples.

    ``groups`` resamples whole groups (see :func:`bootstrap_metrics`).

    Example:
        >>> import numpy as np
        >>> w, s = np.array([0.0, 1.0, 0.0, 1.0]), np.ones(4)
        >>> res = evaluate_routers({"oracle": oracle_scores(w, s)}, w, s, n_resamples=20)
        >>> round(res["oracle"]["cpt50"].value, 2)
        0.25
    """
    results: dict[str, dict[str, Interval]] = {}
    for name, scores in routers.items():
        values = scores() if callable(scores) else scores
        results[name] = bootstrap_metrics(
            values,
            weak_quality,
            strong_quality,
            n_resamples=n_resamples,
            seed=seed,
            strong_cost=strong_cost,
            weak_cost=weak_cost,
            cascade=cascade,
            groups=groups,
        )
    return results
