"""Pick a cascade's threshold from a sample of the user's own answers.

Risks are not comparable across traffic (as the router's scores are not), so the threshold is
chosen on a sample: for a target **escalation rate** from the risks alone, or for a target
**quality** (a fraction of the strong tier's) from risks plus whether each cheap and strong
answer was right. A threshold cannot split answers of equal risk, so the realized rate and
quality are reported beside the threshold, and they are what the sample actually gets.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from langchain_globalapi.errors import RoutingConfigError

__all__ = ["CheckThreshold", "calibrate_check_threshold"]


@dataclass(frozen=True)
class CheckThreshold:
    """A calibrated cascade threshold and what it realizes on the calibration sample.

    Attributes:
        threshold: Escalate when ``risk >= threshold``.
        escalation_rate: Share of the sample that escalates at this threshold.
        quality: Mean quality of the cascade on the sample (None without labels).
        quality_fraction: ``quality`` over the strong tier's mean quality (None without labels).
        reached: Whether the target was met (a rate within half an answer or 0.5 points).

    Example:
        >>> CheckThreshold(0.5, 0.2, None, None, True).escalation_rate
        0.2
    """

    threshold: float
    escalation_rate: float
    quality: float | None
    quality_fraction: float | None
    reached: bool


def _array(values: Sequence[float] | npt.ArrayLike, name: str) -> npt.NDArray[np.float64]:
    array = np.asarray(values, dtype=np.float64).reshape(-1)
    if array.size == 0:
        msg = f"{name} is empty: calibrate on a sample of at least one checked answer"
        raise RoutingConfigError(msg)
    if not np.all(np.isfinite(array)):
        msg = f"{name} holds NaN or infinite values: drop those rows before calibrating"
        raise RoutingConfigError(msg)
    return array


def calibrate_check_threshold(
    risks: Sequence[float] | npt.ArrayLike,
    *,
    escalation_rate: float | None = None,
    target_quality: float | None = None,
    cheap_quality: Sequence[float] | npt.ArrayLike | None = None,
    strong_quality: Sequence[float] | npt.ArrayLike | None = None,
) -> CheckThreshold:
    """Choose the threshold for a target escalation rate, or for a target quality.

    Args:
        risks: The combined risk of each sampled cheap answer (``CheckReport.risk``).
        escalation_rate: Target share of answers to escalate, in [0, 1]. The threshold whose
            realized rate is closest is chosen (the lower rate on a tie).
        target_quality: Target cascade quality as a fraction of the strong tier's mean quality
            (0.95 = "95% of strong quality"). The highest threshold (fewest escalations) that
            reaches it is chosen; if none does, the one with the best quality, ``reached=False``.
        cheap_quality: Per answer, the cheap answer's quality (1/0 correct, or a score).
        strong_quality: Per answer, the strong tier's quality on the same request.

    Returns:
        The threshold with its realized escalation rate (and quality, given labels).

    Raises:
        RoutingConfigError: Neither or both targets, a target out of range, missing or
            mismatched labels, an empty sample, NaN, or risks outside [0, 1].

    Example:
        >>> risks = [0.0, 0.0, 0.1, 0.6, 0.9]
        >>> calibrate_check_threshold(risks, escalation_rate=0.4).threshold
        0.6
        >>> t = calibrate_check_threshold(risks, target_quality=1.0,
        ...     cheap_quality=[1, 1, 1, 0, 0], strong_quality=[1, 1, 1, 1, 1])
        >>> t.threshold, t.escalation_rate, t.reached
        (0.6, 0.4, True)
    """
    if (escalation_rate is None) == (target_quality is None):
        msg = "pass exactly one of escalation_rate=... or target_quality=..."
        raise RoutingConfigError(msg)
    values = _array(risks, "risks")
    if values.min() < 0 or values.max() > 1:
        msg = "risks must lie in [0, 1] (CheckReport.risk does)"
        raise RoutingConfigError(msg)
    # Candidate thresholds: every positive risk in the sample (0 would escalate everything).
    candidates = np.unique(values[values > 0])[::-1]
    if candidates.size == 0:
        candidates = np.asarray([1.0])
    ascending = np.sort(values)
    escalated = values.size - np.searchsorted(ascending, candidates, side="left")
    rates = escalated / values.size
    if escalation_rate is not None:
        if not (isinstance(escalation_rate, int | float) and 0 <= escalation_rate <= 1):
            msg = f"escalation_rate must be in [0, 1], got {escalation_rate!r}"
            raise RoutingConfigError(msg)
        best = int(np.argmin(np.abs(rates - escalation_rate) + 1e-12 * rates))
        tolerance = max(0.005, 0.5 / values.size)  # half an answer, or half a percent
        return CheckThreshold(
            float(candidates[best]),
            float(rates[best]),
            None,
            None,
            bool(abs(rates[best] - escalation_rate) <= tolerance + 1e-12),
        )
    assert target_quality is not None
    if not (isinstance(target_quality, int | float) and 0 < target_quality <= 1.5):
        msg = f"target_quality is a fraction of strong quality in (0, 1.5], got {target_quality!r}"
        raise RoutingConfigError(msg)
    if cheap_quality is None or strong_quality is None:
        msg = "target_quality needs cheap_quality=... and strong_quality=... for every risk"
        raise RoutingConfigError(msg)
    cheap, strong = _array(cheap_quality, "cheap_quality"), _array(strong_quality, "strong_quality")
    if not (cheap.size == strong.size == values.size):
        msg = (
            f"risks ({values.size}), cheap_quality ({cheap.size}) and strong_quality "
            f"({strong.size}) must have one entry per answer"
        )
        raise RoutingConfigError(msg)
    strong_mean = float(strong.mean())
    # Escalating the k riskiest answers (stable order) gains the first k gains in that order;
    # every candidate threshold escalates a whole tie group, so k is a group boundary.
    order = np.argsort(-values, kind="stable")
    gained = np.concatenate(([0.0], np.cumsum((strong - cheap)[order])))
    qualities = (cheap.sum() + gained[escalated]) / values.size
    goal = target_quality * strong_mean
    reached = np.flatnonzero(qualities >= goal - 1e-12)
    best = int(reached[0]) if reached.size else int(np.argmax(qualities))
    quality = float(qualities[best])
    return CheckThreshold(
        float(candidates[best]),
        float(rates[best]),
        quality,
        quality / strong_mean if strong_mean and math.isfinite(strong_mean) else None,
        bool(reached.size),
    )
