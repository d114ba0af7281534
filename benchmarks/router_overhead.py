"""The whole router's overhead over calling the chosen tier directly, on the local fake server.

Run from the repo root with the venv active:

    python benchmarks/router_overhead.py [--calls 300] [--warmup 30]

For each scorer it times `router.invoke(prompt)` and `tier.invoke(prompt)` on the same tier
(GA-Economy, where both prompts land) against `FakeOpenAIServer` on loopback, interleaving the
two so drift hits both alike, and reports p50/p99 of each and of the difference; it also times
the decision alone (`router.explain`) and the first-token latency of `stream`. Prints Markdown
and writes `benchmarks/results/router_overhead.json`.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from langchain_globalapi import ChatGlobalAPI
from langchain_globalapi.routing import HeuristicScorer, LearnedScorer, TieredRouterRunnable
from langchain_globalapi.routing.scorers import ComplexityScorer
from langchain_globalapi.testing import FakeOpenAIServer

OUT = Path(__file__).resolve().parents[1] / "benchmarks" / "results" / "router_overhead.json"
PROMPT = "Classify this ticket as billing, bug or feature request: 'I was charged twice.'"


def _ms(samples: list[float]) -> dict[str, float]:
    values = np.asarray(samples) * 1000
    return {
        "p50": round(float(np.percentile(values, 50)), 3),
        "p99": round(float(np.percentile(values, 99)), 3),
        "mean": round(float(values.mean()), 3),
    }


def _time(call: Callable[[], Any]) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def _first_token(stream: Callable[[], Any]) -> float:
    start = time.perf_counter()
    iterator = iter(stream())
    next(iterator)
    elapsed = time.perf_counter() - start
    for _ in iterator:
        pass
    return elapsed


def measure(
    server: FakeOpenAIServer, scorer: ComplexityScorer, calls: int, warmup: int
) -> dict[str, Any]:
    tiers = {
        name: ChatGlobalAPI(model=model, api_key="k", base_url=server.base_url, max_retries=0)
        for name, model in [("economy", "GA-Economy"), ("flash", "deepseek-ai/DeepSeek-V4-Flash"),
                            ("pro", "deepseek-ai/DeepSeek-V4-Pro")]
    }  # fmt: skip
    router = TieredRouterRunnable(tiers=tiers, scorer=scorer)
    tier = tiers[router.explain(PROMPT).tier]
    for _ in range(warmup):
        router.invoke(PROMPT)
        tier.invoke(PROMPT)
    routed, direct, diffs, decide, routed_ttft, direct_ttft = [], [], [], [], [], []
    for i in range(calls):
        # Alternate the order so neither side always runs on a warmer connection.
        if i % 2:
            a = _time(lambda: router.invoke(PROMPT))
            b = _time(lambda: tier.invoke(PROMPT))
        else:
            b = _time(lambda: tier.invoke(PROMPT))
            a = _time(lambda: router.invoke(PROMPT))
        routed.append(a)
        direct.append(b)
        diffs.append(a - b)
        decide.append(_time(lambda: router.explain(PROMPT)))
        if i % 5 == 0:
            routed_ttft.append(_first_token(lambda: router.stream(PROMPT)))
            direct_ttft.append(_first_token(lambda: tier.stream(PROMPT)))
    return {
        "scorer": type(scorer).__name__,
        "tier": router.explain(PROMPT).tier,
        "calls": calls,
        "router_invoke_ms": _ms(routed),
        "direct_invoke_ms": _ms(direct),
        "overhead_ms": _ms(diffs),
        "overhead_median_of_diffs_ms": round(statistics.median(diffs) * 1000, 3),
        "decision_ms": _ms(decide),
        "router_first_token_ms": _ms(routed_ttft),
        "direct_first_token_ms": _ms(direct_ttft),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=30)
    args = parser.parse_args()
    results = []
    with FakeOpenAIServer() as server:
        for scorer in (LearnedScorer.load_default(), HeuristicScorer()):
            results.append(measure(server, scorer, args.calls, args.warmup))
    print("| scorer | direct invoke p50 / p99 | router invoke p50 / p99 | overhead p50 / p99 "
          "| decision p50 / p99 | first token direct / router (p50) |")  # fmt: skip
    print("|---|---|---|---|---|---|")
    for r in results:
        d, ro, o, dec = (
            r["direct_invoke_ms"],
            r["router_invoke_ms"],
            r["overhead_ms"],
            r["decision_ms"],
        )
        print(
            f"| {r['scorer']} | {d['p50']} / {d['p99']} ms | {ro['p50']} / {ro['p99']} ms "
            f"| {o['p50']} / {o['p99']} ms | {dec['p50']} / {dec['p99']} ms "
            f"| {r['direct_first_token_ms']['p50']} / {r['router_first_token_ms']['p50']} ms |"
        )
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(
        json.dumps(
            {"machine": f"{platform.machine()} {platform.python_version()}", "results": results},
            indent=2,
        )
        + "\n"
    )


if __name__ == "__main__":
    main()
