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
import sqlite3
import threading
import time
from pathlib import Path

import numpy as np

from langchain_globalapi._validate import finite_number
from langchain_globalapi.caching._faults import FaultLog
from langchain_globalapi.caching.base import CacheStore, Vector
from langchain_globalapi.caching.vectors import ScopeMatrix, stored_vector
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

#: SQLite result codes that pass (busy, locked, read-only): the store fails open meanwhile.
_FOR_NOW = frozenset({5, 6, 8})  # SQLITE_BUSY, SQLITE_LOCKED, SQLITE_READONLY


def _for_now(error: sqlite3.OperationalError) -> bool:
    code = getattr(error, "sqlite_errorcode", None)  # Python >= 3.11
    if code is not None:
        return code & 0xFF in _FOR_NOW  # extended codes keep the primary one in the low byte
    return any(word in str(error) for word in ("locked", "readonly"))


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
        self.path = Path(path).expanduser()
        directory = self.path.parent.resolve()
        if not directory.is_dir():
            msg = (
                f"SQLiteStore: directory {directory} does not exist; create it or pick another path"
            )
            raise CacheConfigError(msg)
        if not os.access(directory, os.W_OK):
            msg = f"SQLiteStore: directory {directory} is not writable; pick a writable path"
            raise CacheConfigError(msg)
        self.busy_timeout_s = finite_number(
            "SQLiteStore", "busy_timeout_s", busy_timeout_s, min=0, error=CacheConfigError
        )
        self._lock = threading.Lock()
        # Per (scope, vector size): rows of another size are skipped, never a broken scope.
        self._mirrors: dict[tuple[str, int], tuple[int, ScopeMatrix]] = {}
        self.faults = FaultLog("SQLiteStore")
        self._generation = -1
        self._writes = 0
        self._ready = False
        try:
            self._conn = sqlite3.connect(
                self.path,
                timeout=self.busy_timeout_s,
                check_same_thread=False,
                isolation_level=None,
            )
            self._conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_s * 1000)}")
            self._prepare()
        except sqlite3.OperationalError as error:
            if not _for_now(error):
                msg = f"SQLiteStore: cannot use {self.path} as a cache database ({error})"
                raise CacheConfigError(msg) from error
            # Locked by another connection, or read-only: fail open, and retry on each use.
            message = f"cannot prepare {self.path} yet ({error}); retrying on each use"
            self.faults.report(f"open:{error}", message, transient=True)
        except sqlite3.DatabaseError as error:
            msg = f"SQLiteStore: cannot use {self.path} as a cache database ({error})"
            raise CacheConfigError(msg) from error

    def _prepare(self) -> None:
        """WAL mode and the schema, writing only what is missing (a read-only file can serve)."""
        conn = self._conn
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            conn.execute("PRAGMA journal_mode = WAL")
        # NORMAL is durable across application crashes in WAL mode; a cache needs no more.
        conn.execute("PRAGMA synchronous = NORMAL")
        if not {"entries", "vectors", "meta"} <= tables:
            conn.executescript(_SCHEMA)
        self._ready = True

    def _use(self) -> sqlite3.Connection:
        """The connection, once prepared (under `self._lock`); raises while it cannot be."""
        if not self._ready:
            self._prepare()
        return self._conn

    def __repr__(self) -> str:
        return f"SQLiteStore({str(self.path)!r})"

    def get(self, key: str) -> bytes | None:
        """The live entry under `key`."""
        with self._lock:
            row = (
                self._use()
                .execute("SELECT value, expires_at FROM entries WHERE key = ?", (key,))
                .fetchone()
            )
        if row is None or (row[1] is not None and row[1] <= time.time()):
            return None
        return bytes(row[0])

    def set(self, key: str, value: bytes, ttl_s: float | None = None) -> None:
        """Store `value` under `key` (last writer wins)."""
        now = time.time()
        expires_at = None if ttl_s is None else now + ttl_s
        with self._lock:
            self._use().execute(
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
            self._use().execute(
                "INSERT INTO vectors (scope, key, vector) VALUES (?, ?, ?)", (scope, key, blob)
            )

    def search(self, scope: str, vector: Vector, k: int = 4) -> list[tuple[str, float]]:
        """The `k` most similar vectors of `scope`, syncing this process's mirror first."""
        with self._lock:
            generation = int(
                self._use()
                .execute("SELECT value FROM meta WHERE name = 'generation'")
                .fetchone()[0]
            )
            if generation != self._generation:
                # Rows were deleted (clear or sweep) by some process: rebuild from scratch.
                self._mirrors.clear()
                self._generation = generation
            place = (scope, int(vector.shape[0]))
            last_id, matrix = self._mirrors.get(place, (0, ScopeMatrix()))
            rows = self._conn.execute(
                "SELECT id, key, vector FROM vectors WHERE scope = ? AND id > ? ORDER BY id",
                (scope, last_id),
            ).fetchall()
            skipped = 0
            for row_id, key, blob in rows:
                stored = stored_vector(bytes(blob), place[1])
                if stored is None or not isinstance(key, str):
                    skipped += 1
                else:
                    matrix.add(key, stored)
                last_id = row_id
            self._mirrors[place] = (last_id, matrix)
            found = matrix.search(vector, k)
        if skipped:
            message = (
                f"skipped {skipped} vector(s) of scope {scope[:12]} that are not "
                f"{place[1]} float32 values (another embeddings model, or corrupted)"
            )
            self.faults.report("vector:dimensions", message)
        return found

    def clear(self) -> None:
        """Delete every entry and vector in the file (for every process)."""
        with self._lock:
            self._use()
            self._delete("DELETE FROM entries", "DELETE FROM vectors")
            self._mirrors.clear()

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._conn.close()

    def __len__(self) -> int:
        with self._lock:
            return int(self._use().execute("SELECT COUNT(*) FROM entries").fetchone()[0])
