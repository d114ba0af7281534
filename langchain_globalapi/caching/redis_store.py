"""`RedisStore`: entries and vectors in Redis, shared by every process and host (Redis 7 is enough).

Entries are `SET key value PX ttl`. A scope's vectors are an append-only Redis list of
(entry key, float32 blob) records; each process mirrors the lists it searches in numpy and
fetches only records appended since its last search (one round trip when nothing changed),
then compares client-side. No RediSearch, JSON or vector-set module is needed, so it runs
on Debian's Redis 7.0. Every call has short socket timeouts and no retries: when Redis is
down the cache misses at once instead of slowing the user's call.
"""

from __future__ import annotations

import asyncio
import threading
import uuid
import weakref
from typing import Any

import numpy as np

from langchain_globalapi._redis import redis_client
from langchain_globalapi._validate import seconds
from langchain_globalapi.caching._faults import FaultLog
from langchain_globalapi.caching.base import CacheStore, Vector
from langchain_globalapi.caching.vectors import ScopeMatrix, stored_vector
from langchain_globalapi.errors import CacheConfigError

__all__ = ["RedisStore"]

_KEY_BYTES = 64  # entry keys are sha256 hex digests
_HEADER = b"globalapi-vectors:"

# Appends a record, first writing a header with a fresh id when the list is new, so a
# reader can tell "the same list, grown" from "deleted and rebuilt" in one round trip.
_APPEND = """
if redis.call('EXISTS', KEYS[1]) == 0 then redis.call('RPUSH', KEYS[1], ARGV[2]) end
redis.call('RPUSH', KEYS[1], ARGV[1])
if tonumber(ARGV[3]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
return 1
"""


class _Mirror:
    """This process's copy of one scope's vector list (the vectors of one size)."""

    def __init__(self, header: bytes, dims: int) -> None:
        self.header = header
        self.dims = dims
        self.count = 1  # the header record
        self.matrix = ScopeMatrix()

    def extend(self, records: list[bytes]) -> int:
        """Add the records; returns how many were skipped (another size, or corrupted)."""
        skipped = 0
        for record in records:
            key = record[:_KEY_BYTES]
            vector = stored_vector(record[_KEY_BYTES:], self.dims)
            if vector is None or len(key) != _KEY_BYTES or not key.isascii():
                skipped += 1
                continue
            self.matrix.add(key.decode("ascii"), vector)
        self.count += len(records)
        return skipped


class RedisStore(CacheStore):
    """Entries in Redis: one cache for every worker and host, with TTLs enforced by Redis.

    Needs the `redis` extra (`pip install "langchain-globalapi[redis]"`). Nothing is sent
    at construction; an unreachable server later means misses and logged warnings.

    Args:
        url: `redis://host:port/db`, `rediss://...` (TLS) or `unix:///path.sock`.
        prefix: Prefix of every key this store writes (`clear()` deletes only those).
        socket_timeout_s: Per-command timeout in seconds (> 0); keep it short, a slow
            cache is a miss.

    Raises:
        CacheConfigError: the URL scheme is not redis, rediss or unix, or `redis` is not
            installed.

    Example:
        >>> from langchain_globalapi.caching import RedisStore
        >>> RedisStore("redis://127.0.0.1:6379/0").prefix
        'globalapi:cache'
        >>> RedisStore("http://127.0.0.1:6379")
        Traceback (most recent call last):
        ...
        langchain_globalapi.errors.CacheConfigError: RedisStore: unsupported URL scheme 'http' in 'http://127.0.0.1:6379'; use redis://host:port/db, rediss:// (TLS) or unix:///path.sock
    """  # noqa: E501

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "globalapi:cache",
        socket_timeout_s: float = 1.0,
    ) -> None:
        socket_timeout_s = seconds(
            "RedisStore", "socket_timeout_s", socket_timeout_s, error=CacheConfigError
        )
        # Typed loosely: redis-py's stubs type replies as a wide union we check at runtime.
        self._client: Any = redis_client(
            url, owner="RedisStore", timeout_s=socket_timeout_s, error=CacheConfigError
        )
        self.url = url
        self.prefix = prefix
        self.socket_timeout_s = socket_timeout_s
        self._client_options: dict[str, Any] = {
            "socket_timeout": socket_timeout_s,
            "socket_connect_timeout": socket_timeout_s,
        }
        self._async_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Any] = (
            weakref.WeakKeyDictionary()
        )
        self._mirrors: dict[tuple[str, int], _Mirror] = {}
        self.faults = FaultLog("RedisStore")
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"RedisStore({self.url!r}, prefix={self.prefix!r})"

    def _entry_key(self, key: str) -> str:
        return f"{self.prefix}:e:{key}"

    def _vector_key(self, scope: str) -> str:
        return f"{self.prefix}:v:{scope}"

    def _aclient(self) -> Any:
        # redis.asyncio connections belong to one event loop: keep a client per loop.
        import redis.asyncio  # noqa: PLC0415

        loop = asyncio.get_running_loop()
        client = self._async_clients.get(loop)
        if client is None:
            client = redis.asyncio.Redis.from_url(self.url, **self._client_options)
            self._async_clients[loop] = client
        return client

    @staticmethod
    def _ttl_ms(ttl_s: float | None) -> int | None:
        return None if ttl_s is None else max(1, int(ttl_s * 1000))

    @staticmethod
    def _record(key: str, vector: Vector) -> bytes:
        encoded = key.encode("ascii")
        if len(encoded) != _KEY_BYTES:
            msg = f"RedisStore expects {_KEY_BYTES}-character hex keys, got {key!r}"
            raise ValueError(msg)
        return encoded + np.asarray(vector, dtype="<f4").tobytes()

    # --- entries ----------------------------------------------------------------------------

    def get(self, key: str) -> bytes | None:
        """The entry under `key` (Redis drops expired ones)."""
        value = self._client.get(self._entry_key(key))
        return None if value is None else bytes(value)

    def set(self, key: str, value: bytes, ttl_s: float | None = None) -> None:
        """`SET` with a millisecond TTL."""
        self._client.set(self._entry_key(key), value, px=self._ttl_ms(ttl_s))

    async def aget(self, key: str) -> bytes | None:
        """Async `get` on redis.asyncio."""
        value = await self._aclient().get(self._entry_key(key))
        return None if value is None else bytes(value)

    async def aset(self, key: str, value: bytes, ttl_s: float | None = None) -> None:
        """Async `set` on redis.asyncio."""
        await self._aclient().set(self._entry_key(key), value, px=self._ttl_ms(ttl_s))

    # --- vectors ------------------------------------------------------------------------------

    def _append_args(self, key: str, vector: Vector, ttl_s: float | None) -> list[Any]:
        header = _HEADER + uuid.uuid4().hex.encode("ascii")
        return [self._record(key, vector), header, self._ttl_ms(ttl_s) or 0]

    def add_vector(self, scope: str, key: str, vector: Vector, ttl_s: float | None = None) -> None:
        """Append `(key, vector)` to the scope's list."""
        args = self._append_args(key, vector, ttl_s)
        self._client.eval(_APPEND, 1, self._vector_key(scope), *args)

    async def aadd_vector(
        self, scope: str, key: str, vector: Vector, ttl_s: float | None = None
    ) -> None:
        """Async `add_vector`."""
        args = self._append_args(key, vector, ttl_s)
        await self._aclient().eval(_APPEND, 1, self._vector_key(scope), *args)

    def _sync_mirror(
        self, place: tuple[str, int], header: bytes | None, length: int
    ) -> _Mirror | None:
        """Reconcile the mirror with the list's header and length; None when the list is gone."""
        with self._lock:
            if header is None:
                self._mirrors.pop(place, None)
                return None
            mirror = self._mirrors.get(place)
            if mirror is None or mirror.header != header or mirror.count > length:
                mirror = _Mirror(header, place[1])
                self._mirrors[place] = mirror
            return mirror

    def _apply(
        self, place: tuple[str, int], mirror: _Mirror, start: int, records: list[bytes]
    ) -> None:
        with self._lock:
            skipped = 0
            if self._mirrors.get(place) is mirror and mirror.count == start:
                skipped = mirror.extend(records)
        if skipped:
            message = (
                f"skipped {skipped} vector(s) of scope {place[0][:12]} that are not "
                f"{place[1]} float32 values (another embeddings model, or corrupted)"
            )
            self.faults.report("vector:dimensions", message)

    def _search_mirror(self, mirror: _Mirror, vector: Vector, k: int) -> list[tuple[str, float]]:
        with self._lock:
            return mirror.matrix.search(vector, k)

    def search(self, scope: str, vector: Vector, k: int = 4) -> list[tuple[str, float]]:
        """Sync the scope's mirror (new records only), then brute-force cosine in numpy."""
        name, place = self._vector_key(scope), (scope, int(vector.shape[0]))
        with self._client.pipeline(transaction=False) as pipe:
            header, length = pipe.lindex(name, 0).llen(name).execute()
        mirror = self._sync_mirror(place, header, int(length))
        if mirror is None:
            return []
        start = mirror.count
        if int(length) > start:
            self._apply(place, mirror, start, list(self._client.lrange(name, start, -1)))
        return self._search_mirror(mirror, vector, k)

    async def asearch(self, scope: str, vector: Vector, k: int = 4) -> list[tuple[str, float]]:
        """Async `search`."""
        name, place = self._vector_key(scope), (scope, int(vector.shape[0]))
        client = self._aclient()
        async with client.pipeline(transaction=False) as pipe:
            header, length = await pipe.lindex(name, 0).llen(name).execute()
        mirror = self._sync_mirror(place, header, int(length))
        if mirror is None:
            return []
        start = mirror.count
        if int(length) > start:
            self._apply(place, mirror, start, list(await client.lrange(name, start, -1)))
        return self._search_mirror(mirror, vector, k)

    # --- housekeeping -------------------------------------------------------------------------

    def clear(self) -> None:
        """Delete every key under this store's prefix."""
        batch: list[Any] = []
        for name in self._client.scan_iter(match=f"{self.prefix}:*", count=1000):
            batch.append(name)
            if len(batch) >= 1000:
                self._client.unlink(*batch)
                batch.clear()
        if batch:
            self._client.unlink(*batch)
        with self._lock:
            self._mirrors.clear()

    async def aclear(self) -> None:
        """Async `clear`."""
        client = self._aclient()
        names = [name async for name in client.scan_iter(match=f"{self.prefix}:*", count=1000)]
        for start in range(0, len(names), 1000):
            await client.unlink(*names[start : start + 1000])
        with self._lock:
            self._mirrors.clear()

    def close(self) -> None:
        """Close the sync client (async clients close with their event loops)."""
        self._client.close()
