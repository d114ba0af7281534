"""The figures of the cost dashboard and report, computed from a ledger's roll-ups.

`summarize` reads only roll-up rows (per minute for the last hours, per hour up to a
month, per day beyond) plus two short tables of raw calls, so it costs the same for a
thousand calls as for millions. Totals are exact (integer nano-dollars summed in Python,
shown as decimal strings); chart series are floats. A ledger that cannot be read gives a
summary with `status: "error"` and a message that says what to do, never an exception.
"""

from __future__ import annotations

import bisect
import math
import time
from collections import defaultdict
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from langchain_globalapi.bench.stats import wilson_interval
from langchain_globalapi.errors import LedgerError
from langchain_globalapi.ledger._retention import Retention
from langchain_globalapi.ledger._rows import METRIC_INDEX, METRICS, SPANS, nanos_to_usd
from langchain_globalapi.ledger.reader import LedgerReader, RollupRow

__all__ = ["DEFAULT_RANGE", "RANGES", "format_usd", "summarize"]

#: The dashboard's time ranges, in seconds (`None`: everything in the ledger).
RANGES: dict[str, int | None] = {
    "1h": 3600,
    "6h": 6 * 3600,
    "24h": 86400,
    "7d": 7 * 86400,
    "30d": 30 * 86400,
    "all": None,
}
DEFAULT_RANGE = "all"

#: Series longer than this many points move to the next bucket size.
_MAX_POINTS = 800
#: Separate series are drawn for this many models or tasks; the rest are summed as "other".
_MAX_SERIES = 7
_CENT = Decimal("0.01")


class _Counts:
    """Counters of a bucket or a range, read by metric name (see `METRICS`)."""

    __slots__ = ("values",)

    def __init__(self, values: Sequence[int] | None = None) -> None:
        self.values = list(values) if values is not None else [0] * len(METRICS)

    def __getitem__(self, metric: str) -> int:
        return self.values[METRIC_INDEX[metric]]

    def add(self, values: Sequence[int]) -> None:
        self.values = [a + b for a, b in zip(self.values, values, strict=True)]


def format_usd(amount: Decimal) -> str:
    """Dollars for people: cents from $1 up, four decimals below (so small spend shows).

    Example:
        >>> format_usd(Decimal("1234.565")), format_usd(Decimal("0.00347"))
        ('$1,234.57', '$0.0035')
    """
    sign = "-" if amount < 0 else ""
    amount = abs(amount)
    if amount >= 1 or amount == 0:
        return f"{sign}${amount.quantize(_CENT, rounding=ROUND_HALF_UP):,}"
    return f"{sign}${amount.quantize(Decimal('0.0001'), rounding=ROUND_HALF_UP)}"


def _span_for(since: float, until: float, now: float, retention: Retention) -> int:
    """The finest bucket size that draws the range in few enough points and is still kept."""
    for span in SPANS:
        keep_s = retention.keep_s(span)
        fits = (until - since) / span <= _MAX_POINTS
        kept = keep_s is None or since >= now - keep_s
        if fits and kept:
            return span
    return SPANS[-1]


def _usd(nanos: int) -> str:
    return str(nanos_to_usd(nanos))


def _ratio(part: int, whole: int) -> float | None:
    return None if whole == 0 else part / whole


def _interval(agreed: int, verdicts: int) -> dict[str, float | None]:
    interval = wilson_interval(agreed, verdicts)
    return {
        key: None if math.isnan(value) else round(value, 4)
        for key, value in (("rate", interval.value), ("low", interval.low), ("high", interval.high))
    }


def _money(c: _Counts) -> dict[str, Any]:
    spend, reference = c["cost_nusd"], c["reference_nusd"]
    saving = reference - spend
    return {
        "spend_usd": _usd(spend),
        "spend_display": format_usd(nanos_to_usd(spend)),
        "reference_usd": _usd(reference),
        "reference_display": format_usd(nanos_to_usd(reference)),
        "saving_usd": _usd(saving),
        "saving_display": format_usd(nanos_to_usd(saving)),
        "saving_pct": None if reference == 0 else round(saving / reference * 100, 2),
    }


def _totals(c: _Counts) -> dict[str, Any]:
    return {
        **{name: c[name] for name in METRICS if not name.endswith("_nusd")},
        **_money(c),
        "saved_by_cache_usd": _usd(c["saved_by_cache_nusd"]),
        "saved_by_cache_display": format_usd(nanos_to_usd(c["saved_by_cache_nusd"])),
        "cache_hit_rate": _ratio(c["cache_hits"], c["answered"]),
        "escalation_rate": _ratio(c["cascade_escalated"], c["cascade_cheap"]),
        "mean_latency_ms": None if c["calls"] == 0 else c["latency_us"] / c["calls"] / 1000,
    }


def _breakdown(per_value: dict[str, _Counts], total_spend: int) -> list[dict[str, Any]]:
    """One row per model (tier, task), priciest first."""
    ranked = sorted(per_value.items(), key=lambda kv: (-kv[1]["cost_nusd"], -kv[1]["calls"], kv[0]))
    return [
        {
            "name": value,
            **{name: c[name] for name in _BREAKDOWN_COUNTS},
            **_money(c),
            "share_pct": (
                None if total_spend == 0 else round(c["cost_nusd"] / total_spend * 100, 2)
            ),
            "usd_per_answer": (
                None if c["answered"] == 0 else _usd(c["cost_nusd"] // c["answered"])
            ),
            "agreement": _interval(c["agreed"], c["verdicts"]),
        }
        for value, c in ranked
    ]


_BREAKDOWN_COUNTS = (
    "calls", "answered", "failed", "rate_limited", "fallback_served", "cache_hits",
    "cascade_escalated", "verdicts",
)  # fmt: skip


class _Buckets:
    """The range's roll-up rows arranged by (dimension, value) and bucket."""

    def __init__(self, rows: list[RollupRow], buckets: list[int]) -> None:
        self.buckets = buckets
        self.cells: dict[tuple[str, str], dict[int, Sequence[int]]] = defaultdict(dict)
        self.per_value: dict[str, dict[str, _Counts]] = defaultdict(dict)
        for row in rows:
            self.cells[(row.dim, row.value)][row.bucket] = row.counters
            self.per_value[row.dim].setdefault(row.value, _Counts()).add(row.counters)

    def column(self, metric: str, dim: str = "all", values: Sequence[str] = ("",)) -> list[int]:
        """`metric` per bucket, summed over `values` of `dim`."""
        index = METRIC_INDEX[metric]
        cells = [self.cells.get((dim, value), {}) for value in values]
        return [sum(cell[b][index] for cell in cells if b in cell) for b in self.buckets]

    def series(
        self, dim: str, names: list[str], metric: str, *, usd: bool
    ) -> dict[str, list[float]]:
        """`metric` per bucket for the first few `names`; the rest summed as "other"."""
        scale = 1e-9 if usd else 1.0
        shown, rest = names[:_MAX_SERIES], names[_MAX_SERIES:]
        lines = {name or "(none)": self.column(metric, dim, [name]) for name in shown}
        if rest:
            lines["other"] = self.column(metric, dim, rest)
        # A line that is zero throughout (shadow calls have no tier) would only clutter a legend.
        return {
            name: [value * scale for value in line] for name, line in lines.items() if any(line)
        }


def _agreement_series(
    verdicts: list[int], agreed: list[int], buckets: list[int], span: int, *,
    min_samples: int, window: int, threshold: float,
) -> tuple[list[dict[str, Any] | None], list[dict[str, Any]]]:  # fmt: skip
    """Per bucket, agreement over the trailing window of about `window` verdicts.

    As the tripwire judges it: a bucket is judged once the window holds `min_samples`
    verdicts, and judged buckets whose Wilson lower bound stays below `threshold` form
    one alarm (until a judged bucket is above it again).
    """
    prefix_n, prefix_k = [0], [0]
    for n, k in zip(verdicts, agreed, strict=True):
        prefix_n.append(prefix_n[-1] + n)
        prefix_k.append(prefix_k[-1] + k)
    points: list[dict[str, Any] | None] = []
    alarms: list[dict[str, Any]] = []
    alarming = False  # buckets without a verdict neither end nor start an alarm
    for i, bucket in enumerate(buckets):
        end_n = prefix_n[i + 1]
        # the earliest start whose window holds at most `window` verdicts (at least this bucket)
        start = min(bisect.bisect_left(prefix_n, end_n - window), i)
        n, k = end_n - prefix_n[start], prefix_k[i + 1] - prefix_k[start]
        if verdicts[i] == 0 or n < min_samples:
            points.append(None)
            continue
        point = {"n": n, **_interval(k, n)}
        points.append(point)
        low = point["low"]
        if low is None or low >= threshold:
            alarming = False
        elif alarming:
            alarms[-1].update(until=bucket + span, lowest=min(alarms[-1]["lowest"], low))
        else:
            alarms.append({"since": bucket, "until": bucket + span, "lowest": low})
            alarming = True
    return points, alarms


def summarize(
    reader: LedgerReader,
    *,
    range_name: str | None = None,
    since: float | None = None,
    until: float | None = None,
    now: float | None = None,
    alarm_threshold: float = 0.85,
    min_samples: int = 50,
    alarm_window: int = 500,
    top: int = 10,
    recent: int = 15,
    retention: Retention | None = None,
) -> dict[str, Any]:
    """Everything the dashboard shows for one time range, JSON-ready.

    Args:
        reader: The ledger (see `open_reader`).
        range_name: One of `RANGES` ("1h" ... "all"); ignored when `since` is given.
        since: Start of the range (seconds since the epoch); default from `range_name`.
        until: End of the range (default: now).
        now: The current time (for tests).
        alarm_threshold: Tripwire alarm when the Wilson 95% lower bound of agreement is below.
        min_samples: Verdicts needed before agreement is judged.
        alarm_window: Agreement over time is judged on the last this many verdicts (as the
            tripwire's `window`).
        top: How many priciest calls to list.
        recent: How many of the latest calls to list.
        retention: The writers' retention, if not the default (picks the bucket size).

    Returns:
        A dict with `status` ("ok", "empty" or "error"), `message`, `range`, `totals`,
        `series`, `models`, `tiers`, `tasks`, `tripwire`, `top_calls` and `recent_calls`.

    Example:
        >>> import os, tempfile
        >>> from langchain_globalapi.ledger import Ledger, open_reader
        >>> path = os.path.join(tempfile.mkdtemp(), "usage.db")
        >>> with Ledger(path) as ledger:
        ...     ledger.record_verdict("request-1", agree=True)
        >>> summary = summarize(open_reader(path), range_name="24h")
        >>> summary["status"], summary["range"]["bucket_s"], summary["tripwire"]["verdicts"]
        ('ok', 3600, 1)
    """
    now = time.time() if now is None else now
    name = range_name if range_name in RANGES else DEFAULT_RANGE
    if since is not None:
        name = "custom"
    base: dict[str, Any] = {"ledger": reader.description, "generated_at": now}
    try:
        bounds = reader.bounds()
        if bounds is None:
            return {
                **base, "status": "empty", "range": {"name": name},
                "message": f"No calls recorded yet in {reader.description}. Attach "
                "Ledger(...) to your application; this page updates as calls arrive.",
            }  # fmt: skip
        end_time = now if until is None else until
        if since is None:
            seconds = RANGES[name]
            since = float(bounds[0]) if seconds is None else end_time - seconds
        span = _span_for(since, end_time, now, retention or Retention())
        start = int(since // span) * span
        stop = int(end_time // span) * span + span
        rows = reader.rollups(span, start, stop)
        calls = sum(row.counters[METRIC_INDEX["calls"]] for row in rows if row.dim == "all")
        top_calls = reader.top_calls(start, stop, top, calls_in_range=calls)
        recent_calls = reader.recent_calls(recent)
    except LedgerError as exc:
        return {**base, "status": "error", "range": {"name": name}, "message": str(exc)}
    buckets = list(range(start, stop, span))
    return {
        **base,
        "status": "ok",
        "message": None,
        "range": {"name": name, "since": start, "until": stop, "bucket_s": span},
        **_figures(
            rows,
            buckets,
            span,
            alarm_threshold=alarm_threshold,
            min_samples=min_samples,
            alarm_window=alarm_window,
        ),
        "top_calls": top_calls,
        "recent_calls": recent_calls,
    }


def _figures(
    rows: list[RollupRow], buckets: list[int], span: int, *, alarm_threshold: float,
    min_samples: int, alarm_window: int,
) -> dict[str, Any]:  # fmt: skip
    arranged = _Buckets(rows, buckets)
    totals = arranged.per_value.get("all", {}).get("", _Counts())
    breakdowns = {
        dim: _breakdown(arranged.per_value.get(dim, {}), totals["cost_nusd"])
        for dim in ("model", "tier", "task")
    }
    names = {dim: [row["name"] for row in rows] for dim, rows in breakdowns.items()}
    verdicts, agreed = arranged.column("verdicts"), arranged.column("agreed")
    points, alarms = _agreement_series(
        verdicts, agreed, buckets, span, min_samples=min_samples, window=alarm_window,
        threshold=alarm_threshold,
    )  # fmt: skip
    overall = _interval(totals["agreed"], totals["verdicts"])
    # The alarm is about now: the latest window of verdicts, as the tripwire judges it.
    latest = next((point for point in reversed(points) if point is not None), None)
    low = None if latest is None else latest["low"]
    return {
        "totals": _totals(totals),
        "models": breakdowns["model"],
        "tiers": breakdowns["tier"],
        "tasks": breakdowns["task"],
        "series": {
            "t": buckets,
            "spend_by_model": arranged.series("model", names["model"], "cost_nusd", usd=True),
            "spend_by_tier": arranged.series("tier", names["tier"], "cost_nusd", usd=True),
            "spend_by_task": arranged.series("task", names["task"], "cost_nusd", usd=True),
            "answers_by_tier": arranged.series("tier", names["tier"], "answered", usd=False),
            "cumulative_spend": _cumulative_usd(arranged.column("cost_nusd")),
            "cumulative_reference": _cumulative_usd(arranged.column("reference_nusd")),
            "answered": arranged.column("answered"),
            "cache_hits": arranged.column("cache_hits"),
            "failed": arranged.column("failed"),
            "rate_limited": arranged.column("rate_limited"),
            "agreement": points,
        },
        "tripwire": {
            "verdicts": totals["verdicts"],
            "agreed": totals["agreed"],
            **overall,
            "threshold": alarm_threshold,
            "min_samples": min_samples,
            "window": alarm_window,
            "latest": latest,
            "alarm": low is not None and low < alarm_threshold,
            "alarms": alarms,
        },
    }


def _cumulative_usd(nanos: list[int]) -> list[float]:
    running, out = 0, []
    for value in nanos:
        running += value
        out.append(running * 1e-9)
    return out
