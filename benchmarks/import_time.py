"""Whole-process start-up: `globalapi --help` and `import langchain_globalapi` vs langchain_openai.

Run from the repo root with the venv active:

    python benchmarks/import_time.py [--rounds 40] [--warmup 3]

Each round starts one fresh interpreter per case, in a shuffled order (so machine drift
hits every case alike), and times the whole process from spawn to exit. The ratio to
`import langchain_openai` is taken within each round (paired), and the medians over rounds
are reported. `globalapi --help` is run as the console script runs it (`from
langchain_globalapi.cli import main; main()`). The package is imported from this checkout,
or from `--checkout DIR` (to measure another branch). Prints Markdown and writes
`benchmarks/results/import_time.json` (or `--out FILE`).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "results" / "import_time.json"
BASELINE = "import langchain_openai"
CASES: dict[str, str] = {
    BASELINE: "import langchain_openai",
    "import langchain_globalapi": "import langchain_globalapi",
    "globalapi --help": (
        "import sys; sys.argv = ['globalapi', '--help']\n"
        "from langchain_globalapi.cli import main\n"
        "main()"
    ),
    "globalapi estimate --json": (
        "import sys; sys.argv = ['globalapi', 'estimate', '--json']\n"
        "from langchain_globalapi.cli import main\n"
        "main()"
    ),
    "from langchain_globalapi import ChatGlobalAPI": (
        "from langchain_globalapi import ChatGlobalAPI"
    ),
    "from langchain_globalapi import TieredRouterRunnable": (
        "from langchain_globalapi import TieredRouterRunnable"
    ),
    "python -c pass": "pass",
}


def _time(code: str, env: dict[str, str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(  # `-c` puts the working directory first on sys.path: run in the checkout
        [sys.executable, "-c", code], env=env, check=True, cwd=cwd,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--checkout", type=Path, default=ROOT, help="Import the package from here.")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    path = os.pathsep.join([str(args.checkout), os.environ.get("PYTHONPATH", "")])
    env = {**os.environ, "PYTHONPATH": path}
    rng = random.Random(args.seed)
    times: dict[str, list[float]] = {name: [] for name in CASES}
    for round_ in range(args.warmup + args.rounds):
        order = list(CASES)
        rng.shuffle(order)
        measured = {name: _time(CASES[name], env, args.checkout) for name in order}
        if round_ >= args.warmup:
            for name, seconds in measured.items():
                times[name].append(seconds)
    base = times[BASELINE]
    rows = []
    for name, samples in times.items():
        ratios = [t / b for t, b in zip(samples, base, strict=True)]
        rows.append({
            "case": name,
            "median_ms": round(statistics.median(samples) * 1000, 1),
            "p90_ms": round(statistics.quantiles(samples, n=10)[-1] * 1000, 1),
            "paired_ratio_median": round(statistics.median(ratios), 3),
            "paired_ratio_p90": round(statistics.quantiles(ratios, n=10)[-1], 3),
        })  # fmt: skip
    result = {
        "rounds": args.rounds,
        "warmup": args.warmup,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "checkout": str(args.checkout),
        "rows": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"{args.rounds} rounds (after {args.warmup} warm-up), shuffled per round; "
          f"ratio = case / `{BASELINE}` in the same round, median over rounds\n")  # fmt: skip
    print("| case | median ms | p90 ms | paired ratio (median) | p90 ratio |")
    print("|---|---:|---:|---:|---:|")
    for row in rows:
        print(f"| `{row['case']}` | {row['median_ms']} | {row['p90_ms']} | "
              f"{row['paired_ratio_median']} | {row['paired_ratio_p90']} |")  # fmt: skip


if __name__ == "__main__":
    main()
