"""Replay router policies on recorded answers, with no model calls, and calibrate thresholds.

A :class:`Replay` holds, per item, the router's score and each tier's recorded quality and cost
(from a benchmark's results, or from RouteLLM's GSM8K file with real answers of a weak and a
strong model). Any thresholds can then be evaluated instantly, and :func:`calibrate` picks:

- the **cheapest** thresholds whose quality stays within ``within_points`` of the reference
  (the strongest tier by default), searched over score quantiles; or
- the thresholds that split the traffic into a **target tier mix** (RouteLLM's quantile
  method, shared with ``TieredRouterRunnable.calibrate``).

:meth:`Calibration.write` saves the result as router config (JSON or TOML) that
``TieredRouterRunnable(tiers=..., thresholds=load_router_config(path)["thresholds"])`` reads.
Thresholds follow the router's convention: cheapest tier first, a score at or above a cut goes
to the stronger tier.
"""

from __future__ import annotations

import csv
import itertools
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from langchain_globalapi._files import line_mentioning, located, parse_json, parse_toml, read_text
from langchain_globalapi.bench.datasets import STRONG_MODEL, WEAK_MODEL, load_gsm8k
from langchain_globalapi.bench.evaluation import DEFAULT_STRONG_COST, DEFAULT_WEAK_COST
from langchain_globalapi.bench.runner import BenchmarkRecord
from langchain_globalapi.bench.scorers import final_number
from langchain_globalapi.errors import RoutingConfigError
from langchain_globalapi.routing._thresholds import calibrate_thresholds

__all__ = [
    "Calibration",
    "PolicyOutcome",
    "Replay",
    "calibrate",
    "gsm8k_replay",
    "load_router_config",
    "write_router_config",
]


@dataclass(frozen=True)
class PolicyOutcome:
    """What one set of thresholds would have produced on the recorded items.

    ``quality`` and ``reference_quality`` are mean scores in [0, 1]; ``cost`` and
    ``reference_cost`` are per item, in the unit the costs were recorded in.
    """

    thresholds: tuple[float, ...]
    quality: float
    cost: float
    mix: dict[str, float]
    reference_quality: float
    reference_cost: float

    @property
    def gap_points(self) -> float:
        """Quality below the reference, in percentage points (negative: better)."""
        return (self.reference_quality - self.quality) * 100

    @property
    def savings(self) -> float:
        """Share of the reference's cost saved."""
        return 1 - self.cost / self.reference_cost if self.reference_cost else float("nan")

    def as_dict(self) -> dict[str, Any]:
        """Plain values for JSON/TOML."""
        return {
            # Exact: a cut rounded past a recorded score would route that item elsewhere.
            "thresholds": list(self.thresholds),
            "quality": round(self.quality, 6),
            "reference_quality": round(self.reference_quality, 6),
            "gap_points": round(self.gap_points, 4),
            "cost_per_item": round(self.cost, 9),
            "reference_cost_per_item": round(self.reference_cost, 9),
            "savings": round(self.savings, 6),
            "mix": self.mix,
        }


class Replay:
    """Per-item routing scores with each tier's recorded quality and cost.

    Args:
        tiers: Tier names, cheapest first.
        scores: The router's score per item (higher: stronger tier).
        quality: Per tier, the quality per item (same order as ``scores``).
        cost: Per tier, the cost per item (or one number per tier: the cost of any call).
        reference: The tier policies are compared with (default: the strongest).

    Example:
        >>> replay = Replay(["weak", "strong"], scores=[0.1, 0.9, 0.5, 0.7],
        ...                 quality={"weak": [1, 0, 1, 0], "strong": [1, 1, 1, 1]},
        ...                 cost={"weak": 1.0, "strong": 10.0})
        >>> outcome = replay.evaluate([0.6])
        >>> outcome.quality, outcome.cost, outcome.mix
        (1.0, 5.5, {'weak': 0.5, 'strong': 0.5})
    """

    def __init__(
        self,
        tiers: Sequence[str],
        *,
        scores: Sequence[float],
        quality: Mapping[str, Sequence[float]],
        cost: Mapping[str, Sequence[float] | float],
        reference: str | None = None,
        ids: Sequence[str] | None = None,
    ) -> None:
        self.tiers = list(tiers)
        self.scores = np.asarray(scores, dtype=np.float64)
        n = len(self.scores)
        if n == 0:
            msg = "a replay needs at least one recorded item"
            raise ValueError(msg)
        missing = [t for t in self.tiers if t not in quality or t not in cost]
        if missing:
            msg = f"quality and cost are needed for every tier; missing {missing}"
            raise ValueError(msg)
        self.quality = np.vstack([np.asarray(quality[t], dtype=np.float64) for t in self.tiers])
        self.cost = np.vstack(
            [np.broadcast_to(np.asarray(cost[t], dtype=np.float64), (n,)) for t in self.tiers]
        )
        if self.quality.shape != (len(self.tiers), n):
            msg = "every tier needs one quality value per item"
            raise ValueError(msg)
        self.reference = reference or self.tiers[-1]
        self.ids = list(ids) if ids is not None else [str(i) for i in range(n)]

    def __len__(self) -> int:
        return len(self.scores)

    def evaluate(self, thresholds: Sequence[float]) -> PolicyOutcome:
        """Quality, cost and tier mix if the router had used ``thresholds``."""
        cuts = tuple(float(t) for t in thresholds)
        chosen = np.searchsorted(np.asarray(cuts), self.scores, side="right")
        columns = np.arange(len(self.scores))
        ref = self.tiers.index(self.reference)
        # The tier mix from the choices already made (what `realized_mix` computes one score
        # at a time): calibrate evaluates thousands of candidates.
        counts = np.bincount(chosen, minlength=len(self.tiers))
        n_items = max(len(self.scores), 1)
        mix = {tier: round(int(n) / n_items, 6) for tier, n in zip(self.tiers, counts, strict=True)}
        return PolicyOutcome(
            thresholds=cuts,
            quality=float(self.quality[chosen, columns].mean()),
            cost=float(self.cost[chosen, columns].mean()),
            mix=mix,
            reference_quality=float(self.quality[ref].mean()),
            reference_cost=float(self.cost[ref].mean()),
        )

    def candidates(self, n_quantiles: int = 101) -> Iterable[tuple[float, ...]]:
        """Increasing cut tuples at score quantiles (plus "never" = above every score)."""
        qs = np.unique(np.quantile(self.scores, np.linspace(0, 1, n_quantiles)))
        points = sorted({*map(float, qs), float(np.nextafter(self.scores.max(), np.inf))})
        return itertools.combinations(points, len(self.tiers) - 1)

    @classmethod
    def from_records(
        cls,
        records: Iterable[BenchmarkRecord],
        *,
        tiers: Mapping[str, str],
        router: str | None = None,
        scores: Mapping[str, float] | None = None,
        reference: str | None = None,
    ) -> Replay:
        """Build from benchmark records of each tier's model run alone on the same items.

        Args:
            records: Benchmark records.
            tiers: Tier name -> model label in the records, cheapest first.
            router: Label of a router run whose stamped ``routing_score`` gives the scores.
            scores: Or the scores by item id (for example from a ``ComplexityScorer``).
            reference: Reference tier (default: the strongest).
        """
        records = list(records)
        by_model = {label: {r.item_id: r for r in records if r.model == label and r.ok}
                    for label in tiers.values()}  # fmt: skip
        if scores is None:
            if router is None:
                msg = "give the router label (its stamped routing scores) or scores by item id"
                raise ValueError(msg)
            scores = {r.item_id: r.routing_score for r in records
                      if r.model == router and r.routing_score is not None}  # fmt: skip
        ids = [i for i in scores if all(i in by_model[label] for label in tiers.values())]
        if not ids:
            msg = "no item has a score and a successful record for every tier"
            raise ValueError(msg)
        return cls(
            list(tiers),
            scores=[scores[i] for i in ids],
            quality={t: [by_model[m][i].score or 0.0 for i in ids] for t, m in tiers.items()},
            cost={t: [float(by_model[m][i].usd or 0) for i in ids] for t, m in tiers.items()},
            reference=reference,
            ids=ids,
        )


@dataclass(frozen=True)
class Calibration:
    """Chosen thresholds, what they achieve on the replay, and how they were chosen."""

    tiers: tuple[str, ...]
    outcome: PolicyOutcome
    method: str
    target: Any
    n: int

    @property
    def thresholds(self) -> tuple[float, ...]:
        """The chosen cut points, cheapest tier first."""
        return self.outcome.thresholds

    def as_config(self) -> dict[str, Any]:
        """``{"router": {"tiers", "thresholds"}, "calibration": {...}}``."""
        return {
            "router": {
                "tiers": list(self.tiers),
                "thresholds": self.outcome.as_dict()["thresholds"],
            },
            "calibration": {"method": self.method, "target": self.target, "n": self.n}
            | {k: v for k, v in self.outcome.as_dict().items() if k != "thresholds"},
        }

    def write(self, path: str | Path) -> Path:
        """Write the config as TOML (``.toml``) or JSON (anything else)."""
        return write_router_config(self.as_config(), path)


def write_router_config(config: Mapping[str, Mapping[str, Any]], path: str | Path) -> Path:
    """Write ``{"router": {...}, ...}`` as TOML (``.toml``) or JSON; `load_router_config` reads it.

    Example:
        >>> import tempfile
        >>> path = Path(tempfile.mkdtemp()) / "router.toml"
        >>> _ = write_router_config({"router": {"thresholds": [0.2, 0.3]}}, path)
        >>> load_router_config(path)
        {'thresholds': [0.2, 0.3]}
    """
    out = Path(path)
    text = _to_toml(config) if out.suffix == ".toml" else json.dumps(config, indent=2) + "\n"
    out.write_text(text, encoding="utf-8")
    return out


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value) if value == value else '"nan"'  # noqa: PLR0124 - NaN check
    if isinstance(value, Mapping):
        pairs = (f"{json.dumps(str(k))} = {_toml_value(v)}" for k, v in value.items())
        return "{ " + ", ".join(pairs) + " }"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return json.dumps(str(value))


def _to_toml(config: Mapping[str, Mapping[str, Any]]) -> str:
    # Two levels of plain values are all a router config holds: no TOML writer dependency.
    lines: list[str] = []
    for section, values in config.items():
        lines.append(f"[{section}]")
        lines += [f"{key} = {_toml_value(value)}" for key, value in values.items()]
        lines.append("")
    return "\n".join(lines)


def load_router_config(path: str | Path) -> dict[str, Any]:
    """Read a config written by :meth:`Calibration.write`; returns its ``router`` table.

    Raises:
        RoutingConfigError: the file is unreadable, not UTF-8, not valid TOML/JSON, or has
            no ``router`` table; the message starts with ``path:line``.
    """
    path = Path(path)
    fail = located(RoutingConfigError, path)
    text = read_text(path, fail, what="router config")
    config = parse_toml(text, fail) if path.suffix == ".toml" else parse_json(text, fail)
    router = config.get("router") if isinstance(config, dict) else None
    if not isinstance(router, dict):
        msg = "expected a [router] table (thresholds, tiers), as Calibration.write() makes"
        raise fail(msg, line_mentioning(text, "router"))
    return dict(router)


def calibrate(
    replay: Replay,
    *,
    within_points: float | None = None,
    target_mix: Mapping[str, float] | None = None,
    n_quantiles: int = 101,
) -> Calibration:
    """Pick thresholds: cheapest within ``within_points`` of the reference, or a tier mix.

    Example:
        >>> replay = Replay(["weak", "strong"], scores=[0.1, 0.9, 0.5, 0.7],
        ...                 quality={"weak": [1, 0, 1, 0], "strong": [1, 1, 1, 1]},
        ...                 cost={"weak": 1.0, "strong": 10.0})
        >>> calibrate(replay, within_points=0).outcome.mix
        {'weak': 0.5, 'strong': 0.5}
        >>> calibrate(replay, target_mix={"weak": 0.75, "strong": 0.25}).thresholds
        (0.9,)
    """
    if (within_points is None) == (target_mix is None):
        msg = "give exactly one of within_points=X (quality target) or target_mix={tier: share}"
        raise ValueError(msg)
    if target_mix is not None:
        cuts = calibrate_thresholds(replay.scores.tolist(), replay.tiers, target_mix)
        return Calibration(tuple(replay.tiers), replay.evaluate(cuts), "target_mix",
                           dict(target_mix), len(replay))  # fmt: skip
    assert within_points is not None
    best: PolicyOutcome | None = None
    for cuts in replay.candidates(n_quantiles):
        outcome = replay.evaluate(cuts)
        if outcome.gap_points > within_points + 1e-9:
            continue
        if best is None or (outcome.cost, -outcome.quality) < (best.cost, -best.quality):
            best = outcome
    if best is None:  # unreachable: all-strong has gap 0, but keep the contract explicit
        best = replay.evaluate([0.0] * (len(replay.tiers) - 1))
    return Calibration(tuple(replay.tiers), best, "within_points", within_points, len(replay))


@dataclass(frozen=True)
class GSM8KReplay:
    """GSM8K's recorded weak/strong answers: a :class:`Replay` plus answer agreement."""

    replay: Replay
    weak_answers: list[str]
    strong_answers: list[str]

    def answer_agreement(self) -> float:
        """Share of prompts whose weak and strong final numbers agree (the tripwire's view)."""
        same = [
            (a := final_number(w)) is not None and a == final_number(s)
            for w, s in zip(self.weak_answers, self.strong_answers, strict=True)
        ]
        return sum(same) / len(same)


def gsm8k_replay(
    data_dir: str | Path,
    scores: Sequence[float] | None = None,
    *,
    held_out_only: bool = True,
    weak_cost: float = DEFAULT_WEAK_COST,
    strong_cost: float = DEFAULT_STRONG_COST,
) -> GSM8KReplay:
    """RouteLLM's GSM8K file as a two-tier replay (``weak`` Mixtral-8x7B, ``strong`` GPT-4).

    Args:
        data_dir: The shared data folder holding ``routellm/gsm8k/``.
        scores: Router scores per prompt (same order as the loaded prompts); default: the
            package's ``LearnedScorer``.
        held_out_only: Keep only the rows the learned scorer never trained on.
        weak_cost: Cost of one weak call (RouteLLM's $/M tokens by default: only the ratio
            matters).
        strong_cost: Cost of one strong call.
    """
    rows = load_gsm8k(Path(data_dir))
    if held_out_only:
        rows = [r for r in rows if int(r.group.split("/")[1]) % 2 == 1]
    path = Path(data_dir) / "routellm" / "gsm8k" / "gsm8k_responses.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        raw = list(csv.DictReader(fh))
    answers = [raw[int(r.group.split("/")[1])] for r in rows]
    if scores is None:
        from langchain_globalapi.routing.learned import LearnedScorer  # noqa: PLC0415

        scores = LearnedScorer.load_default().score_batch([r.prompt for r in rows])
    replay = Replay(
        ["weak", "strong"],
        scores=scores,
        quality={"weak": [r.weak for r in rows], "strong": [r.strong for r in rows]},
        cost={"weak": weak_cost, "strong": strong_cost},
        ids=[r.group for r in rows],
    )
    return GSM8KReplay(
        replay,
        [a[f"{WEAK_MODEL}_response"] for a in answers],
        [a[f"{STRONG_MODEL}_response"] for a in answers],
    )
