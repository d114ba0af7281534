"""Benchmark a golden set on two tiers, then calibrate the router's cut from the results.

    python cookbook/bench_calibrate/bench_calibrate.py

`run_benchmark` (what `globalapi bench` runs) sends every item of a JSONL golden set to each
model, scores the answers, and records cost and latency in a resumable results file.
`calibrate` (what `globalapi calibrate --results` runs) replays those records under every cut
point of the router's own scorer and keeps the cheapest cut within N quality points of the
strongest tier. Offline, GA-Economy gets the labels and the two easiest sums right and the
other sums wrong; V4 Pro gets everything right.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from langchain_globalapi import ChatGlobalAPI, GoldenSet, TieredRouterRunnable, run_benchmark
from langchain_globalapi.bench.replay import Replay, calibrate, load_router_config
from langchain_globalapi.routing import LearnedScorer
from langchain_globalapi.testing import FakeOpenAIServer

GOLDEN = Path(__file__).with_name("golden.jsonl")  # 10 items, beside this script
ECONOMY, PRO = "GA-Economy", "deepseek-ai/DeepSeek-V4-Pro"


def script_answers(server: FakeOpenAIServer, golden: GoldenSet) -> None:
    """Offline stand-ins: Pro always right; Economy right on labels and rsn-4/rsn-5 only."""
    expected = {item.question: item for item in golden}

    def answer(request: dict, *, strong: bool) -> str:
        item = expected[request["messages"][-1]["content"]]
        right = strong or item.task == "classification" or item.id in {"rsn-4", "rsn-5"}
        return f"The answer. #### {item.expected}" if right else "The answer. #### 0"

    server.set_reply(ECONOMY, lambda request: answer(request, strong=False))
    server.set_reply(PRO, lambda request: answer(request, strong=True))


def main(server: FakeOpenAIServer | None, folder: Path) -> None:
    """Benchmark, report, calibrate in Python and on the command line, route with the result."""
    golden = GoldenSet.load(GOLDEN)
    if server is not None:
        script_answers(server, golden)
    models = {
        "economy": ChatGlobalAPI(model=ECONOMY, temperature=0),
        "pro": ChatGlobalAPI(model=PRO, temperature=0),
    }
    results = run_benchmark(
        golden, models, results_path=folder / "results.jsonl", concurrency=4, progress=False
    )
    for row in results.report().rows():
        print(f"{row.model:8} {row.n} items, quality {row.quality.format(2)}, ${row.usd_total}")

    # Replay the records under the learned scorer's scores; keep the cheapest cut within 0 points.
    scorer = LearnedScorer.load_default()
    scores = {item.id: scorer.score(list(item.messages)) for item in golden}
    replay = Replay.from_records(
        results.records, tiers={"economy": "economy", "pro": "pro"}, scores=scores
    )
    best = calibrate(replay, within_points=0)
    print(
        f"calibrated: thresholds {[round(t, 3) for t in best.thresholds]}, "
        f"mix {best.outcome.mix}, saves {best.outcome.savings:.0%} against all-pro"
    )
    best.write(folder / "router.toml")

    # The same on the command line, from the same results file.
    command = [
        sys.executable,
        "-m",
        "langchain_globalapi.cli",
        "calibrate",
        str(GOLDEN),
        "--results",
        str(folder / "results.jsonl"),
        "--within-points",
        "0",
        "--tier",
        "economy=economy",
        "--tier",
        "pro=pro",
    ]
    print("$ globalapi calibrate golden.jsonl --results results.jsonl --within-points 0 ...")
    print(subprocess.run(command, capture_output=True, text=True, check=True).stdout.rstrip())

    # Load the cut into a router.
    router = TieredRouterRunnable(
        tiers=models, thresholds=load_router_config(folder / "router.toml")["thresholds"]
    )
    for tier in models:
        routed = [item.id for item in golden if router.explain(list(item.messages)).tier == tier]
        print(f"routed to {tier}: {', '.join(routed)}")


if __name__ == "__main__":
    with FakeOpenAIServer() as server, tempfile.TemporaryDirectory() as folder:
        if not os.environ.get("GLOBAL_API_KEY"):  # no key: a local stand-in for the gateway
            os.environ.update(GLOBAL_API_BASE=server.base_url, GLOBAL_API_KEY="offline")
        main(server if os.environ["GLOBAL_API_KEY"] == "offline" else None, Path(folder))
