"""Exact-hit latency: CachedChatModel on memory, SQLite and Redis vs a real call vs LangChain.

Run from the repo root with the venv active:

    python benchmarks/cache_latency.py [--calls 2000]

Times, side by side and interleaved so drift hits all alike: a hit through
`CachedChatModel(ChatGlobalAPI, ExactCache(store))` (invoke and stream) on InMemoryStore,
SQLiteStore and RedisStore (a real `redis-server` on loopback, when installed); a hit through
`ChatGlobalAPI(cache=ExactCache())` (LangChain's cache path) and `ChatGlobalAPI(cache=
InMemoryCache())` (LangChain's own in-memory cache); and an uncached call to the local
`FakeOpenAIServer`. Prints Markdown and writes `benchmarks/results/cache_latency.json`.
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from _redis_loopback import start_redis_server
from langchain_core.caches import InMemoryCache

from langchain_globalapi import (
    CachedChatModel,
    ChatGlobalAPI,
    ExactCache,
    InMemoryStore,
    RedisStore,
    SQLiteStore,
)
from langchain_globalapi.testing import FakeOpenAIServer

OUT = Path(__file__).resolve().parents[1] / "benchmarks" / "results" / "cache_latency.json"
PROMPT = "Summarize our refund policy for a customer who was charged twice last month."


def _ms(samples: list[float]) -> dict[str, float]:
    values = np.asarray(samples) * 1000
    return {
        "p50": round(float(np.percentile(values, 50)), 4),
        "p99": round(float(np.percentile(values, 99)), 4),
        "mean": round(float(values.mean()), 4),
    }


def _time(call: Callable[[], Any]) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--real-calls", type=int, default=300)
    args = parser.parse_args()
    workdir = tempfile.mkdtemp()
    redis = start_redis_server(workdir)
    results: dict[str, Any] = {}
    with FakeOpenAIServer() as server:

        def model(**kwargs: Any) -> ChatGlobalAPI:
            return ChatGlobalAPI(api_key="k", base_url=server.base_url, temperature=0, **kwargs)

        paths: dict[str, Callable[[], Any]] = {
            "CachedChatModel + InMemoryStore, invoke": CachedChatModel(
                model(), cache=ExactCache(InMemoryStore())
            ).invoke,
            "CachedChatModel + SQLiteStore, invoke": CachedChatModel(
                model(), cache=ExactCache(SQLiteStore(Path(workdir) / "cache.db"))
            ).invoke,
        }
        if redis is not None:
            paths["CachedChatModel + RedisStore (loopback), invoke"] = CachedChatModel(
                model(), cache=ExactCache(RedisStore(redis[1]))
            ).invoke
        memory_stream = CachedChatModel(model(), cache=ExactCache(InMemoryStore()))
        paths["CachedChatModel + InMemoryStore, stream (all chunks)"] = lambda p: list(
            memory_stream.stream(p)
        )
        paths["ChatGlobalAPI(cache=ExactCache()), LangChain's cache path"] = model(
            cache=ExactCache()
        ).invoke
        paths["ChatGlobalAPI(cache=InMemoryCache()), LangChain's own cache"] = model(
            cache=InMemoryCache()
        ).invoke
        for call in paths.values():  # the one real call that fills each cache, then warm-up
            for _ in range(20):
                call(PROMPT)
        samples: dict[str, list[float]] = {name: [] for name in paths}
        for _ in range(args.calls):
            for name, call in paths.items():
                samples[name].append(_time(lambda call=call: call(PROMPT)))
        uncached = model()
        for _ in range(10):
            uncached.invoke(PROMPT)
        real = [_time(lambda: uncached.invoke(PROMPT)) for _ in range(args.real_calls)]
    if redis is not None:
        redis[0].kill()
    real_ms = _ms(real)
    results["uncached call to FakeOpenAIServer (loopback HTTP)"] = real_ms
    for name, values in samples.items():
        results[name] = _ms(values)
    payload = {
        "machine": f"{platform.machine()}, {platform.python_version()}, 2 cores",
        "calls": args.calls,
        "latency_ms": results,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(payload, indent=2) + "\n")
    print("| path | p50 ms | p99 ms | p50 vs real call |")
    print("|---|---|---|---|")
    for name, stats in results.items():
        share = stats["p50"] / real_ms["p50"] * 100
        print(f"| {name} | {stats['p50']:.3f} | {stats['p99']:.3f} | {share:.1f}% |")


if __name__ == "__main__":
    main()
