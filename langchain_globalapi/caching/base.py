"""The cache store interface, cache keys, and the stats and hit records every cache shares.

A store keeps opaque entries (bytes) under hashed keys, with a TTL, and, for the semantic
cache, unit vectors grouped by *scope* (the hash of everything but the last user message).
Stores know nothing about LangChain: the caches in `exact.py` and `semantic.py` decide what
goes in and what a hit means.

Example:
    >>> exact_key("tenant-a", "model=x", "prompt") == exact_key("tenant-b", "model=x", "prompt")
    False
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = [
    "CACHE_VERSION",
    "CacheStats",
    "CacheStore",
    "Vector",
    "exact_key",
    "scope_key",
]

#: Bumped when the key recipe or the entry format changes, so old entries simply miss.
CACHE_VERSION = "globalapi-cache-v2"

Vector = npt.NDArray[np.float32]


def _digest(*parts: str) -> str:
    hasher = hashlib.sha256()
    for part in parts:
        # Length-prefixing makes ("ab", "c") and ("a", "bc") hash differently.
        encoded = part.encode("utf-8")
        hasher.update(len(encoded).to_bytes(8, "little"))
        hasher.update(encoded)
    return hasher.hexdigest()


def exact_key(namespace: str, llm_string: str, prompt: str) -> str:
    """The key of one exact entry: tenant, model identity and parameters, and the prompt."""
    return _digest(CACHE_VERSION, "exact", namespace, llm_string, prompt)


def scope_key(namespace: str, llm_string: str, context: str) -> str:
    """The semantic scope: tenant, model, parameters, and every message but the last question."""
    return _digest(CACHE_VERSION, "scope", namespace, llm_string, context)


class CacheStore(ABC):
    """Where cache entries live: in memory, in a SQLite file, or in Redis.

    Entries are bytes under a hex key with an optional TTL. Vectors are unit float32
    arrays filed under a scope; `search` returns the keys of the most similar ones.
    Every method may raise on an unreachable backend; the caches turn that into a miss.
    The async twins run the sync method in a thread unless a store has native async I/O.
    """

    @abstractmethod
    def get(self, key: str) -> bytes | None:
        """The entry under `key`, or `None` when absent or expired."""

    @abstractmethod
    def set(self, key: str, value: bytes, ttl_s: float | None = None) -> None:
        """Store `value` under `key`, replacing any entry, expiring after `ttl_s` seconds."""

    @abstractmethod
    def add_vector(self, scope: str, key: str, vector: Vector, ttl_s: float | None = None) -> None:
        """File `vector` (unit length) for the entry `key` under `scope`."""

    @abstractmethod
    def search(self, scope: str, vector: Vector, k: int = 4) -> list[tuple[str, float]]:
        """Up to `k` (key, cosine similarity) pairs in `scope`, most similar first."""

    @abstractmethod
    def clear(self) -> None:
        """Delete every entry and vector this store holds (within its prefix)."""

    def close(self) -> None:  # noqa: B027 - optional hook, most stores hold nothing
        """Release connections or files."""

    async def aget(self, key: str) -> bytes | None:
        """Async `get`."""
        return await asyncio.to_thread(self.get, key)

    async def aset(self, key: str, value: bytes, ttl_s: float | None = None) -> None:
        """Async `set`."""
        await asyncio.to_thread(self.set, key, value, ttl_s)

    async def aadd_vector(
        self, scope: str, key: str, vector: Vector, ttl_s: float | None = None
    ) -> None:
        """Async `add_vector`."""
        await asyncio.to_thread(self.add_vector, scope, key, vector, ttl_s)

    async def asearch(self, scope: str, vector: Vector, k: int = 4) -> list[tuple[str, float]]:
        """Async `search`."""
        return await asyncio.to_thread(self.search, scope, vector, k)

    async def aclear(self) -> None:
        """Async `clear`."""
        await asyncio.to_thread(self.clear)


@dataclass
class CacheStats:
    """Counters of one cache object in this process: hits, misses and what hits saved.

    Example:
        >>> stats = CacheStats()
        >>> stats.record_miss(); stats.record_hit(tokens=120, usd=Decimal("0.0004"))
        >>> stats.hits, stats.misses, stats.hit_rate, stats.tokens_saved, stats.saved_usd
        (1, 1, 0.5, 120, Decimal('0.0004'))
    """

    hits: int = 0
    exact_hits: int = 0
    semantic_hits: int = 0
    misses: int = 0
    tokens_saved: int = 0
    saved_usd: Decimal = Decimal(0)
    errors: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @property
    def hit_rate(self) -> float:
        """Hits over lookups (0.0 before any lookup)."""
        total = self.hits + self.misses
        return self.hits / total if total else 0.0

    def record_hit(self, *, tokens: int, usd: Decimal | None, kind: str = "exact") -> None:
        """Count one hit and what it saved."""
        with self._lock:
            self.hits += 1
            if kind == "semantic":
                self.semantic_hits += 1
            else:
                self.exact_hits += 1
            self.tokens_saved += tokens
            self.saved_usd += usd or Decimal(0)

    def record_miss(self) -> None:
        """Count one miss."""
        with self._lock:
            self.misses += 1

    def record_error(self) -> None:
        """Count one store or serialization failure (each also counts as a miss or a skip)."""
        with self._lock:
            self.errors += 1

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready counters (USD as a decimal string)."""
        return {
            "hits": self.hits,
            "exact_hits": self.exact_hits,
            "semantic_hits": self.semantic_hits,
            "misses": self.misses,
            "hit_rate": self.hit_rate,
            "tokens_saved": self.tokens_saved,
            "saved_usd": str(self.saved_usd),
            "errors": self.errors,
        }
