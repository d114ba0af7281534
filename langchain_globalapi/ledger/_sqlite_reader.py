"""Reading a SQLite ledger file: read-only, never creating it, with clear messages on failure."""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Hashable
from pathlib import Path
from typing import Any

from langchain_globalapi.errors import LedgerError
from langchain_globalapi.ledger._rows import CALL_FIELDS, METRICS, CallRow
from langchain_globalapi.ledger._sqlite import check_schema, connect
from langchain_globalapi.ledger.reader import LedgerReader, RollupRow

__all__ = ["SQLiteLedgerReader"]

_RECORD_COLUMNS = ", ".join((*CALL_FIELDS, "verdict"))
_TOP = (
    "SELECT {columns} FROM calls INDEXED BY {index} WHERE ts >= ? AND ts < ? "
    "AND cost_nusd IS NOT NULL ORDER BY cost_nusd DESC LIMIT ?"
)
_TOP_BY_COST = _TOP.format(columns=_RECORD_COLUMNS, index="calls_by_cost")
_TOP_BY_TIME = _TOP.format(columns=_RECORD_COLUMNS, index="calls_by_ts")
#: Ranges with more calls than this are searched down the cost index.
_BUSY_RANGE = 20_000
_RECENT = f"SELECT {_RECORD_COLUMNS} FROM calls ORDER BY rowid DESC LIMIT ?"  # noqa: S608
_ROLLUPS = (
    f"SELECT bucket, dim, value, {', '.join(METRICS)} FROM rollups "  # noqa: S608 - names from constants
    "WHERE span = ? AND bucket >= ? AND bucket < ?"
)


class SQLiteLedgerReader(LedgerReader):
    """Reads one ledger file; a missing file reads as an empty ledger until it appears.

    Example:
        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "broken.db")
        >>> _ = open(path, "wb").write(b"not a database at all" * 100)
        >>> try:
        ...     SQLiteLedgerReader(path).bounds()
        ... except LedgerError as error:
        ...     print(str(error).split(" (")[0].endswith("broken.db is not a readable ledger"))
        True
    """

    def __init__(self, path: str | os.PathLike[str], *, busy_timeout_s: float = 5.0) -> None:
        self.path = Path(path)
        self.busy_timeout_s = busy_timeout_s
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    @property
    def description(self) -> str:  # type: ignore[override]
        """The file, and whether it exists yet."""
        return str(self.path) if self.path.exists() else f"{self.path} (no file yet)"

    def _query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            try:
                if self._conn is None:
                    conn = connect(self.path, busy_timeout_s=self.busy_timeout_s, read_only=True)
                    try:
                        check_schema(conn, self.path)
                    except BaseException:
                        conn.close()
                        raise
                    self._conn = conn
                return self._conn.execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                self._drop_connection()
                msg = (
                    f"{self.path} is not a readable ledger ({exc}): point --ledger at the file "
                    "your application's Ledger(...) writes, or move this one away"
                )
                raise LedgerError(msg) from exc
            except LedgerError:
                self._drop_connection()
                raise

    def _drop_connection(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def version(self) -> Hashable:
        """`PRAGMA data_version` (changes when another connection commits) and the file's id."""
        try:
            stat = self.path.stat()
        except OSError:
            return None
        try:
            data_version = self._query("PRAGMA data_version")[0][0]
        except LedgerError:
            data_version = None
        return (stat.st_ino, stat.st_dev, data_version)

    def bounds(self) -> tuple[int, int] | None:
        """The first and last day buckets, or `None` when nothing was written yet."""
        if not self.path.exists():
            return None
        first, last = self._query(
            "SELECT min(bucket), max(bucket) FROM rollups WHERE span = 86400"
        )[0]
        return None if first is None else (int(first), int(last))

    def rollups(self, span: int, since: int, until: int) -> list[RollupRow]:
        """Roll-up rows of one bucket size in `[since, until)`."""
        if not self.path.exists():
            return []
        return [
            RollupRow(int(row[0]), row[1], row[2], tuple(row[3:]))
            for row in self._query(_ROLLUPS, (span, since, until))
        ]

    def top_calls(
        self, since: float, until: float, limit: int, *, calls_in_range: int | None = None
    ) -> list[dict[str, Any]]:
        """The priciest calls started in the range (from the raw rows still kept).

        A busy range is read down the cost index until `limit` calls of the range turn up
        (a few rows); a quiet one through the time index and sorted (few rows too). The
        planner cannot know which, so the roll-ups' count of the range decides.
        """
        if not self.path.exists():
            return []
        busy = calls_in_range is None or calls_in_range > _BUSY_RANGE
        rows = self._query(_TOP_BY_COST if busy else _TOP_BY_TIME, (since, until, limit))
        return [_record(row) for row in rows]

    def recent_calls(self, limit: int) -> list[dict[str, Any]]:
        """The last calls written (insertion order), newest first."""
        if not self.path.exists():
            return []
        rows = self._query(_RECENT, (limit,))
        return [_record(row) for row in rows]

    def close(self) -> None:
        """Close the read connection."""
        with self._lock:
            self._drop_connection()


def _record(row: tuple[Any, ...]) -> dict[str, Any]:
    *columns, verdict = row
    call = CallRow(*columns)
    return call.as_record(None if verdict is None else bool(verdict))
