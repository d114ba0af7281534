"""Brute-force cosine search over one scope's vectors: a growable float32 matrix in numpy.

One matrix per scope keeps a lookup to a single matrix-vector product over only the
entries that may answer (100k x 256 float32 is ~100 MB and about a millisecond of BLAS on
two cores). Removed rows are zeroed and skipped, and compacted once they are half the matrix.

Example:
    >>> import numpy as np
    >>> index = ScopeMatrix()
    >>> index.add("a", np.array([1, 0], dtype=np.float32))
    >>> index.add("b", np.array([0, 1], dtype=np.float32))
    >>> index.search(np.array([0.8, 0.6], dtype=np.float32), k=1)
    [('a', 0.8)]
"""

from __future__ import annotations

import numpy as np

from langchain_globalapi.caching.base import Vector

__all__ = ["ScopeMatrix", "as_unit_vector"]

_INITIAL_ROWS = 64


def as_unit_vector(values: object) -> Vector:
    """A 1-D float32 unit vector (zero vectors stay zero and never match anything)."""
    vector = np.asarray(values, dtype=np.float32).reshape(-1)
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else vector


class ScopeMatrix:
    """The vectors of one scope, searchable by cosine similarity (inputs are unit vectors)."""

    def __init__(self) -> None:
        self._matrix: Vector | None = None
        self._keys: list[str | None] = []
        self._rows: dict[str, int] = {}
        self._dead = 0

    def __len__(self) -> int:
        return len(self._rows)

    @property
    def nbytes(self) -> int:
        """Bytes held by the matrix (allocated capacity included)."""
        return 0 if self._matrix is None else int(self._matrix.nbytes)

    def add(self, key: str, vector: Vector) -> None:
        """Add or replace the vector of `key`."""
        if key in self._rows:
            self.remove(key)
        if self._matrix is None:
            self._matrix = np.zeros((_INITIAL_ROWS, vector.shape[0]), dtype=np.float32)
        elif vector.shape[0] != self._matrix.shape[1]:
            msg = (
                f"embedding has {vector.shape[0]} dimensions but this scope holds "
                f"{self._matrix.shape[1]}: use one embeddings model per cache"
            )
            raise ValueError(msg)
        row = len(self._keys)
        if row == self._matrix.shape[0]:
            # Doubling keeps appends amortised O(1) instead of copying on every insert.
            grown = np.zeros((row * 2, self._matrix.shape[1]), dtype=np.float32)
            grown[:row] = self._matrix
            self._matrix = grown
        self._matrix[row] = vector
        self._keys.append(key)
        self._rows[key] = row

    def remove(self, key: str) -> None:
        """Forget `key`'s vector (no-op when absent)."""
        row = self._rows.pop(key, None)
        if row is None or self._matrix is None:
            return
        self._matrix[row] = 0.0
        self._keys[row] = None
        self._dead += 1
        if self._dead > 1024 and self._dead * 2 > len(self._keys):
            self._compact()

    def _compact(self) -> None:
        assert self._matrix is not None
        live = [row for row, key in enumerate(self._keys) if key is not None]
        matrix = np.zeros((max(_INITIAL_ROWS, len(live) * 2), self._matrix.shape[1]), np.float32)
        matrix[: len(live)] = self._matrix[live]
        self._keys = [self._keys[row] for row in live]
        self._rows = {key: row for row, key in enumerate(self._keys) if key is not None}
        self._matrix = matrix
        self._dead = 0

    def search(self, vector: Vector, k: int = 4) -> list[tuple[str, float]]:
        """Up to `k` (key, similarity) pairs, most similar first."""
        if self._matrix is None or not self._rows:
            return []
        n_rows = len(self._keys)
        if vector.shape[0] != self._matrix.shape[1]:
            return []  # another embeddings model: nothing here can be similar
        scores = self._matrix[:n_rows] @ vector
        k = min(k, n_rows)
        top = np.argpartition(-scores, k - 1)[:k] if k < n_rows else np.arange(n_rows)
        ordered = top[np.argsort(-scores[top])]
        results: list[tuple[str, float]] = []
        for row in ordered:
            key = self._keys[int(row)]
            if key is not None:
                results.append((key, round(float(scores[row]), 6)))
        return results
