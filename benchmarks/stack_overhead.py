"""What the stack (cache -> router -> fallback -> model) adds to a cache miss; its throughput.

Run from the repo root with the venv active:

    python benchmarks/stack_overhead.py [--calls 400] [--concurrency 64] [--requests 1024]

The fake OpenAI server runs in a separate process (so its work is not billed to the client),
on loopback. Latency: a bare `ChatOpenAI` call and a call through
`CachedChatModel(TieredRouterRunnable(tiers={..., "flash": FallbackChatModel([...])}))`
(every prompt unique, so every stack call is a cache miss that goes through all four layers,
routed to the flash tier's fallback chain) are interleaved; the per-pair difference is the
stack's overhead, reported as p50/p99, beside each layer's own share (model alone, fallback,
router over fallback, cache over router). Throughput: `abatch`-free `asyncio.gather` of
`--requests` calls with a semaphore of `--concurrency`, bare model vs the stack, alternated
over three rounds; the ratio of calls per second is reported. Writes
`benchmarks/results/stack_overhead.json` and prints Markdown.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import platform
import statistics
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from langchain_openai import ChatOpenAI

from langchain_globalapi import (
    CachedChatModel,
    ChatGlobalAPI,
    ExactCache,
    FallbackChatModel,
    TieredRouterRunnable,
)

OUT = Path(__file__).resolve().parents[1] / "benchmarks" / "results" / "stack_overhead.json"
FLASH = "deepseek-ai/DeepSeek-V4-Flash"
PRO = "deepseek-ai/DeepSeek-V4-Pro"
HINT = {"configurable": {"complexity": "flash"}}


def _serve() -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "langchain_globalapi.testing", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    return process, process.stdout.readline().strip().split()[-1]


def _build(url: str) -> dict[str, Any]:
    def model(name: str) -> ChatGlobalAPI:
        return ChatGlobalAPI(model=name, api_key="k", base_url=url, max_retries=0)

    fallback = FallbackChatModel([model(FLASH), model(PRO)])
    router = TieredRouterRunnable(
        tiers={"economy": model("GA-Economy"), "flash": fallback, "pro": model(PRO)}
    )
    return {
        "bare": ChatOpenAI(model=FLASH, api_key="k", base_url=url, max_retries=0),
        "model": model(FLASH),
        "fallback": fallback,
        "router": router,
        "stack": CachedChatModel(router, cache=ExactCache()),
    }


def _ms(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "p50": round(statistics.median(ordered) * 1000, 3),
        "p99": round(ordered[int(len(ordered) * 0.99) - 1] * 1000, 3),
    }


def latency(models: dict[str, Any], calls: int) -> dict[str, Any]:
    counter = itertools.count()

    def timed(name: str) -> float:
        prompt = f"What is {next(counter)} plus two?"
        config = HINT if name in ("router", "stack") else None
        start = time.perf_counter()
        models[name].invoke(prompt, config=config)
        return time.perf_counter() - start

    order = ["bare", "model", "fallback", "router", "stack"]
    for _ in range(30):
        for name in order:
            timed(name)
    samples: dict[str, list[float]] = {name: [] for name in order}
    for _ in range(calls):
        for name in order:
            samples[name].append(timed(name))
    added = [s - b for s, b in zip(samples["stack"], samples["bare"], strict=True)]
    result = {name: _ms(values) for name, values in samples.items()}
    result["stack_added"] = _ms(added)
    result["stack_vs_bare_p50"] = round(
        statistics.median(samples["stack"]) / statistics.median(samples["bare"]), 3
    )
    return result


_UNIQUE = itertools.count()  # every throughput prompt is new: the stack's calls all miss


async def _throughput(call: Callable[[str], Any], requests: int, concurrency: int) -> float:
    gate = asyncio.Semaphore(concurrency)
    counter = _UNIQUE

    async def one() -> None:
        async with gate:
            await call(f"Throughput question number {next(counter)}?")

    start = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(requests)))
    return requests / (time.perf_counter() - start)


def throughput(models: dict[str, Any], requests: int, concurrency: int) -> dict[str, Any]:
    def bare(prompt: str) -> Any:
        return models["bare"].ainvoke(prompt)

    def stack(prompt: str) -> Any:
        return models["stack"].ainvoke(prompt, config=HINT)

    async def rounds() -> dict[str, list[float]]:
        out: dict[str, list[float]] = {"bare": [], "stack": []}
        await _throughput(bare, 64, concurrency)  # warm the pools
        await _throughput(stack, 64, concurrency)
        for _ in range(3):
            out["bare"].append(await _throughput(bare, requests, concurrency))
            out["stack"].append(await _throughput(stack, requests, concurrency))
        return out

    per_round = asyncio.run(rounds())
    bare_rps = statistics.median(per_round["bare"])
    stack_rps = statistics.median(per_round["stack"])
    return {
        "concurrency": concurrency,
        "requests": requests,
        "bare_rps": round(bare_rps, 1),
        "stack_rps": round(stack_rps, 1),
        "ratio": round(stack_rps / bare_rps, 3),
        "rounds": per_round,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--requests", type=int, default=1024)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    process, url = _serve()
    try:
        models = _build(url)
        result = {
            "machine": f"{platform.machine()}, Python {platform.python_version()}",
            "latency_ms": latency(models, args.calls),
            "throughput": throughput(models, args.requests, args.concurrency),
        }
    finally:
        process.terminate()
    OUT.write_text(json.dumps(result, indent=2) + "\n")
    lat, tp = result["latency_ms"], result["throughput"]
    print("| path | p50 ms | p99 ms |\n|---|---|---|")
    for name in ("bare", "model", "fallback", "router", "stack", "stack_added"):
        print(f"| {name} | {lat[name]['p50']} | {lat[name]['p99']} |")
    print(f"\nstack / bare p50: {lat['stack_vs_bare_p50']}x")
    print(
        f"throughput at concurrency {tp['concurrency']}: bare {tp['bare_rps']}/s, "
        f"stack {tp['stack_rps']}/s, ratio {tp['ratio']}"
    )


if __name__ == "__main__":
    main()
