"""Routing quality of each scorer on data it never saw (RouteLLM metrics, bootstrap 95% CIs).

Run from the repo root with the venv active:

    python benchmarks/routing_quality.py [--data-dir ../shared/data] [--resamples 1000]

Sets: (a) the held-out MMLU subjects (``HELD_OUT_MMLU_SUBJECTS``), with and without the subjects
``suspect_subjects`` flags, (b) GSM8K odd rows, (c) MT-Bench first turns with GPT-4-judge scores
(never trained on; realistic chat prompts; n = 72). Intervals resample prompts; on MMLU a second
APGR interval resamples whole subjects. Prints Markdown tables and writes
``benchmarks/results/routing_quality.json``. Costs per call are RouteLLM's GPT-4 / Mixtral prices
(24.7 and 0.24, equal tokens per call assumed).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from langchain_globalapi.bench.datasets import (
    DEFAULT_DATA_DIR,
    HELD_OUT_MMLU_SUBJECTS,
    as_arrays,
    is_held_out,
    load_gsm8k,
    load_mmlu,
    load_mt_bench,
    suspect_subjects,
)
from langchain_globalapi.bench.evaluation import (
    apgr_difference,
    evaluate_routers,
    length_scores,
    oracle_scores,
    random_scores,
)
from langchain_globalapi.routing import HeuristicScorer, LearnedScorer

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "benchmarks" / "results" / "routing_quality.json"
COLUMNS = [
    ("apgr", "APGR", 1.0, ""),
    ("cpt50", "CPT(50%)", 100.0, "%"),
    ("cpt80", "CPT(80%)", 100.0, "%"),
    ("strong_share_at_95", "strong share @95%", 100.0, "%"),
    ("cost_cut_at_95", "cost cut @95%", 100.0, "%"),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if not (args.data_dir / "routellm").is_dir():
        print(f"SKIPPED: no RouteLLM data under {args.data_dir} (see shared/data/README.md)")
        return 0
    flagged = suspect_subjects(load_mmlu(args.data_dir))
    mmlu = [r for r in load_mmlu(args.data_dir, HELD_OUT_MMLU_SUBJECTS) if is_held_out(r)]
    unflagged = [r for r in mmlu if r.group not in flagged]
    sets = {
        f"MMLU, {len(HELD_OUT_MMLU_SUBJECTS)} held-out subjects": mmlu,
        f"MMLU, {len({r.group for r in unflagged})} held-out subjects without flagged ones": (
            unflagged
        ),
        "GSM8K, held-out (odd) rows": [r for r in load_gsm8k(args.data_dir) if is_held_out(r)],
        "MT-Bench first turns, GPT-4 judge (out of domain)": load_mt_bench(args.data_dir),
    }
    heuristic, learned = HeuristicScorer(), LearnedScorer.load_default()
    report: dict[str, object] = {
        "held_out_mmlu_subjects": list(HELD_OUT_MMLU_SUBJECTS),
        "flagged_subjects": flagged,
        "resamples": args.resamples,
        "seed": args.seed,
        "sets": {},
    }
    for name, rows in sets.items():
        prompts, weak, strong = as_arrays(rows)
        routers = {
            "random": random_scores(len(prompts), seed=args.seed),
            "length": length_scores(prompts),
            "heuristic": heuristic.score_batch(prompts),
            "learned": learned.score_batch(prompts),
            "oracle": oracle_scores(weak, strong),
        }
        results = evaluate_routers(
            routers, weak, strong, n_resamples=args.resamples, seed=args.seed
        )
        by_subject = (
            evaluate_routers(
                routers, weak, strong, n_resamples=args.resamples, seed=args.seed,
                groups=[r.group for r in rows],
            )
            if rows[0].group.startswith("mmlu/")
            else {}
        )  # fmt: skip
        print(
            f"\n### {name} (n = {len(rows)}; weak {weak.mean():.1%}, strong {strong.mean():.1%})\n"
        )
        print("| router | " + " | ".join(title for _, title, _, _ in COLUMNS) + " |")
        print("|---" * (len(COLUMNS) + 1) + "|")
        for router, metrics in results.items():
            cells = [
                metrics[key].format(2 if scale == 1.0 else 1, scale) + suffix
                if metrics[key].value == metrics[key].value
                else "n/a"
                for key, _, scale, suffix in COLUMNS
            ]
            print(f"| {router} | " + " | ".join(cells) + " |")
        groups = [r.group for r in rows] if by_subject else None
        paired = {
            router: apgr_difference(
                routers[router], routers["length"], weak, strong,
                n_resamples=args.resamples, seed=args.seed, groups=groups,
            )
            for router in ("heuristic", "learned")
        }  # fmt: skip
        if by_subject:
            apgrs = ", ".join(f"{k} {v['apgr'].format(2)}" for k, v in by_subject.items())
            print(f"\nAPGR, subjects resampled: {apgrs}")
        unit = "subjects" if by_subject else "prompts"
        diffs = ", ".join(f"{k} {v.format(3)}" for k, v in paired.items())
        print(f"\nAPGR minus length's, paired ({unit} resampled): {diffs}")
        report["sets"][name] = {  # type: ignore[index]
            "n": len(rows),
            "quality_weak": float(weak.mean()),
            "quality_strong": float(strong.mean()),
            "routers": {
                router: {k: [iv.value, iv.low, iv.high] for k, iv in metrics.items()}
                for router, metrics in results.items()
            },
            "apgr_minus_length_paired": {
                router: [iv.value, iv.low, iv.high] for router, iv in paired.items()
            },
            "apgr_subjects_resampled": {
                router: [m["apgr"].value, m["apgr"].low, m["apgr"].high]
                for router, m in by_subject.items()
            },
        }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"\nwrote {OUT.relative_to(REPO)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
