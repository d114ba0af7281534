"""Deterministic text embeddings for the fake OpenAI server's `/v1/embeddings`.

A hashed bag of words plus character trigrams, L2-normalised: texts that share words score
high cosine similarity, unrelated texts score near zero, and the same text always gets the
same vector in every process (hashing is blake2b, not Python's salted `hash`).
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["embed", "embedding_input_texts", "encode_vector"]

_WORD = re.compile(r"\w+")
# Trigrams smooth over inflections ("refund" / "refunds") but weigh less than whole words,
# so a shared word counts for more than a few shared letters.
_TRIGRAM_WEIGHT = 0.5


def _bucket(feature: str, dim: int) -> tuple[int, float]:
    digest = hashlib.blake2b(feature.encode(), digest_size=8).digest()
    value = int.from_bytes(digest, "little")
    # A hashed sign makes collisions cancel out on average instead of adding up, so unrelated
    # texts sit near cosine 0 rather than at a positive baseline.
    return value % dim, 1.0 if (value >> 63) & 1 else -1.0


def embed(text: str, dim: int) -> npt.NDArray[np.float32]:
    """Embed one text into a unit vector of `dim` float32 values."""
    vector = np.zeros(dim, dtype=np.float64)
    words = _WORD.findall(text.lower()) or ["<empty>"]
    for word in words:
        index, sign = _bucket("w:" + word, dim)
        vector[index] += sign
        padded = f" {word} "
        for start in range(len(padded) - 2):
            index, sign = _bucket("t:" + padded[start : start + 3], dim)
            vector[index] += sign * _TRIGRAM_WEIGHT
    norm = float(np.linalg.norm(vector))
    if norm > 0:
        vector /= norm
    return vector.astype(np.float32)


def embedding_input_texts(raw: Any) -> list[str] | None:
    """The texts of an embeddings request's `input`, or None if it is malformed.

    Token-id inputs (lists of ints, as `OpenAIEmbeddings` sends after tiktoken) are embedded
    as the text of their ids, which keeps them deterministic.
    """
    if isinstance(raw, str):
        return [raw]
    if not isinstance(raw, list) or not raw:
        return None
    if all(isinstance(item, int) for item in raw):
        return [" ".join(f"t{item}" for item in raw)]
    texts = []
    for item in raw:
        if isinstance(item, str):
            texts.append(item)
        elif isinstance(item, list) and all(isinstance(token, int) for token in item):
            texts.append(" ".join(f"t{token}" for token in item))
        else:
            return None
    return texts


def encode_vector(vector: npt.NDArray[np.float32], encoding_format: Any) -> Any:
    """A vector as JSON floats, or as base64 little-endian float32 (the openai SDK's default)."""
    if encoding_format == "base64":
        return base64.b64encode(vector.astype("<f4").tobytes()).decode("ascii")
    return [float(x) for x in vector]
