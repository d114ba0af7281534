"""Harness and tripwire numbers: GSM8K replay/calibration, tripwire on real answers, harness speed.

Run from the repo root with the venv active:

    python benchmarks/harness_and_tripwire.py [--data-dir ../shared/data]

1. Replay RouteLLM's GSM8K answers (held-out odd rows; weak Mixtral-8x7B, strong GPT-4) under
   the package's LearnedScorer and calibrate thresholds: cheapest policy within X points of
   all-strong, and a 80/20 target mix. Calibrated and evaluated on the same rows: in-sample.
2. Feed the real weak answers through QualityTripwire, with the local server answering as the
   reference with the real strong answers: the measured agreement, Wilson interval, when the
   alarm fires, and how many samples a 1% tripwire would need.
3. Run the shipped 60-item golden set against two models on the local server: harness overhead.

Writes ``benchmarks/results/harness_and_tripwire.json`` and prints Markdown.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from langchain_core.messages import AIMessage, HumanMessage

from langchain_globalapi import ChatGlobalAPI, QualityTripwire
from langchain_globalapi.bench import GoldenSet, run_benchmark
from langchain_globalapi.bench.replay import calibrate, gsm8k_replay
from langchain_globalapi.testing import FakeOpenAIServer


def replay_section(data_dir: Path) -> dict:
    gsm8k = gsm8k_replay(data_dir)
    replay = gsm8k.replay
    out = {"n": len(replay), "all_weak": replay.evaluate([2.0]).as_dict(),
           "all_strong": replay.evaluate([-1.0]).as_dict(), "within": {}}  # fmt: skip
    for points in (0, 1, 2, 5, 10):
        out["within"][points] = calibrate(replay, within_points=points).outcome.as_dict()
    out["mix_80_20"] = calibrate(replay, target_mix={"weak": 0.8, "strong": 0.2}).outcome.as_dict()
    out["answer_agreement"] = gsm8k.answer_agreement()
    return out


def tripwire_section(data_dir: Path) -> dict:
    gsm8k = gsm8k_replay(data_dir)
    prompts = [f"q{i}" for i in range(len(gsm8k.weak_answers))]
    strong = dict(zip(prompts, gsm8k.strong_answers, strict=True))
    alarms = []
    with FakeOpenAIServer() as server:
        server.set_reply("gpt-4o", lambda req: strong[req["messages"][-1]["content"]])
        reference = ChatGlobalAPI(model="gpt-4o", api_key="k", base_url=server.base_url)
        tripwire = QualityTripwire(reference, sample_rate=1.0, threshold=0.85, min_samples=50,
                                   window=10_000, queue_size=10_000, default_task="reasoning",
                                   alert=alarms.append)  # fmt: skip
        start = time.perf_counter()
        for prompt, weak in zip(prompts, gsm8k.weak_answers, strict=True):
            tripwire.observe([HumanMessage(prompt)], AIMessage(weak), run_id=prompt)
        tripwire.drain(timeout_s=300)
        elapsed = time.perf_counter() - start
    stats = tripwire.stats()
    return {"samples": stats.samples, "agreement": stats.agreement,
            "agreement_low": stats.agreement_low, "agreement_high": stats.agreement_high,
            "first_alarm_at_sample": alarms[0].samples if alarms else None,
            "shadow_calls_per_s": stats.samples / elapsed}  # fmt: skip


def harness_section() -> dict:
    golden = GoldenSet.default()
    with FakeOpenAIServer() as server:
        models = {name: ChatGlobalAPI(model=name, api_key="k", base_url=server.base_url)
                  for name in ("GA-Economy", "deepseek-ai/DeepSeek-V4-Flash")}  # fmt: skip
        start = time.perf_counter()
        results = run_benchmark(golden, models, concurrency=8, progress=False)
        elapsed = time.perf_counter() - start
    return {"items": len(golden), "models": 2, "records": len(results.records),
            "seconds": elapsed, "records_per_s": len(results.records) / elapsed}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    args = parser.parse_args()
    result = {"replay": replay_section(args.data_dir), "tripwire": tripwire_section(args.data_dir),
              "harness": harness_section()}  # fmt: skip
    out = Path("benchmarks/results/harness_and_tripwire.json")
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    r = result["replay"]
    print(f"GSM8K held-out n={r['n']}; weak/strong final-answer agreement "
          f"{r['answer_agreement']:.1%}")  # fmt: skip
    print("| policy | strong share | accuracy | gap (points) | cost saved |")
    print("|---|---|---|---|---|")
    rows = [("all weak", r["all_weak"]), ("all strong", r["all_strong"])]
    rows += [(f"cheapest within {p} pts", o) for p, o in r["within"].items()]
    rows += [("80/20 target mix", r["mix_80_20"])]
    for name, o in rows:
        print(f"| {name} | {o['mix']['strong']:.1%} | {o['quality']:.1%} | {o['gap_points']:.1f} "
              f"| {o['savings']:.1%} |")  # fmt: skip
    print(json.dumps(result["tripwire"], indent=2))
    print(json.dumps(result["harness"], indent=2))


if __name__ == "__main__":
    main()
