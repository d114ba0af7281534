"""How the cache audit's act rule behaves: false actions on healthy caches, time to act on bad ones.

Run from the repo root with the venv active:

    python benchmarks/cache_audit_rule.py [--trials 20000] [--seed 7]

The rule is the package's own (`QualityTripwire(...).cache_audit.fires`): act when at least
`cache_min_samples` audited hits are in the evidence and the Wilson 95% lower bound of the
false-hit rate exceeds `cache_max_false_hit_rate`, checked after every sample, as the worker
does. For each true false-hit rate, `--trials` simulated scopes each audit 500 hits (the
default window, so nothing leaves it) and the script reports how often the rule acted and
after how many audited hits (median). The alternative the issue mentions, "act when the upper
bound exceeds the target after the minimum", is run on the same draws for comparison. With the
default `cache_sample_rate` of 10%, multiply audited hits by 10 for semantic hits served.

Writes ``benchmarks/results/cache_audit_rule.json`` and prints Markdown.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from langchain_core.language_models import GenericFakeChatModel

from langchain_globalapi import QualityTripwire
from langchain_globalapi.bench.stats import wilson_interval

HORIZON = 500
RATES = (0.0, 0.01, 0.025, 0.05, 0.075, 0.10, 0.15, 0.20, 0.30)


def tables(target: float, min_samples: int) -> tuple[np.ndarray, np.ndarray]:
    """fires[n, k] for the package's rule and for the upper-bound alternative."""
    audit = QualityTripwire(GenericFakeChatModel(messages=iter([]))).cache_audit
    lower = np.zeros((HORIZON + 1, HORIZON + 1), dtype=bool)
    upper = np.zeros_like(lower)
    for n in range(1, HORIZON + 1):
        for k in range(n + 1):
            lower[n, k] = audit.fires(samples=n, false_hits=k)
            upper[n, k] = n >= min_samples and wilson_interval(k, n).high > target
    return lower, upper


def first_action(fires: np.ndarray, draws: np.ndarray) -> np.ndarray:
    """Per trial, the audited hit at which the rule first acts (0: never within HORIZON)."""
    k = np.cumsum(draws, axis=1)
    n = np.arange(1, HORIZON + 1)
    acted = fires[n[None, :], k]
    first = np.argmax(acted, axis=1) + 1
    return np.where(acted.any(axis=1), first, 0)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    tripwire = QualityTripwire(GenericFakeChatModel(messages=iter([])))
    target, min_samples = tripwire.cache_audit.target, tripwire.cache_audit.min_samples
    lower, upper = tables(target, min_samples)
    rng = np.random.default_rng(args.seed)
    rows = []
    for rate in RATES:
        draws = rng.random((args.trials, HORIZON)) < rate
        row = {"rate": rate}
        for name, fires in (("lower", lower), ("upper", upper)):
            first = first_action(fires, draws)
            acted = first[first > 0]
            row[f"{name}_acted"] = float(len(acted) / args.trials)
            row[f"{name}_median"] = float(np.median(acted)) if len(acted) else None
        rows.append(row)
    out = {"target": target, "min_samples": min_samples, "horizon": HORIZON,
           "trials": args.trials, "seed": args.seed, "rows": rows}  # fmt: skip
    results = Path(__file__).parent / "results"
    results.mkdir(exist_ok=True)
    (results / "cache_audit_rule.json").write_text(json.dumps(out, indent=2) + "\n")
    print(f"target {target:.0%}, min_samples {min_samples}: {args.trials} scopes x {HORIZON}")
    print()
    print("| true false-hit rate | lower bound > target: acted | median audits to act |"
          " upper bound > target: acted | median audits to act |")  # fmt: skip
    print("|---|---|---|---|---|")
    for row in rows:
        cells = []
        for name in ("lower", "upper"):
            median = row[f"{name}_median"]
            cells += [f"{row[f'{name}_acted']:.2%}", "-" if median is None else f"{median:.0f}"]
        print(f"| {row['rate']:.1%} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
