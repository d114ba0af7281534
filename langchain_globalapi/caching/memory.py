"""`InMemoryStore`: a process-local LRU store with TTLs and per-scope vector matrices.

Example:
    >>> store = InMemoryStore(max_entries=2)
    >>> store.set("a", b"1"); store.set("b", b"2")
    >>> _ = store.get("a")          # "a" is now the most recently used
    >>> store.set("c", b"3")        # evicts "b", the least recently used
    >>> store.get("b") is None, store.get("a")
    (True, b'1')
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

from langchain_globalapi._validate import optional_positive_int
from langchain_globalapi.caching._faults import FaultLog
from langchain_globalapi.caching.base import CacheStore, Vector
from langchain_globalapi.caching.vectors import ScopeMatrix
from langchain_globalapi.errors import CacheConfigError

__all__ = ["InMemoryStore"]


class InMemoryStore(CacheStore):
    """Entries in a dict in this process: fastest, lost on exit, never shared.

    Least recently *used* entries are evicted beyond `max_entries` (LangChain's
    `InMemoryCache` evicts the oldest inserted, and is unbounded by default).

    Args:
        max_entries: Most entries kept, an integer >= 1; `None` for no limit.

    Example:
        >>> from langchain_globalapi.caching import ExactCache, InMemoryStore
        >>> cache = ExactCache(InMemoryStore(max_entries=10_000))
        >>> cache.store.max_entries
        10000
    """

    def __init__(self, max_entries: int | None = 100_000) -> None:
        self.max_entries = optional_positive_int(
            "InMemoryStore", "max_entries", max_entries, error=CacheConfigError
        )
        self._entries: OrderedDict[str, tuple[bytes, float | None]] = OrderedDict()
        # One matrix per (scope, vector size): a vector from another embeddings model can
        # never be similar to a query, and must not stop the scope from being searched.
        self._scopes: dict[tuple[str, int], ScopeMatrix] = {}
        self._scope_of: dict[str, tuple[str, int]] = {}
        self._sizes: dict[str, set[int]] = {}
        self.faults = FaultLog("InMemoryStore")
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: str) -> bytes | None:
        """The live entry under `key`, refreshing its recency."""
        with self._lock:
            item = self._entries.get(key)
            if item is None:
                return None
            value, expires_at = item
            if expires_at is not None and expires_at <= time.monotonic():
                self._drop(key)
                return None
            self._entries.move_to_end(key)
            return value

    def set(self, key: str, value: bytes, ttl_s: float | None = None) -> None:
        """Store `value`, evicting the least recently used entries beyond the cap."""
        expires_at = None if ttl_s is None else time.monotonic() + ttl_s
        with self._lock:
            self._entries[key] = (value, expires_at)
            self._entries.move_to_end(key)
            while self.max_entries is not None and len(self._entries) > self.max_entries:
                oldest = next(iter(self._entries))
                self._drop(oldest)

    def _drop(self, key: str) -> None:
        self._entries.pop(key, None)
        scope = self._scope_of.pop(key, None)
        if scope is not None and scope in self._scopes:
            self._scopes[scope].remove(key)

    def add_vector(self, scope: str, key: str, vector: Vector, ttl_s: float | None = None) -> None:
        """File `vector` under `scope`; it lives as long as the entry `key`."""
        place = (scope, int(vector.shape[0]))
        with self._lock:
            sizes = self._sizes.setdefault(scope, set())
            mixed = bool(sizes - {place[1]})
            sizes.add(place[1])
            old = self._scope_of.get(key)
            if old is not None and old in self._scopes:
                self._scopes[old].remove(key)
            self._scopes.setdefault(place, ScopeMatrix()).add(key, vector)
            self._scope_of[key] = place
        if mixed:
            message = (
                f"scope {scope[:12]} now holds vectors of {sorted(sizes)} "
                "dimensions; each query searches only its own size (one embeddings model "
                "per cache avoids this)"
            )
            self.faults.report("vector:dimensions", message)

    def search(self, scope: str, vector: Vector, k: int = 4) -> list[tuple[str, float]]:
        """The `k` most similar vectors of `scope`."""
        with self._lock:
            matrix = self._scopes.get((scope, int(vector.shape[0])))
            return [] if matrix is None else matrix.search(vector, k)

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._entries.clear()
            self._scopes.clear()
            self._scope_of.clear()
            self._sizes.clear()

    # Everything is in memory: no thread hop for the async twins.
    async def aget(self, key: str) -> bytes | None:
        """Async `get` (runs inline)."""
        return self.get(key)

    async def aset(self, key: str, value: bytes, ttl_s: float | None = None) -> None:
        """Async `set` (runs inline)."""
        self.set(key, value, ttl_s)

    async def aadd_vector(
        self, scope: str, key: str, vector: Vector, ttl_s: float | None = None
    ) -> None:
        """Async `add_vector` (runs inline)."""
        self.add_vector(scope, key, vector, ttl_s)

    async def asearch(self, scope: str, vector: Vector, k: int = 4) -> list[tuple[str, float]]:
        """Async `search` (runs inline)."""
        return self.search(scope, vector, k)

    async def aclear(self) -> None:
        """Async `clear` (runs inline)."""
        self.clear()
