"""Cosine search over one scope's vectors: a growable float32 matrix in numpy.

Small scopes are searched exactly with one matrix-vector product. Large ones would read
the whole matrix per lookup (100k x 384 float32 is 150 MB: ~20 ms of memory bandwidth on
two cores), so they are first narrowed by Hamming distance between sign bits (48 bytes
per entry at 384 dims, a ~1 ms scan), and the closest few hundred are re-ranked by exact
cosine. A question similar enough to be served (cosine >= 0.7, an angle under 46 degrees)
differs from its match in under a third of the sign bits, far fewer than unrelated vectors
(half), so the narrowing keeps it; `benchmarks/cache_semantic_scale.py` measures recall.
Removed rows are zeroed and skipped, and compacted once they are half the matrix.

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
import numpy.typing as npt

from langchain_globalapi.caching.base import Vector

__all__ = ["ScopeMatrix", "as_unit_vector", "stored_vector"]

_INITIAL_ROWS = 64
#: Above this many rows, candidates are narrowed by sign-bit Hamming distance first.
EXACT_SEARCH_MAX_ROWS = 4096
#: How many Hamming-nearest rows are re-ranked by exact cosine.
RERANK_ROWS = 256
_HAS_POPCOUNT = hasattr(np, "bitwise_count")  # numpy >= 2.0; older numpy searches exactly


def _sign_words(vectors: Vector) -> npt.NDArray[np.uint64]:
    """Sign bits of each row packed into uint64 words: shape (rows, words)."""
    packed = np.packbits(vectors > 0, axis=-1)
    padding = (-packed.shape[-1]) % 8
    if padding:
        pad = [(0, 0)] * (packed.ndim - 1) + [(0, padding)]
        packed = np.pad(packed, pad)
    return np.ascontiguousarray(packed).view(np.uint64)


def as_unit_vector(values: object) -> Vector:
    """A 1-D float32 unit vector (zero vectors stay zero and never match anything).

    Raises:
        ValueError: the values are empty, not numbers, or hold NaN or infinity.
    """
    vector = np.asarray(values, dtype=np.float32).reshape(-1)
    if vector.size == 0 or not np.isfinite(vector).all():
        msg = "the embedding is empty or holds NaN or infinite values"
        raise ValueError(msg)
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else vector


def stored_vector(blob: bytes, dims: int) -> Vector | None:
    """A vector read back from a store, or None when it is not `dims` float32 values.

    A scope is searched only among vectors of the query's size: one written by another
    embeddings model, or a corrupted one, is skipped instead of breaking the scope.

    Example:
        >>> stored_vector(np.ones(3, dtype="<f4").tobytes(), 3).shape, stored_vector(b"abc", 3)
        ((3,), None)
    """
    if len(blob) != dims * 4:
        return None
    vector = np.frombuffer(blob, dtype="<f4").astype(np.float32)
    return vector if np.isfinite(vector).all() else None


class ScopeMatrix:
    """The vectors of one scope, searchable by cosine similarity (inputs are unit vectors)."""

    def __init__(self) -> None:
        self._matrix: Vector | None = None
        # Sign bits, one contiguous row per word, so a scan is a few vectorized XORs.
        self._bits: npt.NDArray[np.uint64] | None = None
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
            self._bits = None  # rebuilt lazily at the new capacity
        self._matrix[row] = vector
        if self._bits is not None:
            self._bits[:, row] = _sign_words(vector)
        self._keys.append(key)
        self._rows[key] = row

    def remove(self, key: str) -> None:
        """Forget `key`'s vector (no-op when absent)."""
        row = self._rows.pop(key, None)
        if row is None or self._matrix is None:
            return
        self._matrix[row] = 0.0
        if self._bits is not None:
            self._bits[:, row] = 0
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
        self._bits = None
        self._dead = 0

    def search(self, vector: Vector, k: int = 4) -> list[tuple[str, float]]:
        """Up to `k` (key, similarity) pairs, most similar first."""
        if self._matrix is None or not self._rows:
            return []
        n_rows = len(self._keys)
        if vector.shape[0] != self._matrix.shape[1]:
            return []  # another embeddings model: nothing here can be similar
        if n_rows > EXACT_SEARCH_MAX_ROWS and _HAS_POPCOUNT:
            rows = self._hamming_candidates(vector, n_rows)
            scores = self._matrix[rows] @ vector
        else:
            rows = np.arange(n_rows)
            scores = self._matrix[:n_rows] @ vector
        k = min(k, len(rows))
        top = np.argpartition(-scores, k - 1)[:k] if k < len(rows) else np.arange(len(rows))
        ordered = top[np.argsort(-scores[top])]
        results: list[tuple[str, float]] = []
        for index in ordered:
            key = self._keys[int(rows[index])]
            if key is not None:
                results.append((key, round(float(scores[index]), 6)))
        return results

    def _hamming_candidates(self, vector: Vector, n_rows: int) -> npt.NDArray[np.intp]:
        assert self._matrix is not None
        if self._bits is None:
            self._bits = np.ascontiguousarray(_sign_words(self._matrix).T)
        query = _sign_words(vector)
        distance = np.bitwise_count(self._bits[0, :n_rows] ^ query[0]).astype(np.uint16)
        for word in range(1, self._bits.shape[0]):
            distance += np.bitwise_count(self._bits[word, :n_rows] ^ query[word])
        # np.partition + a mask is several times faster than argpartition on uint16 here.
        cutoff = np.partition(distance, RERANK_ROWS - 1)[RERANK_ROWS - 1]
        rows = np.flatnonzero(distance <= cutoff)
        if len(rows) > 4 * RERANK_ROWS:  # many ties at the cutoff: keep the nearest
            rows = rows[np.argsort(distance[rows], kind="stable")[:RERANK_ROWS]]
        return rows
