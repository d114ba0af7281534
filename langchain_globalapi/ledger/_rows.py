"""What the ledger keeps of a billed call: one flat row, its counters, and money in nano-dollars.

A `BilledCall` becomes a `CallRow` (money as integer nano-dollars, so sums stay exact in
SQLite, in Redis and in Python), and every row adds a vector of integer counters to the
roll-ups of its minute, hour and day, once for the whole ledger and once per model, tier
and task. The dashboard reads only the roll-ups, so its cost does not grow with the
number of calls, and pruning old rows never changes a total.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, fields
from decimal import ROUND_HALF_EVEN, Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from langchain_globalapi.costs import BilledCall

__all__ = [
    "CALL_FIELDS",
    "DIMENSIONS",
    "METRICS",
    "METRIC_INDEX",
    "SPANS",
    "CallRow",
    "Rollups",
    "TextRow",
    "VerdictRow",
    "accumulate",
    "bucket_of",
    "nanos_to_usd",
    "usd_to_nanos",
]

_NANOS = Decimal(10**9)

#: The counters every roll-up bucket keeps, in this order (all integers).
METRICS: tuple[str, ...] = (
    "calls",  # every billed event: answers, failed attempts, cache hits, shadow calls
    "answered",  # answers to the application (no error, not a tripwire shadow call)
    "failed",  # failed attempts (any error kind)
    "rate_limited",  # failed attempts whose kind was "rate_limit"
    "fallback_served",  # answers from a fallback member (attempt > 1)
    "cache_hits",
    "shadow",  # tripwire re-checks on the reference model
    "estimated",  # usage estimated from text (a stream that ended early)
    "unpriced",  # answers from models missing from the price catalog
    "cascade_cheap",
    "cascade_escalated",
    "input_tokens",
    "output_tokens",
    "cost_nusd",  # what was spent, nano-dollars
    "reference_nusd",  # what the answers would have cost on the reference model
    "saved_by_cache_nusd",
    "latency_us",
    "verdicts",  # tripwire verdicts received
    "agreed",  # ... of which the reference model agreed
)
METRIC_INDEX = {name: index for index, name in enumerate(METRICS)}

#: Roll-up bucket sizes in seconds: minutes, hours, days.
SPANS: tuple[int, ...] = (60, 3600, 86400)

#: The dimensions each counter vector is kept for; "all" has the single value "".
DIMENSIONS: tuple[str, ...] = ("all", "model", "tier", "task")


def usd_to_nanos(amount: Decimal | None) -> int | None:
    """An amount in USD as integer nano-dollars (banker's rounding below a nano-dollar).

    Example:
        >>> usd_to_nanos(Decimal("0.00038")), usd_to_nanos(None)
        (380000, None)
    """
    if amount is None or not amount.is_finite():
        return None
    return int((amount * _NANOS).to_integral_value(rounding=ROUND_HALF_EVEN))


def nanos_to_usd(nanos: int) -> Decimal:
    """Integer nano-dollars back to an exact `Decimal` USD amount.

    Example:
        >>> nanos_to_usd(380000)
        Decimal('0.00038')
    """
    amount = Decimal(nanos).scaleb(-9)
    return amount.quantize(Decimal(1)) if amount == amount.to_integral() else amount.normalize()


def _finite(value: float | None, default: float) -> float:
    if value is None:
        return default
    value = float(value)
    return value if math.isfinite(value) else default


@dataclass(frozen=True, slots=True)
class CallRow:
    """One billed call as the ledger stores it (no prompt or answer text).

    Example:
        >>> from langchain_globalapi.costs import BilledCall, price_usage
        >>> cost = price_usage({"input_tokens": 1000, "output_tokens": 100}, "gpt-4o")
        >>> row = CallRow.from_call(BilledCall("c1", "r1", 1.7e9, 640.0, "gpt-4o", cost=cost))
        >>> row.cost_nusd, row.counters()[METRIC_INDEX["answered"]]
        (3500000, 1)
    """

    call_id: str
    ts: float
    model: str
    tier: str
    task: str
    request_id: str | None
    run_id: str
    input_tokens: int
    output_tokens: int
    cached_input_tokens: int
    cost_nusd: int | None
    reference_nusd: int | None
    saved_by_cache_nusd: int
    cache_hit: bool
    error: str | None
    estimated: bool
    attempt: int
    routing_score: float | None
    cascade: str | None
    shadow: bool
    latency_ms: float

    @classmethod
    def from_call(cls, call: BilledCall) -> CallRow:
        """Flatten a `BilledCall`; odd values (NaN times, negative latency) are made safe."""
        cost = call.cost
        score = None if call.routing_score is None else _finite(call.routing_score, math.nan)
        return cls(
            call_id=str(call.call_id),
            ts=_finite(call.started_at, time.time()),
            model=str(call.model),
            tier=call.tier or "",
            task=call.task or "",
            request_id=call.request_id,
            run_id=str(call.run_id),
            input_tokens=int(cost.input_tokens) if cost else 0,
            output_tokens=int(cost.output_tokens) if cost else 0,
            cached_input_tokens=int(cost.cached_input_tokens) if cost else 0,
            cost_nusd=usd_to_nanos(cost.usd) if cost else None,
            reference_nusd=usd_to_nanos(cost.reference_usd) if cost else None,
            saved_by_cache_nusd=(usd_to_nanos(cost.saved_by_cache_usd) or 0) if cost else 0,
            cache_hit=call.cache_hit,
            error=call.error,
            estimated=bool(call.estimated),
            attempt=int(call.attempt),
            routing_score=None if score is None or math.isnan(score) else score,
            cascade=call.cascade,
            shadow=bool(call.shadow),
            latency_ms=max(0.0, _finite(call.latency_ms, 0.0)),
        )

    @property
    def is_answer(self) -> bool:
        """An answer the application received (not a failure, not a shadow call)."""
        return self.error is None and not self.shadow

    def counters(self) -> list[int]:
        """This row's contribution to its roll-up buckets, in `METRICS` order."""
        answer = self.is_answer
        return [
            1,
            int(answer),
            int(self.error is not None),
            int(self.error == "rate_limit"),
            int(answer and self.attempt > 1),
            int(self.cache_hit),
            int(self.shadow),
            int(self.estimated),
            int(self.error is None and self.cost_nusd is None),
            int(self.cascade == "cheap"),
            int(self.cascade == "escalated"),
            self.input_tokens,
            self.output_tokens,
            self.cost_nusd or 0,
            # The counterfactual has no failed attempts and no shadow calls: only answers.
            (self.reference_nusd or 0) if answer else 0,
            self.saved_by_cache_nusd,
            round(self.latency_ms * 1000),
            0,
            0,
        ]

    def dimensions(self) -> tuple[tuple[str, str], ...]:
        """The (dimension, value) pairs this row is counted under."""
        return (("all", ""), ("model", self.model), ("tier", self.tier), ("task", self.task))

    def as_record(self, verdict: bool | None = None) -> dict[str, Any]:
        """A JSON-ready dict for tables (amounts as exact decimal strings)."""
        return {
            "call_id": self.call_id,
            "ts": self.ts,
            "model": self.model,
            "tier": self.tier,
            "task": self.task,
            "request_id": self.request_id,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "usd": None if self.cost_nusd is None else str(nanos_to_usd(self.cost_nusd)),
            "reference_usd": (
                None if self.reference_nusd is None else str(nanos_to_usd(self.reference_nusd))
            ),
            "cache_hit": bool(self.cache_hit),
            "error": self.error,
            "attempt": self.attempt,
            "cascade": self.cascade,
            "shadow": bool(self.shadow),
            "routing_score": self.routing_score,
            "latency_ms": round(self.latency_ms, 3),
            "verdict": verdict,
        }


#: The fields of a `CallRow`, in order: the ledger's call columns.
CALL_FIELDS: tuple[str, ...] = tuple(field.name for field in fields(CallRow))


@dataclass(frozen=True, slots=True)
class VerdictRow:
    """A tripwire verdict on the answer to `request_id`, arriving after the call was billed.

    Example:
        >>> VerdictRow("request-1", ts=0.0, agree=False).counters()[METRIC_INDEX["verdicts"]]
        1
    """

    request_id: str
    ts: float
    agree: bool
    model: str = ""
    tier: str = ""
    task: str = ""

    def counters(self) -> list[int]:
        """One verdict, agreeing or not, in `METRICS` order."""
        values = [0] * len(METRICS)
        values[METRIC_INDEX["verdicts"]] = 1
        values[METRIC_INDEX["agreed"]] = int(self.agree)
        return values

    def dimensions(self) -> tuple[tuple[str, str], ...]:
        """The (dimension, value) pairs this verdict is counted under."""
        return (("all", ""), ("model", self.model), ("tier", self.tier), ("task", self.task))


@dataclass(frozen=True, slots=True)
class TextRow:
    """The prompt and answer of a call, stored only when the ledger was opened with text on.

    Example:
        >>> TextRow("c1", prompt="2+2?", answer="4").answer
        '4'
    """

    call_id: str
    prompt: str | None
    answer: str | None


def bucket_of(ts: float, span: int) -> int:
    """The start (seconds since the epoch) of the `span`-second bucket holding `ts`.

    Example:
        >>> bucket_of(7265.5, 3600)
        7200
    """
    return int(ts // span) * span


#: Roll-up counters being summed before a write: (span, bucket, dimension, value) -> counters.
Rollups = dict[tuple[int, int, str, str], list[int]]


def accumulate(rollups: Rollups, event: CallRow | VerdictRow) -> None:
    """Add `event`'s counters to its minute, hour and day buckets, once per dimension.

    Example:
        >>> sums: Rollups = {}
        >>> accumulate(sums, VerdictRow("r1", ts=90.0, agree=True, task="qa"))
        >>> sums[(60, 60, "task", "qa")][METRIC_INDEX["agreed"]]
        1
    """
    counters = event.counters()
    for span in SPANS:
        bucket = bucket_of(event.ts, span)
        for dimension, value in event.dimensions():
            key = (span, bucket, dimension, value)
            current = rollups.get(key)
            rollups[key] = (
                list(counters)
                if current is None
                else [a + b for a, b in zip(current, counters, strict=True)]
            )
