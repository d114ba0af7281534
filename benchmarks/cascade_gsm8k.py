"""Cascade checks on GSM8K's held-out rows: check the weak answer, escalate the riskiest.

Run from the repo root with the venv active:

    python benchmarks/cascade_gsm8k.py [--data-dir ../shared/data] [--resamples 1000] [--grid]

Data: RouteLLM's recorded GSM8K answers (Mixtral-8x7B weak, GPT-4-1106 strong, with
correctness), decontaminated. Everything tuned is tuned on the EVEN rows only: the threshold
for 95% of strong quality (``calibrate_check_threshold``) and the weights of a logistic
combination shown for comparison; ``--grid`` reruns the sensitivity grid of the per-check risk
values on even rows. Reported on the ODD rows: APGR, CPT, the strong share and cost cut at 95%
of strong quality (the weak call counted on every prompt for a cascade), failure-detection
AUROC, all with paired bootstrap 95% intervals, beside random, length, the shipped
prompt-only scorers and the oracle. MT-Bench first turns (GPT-4 judge) are reported as an
out-of-domain check; they were read while developing the checks (false positives), so they
are not held out. MMLU: the shared data holds no responses, so the multiple-choice check is not
measured here. Writes ``benchmarks/results/cascade_gsm8k.json``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import re
import sys
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.messages import AIMessage

from langchain_globalapi._tokens import estimate_tokens
from langchain_globalapi.bench.datasets import (
    DEFAULT_DATA_DIR,
    STRONG_MODEL,
    WEAK_MODEL,
    AnsweredPrompt,
    is_held_out,
    load_gsm8k_answers,
    load_mt_bench_answers,
)
from langchain_globalapi.bench.evaluation import (
    DEFAULT_STRONG_COST,
    DEFAULT_WEAK_COST,
    auroc,
    evaluate_routers,
    length_scores,
    oracle_scores,
    random_scores,
    routing_metrics,
)
from langchain_globalapi.catalog import DEFAULT_TIERS, REFERENCE_MODEL, Catalog
from langchain_globalapi.routing import HeuristicScorer, LearnedScorer
from langchain_globalapi.routing.checks import (
    ArithmeticCheck,
    CheckReport,
    CheckResult,
    CheckSet,
    CodeCheck,
    EmptyAnswerCheck,
    FinalAnswerCheck,
    MultipleChoiceCheck,
    QuantitiesCheck,
    RefusalCheck,
    TruncationCheck,
    calibrate_check_threshold,
    default_checks,
    final_answer,
)

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "benchmarks" / "results" / "cascade_gsm8k.json"
CASCADES = (
    "cascade (default checks)",
    "cascade, max of checks",
    "cascade, logistic (even-fit)",
    "cascade + task check: whole-number answer",
)
COLUMNS = [
    ("apgr", "APGR", 1.0, ""),
    ("cpt50", "CPT(50%)", 100.0, "%"),
    ("cpt80", "CPT(80%)", 100.0, "%"),
    ("strong_share_at_95", "strong share @95%", 100.0, "%"),
    ("cost_cut_at_95", "cost cut @95%", 100.0, "%"),
]


def whole_number_answer(model_input: object, answer: AIMessage) -> CheckResult:
    """A task-specific user check: GSM8K's answers are whole numbers by construction.

    Not a default check (most tasks accept fractions); shown as what one user callable adds.
    """
    final, explicit = final_answer(str(answer.content)[-2000:])
    numbers = re.findall(r"-?\d[\d,]*(?:\.\d+)?", final or "")
    if not numbers:
        return CheckResult.skipped("whole_number", "no final number")
    value = float(numbers[0 if explicit else -1].replace(",", ""))
    if value.is_integer():
        return CheckResult("whole_number", 0.0)
    return CheckResult("whole_number", 0.6, f"final answer {value:g} is not a whole number")


def check_reports(rows: list[AnsweredPrompt], checks: CheckSet) -> list[CheckReport]:
    return [checks(r.prompt, AIMessage(content=r.weak_answer)) for r in rows]


def risk_matrix(reports: list[CheckReport], names: tuple[str, ...]) -> np.ndarray:
    return np.asarray(
        [[{x.name: x.risk for x in rep.results}.get(n, 0.0) for n in names] for rep in reports]
    )


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1.0) -> np.ndarray:
    """Newton's method for an L2-regularised logistic regression (bias first)."""
    design = np.hstack([np.ones((len(x), 1)), x])
    weights = np.zeros(design.shape[1])
    penalty = l2 * np.eye(design.shape[1])
    penalty[0, 0] = 0.0
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-design @ weights))
        gradient = design.T @ (p - y) + penalty @ weights
        hessian = design.T @ (design * (p * (1 - p))[:, None]) + penalty
        step = np.linalg.solve(hessian, gradient)
        weights -= step
        if np.abs(step).max() < 1e-8:
            break
    return weights


def bootstrap_auroc(
    scores: np.ndarray, failed: np.ndarray, resamples: int, seed: int
) -> list[float]:
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(resamples):
        idx = rng.integers(0, len(scores), len(scores))
        value = auroc(scores[idx], failed[idx])
        if value == value:
            values.append(value)
    return [
        auroc(scores, failed),
        float(np.quantile(values, 0.025)),
        float(np.quantile(values, 0.975)),
    ]


def per_call_costs(rows: list[AnsweredPrompt], cheap: str, strong: str) -> tuple[float, float]:
    """Mean USD per call of each model: estimated tokens in the data, catalog prices."""
    catalog = Catalog.default()
    prompt = float(np.mean([estimate_tokens(r.prompt) for r in rows]))
    weak_out = float(np.mean([estimate_tokens(r.weak_answer) for r in rows]))
    strong_out = float(np.mean([estimate_tokens(r.strong_answer) for r in rows]))
    cheap_cost = catalog.cost(cheap, input_tokens=round(prompt), output_tokens=round(weak_out))
    strong_cost = catalog.cost(strong, input_tokens=round(prompt), output_tokens=round(strong_out))
    if cheap_cost is None or strong_cost is None:
        msg = f"no catalog price for {cheap} or {strong}"
        raise SystemExit(msg)
    return float(cheap_cost), float(strong_cost)


def table(results: dict[str, dict[str, Any]]) -> None:
    print("| router | " + " | ".join(title for _, title, _, _ in COLUMNS) + " | failure AUROC |")
    print("|---" * (len(COLUMNS) + 2) + "|")
    for router, metrics in results.items():
        cells = [
            metrics[key].format(2 if scale == 1.0 else 1, scale) + suffix
            for key, _, scale, suffix in COLUMNS
        ]
        a = metrics.get("auroc")
        cells.append(f"{a[0]:.3f} [{a[1]:.3f}, {a[2]:.3f}]" if a else "-")
        print(f"| {router} | " + " | ".join(cells) + " |")


def evaluate_set(
    rows: list[AnsweredPrompt],
    cascade_scores: dict[str, np.ndarray],
    failed: np.ndarray,
    args: argparse.Namespace,
) -> dict[str, dict[str, Any]]:
    """Paired-bootstrap metrics of the cascades and the prompt-only baselines on ``rows``."""
    prompts = [r.prompt for r in rows]
    weak = np.asarray([r.weak for r in rows])
    strong = np.asarray([r.strong for r in rows])
    routers: dict[str, Any] = {
        "random": random_scores(len(rows), seed=args.seed),
        "length (prompt)": length_scores(prompts),
        "heuristic (prompt)": HeuristicScorer().score_batch(prompts),
        "learned (prompt)": LearnedScorer.load_default().score_batch(prompts),
        "oracle": oracle_scores(weak, strong),
    }
    results: dict[str, dict[str, Any]] = {}
    results.update(
        evaluate_routers(
            cascade_scores, weak, strong, n_resamples=args.resamples, seed=args.seed, cascade=True
        )
    )
    results.update(
        evaluate_routers(routers, weak, strong, n_resamples=args.resamples, seed=args.seed)
    )
    for name, values in {**cascade_scores, **routers}.items():
        results[name]["auroc"] = bootstrap_auroc(
            np.asarray(values, dtype=float), failed, args.resamples, args.seed
        )
    return results


def sensitivity_grid(even: list[AnsweredPrompt]) -> list[dict[str, float]]:
    weak = np.asarray([r.weak for r in even])
    strong = np.asarray([r.strong for r in even])
    rows = []
    for revision, unused, unexplained in itertools.product(
        (0.2, 0.3, 0.4), (0.05, 0.1, 0.15), (0.05, 0.1, 0.15)
    ):
        checks = CheckSet(
            [
                EmptyAnswerCheck(),
                TruncationCheck(),
                RefusalCheck(revision_risk=revision),
                ArithmeticCheck(),
                FinalAnswerCheck(),
                QuantitiesCheck(unused_risk=unused, unexplained_risk=unexplained),
                CodeCheck(),
                MultipleChoiceCheck(),
            ]
        )
        risk = np.asarray([rep.risk for rep in check_reports(even, checks)])
        m = routing_metrics(risk, weak, strong, cascade=True)
        rows.append(
            {
                "revision_risk": revision,
                "unused_risk": unused,
                "unexplained_risk": unexplained,
                "apgr": m.apgr,
                "cost_cut_at_95": m.cost_cut_at_95,
            }
        )
        print(f"  grid {revision} {unused} {unexplained}: APGR {m.apgr:.3f}", file=sys.stderr)
    return rows


def findings(
    reports: list[CheckReport], weak: np.ndarray, names: tuple[str, ...]
) -> dict[str, dict[str, float | None]]:
    """Per check: answers it found something in, and the share of those the weak model got wrong."""
    out: dict[str, dict[str, float | None]] = {}
    for name in names:
        hit = np.asarray([any(x.name == name and x.risk > 0 for x in r.results) for r in reports])
        wrong = float((weak[hit] == 0).mean()) if hit.any() else None
        out[name] = {"answers_flagged": int(hit.sum()), "weak_wrong_among_flagged": wrong}
    return out


def serialise(results: dict[str, dict[str, Any]]) -> dict[str, dict[str, list[float]]]:
    return {
        router: {
            key: (value if isinstance(value, list) else [value.value, value.low, value.high])
            for key, value in metrics.items()
        }
        for router, metrics in results.items()
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--grid", action="store_true", help="rerun the even-row risk grid")
    args = parser.parse_args()
    if not (args.data_dir / "routellm").is_dir():
        print(f"SKIPPED: no RouteLLM data under {args.data_dir} (see shared/data/README.md)")
        return 0
    rows = load_gsm8k_answers(args.data_dir)
    even = [r for r in rows if not is_held_out(r)]
    odd = [r for r in rows if is_held_out(r)]
    checks = default_checks()
    names = checks.names
    even_reports, odd_reports = check_reports(even, checks), check_reports(odd, checks)
    even_risk = np.asarray([rep.risk for rep in even_reports])
    odd_risk = np.asarray([rep.risk for rep in odd_reports])
    even_weak, even_strong = (np.asarray([getattr(r, k) for r in even]) for k in ("weak", "strong"))
    odd_weak, odd_strong = (np.asarray([getattr(r, k) for r in odd]) for k in ("weak", "strong"))

    # Tuned on even rows only: the logistic weights and the 95%-quality threshold.
    weights = fit_logistic(risk_matrix(even_reports, names), (even_weak == 0).astype(float))
    odd_matrix = risk_matrix(odd_reports, names)
    logistic = 1.0 / (1.0 + np.exp(-(weights[0] + odd_matrix @ weights[1:])))
    with_task_check = default_checks(whole_number_answer)
    cascade_scores = {
        CASCADES[0]: odd_risk,
        CASCADES[1]: odd_matrix.max(axis=1),
        CASCADES[2]: logistic,
        CASCADES[3]: np.asarray([rep.risk for rep in check_reports(odd, with_task_check)]),
    }
    print(
        f"GSM8K: {len(rows)} decontaminated rows; tuned on {len(even)} even, reported on "
        f"{len(odd)} odd (weak {odd_weak.mean():.1%}, strong {odd_strong.mean():.1%})\n"
    )
    results = evaluate_set(odd, cascade_scores, odd_weak == 0, args)
    print("### GSM8K odd rows, RouteLLM prices (GPT-4 $24.7/M, Mixtral $0.24/M, equal tokens)\n")
    table(results)

    target = calibrate_check_threshold(
        even_risk, target_quality=0.95, cheap_quality=even_weak, strong_quality=even_strong
    )
    operating_points: dict[str, Any] = {}
    for label, threshold in (
        ("default threshold", checks.threshold),
        ("threshold for 95% quality, calibrated on even rows", target.threshold),
    ):
        escalated = odd_risk >= threshold
        quality = np.where(escalated, odd_strong, odd_weak).mean()
        cost = DEFAULT_WEAK_COST + escalated.mean() * DEFAULT_STRONG_COST
        operating_points[label] = {
            "threshold": threshold,
            "escalation_rate": float(escalated.mean()),
            "quality_fraction_of_strong": float(quality / odd_strong.mean()),
            "weak_wrong_among_escalated": float((odd_weak[escalated] == 0).mean()),
            "weak_wrong_caught": float(escalated[odd_weak == 0].mean()),
            "cost_cut_vs_all_strong": float(1 - cost / DEFAULT_STRONG_COST),
        }
    print("\n### Operating points on odd rows (threshold chosen on even rows)\n")
    print("| threshold | escalated | quality / strong | weak wrong among escalated | cost cut |")
    print("|---|---|---|---|---|")
    for label, point in operating_points.items():
        print(
            f"| {label}: {point['threshold']:.3f} | {point['escalation_rate']:.1%} | "
            f"{point['quality_fraction_of_strong']:.1%} | "
            f"{point['weak_wrong_among_escalated']:.1%} | {point['cost_cut_vs_all_strong']:.1%} |"
        )
    print(f"(on even rows the calibrated threshold escalates {target.escalation_rate:.1%})")
    print("\n| check | odd answers flagged | weak wrong among them |\n|---|---|---|")
    for name, found in findings(odd_reports, odd_weak, names).items():
        share = found["weak_wrong_among_flagged"]
        if share is not None:
            print(f"| {name} | {found['answers_flagged']:.0f} | {share:.0%} |")

    # The same ranking under other price ratios: what the weak call costs matters.
    prices: dict[str, Any] = {}
    for label, cheap, strong in (
        ("catalog economy -> pro", DEFAULT_TIERS["economy"], DEFAULT_TIERS["pro"]),
        ("catalog economy -> reference", DEFAULT_TIERS["economy"], REFERENCE_MODEL),
    ):
        weak_cost, strong_cost = per_call_costs(odd, cheap, strong)
        by_price = evaluate_routers(
            {"cascade": odd_risk},
            odd_weak,
            odd_strong,
            n_resamples=args.resamples,
            seed=args.seed,
            weak_cost=weak_cost,
            strong_cost=strong_cost,
            cascade=True,
        )["cascade"]
        prompt_only = evaluate_routers(
            {"learned (prompt)": LearnedScorer.load_default().score_batch([r.prompt for r in odd])},
            odd_weak,
            odd_strong,
            n_resamples=args.resamples,
            seed=args.seed,
            weak_cost=weak_cost,
            strong_cost=strong_cost,
        )["learned (prompt)"]
        prices[label] = {
            "cheap_model": cheap,
            "strong_model": strong,
            "usd_per_call": [weak_cost, strong_cost],
            "cascade_cost_cut_at_95": [
                by_price["cost_cut_at_95"].value,
                by_price["cost_cut_at_95"].low,
                by_price["cost_cut_at_95"].high,
            ],
            "learned_prompt_cost_cut_at_95": [
                prompt_only["cost_cut_at_95"].value,
                prompt_only["cost_cut_at_95"].low,
                prompt_only["cost_cut_at_95"].high,
            ],
        }
        print(
            f"\n{label} ({cheap} ${weak_cost:.6f}/call vs {strong} ${strong_cost:.6f}/call, "
            f"ratio {strong_cost / weak_cost:.1f}): cascade cost cut @95% "
            f"{by_price['cost_cut_at_95'].format(1, 100)}%, learned prompt-only "
            f"{prompt_only['cost_cut_at_95'].format(1, 100)}%"
        )

    mt_rows = load_mt_bench_answers(args.data_dir)
    mt_reports = check_reports(mt_rows, checks)
    mt_weak = np.asarray([r.weak for r in mt_rows])
    mt_strong = np.asarray([r.strong for r in mt_rows])
    mt_results = evaluate_set(
        mt_rows,
        {CASCADES[0]: np.asarray([rep.risk for rep in mt_reports])},
        mt_weak < mt_strong,
        args,
    )
    print(
        f"\n### MT-Bench first turns, GPT-4 judge (n = {len(mt_rows)}; out of domain, read "
        "during development; AUROC: strong judged better than weak)\n"
    )
    table(mt_results)
    flagged = np.mean([rep.escalate for rep in mt_reports])
    print(f"(escalated at the default threshold: {flagged:.1%} of MT-Bench weak answers)")

    report: dict[str, Any] = {
        "data": "RouteLLM gsm8k_responses.csv (decontaminated); MT-Bench judgements turn 1",
        "weak_model": WEAK_MODEL,
        "strong_model": STRONG_MODEL,
        "tuned_on": "even rows",
        "reported_on": "odd rows",
        "n_even": len(even),
        "n_odd": len(odd),
        "resamples": args.resamples,
        "seed": args.seed,
        "checks": list(names),
        "default_threshold": checks.threshold,
        "logistic_weights_even": dict(zip(("bias", *names), weights.tolist(), strict=True)),
        "gsm8k_odd": serialise(results),
        "operating_points_odd": operating_points,
        "calibrated_on_even": {
            "threshold": round(target.threshold, 6),
            "escalation_rate_even": target.escalation_rate,
            "quality_fraction_even": target.quality_fraction,
        },
        "other_prices_odd": prices,
        "findings_odd": findings(odd_reports, odd_weak, names),
        "mt_bench": {
            "n": len(mt_rows),
            "escalated_at_default": float(flagged),
            "routers": serialise(mt_results),
        },
        "mmlu": "not measured: the shared MMLU files hold correctness labels but no responses",
    }
    if args.grid:
        report["even_grid"] = sensitivity_grid(even)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"\nwrote {OUT.relative_to(REPO)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
