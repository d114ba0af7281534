"""Routing outcomes from benchmark records: what a golden-set run teaches the router.

A `globalapi bench` run scores a cheap and a strong model on the same golden items; each item
both answered is one `RoutingOutcome` (did the cheap answer hold? did the strong one?), tagged
with the item's task, ready for `router.scorer.learn(...)` or `router.record_outcome(...)`.

Example:
    >>> from langchain_globalapi.bench import BenchmarkRecord, GoldenSet
    >>> golden = GoldenSet.parse(['{"id": "q1", "task": "reasoning", "prompt": "17*23?", '
    ...                           '"expected": 391}'])
    >>> records = [BenchmarkRecord("q1", "reasoning", "cheap", score=0.0),
    ...            BenchmarkRecord("q1", "reasoning", "strong", score=1.0)]
    >>> [(o.task, o.cheap_ok, o.strong_ok) for o in
    ...  outcomes_from_records(records, golden, cheap_model="cheap", strong_model="strong")]
    [('reasoning', 0.0, 1.0)]
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from langchain_globalapi.errors import GoldenSetError

if TYPE_CHECKING:
    from langchain_globalapi.bench.golden import GoldenSet
    from langchain_globalapi.bench.runner import BenchmarkRecord
    from langchain_globalapi.routing.outcomes import RoutingOutcome

__all__ = ["outcomes_from_records"]


def outcomes_from_records(
    records: Iterable[BenchmarkRecord],
    golden: GoldenSet,
    *,
    cheap_model: str,
    strong_model: str,
    pass_score: float | None = None,
) -> list[RoutingOutcome]:
    """One outcome per golden item that both models answered without an error.

    Args:
        records: Benchmark records (`run_benchmark(...).records` or `load_results(path)`).
        golden: The golden set the records were run on (for each item's messages).
        cheap_model: The record `model` name of the cheap tier.
        strong_model: The record `model` name of the strong tier.
        pass_score: Scores at or above this count as "held" (a bool); `None` keeps each
            score as a grade in [0, 1].

    Raises:
        GoldenSetError: A record names an item the golden set does not have.
    """
    from langchain_globalapi.routing.outcomes import RoutingOutcome  # noqa: PLC0415

    scores: dict[str, dict[str, float]] = {}
    for record in records:
        if record.model in (cheap_model, strong_model) and record.ok and record.score is not None:
            scores.setdefault(record.item_id, {})[record.model] = float(record.score)
    outcomes: list[RoutingOutcome] = []
    for item_id, by_model in scores.items():
        if cheap_model not in by_model or strong_model not in by_model:
            continue
        try:
            item = golden[item_id]
        except KeyError as exc:
            msg = f"benchmark record for item {item_id!r}, which the golden set does not have"
            raise GoldenSetError(msg) from exc
        cheap, strong = by_model[cheap_model], by_model[strong_model]
        if pass_score is not None:
            cheap, strong = float(cheap >= pass_score), float(strong >= pass_score)
        outcomes.append(
            RoutingOutcome(
                [(m["role"], m["content"]) for m in item.messages],
                cheap_ok=min(max(cheap, 0.0), 1.0),
                strong_ok=min(max(strong, 0.0), 1.0),
                task=item.task,
            )
        )
    return outcomes
