"""A realistic week of LLM traffic written to a usage ledger: screenshots, demos, scale runs.

    python benchmarks/ledger_traffic.py --out week.db [--calls 200000] [--days 7] [--seed 0]

Traffic follows office hours (weekdays busier, a night-time floor), five task types with
their own token sizes and tier mix (economy for classification, pro for half of the
reasoning), exact-cache hits, a burst of rate limits on V4 Flash on day 3 (each rescued
by V4 Pro, as a fallback chain would), a cascade that escalates a fifth of its cheap
answers, and a 1% tripwire whose agreement drops for V4 Flash from day 5 (the alarm fires).
Every call is priced from the built-in catalog and written through `Ledger`, the same
path an application's calls take. Deterministic for a given seed and end time.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from langchain_globalapi.catalog import DEFAULT_TIERS
from langchain_globalapi.costs import BilledCall, price_usage
from langchain_globalapi.ledger import Ledger

REFERENCE = "gpt-4o"
#: task -> (share of traffic, tier mix economy/flash/pro, median input tokens, median output)
TASKS = {
    "classification": (0.30, (0.80, 0.20, 0.00), 450, 12),
    "extraction": (0.20, (0.10, 0.85, 0.05), 1800, 220),
    "summarization": (0.15, (0.00, 0.90, 0.10), 5200, 380),
    "reasoning": (0.15, (0.00, 0.50, 0.50), 900, 950),
    "free_text": (0.20, (0.35, 0.45, 0.20), 700, 420),
}
LATENCY_MS = {"economy": 380.0, "flash": 650.0, "pro": 1900.0, "reference": 1400.0}
_HOURLY = np.array([
    0.15, 0.1, 0.08, 0.08, 0.1, 0.2, 0.45, 0.8, 1.2, 1.5, 1.6, 1.55,
    1.3, 1.5, 1.6, 1.55, 1.4, 1.1, 0.8, 0.6, 0.5, 0.4, 0.3, 0.2,
])  # fmt: skip


@dataclass(frozen=True)
class Verdict:
    """A tripwire verdict to record after the calls."""

    request_id: str
    agree: bool
    task: str
    at: float


def _times(rng: np.random.Generator, calls: int, days: int, end: float) -> np.ndarray:
    start = end - days * 86400
    day_weight = np.array(
        [1.0 if (int(start // 86400) + d + 3) % 7 < 5 else 0.45 for d in range(days)]
    )
    weights = (day_weight[:, None] * _HOURLY[None, :]).ravel()
    hours = rng.choice(len(weights), size=calls, p=weights / weights.sum())
    return np.sort(start + hours * 3600 + rng.uniform(0, 3600, size=calls))


def traffic(
    calls: int, *, days: int = 7, end: float | None = None, seed: int = 0
) -> Iterator[BilledCall | Verdict]:
    """About `calls` billed calls (and tripwire verdicts) over the `days` before `end`."""
    rng = np.random.default_rng(seed)
    end = time.time() if end is None else end
    start = end - days * 86400
    names = list(TASKS)
    shares = np.array([TASKS[t][0] for t in names])
    for number, at in enumerate(_times(rng, calls, days, end)):
        day = int((at - start) // 86400)
        task = names[rng.choice(len(names), p=shares)]
        _, mix, median_in, median_out = TASKS[task]
        tier = ("economy", "flash", "pro")[rng.choice(3, p=mix)]
        model = DEFAULT_TIERS[tier]
        usage = {
            "input_tokens": int(rng.lognormal(np.log(median_in), 0.6)) + 20,
            "output_tokens": int(rng.lognormal(np.log(median_out), 0.7)) + 1,
        }
        request = f"req-{number}"
        common = {"task": task, "request_id": request}
        latency = float(rng.lognormal(np.log(LATENCY_MS[tier]), 0.35))
        hour_of_day = (at % 86400) / 3600
        burst = day == 3 and 13 <= hour_of_day < 16
        if tier == "flash" and rng.random() < (0.18 if burst else 0.01):
            yield BilledCall(
                f"c{number}-429", f"r{number}-429", float(at), 40.0, model, tier=tier,
                error="rate_limit", **common,
            )  # fmt: skip
            tier, model = "pro", DEFAULT_TIERS["pro"]
            attempt = 2
        elif rng.random() < 0.003:
            yield BilledCall(
                f"c{number}-5xx", f"r{number}-5xx", float(at), 900.0, model, tier=tier,
                error="server_error", **common,
            )  # fmt: skip
            attempt = 2
        else:
            attempt = 1
        if task != "reasoning" and rng.random() < 0.16:
            cost = price_usage(usage, model, cache_hit=True)
            yield BilledCall(f"c{number}", f"r{number}", float(at), 2.0, model, tier=tier,
                             cost=cost, attempt=attempt, **common)  # fmt: skip
            continue
        cascade = (
            "cheap" if tier == "flash" and task == "extraction" and rng.random() < 0.5 else None
        )
        score = float(
            np.clip(rng.normal({"economy": 0.15, "flash": 0.45, "pro": 0.8}[tier], 0.1), 0, 1)
        )
        yield BilledCall(
            f"c{number}", f"r{number}", float(at), latency, model, tier=tier,
            cost=price_usage(usage, model), attempt=attempt, routing_score=score,
            cascade=cascade, **common,
        )  # fmt: skip
        if cascade and rng.random() < 0.2:
            pro = DEFAULT_TIERS["pro"]
            yield BilledCall(
                f"c{number}-up", f"r{number}-up", float(at) + latency / 1000, 1800.0, pro,
                tier="pro", cost=price_usage(usage, pro), cascade="escalated", **common,
            )  # fmt: skip
        if rng.random() < 0.01:
            yield BilledCall(
                f"c{number}-shadow", f"r{number}-shadow", float(at) + 1, 1400.0, REFERENCE,
                task=task, request_id=request, cost=price_usage(usage, REFERENCE), shadow=True,
            )  # fmt: skip
            dip = day >= 5 and tier == "flash"  # a quality regression of V4 Flash
            yield Verdict(request, bool(rng.random() < (0.6 if dip else 0.93)), task, float(at) + 5)


def write_traffic(ledger: Ledger, calls: int, **options: float | int | None) -> int:
    """Write the traffic through `ledger`; return how many events were written."""
    count = 0
    for event in traffic(calls, **options):  # type: ignore[arg-type]
        if isinstance(event, Verdict):
            ledger.record_verdict(event.request_id, event.agree, task=event.task, at=event.at)
        else:
            ledger.on_billed(event)
        count += 1
        if count % 50_000 == 0:
            ledger.flush(timeout_s=600)  # the ledger never blocks a caller: pace the generator
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, help="Ledger file or redis:// URL to write.")
    parser.add_argument("--calls", type=int, default=200_000)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--end", type=float, default=None, help="End time (default: now).")
    args = parser.parse_args()
    if not args.out.startswith("redis") and Path(args.out).exists():
        parser.error(f"{args.out} exists: give a new file")
    began = time.perf_counter()
    with Ledger(args.out, queue_size=200_000, batch_size=5000) as ledger:
        events = write_traffic(ledger, args.calls, days=args.days, end=args.end, seed=args.seed)
        ledger.flush(timeout_s=600)
        stats = ledger.stats()
    print(
        f"wrote {stats.written:,} events ({events:,} generated, {stats.dropped} dropped) to "
        f"{args.out} in {time.perf_counter() - began:.1f} s"
    )


if __name__ == "__main__":
    main()
