"""Summarize benchmark records: quality with intervals, cost, latency, Pareto front, router metrics.

Rows are per model and per (model, task type). Quality is the mean score with a seeded
bootstrap interval; cost is summed from the exact decimal strings in the records; latency and
TTFT are p50/p95. For routers, :meth:`BenchmarkReport.router_summary` compares with a reference
model on the same items (paired), and :meth:`BenchmarkReport.routing_metrics` gives RouteLLM's
APGR / CPT from the routing scores the router stamped, via :mod:`bench.evaluation`.
"""

from __future__ import annotations

import csv
import io
import json
import math
import statistics
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
from rich import box
from rich.console import Console
from rich.table import Table

from langchain_globalapi.bench.evaluation import bootstrap_metrics
from langchain_globalapi.bench.runner import BenchmarkRecord
from langchain_globalapi.bench.stats import Interval, bootstrap_mean, percentile

__all__ = ["BenchmarkReport", "RouterSummary", "SummaryRow"]

_ALL = "all"


@dataclass(frozen=True)
class SummaryRow:
    """Quality, cost and speed of one model on one task type (``task="all"``: every item)."""

    model: str
    task: str
    n: int
    errors: int
    quality: Interval
    usd_total: Decimal | None
    reference_usd_total: Decimal | None
    latency_p50_s: float
    latency_p95_s: float
    ttft_p50_s: float
    tokens_per_s: float
    tier_mix: dict[str, float] = field(default_factory=dict)

    @property
    def usd_per_item(self) -> Decimal | None:
        """Mean cost of one answered item."""
        ok = self.n - self.errors
        return None if self.usd_total is None or ok == 0 else self.usd_total / ok

    def as_dict(self) -> dict[str, Any]:
        """Flat JSON/CSV-ready values (money as decimal strings)."""
        return {
            "model": self.model,
            "task": self.task,
            "n": self.n,
            "errors": self.errors,
            "quality": _num(self.quality.value),
            "quality_low": _num(self.quality.low),
            "quality_high": _num(self.quality.high),
            "usd_total": None if self.usd_total is None else str(self.usd_total),
            "usd_per_item": None if self.usd_per_item is None else str(self.usd_per_item),
            "reference_usd_total": (
                None if self.reference_usd_total is None else str(self.reference_usd_total)
            ),
            "latency_p50_s": _num(self.latency_p50_s),
            "latency_p95_s": _num(self.latency_p95_s),
            "ttft_p50_s": _num(self.ttft_p50_s),
            "tokens_per_s": _num(self.tokens_per_s),
            "tier_mix": self.tier_mix,
        }


@dataclass(frozen=True)
class RouterSummary:
    """A router against a reference model on the items both answered.

    ``quality_delta`` is router minus reference (paired bootstrap); ``equal_quality`` holds when
    its interval reaches ``-tolerance`` or above; ``savings`` is the share of the reference's
    cost the router saved.
    """

    router: str
    reference: str
    n: int
    quality_delta: Interval
    savings: float
    equal_quality: bool
    tier_mix: dict[str, float]


def _num(value: float) -> float | None:
    return None if value is None or math.isnan(value) else round(float(value), 6)


def _usd_sum(values: Iterable[str | None]) -> Decimal | None:
    total = Decimal(0)
    for value in values:
        if value is None:
            return None
        total += Decimal(value)
    return total


def _mix(records: list[BenchmarkRecord]) -> dict[str, float]:
    tiers = Counter(r.tier or r.answered_model or "?" for r in records if r.error is None)
    count = sum(tiers.values())
    return {tier: round(n / count, 4) for tier, n in sorted(tiers.items())} if count else {}


class BenchmarkReport:
    """Tables, exports, a Pareto plot and router metrics from benchmark records.

    Example:
        >>> from langchain_globalapi.bench import BenchmarkRecord
        >>> records = [BenchmarkRecord(f"q{i}", "qa", "m", score=float(i % 2), usd="0.001",
        ...                            latency_s=0.1 * i) for i in range(1, 5)]
        >>> row = BenchmarkReport(records).rows()[0]
        >>> row.model, row.task, row.quality.value, str(row.usd_total)
        ('m', 'all', 0.5, '0.004')
    """

    def __init__(
        self, records: Iterable[BenchmarkRecord], *, n_resamples: int = 1000, seed: int = 0
    ) -> None:
        self.records = list(records)
        self.n_resamples = n_resamples
        self.seed = seed

    @property
    def models(self) -> list[str]:
        """Model labels in first-seen order."""
        return list(dict.fromkeys(r.model for r in self.records))

    def _row(self, model: str, task: str, records: list[BenchmarkRecord]) -> SummaryRow:
        ok = [r for r in records if r.ok]
        tokens_per_s = [r.tokens_per_s for r in ok if r.tokens_per_s is not None]
        return SummaryRow(
            model=model,
            task=task,
            n=len(records),
            errors=len(records) - len(ok),
            quality=bootstrap_mean(
                [r.score or 0.0 for r in ok], n_resamples=self.n_resamples, seed=self.seed
            ),
            usd_total=_usd_sum(r.usd for r in ok),
            reference_usd_total=_usd_sum(r.reference_usd for r in ok),
            latency_p50_s=percentile([r.latency_s for r in ok if r.latency_s is not None], 50),
            latency_p95_s=percentile([r.latency_s for r in ok if r.latency_s is not None], 95),
            ttft_p50_s=percentile([r.ttft_s for r in ok if r.ttft_s is not None], 50),
            tokens_per_s=statistics.median(tokens_per_s) if tokens_per_s else float("nan"),
            tier_mix=_mix(records),
        )

    def rows(self, *, by_task: bool = False) -> list[SummaryRow]:
        """One row per model (``task="all"``), then per task type when ``by_task``."""
        out: list[SummaryRow] = []
        for model in self.models:
            mine = [r for r in self.records if r.model == model]
            out.append(self._row(model, _ALL, mine))
            if by_task:
                for task in sorted({r.task for r in mine}):
                    out.append(self._row(model, task, [r for r in mine if r.task == task]))
        return out

    # --- rendering -------------------------------------------------------------------

    _HEADERS = ("model", "task", "n", "err", "quality [95% CI]", "$/item", "$ total",
                "p50 s", "p95 s", "TTFT p50 s", "tok/s", "tiers")  # fmt: skip

    def _cells(self, row: SummaryRow) -> list[str]:
        def f(value: float, digits: int = 2) -> str:
            return "n/a" if math.isnan(value) else f"{value:.{digits}f}"

        mix = ", ".join(f"{k} {v * 100:.0f}%" for k, v in row.tier_mix.items())
        return [
            row.model, row.task, str(row.n), str(row.errors), row.quality.format(3),
            "n/a" if row.usd_per_item is None else f"${row.usd_per_item:.6f}",
            "n/a" if row.usd_total is None else f"${row.usd_total:.4f}",
            f(row.latency_p50_s), f(row.latency_p95_s), f(row.ttft_p50_s),
            f(row.tokens_per_s, 0), mix,
        ]  # fmt: skip

    # The terminal gets the columns people compare at a glance, in 80 columns: task rows sit
    # indented under their model, cost is per 1,000 items, and a router's tier mix goes on a
    # line of its own. Markdown, CSV and JSON keep every column.
    _TERMINAL = ("model / task", "n", "quality (95% CI)", "$/1k items", "p50 s", "p95 s",
                 "tok/s")  # fmt: skip

    def to_table(self, *, by_task: bool = True) -> Table:
        """A ``rich`` table for an 80-column terminal (every column: `to_markdown`)."""
        rows = self.rows(by_task=by_task)
        headers = list(self._TERMINAL)
        if any(row.errors for row in rows):
            headers.insert(2, "err")
        table = Table(
            title="Benchmark: quality, cost and latency",
            title_justify="left",
            box=box.SIMPLE_HEAD,
            show_edge=False,
        )
        for header in headers:
            left = header == "model / task"
            table.add_column(
                header,
                justify="left" if left else "right",
                no_wrap=True,
                overflow="ellipsis",
                max_width=22 if left else None,
            )
        for row in rows:
            cells = dict(zip(self._HEADERS, self._cells(row), strict=True))
            cost = row.usd_per_item
            values = {
                "model / task": row.model.rsplit("/", 1)[-1]
                if row.task == _ALL
                else f"  {row.task}",
                "n": cells["n"],
                "err": cells["err"],
                "quality (95% CI)": row.quality.format(2),
                "$/1k items": "n/a" if cost is None else f"{cost * 1000:.3g}",
                "p50 s": cells["p50 s"],
                "p95 s": cells["p95 s"],
                "tok/s": cells["tok/s"],
            }
            table.add_row(*(values[h] for h in headers), style="bold" if row.task == _ALL else None)
        mixes = [row for row in rows if row.task == _ALL and len(row.tier_mix) > 1]
        if mixes:
            table.caption = "; ".join(
                f"{row.model.rsplit('/', 1)[-1]} tiers: "
                + ", ".join(f"{k} {v * 100:.0f}%" for k, v in row.tier_mix.items())
                for row in mixes
            )
            table.caption_justify = "left"
        return table

    def print(self, console: Console | None = None, *, by_task: bool = True) -> None:
        """Print the table (and router summaries are up to the caller)."""
        (console or Console()).print(self.to_table(by_task=by_task))

    def to_markdown(self, *, by_task: bool = True) -> str:
        """A GitHub-flavoured Markdown table."""
        lines = ["| " + " | ".join(self._HEADERS) + " |", "|" + "---|" * len(self._HEADERS)]
        lines += ["| " + " | ".join(self._cells(r)) + " |" for r in self.rows(by_task=by_task)]
        return "\n".join(lines) + "\n"

    def to_csv(self, *, by_task: bool = True) -> str:
        """CSV with one row per (model, task) and exact money strings."""
        rows = [row.as_dict() for row in self.rows(by_task=by_task)]
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]) if rows else ["model"])
        writer.writeheader()
        for row in rows:
            writer.writerow(row | {"tier_mix": json.dumps(row["tier_mix"])})
        return buffer.getvalue()

    def to_json(self, *, by_task: bool = True) -> str:
        """JSON: ``{"rows": [...], "pareto": [...]}``."""
        rows = [row.as_dict() for row in self.rows(by_task=by_task)]
        return json.dumps({"rows": rows, "pareto": self.pareto_front()}, indent=2)

    # --- cost vs quality -------------------------------------------------------------

    def pareto_front(self) -> list[str]:
        """Models no other model beats on both cost per item and quality (cheapest first)."""
        points = [
            (float(row.usd_per_item), row.quality.value, row.model)
            for row in self.rows()
            if row.usd_per_item is not None and not math.isnan(row.quality.value)
        ]

        def dominated(p: tuple[float, float, str]) -> bool:
            return any(o[0] <= p[0] and o[1] >= p[1] and o[:2] != p[:2] for o in points)

        front = [p for p in points if not dominated(p)]
        return [model for _, _, model in sorted(front)]

    def plot_pareto(self, path: str | Path, *, title: str = "Cost vs quality") -> Path:
        """Write a cost-per-item vs quality scatter (log cost axis) with the Pareto front.

        Needs matplotlib: ``pip install 'langchain-globalapi[bench]'``.
        """
        try:
            import matplotlib as mpl  # noqa: PLC0415

            mpl.use("Agg")
            import matplotlib.pyplot as plt  # noqa: PLC0415
        except ImportError as exc:  # pragma: no cover - depends on the environment
            msg = "the Pareto plot needs matplotlib: pip install 'langchain-globalapi[bench]'"
            raise ImportError(msg) from exc
        from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter  # noqa: PLC0415

        rows = [r for r in self.rows() if r.usd_per_item is not None]
        front = set(self.pareto_front())
        fig, ax = plt.subplots(figsize=(7, 4.5))
        for row in rows:
            # Dollars per 1,000 items reads better than 1e-5 per item.
            x, q = float(row.usd_per_item or 0) * 1000, row.quality
            color = "tab:green" if row.model in front else "tab:gray"
            error = [[q.value - q.low], [q.high - q.value]]
            ax.errorbar(x, q.value, yerr=error, fmt="o", color=color, capsize=3)
            label = row.model.rsplit("/", 1)[-1]
            ax.annotate(label, (x, q.value), textcoords="offset points", xytext=(5, 5))
        line = sorted(
            (float(r.usd_per_item or 0) * 1000, r.quality.value) for r in rows if r.model in front
        )
        if line:
            ax.plot(*zip(*line, strict=True), color="tab:green", linestyle="--", label="Pareto")
            ax.legend()
        if rows and min(float(r.usd_per_item or 0) for r in rows) > 0:
            ax.set_xscale("log")
            ax.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"${v:g}"))
            ax.xaxis.set_minor_formatter(NullFormatter())
            ax.margins(x=0.25)  # room for the labels of the cheapest and dearest points
        ax.set_xlabel("USD per 1,000 items")
        ax.set_ylabel("quality (mean score, 95% CI)")
        ax.set_title(title)
        fig.tight_layout()
        out = Path(path)
        fig.savefig(out, dpi=120)
        plt.close(fig)
        return out

    # --- routers ---------------------------------------------------------------------

    def _paired(self, a: str, b: str) -> list[tuple[BenchmarkRecord, BenchmarkRecord]]:
        mine = {r.item_id: r for r in self.records if r.model == a and r.ok}
        theirs = {r.item_id: r for r in self.records if r.model == b and r.ok}
        return [(mine[i], theirs[i]) for i in mine if i in theirs]

    def router_summary(
        self, router: str, reference: str, *, tolerance: float = 0.0
    ) -> RouterSummary:
        """Compare a router with a reference model on the items both answered (paired).

        Args:
            router: The router's label.
            reference: The reference model's label (e.g. the strongest tier or GPT-4o).
            tolerance: Quality loss (in score units, 0.02 = 2 points) still called "equal".
        """
        pairs = self._paired(router, reference)
        if not pairs:
            msg = f"no items answered by both {router!r} and {reference!r}"
            raise ValueError(msg)
        deltas = [(r.score or 0.0) - (ref.score or 0.0) for r, ref in pairs]
        delta = bootstrap_mean(deltas, n_resamples=self.n_resamples, seed=self.seed)
        cost = _usd_sum(r.usd for r, _ in pairs)
        ref_cost = _usd_sum(ref.usd for _, ref in pairs)
        savings = float(1 - cost / ref_cost) if cost is not None and ref_cost else float("nan")
        return RouterSummary(
            router=router,
            reference=reference,
            n=len(pairs),
            quality_delta=delta,
            savings=savings,
            equal_quality=delta.high >= -tolerance,
            tier_mix=_mix([r for r, _ in pairs]),
        )

    def routing_metrics(self, router: str, *, weak: str, strong: str) -> dict[str, Interval]:
        """RouteLLM's APGR, CPT(50/80%) and cost cut, from the router's stamped scores.

        The router's ``routing_score`` per item ranks the items; ``weak`` and ``strong`` are the
        labels of the two models benchmarked alone on the same items, whose scores and mean
        costs feed :func:`~langchain_globalapi.bench.evaluation.bootstrap_metrics`.
        """
        scores = {r.item_id: r.routing_score for r in self.records if r.model == router}
        weak_r = {r.item_id: r for r in self.records if r.model == weak and r.ok}
        strong_r = {r.item_id: r for r in self.records if r.model == strong and r.ok}
        ids = [i for i, s in scores.items() if s is not None and i in weak_r and i in strong_r]
        if not ids:
            msg = f"{router!r} stamped no routing scores on items {weak!r} and {strong!r} answered"
            raise ValueError(msg)

        def mean_cost(records: dict[str, BenchmarkRecord]) -> float:
            values = [float(records[i].usd or 0) for i in ids]
            return float(np.mean(values)) or 1.0

        return bootstrap_metrics(
            [float(scores[i] or 0.0) for i in ids],
            [weak_r[i].score or 0.0 for i in ids],
            [strong_r[i].score or 0.0 for i in ids],
            n_resamples=self.n_resamples,
            seed=self.seed,
            strong_cost=mean_cost(strong_r),
            weak_cost=mean_cost(weak_r),
        )
