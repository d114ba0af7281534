"""Semantic lookup latency at 100k entries in one scope (memory, SQLite, Redis), memory per entry.

Run from the repo root with the venv active:

    python benchmarks/cache_semantic_scale.py [--entries 100000] [--dim 384] [--lookups 300]

Fills one scope with `--entries` cached answers whose questions have random unit vectors
(all-MiniLM-L6-v2's 384 dimensions by default), then times `SemanticCache.find` for new
questions: exact-key miss, vector search, candidate fetch and the lexical guard. The
embedding call itself is excluded (an `Embeddings` stub returns precomputed vectors) and
reported separately by `cache_correctness.py`. Memory per entry: Python heap growth
(tracemalloc) while filling the in-memory store; Redis `used_memory` growth per entry.
Writes `benchmarks/results/cache_semantic_scale.json`.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np
from _redis_loopback import start_redis_server
from langchain_core.embeddings import Embeddings
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.outputs import ChatGeneration

from langchain_globalapi import InMemoryStore, RedisStore, SemanticCache, SQLiteStore
from langchain_globalapi.caching.base import CacheStore, exact_key, scope_key
from langchain_globalapi.caching.entries import CacheEntry
from langchain_globalapi.caching.identity import normalized_prompt

OUT = Path(__file__).resolve().parents[1] / "benchmarks" / "results" / "cache_semantic_scale.json"
LLM_STRING = '{"model": "deepseek-ai/DeepSeek-V4-Flash", "temperature": 0}'


class TableEmbeddings(Embeddings):
    """Returns the vector registered for a text: times the cache, not a model."""

    def __init__(self) -> None:
        self.table: dict[str, list[float]] = {}

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self.table[text] for text in texts]

    def embed_query(self, text: str) -> list[float]:
        return self.table[text]


def _fill(store: CacheStore, vectors: np.ndarray, batch: int = 5000) -> None:
    """Write entries and vectors straight into the store (what `put` writes, minus embedding)."""
    scope = scope_key("", LLM_STRING, normalized_prompt([]))
    answer = AIMessage(
        "A typical cached answer of a few sentences. " * 4,
        usage_metadata={"input_tokens": 40, "output_tokens": 60, "total_tokens": 100},
        response_metadata={"model_name": "deepseek-ai/DeepSeek-V4-Flash"},
    )
    for start in range(0, len(vectors), batch):
        for i in range(start, min(start + batch, len(vectors))):
            question = f"cached question number {i}"
            key = exact_key("", LLM_STRING, normalized_prompt([HumanMessage(question)]))
            entry = CacheEntry.of([ChatGeneration(message=answer)], question=question)
            store.set(key, entry.encode())
            store.add_vector(scope, key, vectors[i])


def _lookups(
    cache: SemanticCache, embeddings: TableEmbeddings, queries: list[tuple[str, np.ndarray]]
) -> tuple[list[float], int]:
    """Time `find` per query (embedding memoized first); count the hits."""
    samples, hits = [], 0
    for question, vector in queries:
        embeddings.table[question] = vector.tolist()
        cache._embed(question)  # embedding excluded: memoized before timing
        messages = [HumanMessage(question)]
        prompt = normalized_prompt(messages)
        start = time.perf_counter()
        hit = cache.find(prompt, LLM_STRING, messages=messages)
        samples.append(time.perf_counter() - start)
        hits += hit is not None
    return samples, hits


def _queries(
    rng: np.random.Generator, vectors: np.ndarray, n: int
) -> tuple[list[tuple[str, np.ndarray]], int]:
    """Half unrelated questions, half rewordings of stored ones (cosine ~0.9 to their match)."""
    queries = [
        (f"an unrelated question {i}", v)
        for i, v in enumerate(_unit(rng, n // 2, vectors.shape[1]))
    ]
    planted = rng.choice(len(vectors), size=n - n // 2, replace=False)
    for row in planted:
        noise = _unit(rng, 1, vectors.shape[1])[0]
        noise -= noise.dot(vectors[row]) * vectors[row]
        noise /= np.linalg.norm(noise)
        near = 0.9 * vectors[row] + np.sqrt(1 - 0.9**2) * noise  # cosine exactly 0.9
        queries.append((f"cached question number {row} please", near.astype(np.float32)))
    order = rng.permutation(len(queries))
    return [queries[i] for i in order], len(planted)


def _report(samples: list[float], hits: int, planted: int) -> dict[str, Any]:
    return {"lookup_ms": _ms(samples), "recall_of_rewordings": round(hits / planted, 4)}


def _ms(samples: list[float]) -> dict[str, float]:
    values = np.asarray(samples) * 1000
    return {
        "p50": round(float(np.percentile(values, 50)), 3),
        "p99": round(float(np.percentile(values, 99)), 3),
    }


def _unit(rng: np.random.Generator, n: int, dim: int) -> np.ndarray:
    vectors = rng.standard_normal((n, dim)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--lookups", type=int, default=300)
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    vectors = _unit(rng, args.entries, args.dim)
    queries, planted = _queries(rng, vectors, args.lookups)
    results: dict[str, Any] = {"entries": args.entries, "dim": args.dim}

    tracemalloc.start()
    memory = InMemoryStore(max_entries=None)
    before = tracemalloc.get_traced_memory()[0]
    _fill(memory, vectors)
    grown = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    embeddings = TableEmbeddings()
    cache = SemanticCache(embeddings, memory)
    results["memory"] = {
        **_report(*_lookups(cache, embeddings, queries), planted),
        "bytes_per_entry": round(grown / args.entries),
    }
    print("memory:", results["memory"])

    workdir = tempfile.mkdtemp()
    if not args.skip_sqlite:
        sqlite = SQLiteStore(Path(workdir) / "scale.db")
        _fill(sqlite, vectors)
        cache = SemanticCache(embeddings, sqlite)
        results["sqlite"] = {
            **_report(*_lookups(cache, embeddings, queries), planted),
            "file_bytes_per_entry": round(
                (Path(workdir) / "scale.db").stat().st_size / args.entries
            ),
        }
        print("sqlite:", results["sqlite"])

    server = start_redis_server(workdir)
    if server is not None:
        import redis  # noqa: PLC0415

        client = redis.Redis.from_url(server[1])
        used_before = int(client.info("memory")["used_memory"])
        store = RedisStore(server[1])
        _fill(store, vectors)
        used = int(client.info("memory")["used_memory"]) - used_before
        cache = SemanticCache(embeddings, store)
        start = time.perf_counter()
        store.search(scope_key("", LLM_STRING, normalized_prompt([])), queries[0][1], 1)
        first_sync_s = time.perf_counter() - start
        results["redis"] = {
            **_report(*_lookups(cache, embeddings, queries), planted),
            "redis_bytes_per_entry": round(used / args.entries),
            "first_mirror_sync_s": round(first_sync_s, 2),
        }
        print("redis:", results["redis"])
        server[0].kill()
    shutil.rmtree(workdir, ignore_errors=True)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
