"""`SQLiteOutcomeStore`: routing outcomes in one SQLite file, shared by every process on the host.

Records and task totals of one namespace live in two tables; an append is one transaction
(insert, add totals, trim to ``max_records``), a read one snapshot. The file may be the cache's.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Sequence
from typing import Any

from langchain_globalapi._sqlite import sqlite_connection
from langchain_globalapi.errors import OutcomeError, OutcomeStoreError
from langchain_globalapi.routing.outcome_stores import (
    DEFAULT_MAX_RECORDS,
    TOTAL_FIELDS,
    OutcomeLog,
    OutcomeRecord,
    OutcomeStore,
    TaskTotals,
    check_max_records,
    totals_added,
)

__all__ = ["SQLiteOutcomeStore"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outcome_records (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, namespace TEXT NOT NULL, record BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS outcome_records_by_namespace ON outcome_records (namespace, seq);
CREATE TABLE IF NOT EXISTS outcome_tasks (
    namespace TEXT NOT NULL, task TEXT NOT NULL, outcomes REAL NOT NULL, cheap_ok REAL NOT NULL,
    strong_ok REAL NOT NULL, rescued REAL NOT NULL, PRIMARY KEY (namespace, task)
);
CREATE TABLE IF NOT EXISTS outcome_epochs (namespace TEXT PRIMARY KEY, epoch INTEGER NOT NULL);
"""


class SQLiteOutcomeStore(OutcomeStore):
    """Outcomes in one SQLite file: survives restarts, shared by every process on the host.

    Args:
        path: The database file (may be the same file as a ``SQLiteStore`` cache).
        namespace: Keeps separate routers' outcomes apart in one file.
        max_records: Newest records kept per namespace (task totals are exact regardless).
        busy_timeout_s: How long a writer waits for another process's write lock.

    Raises:
        OutcomeError: the directory is missing or not writable, the file is not a SQLite
            database, or ``max_records`` is not a positive int.

    Example:
        >>> import os, tempfile
        >>> from langchain_globalapi.routing.outcome_stores import OutcomeRecord
        >>> store = SQLiteOutcomeStore(os.path.join(tempfile.mkdtemp(), "outcomes.db"))
        >>> store.append([OutcomeRecord(None, cheap=1.0, strong=1.0, hashes=(), counts=())])
        >>> len(store.read(after=0).records)
        1
        >>> store.close()
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        namespace: str = "default",
        max_records: int = DEFAULT_MAX_RECORDS,
        busy_timeout_s: float = 10.0,
    ) -> None:
        self.max_records = check_max_records(max_records)
        self.namespace = namespace
        self._lock = threading.Lock()
        self.path, self._conn = sqlite_connection(
            path,
            owner="SQLiteOutcomeStore",
            busy_timeout_s=busy_timeout_s,
            schema=_SCHEMA,
            error=OutcomeError,
        )

    def __repr__(self) -> str:
        return f"SQLiteOutcomeStore({str(self.path)!r}, namespace={self.namespace!r})"

    def _run(self, work: Any) -> Any:
        with self._lock:
            try:
                return work()
            except sqlite3.Error as exc:
                msg = f"SQLiteOutcomeStore: {self.path}: {exc}"
                raise OutcomeStoreError(msg) from exc

    def append(
        self, records: Sequence[OutcomeRecord], *, totals: dict[str, TaskTotals] | None = None
    ) -> None:
        """Insert records, add their totals and trim old records, in one transaction."""
        increments = totals_added(records, totals)
        if not records and not increments:
            return

        def work() -> None:
            conn = self._conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.executemany(
                    "INSERT INTO outcome_records (namespace, record) VALUES (?, ?)",
                    [(self.namespace, r.to_bytes()) for r in records],
                )
                conn.executemany(
                    "INSERT INTO outcome_tasks VALUES (?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT (namespace, task) DO UPDATE SET "
                    "outcomes = outcomes + excluded.outcomes, "
                    "cheap_ok = cheap_ok + excluded.cheap_ok, "
                    "strong_ok = strong_ok + excluded.strong_ok, "
                    "rescued = rescued + excluded.rescued",
                    [
                        (self.namespace, task, *(getattr(t, f) for f in TOTAL_FIELDS))
                        for task, t in increments.items()
                    ],
                )
                oldest_kept = conn.execute(
                    "SELECT seq FROM outcome_records WHERE namespace = ? "
                    "ORDER BY seq DESC LIMIT 1 OFFSET ?",
                    (self.namespace, self.max_records - 1),
                ).fetchone()
                if oldest_kept is not None:
                    conn.execute(
                        "DELETE FROM outcome_records WHERE namespace = ? AND seq < ?",
                        (self.namespace, oldest_kept[0]),
                    )
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

        self._run(work)

    def read(self, after: int) -> OutcomeLog:
        """Records numbered above ``after`` in this namespace, the newest number and the epoch."""

        def work() -> tuple[list[Any], Any]:
            conn = self._conn
            conn.execute("BEGIN")  # one snapshot for both queries
            try:
                rows = conn.execute(
                    "SELECT seq, record FROM outcome_records WHERE namespace = ? AND seq > ? "
                    "ORDER BY seq",
                    (self.namespace, after),
                ).fetchall()
                epoch = conn.execute(
                    "SELECT epoch FROM outcome_epochs WHERE namespace = ?", (self.namespace,)
                ).fetchone()
            finally:
                conn.execute("COMMIT")
            return rows, epoch

        rows, epoch = self._run(work)
        newest = rows[-1][0] if rows else after
        records = [OutcomeRecord.from_bytes(bytes(blob)) for _, blob in rows]
        return OutcomeLog(records, int(newest), int(epoch[0]) if epoch else 0)

    def totals(self) -> dict[str, TaskTotals]:
        """Every task's totals in this namespace."""
        rows = self._run(
            lambda: self._conn.execute(
                "SELECT task, outcomes, cheap_ok, strong_ok, rescued FROM outcome_tasks "
                "WHERE namespace = ?",
                (self.namespace,),
            ).fetchall()
        )
        return {task: TaskTotals(*values) for task, *values in rows}

    def clear(self) -> None:
        """Delete this namespace's records and totals (for every process)."""

        def work() -> None:
            conn = self._conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.execute("DELETE FROM outcome_records WHERE namespace = ?", (self.namespace,))
                conn.execute("DELETE FROM outcome_tasks WHERE namespace = ?", (self.namespace,))
                conn.execute(
                    "INSERT INTO outcome_epochs VALUES (?, 1) "
                    "ON CONFLICT (namespace) DO UPDATE SET epoch = epoch + 1",
                    (self.namespace,),
                )
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

        self._run(work)

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._conn.close()
