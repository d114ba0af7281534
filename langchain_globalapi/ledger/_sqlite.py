"""The SQLite ledger file: its schema, and the batched writes and pruning of the writer thread.

One file, WAL mode, a busy timeout: several processes append to the same ledger and their
calls add up. A batch is one `BEGIN IMMEDIATE` transaction that inserts the new call rows
(`INSERT OR IGNORE` on the call id, so a call delivered twice, or by two processes, is
written once) and adds exactly those rows to the roll-ups, so the roll-ups and the rows can
never disagree.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Sequence
from pathlib import Path

from langchain_globalapi.errors import LedgerError
from langchain_globalapi.ledger._retention import Retention
from langchain_globalapi.ledger._rows import (
    CALL_FIELDS,
    METRICS,
    SPANS,
    CallRow,
    Rollups,
    TextRow,
    VerdictRow,
    accumulate,
)

__all__ = ["SCHEMA_VERSION", "SQLiteLedgerStore", "check_schema", "connect"]

SCHEMA_VERSION = 1

_METRIC_COLUMNS = ",\n    ".join(f"{name} INTEGER NOT NULL DEFAULT 0" for name in METRICS)

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS calls (
    call_id TEXT PRIMARY KEY,
    ts REAL NOT NULL,
    model TEXT NOT NULL,
    tier TEXT NOT NULL,
    task TEXT NOT NULL,
    request_id TEXT,
    run_id TEXT NOT NULL,
    input_tokens INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL,
    cached_input_tokens INTEGER NOT NULL,
    cost_nusd INTEGER,
    reference_nusd INTEGER,
    saved_by_cache_nusd INTEGER NOT NULL,
    cache_hit INTEGER NOT NULL,
    error TEXT,
    estimated INTEGER NOT NULL,
    attempt INTEGER NOT NULL,
    routing_score REAL,
    cascade TEXT,
    shadow INTEGER NOT NULL,
    latency_ms REAL NOT NULL,
    verdict INTEGER,
    prompt TEXT,
    answer TEXT
);
CREATE INDEX IF NOT EXISTS calls_by_ts ON calls (ts);
CREATE INDEX IF NOT EXISTS calls_by_cost ON calls (cost_nusd);
CREATE INDEX IF NOT EXISTS calls_by_request ON calls (request_id) WHERE request_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS verdicts (
    request_id TEXT PRIMARY KEY, ts REAL NOT NULL, agree INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS rollups (
    span INTEGER NOT NULL,
    bucket INTEGER NOT NULL,
    dim TEXT NOT NULL,
    value TEXT NOT NULL,
    {_METRIC_COLUMNS},
    PRIMARY KEY (span, bucket, dim, value)
) WITHOUT ROWID;
INSERT OR IGNORE INTO meta (name, value) VALUES ('schema', '{SCHEMA_VERSION}');
"""  # noqa: S608 - names from constants

_INSERT_CALL = (
    f"INSERT OR IGNORE INTO calls ({', '.join(CALL_FIELDS)}) "  # noqa: S608 - names from constants
    f"VALUES ({', '.join('?' * len(CALL_FIELDS))})"
)
_UPSERT_ROLLUP = (
    f"INSERT INTO rollups (span, bucket, dim, value, {', '.join(METRICS)}) "  # noqa: S608 - names from constants
    f"VALUES (?, ?, ?, ?, {', '.join('?' * len(METRICS))}) "
    "ON CONFLICT (span, bucket, dim, value) DO UPDATE SET "
    + ", ".join(f"{name} = {name} + excluded.{name}" for name in METRICS)
)
#: Rows deleted per pruning transaction, so other writers never wait long for the lock.
_PRUNE_CHUNK = 20_000


def connect(path: Path, *, busy_timeout_s: float, read_only: bool = False) -> sqlite3.Connection:
    """A connection to the ledger file (autocommit; transactions are explicit)."""
    if read_only:
        uri = f"{path.resolve().as_uri()}?mode=ro"
        conn = sqlite3.connect(
            uri, uri=True, timeout=busy_timeout_s, isolation_level=None, check_same_thread=False
        )
    else:
        conn = sqlite3.connect(path, timeout=busy_timeout_s, isolation_level=None)
    conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_s * 1000)}")
    return conn


def check_schema(conn: sqlite3.Connection, path: Path) -> None:
    """Raise `LedgerError` unless `conn` holds a ledger of this schema version."""
    try:
        row = conn.execute("SELECT value FROM meta WHERE name = 'schema'").fetchone()
    except sqlite3.OperationalError as exc:
        msg = (
            f"{path} is a SQLite database but not a usage ledger ({exc}); point the ledger at "
            "its own file, e.g. Ledger('usage.db')"
        )
        raise LedgerError(msg) from exc
    if row is None or row[0] != str(SCHEMA_VERSION):
        found = None if row is None else row[0]
        msg = (
            f"{path} holds a ledger of schema version {found!r}, this package reads version "
            f"{SCHEMA_VERSION}: upgrade langchain-globalapi or start a new ledger file"
        )
        raise LedgerError(msg)


class SQLiteLedgerStore:
    """Writes batches of ledger events to one SQLite file (used by the ledger's writer thread).

    The file and its schema are created at construction, so a bad path fails there;
    the connection used for writing is opened by the thread that writes.

    Example:
        >>> import os, tempfile
        >>> from langchain_globalapi.ledger._rows import VerdictRow
        >>> store = SQLiteLedgerStore(os.path.join(tempfile.mkdtemp(), "usage.db"))
        >>> store.write([VerdictRow("q1", 0.0, True), VerdictRow("q1", 1.0, False)])
        (1, 1)
        >>> store.close()
    """

    def __init__(self, path: str | os.PathLike[str], *, busy_timeout_s: float = 10.0) -> None:
        self.path = Path(path)
        self.busy_timeout_s = busy_timeout_s
        if not self.path.parent.is_dir():
            msg = f"ledger directory {self.path.parent} does not exist: create it first"
            raise LedgerError(msg)
        self._conn: sqlite3.Connection | None = None
        self._pid = os.getpid()
        try:
            conn = connect(self.path, busy_timeout_s=busy_timeout_s)
            try:
                conn.execute("PRAGMA journal_mode = WAL")
                conn.executescript(_SCHEMA)
                check_schema(conn, self.path)
            finally:
                conn.close()
        except sqlite3.Error as exc:
            msg = (
                f"cannot use {self.path} as a ledger ({exc}): give a writable path to a new "
                "file or to an existing ledger"
            )
            raise LedgerError(msg) from exc

    def describe(self) -> str:
        """The ledger's location, for messages."""
        return str(self.path)

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None or self._pid != os.getpid():
            self._conn = connect(self.path, busy_timeout_s=self.busy_timeout_s)
            self._conn.execute("PRAGMA synchronous = NORMAL")
            self._pid = os.getpid()
        return self._conn

    def write(self, events: Sequence[CallRow | VerdictRow | TextRow]) -> tuple[int, int]:
        """Write a batch in one transaction; return (events written, duplicates skipped)."""
        conn = self._connection()
        rollups: Rollups = {}
        written = duplicates = 0
        conn.execute("BEGIN IMMEDIATE")
        try:
            for event in events:
                if isinstance(event, TextRow):
                    conn.execute(
                        "UPDATE calls SET prompt = ?, answer = ? WHERE call_id = ?",
                        (event.prompt, event.answer, event.call_id),
                    )
                    continue
                counted: CallRow | VerdictRow | None
                if isinstance(event, CallRow):
                    inserted = conn.execute(_INSERT_CALL, _call_values(event)).rowcount
                    counted = event if inserted == 1 else None
                else:
                    counted = _write_verdict(conn, event)
                if counted is None:
                    duplicates += 1
                else:
                    written += 1
                    accumulate(rollups, counted)
            conn.executemany(
                _UPSERT_ROLLUP, [(*key, *counters) for key, counters in rollups.items()]
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return written, duplicates

    def prune(self, retention: Retention, now: float) -> int:
        """Delete raw calls past their age or count, and expired minute and hour roll-ups."""
        conn = self._connection()
        deleted = _delete_in_chunks(
            conn,
            "DELETE FROM calls WHERE rowid IN (SELECT rowid FROM calls WHERE ts < ? LIMIT ?)",
            now - retention.calls_s,
        )
        newest = conn.execute("SELECT max(rowid) FROM calls").fetchone()[0]
        if newest is not None:
            deleted += _delete_in_chunks(
                conn,
                "DELETE FROM calls WHERE rowid IN "
                "(SELECT rowid FROM calls WHERE rowid <= ? ORDER BY rowid LIMIT ?)",
                newest - retention.max_calls,
            )
        conn.execute("DELETE FROM verdicts WHERE ts < ?", (now - retention.calls_s,))
        for span in SPANS:
            keep_s = retention.keep_s(span)
            if keep_s is not None:
                conn.execute(
                    "DELETE FROM rollups WHERE span = ? AND bucket < ?", (span, now - keep_s)
                )
        return deleted

    def close(self) -> None:
        """Close this thread's connection."""
        if self._conn is not None and self._pid == os.getpid():
            self._conn.close()
        self._conn = None


def _call_values(row: CallRow) -> tuple[object, ...]:
    return tuple(getattr(row, name) for name in CALL_FIELDS)


def _write_verdict(conn: sqlite3.Connection, verdict: VerdictRow) -> VerdictRow | None:
    """Record a verdict once per request; `None` when it is a duplicate.

    The verdict takes the answered call's model, tier and task where it names none.
    """
    inserted = conn.execute(
        "INSERT OR IGNORE INTO verdicts (request_id, ts, agree) VALUES (?, ?, ?)",
        (verdict.request_id, verdict.ts, int(verdict.agree)),
    ).rowcount
    if inserted != 1:
        return None
    answered = conn.execute(
        "SELECT call_id, model, tier, task FROM calls WHERE request_id = ? AND error IS NULL "
        "AND shadow = 0 ORDER BY ts DESC LIMIT 1",
        (verdict.request_id,),
    ).fetchone()
    if answered is None:
        return verdict
    call_id, model, tier, task = answered
    conn.execute("UPDATE calls SET verdict = ? WHERE call_id = ?", (int(verdict.agree), call_id))
    return VerdictRow(
        verdict.request_id,
        verdict.ts,
        verdict.agree,
        model=verdict.model or model,
        tier=verdict.tier or tier,
        task=verdict.task or task,
    )


def _delete_in_chunks(conn: sqlite3.Connection, sql: str, bound: float) -> int:
    deleted = 0
    while True:
        count = conn.execute(sql, (bound, _PRUNE_CHUNK)).rowcount
        deleted += count
        if count < _PRUNE_CHUNK:
            return deleted
        time.sleep(0)  # let other threads of this process run between chunks
