"""A worker for the shared-budget test: N concurrent routed calls under one Redis budget.

Run as a process (`python _budget_worker.py BASE_URL REDIS_URL NAMESPACE CALLS PEERS`, which
prints the report as one JSON line) or awaited in the test's own process (`run_worker`).
Each worker waits on a Redis barrier until PEERS workers are ready, so their calls overlap.
The report: {"answered": n, "refused": n, "other": ["TypeName: message", ...]}.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
import uuid
from typing import Any

import redis

from langchain_globalapi import (
    Budget,
    BudgetExceededError,
    ChatGlobalAPI,
    SpendLimit,
    TieredRouterRunnable,
)
from langchain_globalapi.routing import HeuristicScorer

LIMIT_USD = "0.01"


def long_prompt(worker: str, index: int) -> str:
    """About 2,000 prompt tokens: a flash call costs about $0.0006."""
    return f"Question {worker}-{index}: " + "lorem " * 1600


async def run_worker(
    base_url: str, redis_url: str, namespace: str, calls: int, peers: int
) -> dict[str, Any]:
    """Make `calls` concurrent routed calls under the shared budget; report how they ended."""
    budget = Budget(
        [SpendLimit.total(LIMIT_USD, hard=True)], redis_url=redis_url, namespace=namespace
    )
    tiers = {
        name: ChatGlobalAPI(model=model, api_key="k", base_url=base_url, max_retries=0)
        for name, model in [
            ("flash", "deepseek-ai/DeepSeek-V4-Flash"),
            ("pro", "deepseek-ai/DeepSeek-V4-Pro"),
        ]
    }
    router = TieredRouterRunnable(
        tiers=tiers, scorer=HeuristicScorer(), thresholds=[0.99], budget=budget
    )
    client = redis.Redis.from_url(redis_url)
    client.incr(f"{namespace}:barrier")
    deadline = time.monotonic() + 30
    while int(client.get(f"{namespace}:barrier") or 0) < peers and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    worker = uuid.uuid4().hex[:8]
    results = await asyncio.gather(
        *(router.ainvoke(long_prompt(worker, i)) for i in range(calls)), return_exceptions=True
    )
    refused = [r for r in results if isinstance(r, BudgetExceededError)]
    other = [f"{type(r).__name__}: {r}" for r in results if isinstance(r, BaseException)]
    other = [o for o in other if not o.startswith("BudgetExceededError")]
    answered = len(results) - len(refused) - len(other)
    return {"answered": answered, "refused": len(refused), "other": other}


if __name__ == "__main__":
    base, url, space, count, peer_count = sys.argv[1:6]
    report = asyncio.run(run_worker(base, url, space, int(count), int(peer_count)))
    print(json.dumps(report))
