"""Routing after a few outcomes per task: APGR with task tags, without (nearest prompts), prior.

Run from the repo root with the venv active (about 2 minutes on 2 busy cores):

    python benchmarks/routing_outcomes.py [--data-dir ../shared/data] [--seeds 10]

Protocol: the 29 MMLU subjects in ``shared/data`` (decontaminated, verbatim duplicates across
subjects dropped). For N = 10, 25, 50 and each seed, N questions per subject are drawn as
outcomes (``cheap_ok`` = Mixtral right, ``strong_ok`` = GPT-4 right) and learned by a fresh
``OutcomeMemory`` with its default settings; every other question is scored. Routers on the same
scored rows: the prior alone, with task tags (the subject), without tags (nearest labelled
prompts), prompt length, random, and a task oracle (each subject's true rescue rate over all its
questions, prior as tie-break: the most that task tags could give).

The prior is the default ``LearnedScorer`` on the 9 held-out subjects; the 20 subjects it was
trained on get the same recipe refitted without their own subject fold (the folds and blend of
``scripts/train_scorer.py``), so no prior score has seen its own question's label.

APGR is reported as the mean over seeds with a 95% interval pooled over seeds and prompt
resamples, and the worst seed. Subsets of the same runs: the 9 subjects the prior never saw in
training, and the subjects ``suspect_subjects`` does not flag. Writes
``benchmarks/results/routing_outcomes.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import numpy.typing as npt

from langchain_globalapi.bench.datasets import (
    DEFAULT_DATA_DIR,
    HELD_OUT_MMLU_SUBJECTS,
    LabelledPrompt,
    cv_folds,
    is_held_out,
    load_gsm8k,
    load_mmlu,
    suspect_subjects,
)
from langchain_globalapi.bench.evaluation import length_scores, random_scores, routing_metrics
from langchain_globalapi.routing import LearnedScorer, OutcomeMemory, RoutingOutcome

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))
import train_scorer  # noqa: E402 - the training recipe, to refit fold priors

OUT = REPO / "benchmarks" / "results" / "routing_outcomes.json"
LABELS_PER_SUBJECT = (10, 25, 50)
ROUTERS = ("prior", "tags", "nearest", "length", "random", "task_oracle")
RESAMPLES_PER_SEED = 100

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


def unique_rows(rows: list[LabelledPrompt]) -> list[LabelledPrompt]:
    """Drop verbatim repeats of a prompt (some appear in two subjects)."""
    seen: set[str] = set()
    kept = []
    for row in rows:
        if row.prompt not in seen:
            seen.add(row.prompt)
            kept.append(row)
    return kept


def out_of_fold_prior(data_dir: Path, rows: list[LabelledPrompt]) -> FloatArray:
    """The default prior's score of each row, from a model that never saw the row's subject."""
    shipped = LearnedScorer.load_default()
    blend = shipped.metadata["blend"]
    recipe = train_scorer.BLEND
    scale = train_scorer.Scale(
        {recipe.floor: blend["learned_mean"]},
        {recipe.floor: blend["learned_std"]},
        blend["cues_mean"],
        blend["cues_std"],
    )
    every = load_mmlu(data_dir) + load_gsm8k(data_dir)
    flagged = suspect_subjects(every)
    train = [r for r in every if not is_held_out(r)]
    folds = cv_folds(train, 5)
    fold_of = {r.group: f for r, f in zip(train, folds, strict=True) if r.group.startswith("mmlu/")}
    prior = np.asarray(shipped.score_batch([r.prompt for r in rows]))
    for fold in range(5):
        inside = [i for i, r in enumerate(rows) if fold_of.get(r.group) == fold]
        fit_rows = [r for r, f in zip(train, folds, strict=True) if f != fold]
        fit_rows = [r for r in fit_rows if r.group not in flagged]
        model = train_scorer.build(
            train_scorer.fit(fit_rows), recipe, scale, blend["length_floor_chars"], fit_rows
        )
        prior[inside] = model.score_batch([rows[i].prompt for i in inside])
        print(f"  fold {fold}: prior refitted without {len(inside)} questions", file=sys.stderr)
    return prior


def draw(groups: npt.NDArray[np.str_], n: int, rng: np.random.Generator) -> npt.NDArray[np.bool_]:
    """A mask of ``n`` rows per group (all of a smaller group's rows but one)."""
    labelled = np.zeros(len(groups), dtype=bool)
    for group in np.unique(groups):
        members = np.flatnonzero(groups == group)
        take = min(n, len(members) - 1)
        labelled[rng.choice(members, take, replace=False)] = True
    return labelled


def task_oracle(rows: list[LabelledPrompt], prior: FloatArray) -> FloatArray:
    """Each row's subject's true share of strong-only wins (cheats); the prior breaks ties."""
    groups = np.asarray([r.group for r in rows])
    wins = np.asarray([float(r.strong > r.weak) for r in rows])
    rate = {g: wins[groups == g].mean() for g in np.unique(groups)}
    return np.asarray([rate[g] for g in groups]) + 1e-3 * prior


def run(
    rows: list[LabelledPrompt], prior: FloatArray, labelled: npt.NDArray[np.bool_], seed: int
) -> tuple[dict[str, FloatArray], dict[str, float]]:
    """Scores of every router on the unlabelled rows, and timings."""
    outcomes = [
        RoutingOutcome(r.prompt, bool(r.weak), bool(r.strong), task=r.group)
        for r, is_labelled in zip(rows, labelled, strict=True)
        if is_labelled
    ]
    untagged = [RoutingOutcome(o.input, o.cheap_ok, o.strong_ok) for o in outcomes]
    tags, nearest = OutcomeMemory(), OutcomeMemory()
    started = time.perf_counter()
    tags.add(outcomes)
    learn_s = time.perf_counter() - started
    nearest.add(untagged)
    scored = np.flatnonzero(~labelled)
    started = time.perf_counter_ns()
    tag_scores = [tags.adjust(prior[i], rows[i].prompt, rows[i].group)[0] for i in scored]
    tag_ns = (time.perf_counter_ns() - started) / len(scored)
    started = time.perf_counter_ns()
    near_scores = [nearest.adjust(prior[i], rows[i].prompt)[0] for i in scored]
    near_ns = (time.perf_counter_ns() - started) / len(scored)
    scores = {
        "prior": prior[scored],
        "tags": np.asarray(tag_scores),
        "nearest": np.asarray(near_scores),
        "length": length_scores([rows[i].prompt for i in scored]),
        "random": random_scores(len(scored), seed=seed),
        "task_oracle": task_oracle(rows, prior)[scored],
    }
    timings = {
        "learn_ms": learn_s * 1000,
        "outcomes": len(outcomes),
        "adjust_us_tags": tag_ns / 1000,
        "adjust_us_nearest": near_ns / 1000,
    }
    return scores, timings


def apgrs(
    scores: dict[str, FloatArray], weak: FloatArray, strong: FloatArray, rng: np.random.Generator
) -> tuple[dict[str, float], dict[str, list[float]]]:
    """APGR per router, and the same on paired prompt resamples."""
    point = {k: routing_metrics(v, weak, strong).apgr for k, v in scores.items()}
    draws: dict[str, list[float]] = {k: [] for k in scores}
    for _ in range(RESAMPLES_PER_SEED):
        idx = rng.integers(0, len(weak), len(weak))
        for k, v in scores.items():
            draws[k].append(routing_metrics(v[idx], weak[idx], strong[idx]).apgr)
    return point, draws


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--seeds", type=int, default=10)
    args = parser.parse_args()
    if not (args.data_dir / "routellm").is_dir():
        print(f"SKIPPED: no RouteLLM data under {args.data_dir} (see shared/data/README.md)")
        return 0
    rows = unique_rows(load_mmlu(args.data_dir))
    flagged = suspect_subjects(rows)
    groups = np.asarray([r.group for r in rows])
    weak = np.asarray([r.weak for r in rows])
    strong = np.asarray([r.strong for r in rows])
    prior = out_of_fold_prior(args.data_dir, rows)
    subsets = {
        "all 29 subjects": np.ones(len(rows), dtype=bool),
        "9 subjects the prior never saw": np.isin(
            groups, [f"mmlu/{s}" for s in HELD_OUT_MMLU_SUBJECTS]
        ),
        f"{29 - len(flagged)} unflagged subjects": ~np.isin(groups, list(flagged)),
    }
    print(f"{len(rows)} questions, {len(set(groups))} subjects; flagged: {sorted(flagged)}")
    report: dict[str, object] = {"questions": len(rows), "flagged": flagged, "seeds": args.seeds}
    results: dict[str, dict[str, object]] = {}
    for n in LABELS_PER_SUBJECT:
        per_subset: dict[str, dict[str, list[float]]] = {
            s: {k: [] for k in ROUTERS} for s in subsets
        }
        pooled: dict[str, dict[str, list[float]]] = {s: {k: [] for k in ROUTERS} for s in subsets}
        timings = []
        for seed in range(args.seeds):
            rng = np.random.default_rng(1000 * n + seed)
            labelled = draw(groups, n, rng)
            scores, timing = run(rows, prior, labelled, seed)
            timings.append(timing)
            scored = np.flatnonzero(~labelled)
            for name, mask in subsets.items():
                keep = mask[scored]
                point, draws = apgrs(
                    {k: v[keep] for k, v in scores.items()},
                    weak[scored][keep],
                    strong[scored][keep],
                    rng,
                )
                for k in ROUTERS:
                    per_subset[name][k].append(point[k])
                    pooled[name][k] += draws[k]
        results[str(n)] = {
            name: {
                k: {
                    "mean": float(np.mean(per_subset[name][k])),
                    "interval": [float(np.quantile(pooled[name][k], q)) for q in (0.025, 0.975)],
                    "worst_seed": float(np.min(per_subset[name][k])),
                    "per_seed": per_subset[name][k],
                }
                for k in ROUTERS
            }
            for name in subsets
        }
        mean_timing = {k: float(np.mean([t[k] for t in timings])) for k in timings[0]}
        results[str(n)]["timing"] = mean_timing  # type: ignore[assignment]
        print(f"\n### N = {n} outcomes per subject ({mean_timing['outcomes']:.0f} in all)\n")
        print("| scored rows | " + " | ".join(ROUTERS) + " |")
        print("|---" * (len(ROUTERS) + 1) + "|")
        for name in subsets:
            cells = []
            for k in ROUTERS:
                r = results[str(n)][name][k]  # type: ignore[index]
                lo, hi = r["interval"]
                cells.append(f"{r['mean']:.3f} [{lo:.3f}, {hi:.3f}] (worst {r['worst_seed']:.3f})")
            print(f"| {name} | " + " | ".join(cells) + " |")
        print(
            f"\nlearn {mean_timing['outcomes']:.0f} outcomes: {mean_timing['learn_ms']:.0f} ms; "
            f"adjust per prompt: tags {mean_timing['adjust_us_tags']:.0f} us, "
            f"nearest {mean_timing['adjust_us_nearest']:.0f} us"
        )
    report["results"] = results
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"\nwrote {OUT.relative_to(REPO)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
