"""`SQLiteStore`: the embedded default, one file shared safely by threads and processes.

stdlib `sqlite3` in WAL mode (readers never block the writer) with a busy timeout, so
several worker processes can share one cache file. Vectors live in the same file; each
process mirrors a scope's vectors in numpy and fetches only rows added since its last
search, so a semantic lookup is one small query plus a matrix product.

Example:
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "cache.db")
    >>> store = SQLiteStore(path)
    >>> store.set("k", b"v", ttl_s=60)
    >>> store.get("k")
    b'v'
    >>> store.close()
"""

from __future__ import annotations

import os
import threading
import time

import numpy as np

from langchain_globalapi._sqlite import sqlite_connection
from langchain_globalapi.caching.base import CacheStore, Vector
from langchain_globalapi.caching.vectors import ScopeMatrix
from langchain_globalapi.errors import CacheConfigError

__all__ = ["SQLiteStore"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    key TEXT PRIMARY KEY, value BLOB NOT NULL, expires_at REAL, created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS vectors (
    id INTEGER PRIMARY KEY AUTOINCREMENT, scope TEXT NOT NULL, key TEXT NOT NULL,
    vector BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS vectors_by_scope ON vectors (scope, id);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT OR IGNORE INTO meta (name, value) VALUES ('generation', 0);
"""

#: Expired rows are swept on one write in this many, not on every write.
_SWEEP_EVERY = 256


class SQLiteStore(CacheStore):
    """Entries in one SQLite file: survives restarts, shared by every process on the host.

    Args:
        path: The database file; its directory must exist and be writable.
        busy_timeout_s: How long a writer waits for another process's write lock.

    Raises:
        CacheConfigError: the directory is missing or not writable, or the file is not
            a SQLite database.

    Example:
        >>> import tempfile, os
        >>> from langchain_globalapi.caching import ExactCache, SQLiteStore
        >>> cache = ExactCache(SQLiteStore(os.path.join(tempfile.mkdtemp(), "llm-cache.db")))
        >>> cache.store.path.name
        'llm-cache.db'
    """

    def __init__(self, path: str | os.PathLike[str], *, busy_timeout_s: float = 10.0) -> None:
        self.busy_timeout_s = busy_timeout_s
        self._lock = threading.Lock()
        self._mirrors: dict[str, tuple[int, ScopeMatrix]] = {}
        self._generation = -1
        self._writes = 0
        self.path, self._conn = sqlite_connection(
            path,
            owner="SQLiteStore",
            busy_timeout_s=busy_timeout_s,
            schema=_SCHEMA,
            error=CacheConfigError,
        )

    def __repr__(self) -> str:
        return f"SQLiteStore({str(self.path)!r})"

    def get(self, key: str) -> bytes | None:
        """The live entry under `key`."""
        with self._lock:
            row = self._conn.execute(
                "SELECT value, expires_at FROM entries WHERE key = ?", (key,)
            ).fetchone()
        if row is None or (row[1] is not None and row[1] <= time.time()):
            return None
        return bytes(row[0])

    def set(self, key: str, value: bytes, ttl_s: float | None = None) -> None:
        """Store `value` under `key` (last writer wins)."""
        now = time.time()
        expires_at = None if ttl_s is None else now + ttl_s
        with self._lock:
            self._conn.execute(
                "INSERT OR REPLACE INTO entries (key, value, expires_at, created_at) "
                "VALUES (?, ?, ?, ?)",
                (key, value, expires_at, now),
            )
            self._writes += 1
            if self._writes % _SWEEP_EVERY == 0:
                self._sweep(now)

    def _sweep(self, now: float) -> None:
        self._delete(
            "DELETE FROM vectors WHERE key IN (SELECT key FROM entries WHERE expires_at <= ?)",
            "DELETE FROM entries WHERE expires_at <= ?",
            params=(now,),
        )

    def _delete(self, *statements: str, params: tuple[float, ...] = ()) -> None:
        # One transaction that also bumps the generation: mirrors only fetch appended rows,
        # so after a delete every process must rebuild its own.
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in statements:
                self._conn.execute(statement, params)
            self._conn.execute("UPDATE meta SET value = value + 1 WHERE name = 'generation'")
            self._conn.execute("COMMIT")
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise

    def add_vector(self, scope: str, key: str, vector: Vector, ttl_s: float | None = None) -> None:
        """File `vector` for `key` under `scope` (swept with its entry)."""
        blob = np.asarray(vector, dtype="<f4").tobytes()
        with self._lock:
            self._conn.execute(
                "INSERT INTO vectors (scope, key, vector) VALUES (?, ?, ?)", (scope, key, blob)
            )

    def search(self, scope: str, vector: Vector, k: int = 4) -> list[tuple[str, float]]:
        """The `k` most similar vectors of `scope`, syncing this process's mirror first."""
        with self._lock:
            generation = int(
                self._conn.execute("SELECT value FROM meta WHERE name = 'generation'").fetchone()[0]
            )
            if generation != self._generation:
                # Rows were deleted (clear or sweep) by some process: rebuild from scratch.
                self._mirrors.clear()
                self._generation = generation
            last_id, matrix = self._mirrors.get(scope, (0, ScopeMatrix()))
            rows = self._conn.execute(
                "SELECT id, key, vector FROM vectors WHERE scope = ? AND id > ? ORDER BY id",
                (scope, last_id),
            ).fetchall()
            for row_id, key, blob in rows:
                matrix.add(key, np.frombuffer(blob, dtype="<f4").astype(np.float32))
                last_id = row_id
            self._mirrors[scope] = (last_id, matrix)
            return matrix.search(vector, k)

    def clear(self) -> None:
        """Delete every entry and vector in the file (for every process)."""
        with self._lock:
            self._delete("DELETE FROM entries", "DELETE FROM vectors")
            self._mirrors.clear()

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._conn.close()

    def __len__(self) -> int:
        with self._lock:
            return int(self._conn.execute("SELECT COUNT(*) FROM entries").fetchone()[0])
