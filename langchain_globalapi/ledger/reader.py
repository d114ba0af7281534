"""Reading a ledger: the interface the dashboard and reports use, and `open_reader`.

A reader never writes and never creates a ledger. It answers from the roll-ups (a few
rows per minute, hour or day, whatever the number of calls) and reads raw call rows only
for the short tables (the priciest and the latest calls). Every failure to read (a file
that is not a ledger, an unreachable Redis) is a `LedgerError` whose message says what to
do, so a page can show it instead of breaking.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

from langchain_globalapi.ledger._ledger import is_redis_target

__all__ = ["LedgerReader", "RollupRow", "open_reader"]


@dataclass(frozen=True, slots=True)
class RollupRow:
    """The counters of one bucket for one value of one dimension (see `_rows.METRICS`).

    Example:
        >>> row = RollupRow(bucket=3600, dim="model", value="gpt-4o", counters=(2, 2))
        >>> row.dim, row.counters[0]
        ('model', 2)
    """

    bucket: int
    dim: str
    value: str
    counters: tuple[int, ...]


class LedgerReader(ABC):
    """Read-only access to a ledger's roll-ups and recent rows.

    Example:
        >>> import os, tempfile
        >>> reader = open_reader(os.path.join(tempfile.mkdtemp(), "none-yet.db"))
        >>> reader.bounds() is None, reader.description.endswith("(no file yet)")
        (True, True)
    """

    #: Where the ledger is, for messages (a Redis URL without its password).
    description: str

    @abstractmethod
    def version(self) -> Hashable:
        """A value that changes whenever anything is written to the ledger."""

    @abstractmethod
    def bounds(self) -> tuple[int, int] | None:
        """The first and last day buckets holding data, or `None` for an empty ledger."""

    @abstractmethod
    def rollups(self, span: int, since: int, until: int) -> list[RollupRow]:
        """Every roll-up row of `span` seconds with `since <= bucket < until`."""

    @abstractmethod
    def top_calls(
        self, since: float, until: float, limit: int, *, calls_in_range: int | None = None
    ) -> list[dict[str, Any]]:
        """The `limit` priciest calls that started in `[since, until)`, priciest first.

        `calls_in_range` (from the roll-ups) lets a reader pick the cheaper way to look.
        """

    @abstractmethod
    def recent_calls(self, limit: int) -> list[dict[str, Any]]:
        """The `limit` calls written last, newest first."""

    def close(self) -> None:  # noqa: B027 - optional for readers holding nothing
        """Release connections."""


def open_reader(
    target: str | os.PathLike[str], *, redis_prefix: str = "globalapi:ledger"
) -> LedgerReader:
    """A `LedgerReader` for a ledger file or `redis://` URL (nothing is created or written).

    Example:
        >>> open_reader("redis://127.0.0.1:1/0").description
        'redis://127.0.0.1:1/0'
    """
    if is_redis_target(target):
        from langchain_globalapi.ledger._redis import RedisLedgerReader  # noqa: PLC0415

        return RedisLedgerReader(str(target), prefix=redis_prefix)
    from langchain_globalapi.ledger._sqlite_reader import SQLiteLedgerReader  # noqa: PLC0415

    return SQLiteLedgerReader(target)
