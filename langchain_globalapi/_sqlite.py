"""One way to open a SQLite file for the parts that keep state in one (caches, routing outcomes).

Every process on the host may share the file: WAL mode (readers never block the writer), a
busy timeout for writers, autocommit (`BEGIN IMMEDIATE` where a write spans statements), and
one connection per object used from any thread under the object's own lock.

Example:
    >>> import os, tempfile
    >>> path, conn = sqlite_connection(
    ...     os.path.join(tempfile.mkdtemp(), "state.db"), owner="Example", busy_timeout_s=1.0
    ... )
    >>> conn.execute("PRAGMA journal_mode").fetchone()[0]
    'wal'
    >>> conn.close()
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from langchain_globalapi.errors import GlobalAPIError

__all__ = ["sqlite_connection"]


def sqlite_connection(
    path: str | os.PathLike[str],
    *,
    owner: str,
    busy_timeout_s: float,
    schema: str = "",
    error: type[GlobalAPIError] = GlobalAPIError,
) -> tuple[Path, sqlite3.Connection]:
    """The resolved path and an open connection; `error` (naming `owner`) if it cannot be used.

    Raises:
        error: The directory is missing or not writable, or the file is not a SQLite database.
    """
    resolved = Path(path).expanduser()
    directory = resolved.parent.resolve()
    if not directory.is_dir():
        msg = f"{owner}: directory {directory} does not exist; create it or pick another path"
        raise error(msg)
    if not os.access(directory, os.W_OK):
        msg = f"{owner}: directory {directory} is not writable; pick a writable path"
        raise error(msg)
    try:
        conn = sqlite3.connect(
            resolved, timeout=busy_timeout_s, check_same_thread=False, isolation_level=None
        )
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_s * 1000)}")
        conn.execute("PRAGMA journal_mode = WAL")
        # NORMAL is durable across application crashes in WAL mode; this state needs no more.
        conn.execute("PRAGMA synchronous = NORMAL")
        if schema:
            conn.executescript(schema)
    except sqlite3.DatabaseError as exc:
        msg = f"{owner}: cannot use {resolved} as a database ({exc})"
        raise error(msg) from exc
    return resolved, conn
