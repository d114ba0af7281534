"""ScopeMatrix: exact search for small scopes, sign-bit narrowing plus re-rank for large ones."""

from __future__ import annotations

import numpy as np

from langchain_globalapi.caching.vectors import EXACT_SEARCH_MAX_ROWS, ScopeMatrix


def _unit(rng: np.random.Generator, n: int, dim: int = 64) -> np.ndarray:
    vectors = rng.standard_normal((n, dim)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def _near(rng: np.random.Generator, vector: np.ndarray, cosine: float) -> np.ndarray:
    noise = _unit(rng, 1, vector.shape[0])[0]
    noise -= noise.dot(vector) * vector
    noise /= np.linalg.norm(noise)
    return (cosine * vector + np.sqrt(1 - cosine**2) * noise).astype(np.float32)


def test_large_scope_finds_planted_neighbours_with_exact_similarity() -> None:
    rng = np.random.default_rng(0)
    vectors = _unit(rng, EXACT_SEARCH_MAX_ROWS * 2)
    index = ScopeMatrix()
    for row, vector in enumerate(vectors):
        index.add(f"k{row}", vector)
    for row in rng.choice(len(vectors), size=20, replace=False):
        [(key, similarity)] = index.search(_near(rng, vectors[row], 0.8), k=1)
        assert key == f"k{row}"
        assert abs(similarity - 0.8) < 1e-3


def test_removed_rows_are_never_returned() -> None:
    rng = np.random.default_rng(1)
    vectors = _unit(rng, EXACT_SEARCH_MAX_ROWS + 10)
    index = ScopeMatrix()
    for row, vector in enumerate(vectors):
        index.add(f"k{row}", vector)
    index.search(vectors[0], k=1)  # builds the sign bits
    index.remove("k0")
    assert all(key != "k0" for key, _ in index.search(vectors[0], k=4))


def test_vectors_added_after_the_first_search_are_found() -> None:
    rng = np.random.default_rng(2)
    vectors = _unit(rng, EXACT_SEARCH_MAX_ROWS + 10)
    index = ScopeMatrix()
    for row, vector in enumerate(vectors[:-1]):
        index.add(f"k{row}", vector)
    index.search(vectors[0], k=1)
    index.add("late", vectors[-1])
    assert index.search(vectors[-1], k=1)[0][0] == "late"
