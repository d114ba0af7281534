"""What writing to the usage ledger adds to a call.

    python benchmarks/ledger_overhead.py [--calls 100000] [--pairs 1000]

Two measurements, on SQLite and (when redis-server is installed) Redis:

- `on_billed` itself, timed call by call while the writer thread is busy writing the
  earlier calls (the work a call's thread does: a put on a bounded queue);
- whole calls: `ChatGlobalAPI.invoke` against the local `FakeOpenAIServer` under
  `get_globalapi_callback()` with and without `ledger=`, interleaved in pairs so drift
  hits both alike; the difference of the medians is what the ledger adds.

Prints Markdown and writes `benchmarks/results/ledger_overhead.json`.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from _redis_loopback import start_redis_server

from langchain_globalapi import ChatGlobalAPI, get_globalapi_callback
from langchain_globalapi.costs import BilledCall, price_usage
from langchain_globalapi.ledger import Ledger
from langchain_globalapi.testing import FakeOpenAIServer

RESULTS = Path(__file__).resolve().parent / "results" / "ledger_overhead.json"


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def on_billed_cost(target: str, calls: int) -> dict[str, float]:
    cost = price_usage({"input_tokens": 900, "output_tokens": 120}, "deepseek-ai/DeepSeek-V4-Flash")
    events = [
        BilledCall(f"ovh-{time.time_ns()}-{i}", "r", time.time(), 300.0,
                   "deepseek-ai/DeepSeek-V4-Flash", tier="flash", task="qa", cost=cost)
        for i in range(calls)
    ]  # fmt: skip
    samples = []
    with Ledger(target) as ledger:
        for i, event in enumerate(events):
            began = time.perf_counter_ns()
            ledger.on_billed(event)
            samples.append((time.perf_counter_ns() - began) / 1000)
            if i % 5000 == 4999:
                ledger.flush(timeout_s=60)  # keep the queue from filling: no drops in the sample
        dropped = ledger.stats().dropped
    return {
        "p50_us": round(statistics.median(samples), 2),
        "p99_us": round(_percentile(samples, 0.99), 2),
        "dropped": dropped,
    }


def whole_calls(target: str, pairs: int) -> dict[str, float]:
    with FakeOpenAIServer() as server, Ledger(target) as ledger:
        llm = ChatGlobalAPI(api_key="k", base_url=server.base_url, max_retries=0)
        for _ in range(50):  # warm up both paths
            llm.invoke("warm up")
        bare: list[float] = []
        with_ledger: list[float] = []
        for i in range(pairs):
            order = (False, True) if i % 2 else (True, False)
            for use_ledger in order:
                began = time.perf_counter()
                with get_globalapi_callback(ledger=ledger if use_ledger else None):
                    llm.invoke("What is 17 * 23?")
                elapsed = (time.perf_counter() - began) * 1000
                (with_ledger if use_ledger else bare).append(elapsed)
        ledger.flush()
    return {
        "bare_p50_ms": round(statistics.median(bare), 3),
        "ledger_p50_ms": round(statistics.median(with_ledger), 3),
        "added_p50_us": round((statistics.median(with_ledger) - statistics.median(bare)) * 1000, 1),
        "bare_p99_ms": round(_percentile(bare, 0.99), 3),
        "ledger_p99_ms": round(_percentile(with_ledger, 0.99), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--pairs", type=int, default=1000)
    args = parser.parse_args()
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as workdir:
        targets = {"sqlite": str(Path(workdir) / "overhead.db")}
        redis = start_redis_server(workdir)
        if redis is not None:
            targets["redis"] = redis[1]
        try:
            for name, target in targets.items():
                results[name] = {
                    "on_billed": on_billed_cost(target, args.calls),
                    "invoke": whole_calls(target, args.pairs),
                }
        finally:
            if redis is not None:
                redis[0].kill()
                redis[0].wait()
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print("| store | on_billed p50 / p99 | invoke p50 bare / with ledger | added p50 |")
    print("|---|---|---|---|")
    for name, result in results.items():
        on, inv = result["on_billed"], result["invoke"]
        print(
            f"| {name} | {on['p50_us']} / {on['p99_us']} us | {inv['bare_p50_ms']} / "
            f"{inv['ledger_p50_ms']} ms | {inv['added_p50_us']} us |"
        )


if __name__ == "__main__":
    main()
