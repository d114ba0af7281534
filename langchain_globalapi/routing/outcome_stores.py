"""Where routing outcomes live: the store interface, its records, and the in-process store.

A store keeps two things for one namespace: the exact running totals of every task's outcomes
(how many, how often each tier's answer held), and the most recent outcome records, each with
a sequence number so a reader fetches only what was added since it last looked. Records hold
no prompt text, only hashes of its words (what the nearest-neighbour memory compares). Every
process pointing at the same file or Redis URL and namespace learns from every other's
outcomes. Stores know nothing about scoring: :class:`~langchain_globalapi.routing.outcomes.
OutcomeMemory` decides what a record means. ``SQLiteOutcomeStore`` (``outcome_sqlite.py``) and
``RedisOutcomeStore`` (``outcome_redis.py``) share them between processes.

Example:
    >>> store = InMemoryOutcomeStore()
    >>> store.append([OutcomeRecord("math", cheap=0.0, strong=1.0, hashes=(7,), counts=(1,))])
    >>> store.totals()["math"].rescued
    1.0
    >>> log = store.read(after=0)
    >>> len(log.records), log.newest
    (1, 1)
"""

from __future__ import annotations

import json
import threading
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from langchain_globalapi.errors import OutcomeError

__all__ = [
    "InMemoryOutcomeStore",
    "OutcomeLog",
    "OutcomeRecord",
    "OutcomeStore",
    "TaskTotals",
]

#: Records a store keeps by default (the totals are exact whatever this is).
DEFAULT_MAX_RECORDS = 10_000


@dataclass(frozen=True)
class OutcomeRecord:
    """One outcome as stored: its task, both verdicts, and its words as hashes with counts.

    ``cheap`` and ``strong`` are how well each tier's answer held, in [0, 1] (1 = it held).
    ``hashes`` are CRC-32s of the prompt's distinct words, ``counts`` how often each occurs.
    """

    task: str | None
    cheap: float
    strong: float
    hashes: tuple[int, ...]
    counts: tuple[int, ...]

    @property
    def rescued(self) -> float:
        """How much the strong tier added: ``strong - cheap``, floored at 0."""
        return max(self.strong - self.cheap, 0.0)

    def to_bytes(self) -> bytes:
        """Compact JSON (the wire and file format of the shared stores)."""
        fields = [self.task, self.cheap, self.strong, self.hashes, self.counts]
        return json.dumps(fields, separators=(",", ":")).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> OutcomeRecord:
        """Parse :meth:`to_bytes` output."""
        task, cheap, strong, hashes, counts = json.loads(data)
        return cls(task, float(cheap), float(strong), tuple(hashes), tuple(counts))


@dataclass(frozen=True)
class TaskTotals:
    """Running totals of one task's outcomes (sums of the verdicts, so rates are sum / outcomes).

    Example:
        >>> t = TaskTotals().plus(OutcomeRecord("t", cheap=0.0, strong=1.0, hashes=(), counts=()))
        >>> t.outcomes, t.cheap_ok, t.strong_ok, t.rescued
        (1.0, 0.0, 1.0, 1.0)
    """

    outcomes: float = 0.0
    cheap_ok: float = 0.0
    strong_ok: float = 0.0
    rescued: float = 0.0

    def plus(self, record: OutcomeRecord) -> TaskTotals:
        """These totals with one more outcome."""
        return TaskTotals(
            self.outcomes + 1.0,
            self.cheap_ok + record.cheap,
            self.strong_ok + record.strong,
            self.rescued + record.rescued,
        )


TOTAL_FIELDS = ("outcomes", "cheap_ok", "strong_ok", "rescued")


class OutcomeLog(NamedTuple):
    """What :meth:`OutcomeStore.read` returns.

    Attributes:
        records: Records numbered above the reader's ``after`` that are still kept.
        newest: The newest record's number (never decreases, not even on ``clear``).
        epoch: Changes whenever the namespace is cleared: a reader that sees a new epoch drops
            what it read before.
    """

    records: list[OutcomeRecord]
    newest: int
    epoch: int


def totals_added(
    records: Sequence[OutcomeRecord], totals: dict[str, TaskTotals] | None = None
) -> dict[str, TaskTotals]:
    """Per task, what one append adds: ``totals`` when given, else the records' own."""
    if totals is not None:
        return dict(totals)
    added: dict[str, TaskTotals] = {}
    for record in records:
        if record.task is not None:
            added[record.task] = added.get(record.task, TaskTotals()).plus(record)
    return added


class OutcomeStore(ABC):
    """Task totals and a bounded, sequence-numbered log of outcome records.

    Implementations keep the newest ``max_records`` records; task totals are never trimmed.
    """

    max_records: int

    @abstractmethod
    def append(
        self, records: Sequence[OutcomeRecord], *, totals: dict[str, TaskTotals] | None = None
    ) -> None:
        """Add records and their tasks' totals, atomically for other readers.

        ``totals``, if given, are added instead of the records' own (restoring a saved file,
        whose totals count more outcomes than the records it kept).

        Raises:
            OutcomeStoreError: The backend could not be written.
        """

    @abstractmethod
    def read(self, after: int) -> OutcomeLog:
        """Records numbered above ``after`` that are still kept, the newest number and the epoch.

        Pass ``newest`` next time to get only what was added since.

        Raises:
            OutcomeStoreError: The backend could not be read.
        """

    @abstractmethod
    def totals(self) -> dict[str, TaskTotals]:
        """Every task's totals.

        Raises:
            OutcomeStoreError: The backend could not be read.
        """

    @abstractmethod
    def clear(self) -> None:
        """Forget every record and total of this namespace, and start a new epoch."""

    def close(self) -> None:  # noqa: B027 - optional hook, the in-memory store holds nothing
        """Release connections or files."""


def check_max_records(max_records: int) -> int:
    if isinstance(max_records, bool) or not isinstance(max_records, int) or max_records < 1:
        msg = f"max_records must be a positive int, got {max_records!r}"
        raise OutcomeError(msg)
    return max_records


class InMemoryOutcomeStore(OutcomeStore):
    """Outcomes in this process only: the default, lost on exit (use ``save`` to keep them).

    Args:
        max_records: Newest records kept (task totals are exact regardless).

    Example:
        >>> InMemoryOutcomeStore(max_records=100).max_records
        100
    """

    def __init__(self, max_records: int = DEFAULT_MAX_RECORDS) -> None:
        self.max_records = check_max_records(max_records)
        self._records: deque[tuple[int, OutcomeRecord]] = deque(maxlen=max_records)
        self._totals: dict[str, TaskTotals] = {}
        self._sequence = 0
        self._epoch = 0
        self._lock = threading.Lock()

    def append(
        self, records: Sequence[OutcomeRecord], *, totals: dict[str, TaskTotals] | None = None
    ) -> None:
        """Add records (and their totals)."""
        with self._lock:
            for record in records:
                self._sequence += 1
                self._records.append((self._sequence, record))
            for task, added in totals_added(records, totals).items():
                self._totals[task] = _sum(self._totals.get(task, TaskTotals()), added)

    def read(self, after: int) -> OutcomeLog:
        """Records numbered above ``after``, the newest number and the epoch."""
        with self._lock:
            records = [r for seq, r in self._records if seq > after]
            return OutcomeLog(records, self._sequence, self._epoch)

    def totals(self) -> dict[str, TaskTotals]:
        """Every task's totals (a copy)."""
        with self._lock:
            return dict(self._totals)

    def clear(self) -> None:
        """Forget everything and start a new epoch."""
        with self._lock:
            self._records.clear()
            self._totals.clear()
            self._epoch += 1


def _sum(a: TaskTotals, b: TaskTotals) -> TaskTotals:
    return TaskTotals(*(getattr(a, f) + getattr(b, f) for f in TOTAL_FIELDS))
