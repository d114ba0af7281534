"""Learning from routing outcomes: what happened on past requests moves the score of new ones.

An outcome says, for one request, whether the cheap tier's answer held and whether the strong
tier's did (:class:`RoutingOutcome`: from the tripwire's verdicts, a benchmark, or the user).
:class:`OutcomeMemory` keeps them and adjusts a scorer's *prior* score ``p`` (read as the
chance that only the strong tier gets the request right):

- **with a task** it has outcomes for, the task's Beta-Binomial posterior: ``(a * p + r) /
  (a + n)``, where ``n`` is the task's outcomes, ``r`` how many the strong tier rescued (cheap
  failed, strong held) and ``a`` (``prior_strength``) how many outcomes the prior is worth;
- **without one** (or a task with no outcomes yet), the same update from the nearest labelled
  prompts: hashed TF-IDF vectors of the prompt's words, cosine similarity, the ``neighbours``
  most similar outcomes each counting as much as its similarity;
- **with neither**, the prior unchanged.

So no outcomes means no change, a few move the score a little, and many let a task's record
decide. The memory is bounded (the newest ``max_examples`` prompts; task totals are exact),
stores no prompt text (only hashes of its words), saves to and loads from one file, and
shares through a SQLite file or Redis (:mod:`~langchain_globalapi.routing.outcome_stores`).

Example:
    >>> memory = OutcomeMemory()
    >>> memory.add([RoutingOutcome("Prove it.", cheap_ok=False, strong_ok=True, task="proofs")])
    >>> round(memory.adjust(0.1, "Prove that 2 is prime.", task="proofs")[0], 3)  # (10*0.1+1)/11
    0.182
"""

from __future__ import annotations

import json
import logging
import math
import os
import threading
import time
import zlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
from langchain_core.language_models import LanguageModelInput

from langchain_globalapi.errors import OutcomeError, OutcomeStoreError
from langchain_globalapi.routing.outcome_stores import (
    InMemoryOutcomeStore,
    OutcomeRecord,
    OutcomeStore,
    TaskTotals,
)
from langchain_globalapi.routing.scorers import Conversation, scan_window, tokenize

__all__ = ["OutcomeMemory", "RoutingOutcome", "TaskTotals"]

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]
_FORMAT = "globalapi-outcomes-v1"


def _verdict(value: object, name: str) -> float:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
        if math.isnan(number) or not 0.0 <= number <= 1.0:
            msg = f"RoutingOutcome.{name} must be a bool or a number in [0, 1], got {value!r}"
            raise OutcomeError(msg)
        return number
    msg = f"RoutingOutcome.{name} must be a bool or a number in [0, 1], got {type(value).__name__}"
    raise OutcomeError(msg)


def _task(task: object) -> str | None:
    """A task tag as used for lookups: None or a non-blank string (blank means none)."""
    if task is None:
        return None
    if not isinstance(task, str):
        msg = f"task must be a str or None, got {type(task).__name__}"
        raise OutcomeError(msg)
    return task.strip() or None


@dataclass(frozen=True)
class RoutingOutcome:
    """What happened on one request: did the cheap tier's answer hold, did the strong tier's?

    Args:
        input: The request, as given to the router (str, messages, ``PromptValue``).
        cheap_ok: The cheap tier's answer held: a bool, or a grade in [0, 1].
        strong_ok: The strong tier's answer held (or would have): a bool or a grade in [0, 1].
        task: The request's task tag, if it has one (e.g. ``"support/refunds"``).

    Raises:
        OutcomeError: A verdict is NaN or outside [0, 1], the task is not a string, or the
            input has no text to learn from.

    Example:
        >>> RoutingOutcome("What is 17 * 23?", cheap_ok=False, strong_ok=True).rescued
        1.0
        >>> RoutingOutcome("hi", cheap_ok=float("nan"), strong_ok=True)
        Traceback (most recent call last):
        ...
        langchain_globalapi.errors.OutcomeError: RoutingOutcome.cheap_ok must be a bool or a number in [0, 1], got nan
    """  # noqa: E501

    input: LanguageModelInput
    cheap_ok: bool | float
    strong_ok: bool | float
    task: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "cheap_ok", _verdict(self.cheap_ok, "cheap_ok"))
        object.__setattr__(self, "strong_ok", _verdict(self.strong_ok, "strong_ok"))
        object.__setattr__(self, "task", _task(self.task))
        try:
            text = Conversation.from_input(self.input).text
        except (TypeError, ValueError) as exc:
            msg = f"RoutingOutcome.input is not a chat input: {exc}"
            raise OutcomeError(msg) from exc
        if not text.strip():
            msg = "RoutingOutcome.input has no text to learn from: pass the request's user message"
            raise OutcomeError(msg)

    @property
    def rescued(self) -> float:
        """How much the strong tier added over the cheap one (``strong_ok - cheap_ok``, >= 0)."""
        return max(float(self.strong_ok) - float(self.cheap_ok), 0.0)


# -- text representation ------------------------------------------------------------------------

_HASHES: dict[str, int] = {}
_HASH_CACHE_LIMIT = 200_000


def _word_counts(text: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """CRC-32 hashes of the distinct words in the scan window, and their counts.

    CRC-32 rather than ``hash()``: it is the same in every process, so shared records agree.
    """
    counts = Counter(tokenize(scan_window(text)))
    hashes = []
    for word in counts:
        value = _HASHES.get(word)
        if value is None:
            if len(_HASHES) >= _HASH_CACHE_LIMIT:
                _HASHES.clear()
            value = _HASHES[word] = zlib.crc32(word.encode("utf-8", "replace"))
        hashes.append(value)
    return tuple(hashes), tuple(counts.values())


class _NeighbourIndex:
    """Signed hashed TF-IDF vectors of the newest ``capacity`` outcomes, one column each."""

    def __init__(self, dims: int, capacity: int) -> None:
        self.dims, self.capacity = dims, capacity
        self.clear()

    def clear(self) -> None:
        """Forget every example (the matrix starts small and grows up to ``capacity``)."""
        self.columns = np.zeros((self.dims, min(self.capacity, 64)), dtype=np.float32)
        self.rescued = np.zeros(self.columns.shape[1])
        self.document_frequency = np.zeros(self.dims)
        self.size = 0
        self._next = 0
        self.idf2 = np.ones(self.dims, dtype=np.float32)
        self.norms = np.ones(0, dtype=np.float32)

    def vector(
        self, hashes: Sequence[int], counts: Sequence[int]
    ) -> tuple[npt.NDArray[np.int64], FloatArray]:
        """Buckets and values of one text: sign from the hash's top bit, weight 1 + log(count)."""
        h = np.asarray(hashes, dtype=np.int64)
        values = (1.0 + np.log(np.asarray(counts, dtype=np.float64))) * np.where(h >> 31, -1.0, 1.0)
        buckets, inverse = np.unique(h % self.dims, return_inverse=True)
        summed = np.bincount(inverse, weights=values, minlength=len(buckets))
        return buckets, np.asarray(summed, dtype=np.float64)

    def extend(self, records: Sequence[OutcomeRecord]) -> None:
        """Add records (the newest ``capacity`` of them), evicting the oldest when full."""
        records = records[-self.capacity :]
        if not records:
            return
        n = len(records)
        width = self.columns.shape[1]
        if width < min(self.capacity, self.size + n):
            grown = min(self.capacity, max(2 * width, self.size + n))
            self.columns = np.pad(self.columns, ((0, 0), (0, grown - width)))
            self.rescued = np.pad(self.rescued, (0, grown - width))
        columns = (self._next + np.arange(n)) % self.capacity
        evicted = columns[columns < self.size]
        if len(evicted):  # the ring is full: forget the oldest
            self.document_frequency -= np.count_nonzero(self.columns[:, evicted], axis=1)
            self.columns[:, evicted] = 0.0
        hashes = np.concatenate([np.asarray(r.hashes, dtype=np.int64) for r in records])
        counts = np.concatenate([np.asarray(r.counts, dtype=np.float64) for r in records])
        owner = np.repeat(columns, [len(r.hashes) for r in records])
        values = (1.0 + np.log(counts)) * np.where(hashes >> 31, -1.0, 1.0)
        np.add.at(self.columns, (hashes % self.dims, owner), values.astype(np.float32))
        self.document_frequency += np.count_nonzero(self.columns[:, columns], axis=1)
        self.rescued[columns] = [r.rescued for r in records]
        self.size = min(self.capacity, self.size + n) if len(evicted) < n else self.size
        self._next = int((self._next + n) % self.capacity)
        idf = np.log((self.size + 1.0) / (self.document_frequency + 1.0)) + 1.0
        self.idf2 = (idf * idf).astype(np.float32)
        live = self.columns[:, : self.size]
        self.norms = np.sqrt(self.idf2 @ (live * live)) + np.float32(1e-12)

    def neighbours(self, text: str, k: int) -> tuple[float, float]:
        """(similarity-weighted rescues, total similarity) of the ``k`` nearest outcomes."""
        if self.size == 0:
            return 0.0, 0.0
        buckets, values = self.vector(*_word_counts(text))
        if not len(buckets):
            return 0.0, 0.0
        weights = (values * self.idf2[buckets]).astype(np.float32)
        query_norm = math.sqrt(float(np.sum(values * values * self.idf2[buckets])))
        similarity = (weights @ self.columns[buckets, : self.size]) / (self.norms * query_norm)
        if self.size > k:
            nearest = np.argpartition(similarity, self.size - k)[self.size - k :]
            similarity, rescued = similarity[nearest], self.rescued[nearest]
        else:
            rescued = self.rescued[: self.size]
        weight = np.clip(similarity.astype(np.float64), 0.0, 1.0)
        return float(weight @ rescued), float(weight.sum())


# -- the memory ---------------------------------------------------------------------------------


def _positive(value: float, name: str, *, integer: bool = False) -> None:
    bad = isinstance(value, bool) or not isinstance(value, int | float) or not value > 0
    if bad or (integer and not isinstance(value, int)) or math.isinf(value):
        kind = "a positive int" if integer else "a positive number"
        msg = f"OutcomeMemory: {name} must be {kind}, got {value!r}"
        raise OutcomeError(msg)


class OutcomeMemory:
    """Outcomes a scorer learned from, and the adjustment they make to its prior score.

    Args:
        store: Where outcomes live (default: this process only). A ``SQLiteOutcomeStore`` or
            ``RedisOutcomeStore`` shares them with every memory pointing at the same place.
        prior_strength: How many outcomes the prior score is worth (``a`` above).
        neighbours: How many nearest labelled prompts inform an untagged request.
        max_examples: Newest prompts kept for the nearest-neighbour search (memory: ``dims`` x
            this x 4 bytes at most, 8 MB by default).
        dims: Size of the hashed word vectors.
        refresh_s: A shared store is re-read at most this often while scoring (``learn`` always
            re-reads). An unreachable store is logged and the last state is used.

    Raises:
        OutcomeError: A setting is not a positive number.

    Example:
        >>> memory = OutcomeMemory(prior_strength=4)
        >>> memory.add([RoutingOutcome(f"Sum {i} and {i + 1}.", True, True, task="sums")
        ...             for i in range(4)])
        >>> memory.adjust(0.3, "Sum 5 and 6.", task="sums")[0]  # (4 * 0.3 + 0) / (4 + 4)
        0.15
        >>> memory.tasks()["sums"].outcomes
        4.0
    """

    def __init__(
        self,
        store: OutcomeStore | None = None,
        *,
        prior_strength: float = 10.0,
        neighbours: int = 20,
        max_examples: int = 2000,
        dims: int = 1024,
        refresh_s: float = 1.0,
    ) -> None:
        _positive(prior_strength, "prior_strength")
        _positive(neighbours, "neighbours", integer=True)
        _positive(max_examples, "max_examples", integer=True)
        _positive(dims, "dims", integer=True)
        if isinstance(refresh_s, bool) or not isinstance(refresh_s, int | float) or refresh_s < 0:
            msg = f"OutcomeMemory: refresh_s must be a number >= 0, got {refresh_s!r}"
            raise OutcomeError(msg)
        self.store = store if store is not None else InMemoryOutcomeStore()
        self.prior_strength = float(prior_strength)
        self.neighbours = neighbours
        self.refresh_s = float(refresh_s)
        self._index = _NeighbourIndex(dims, max_examples)
        self._totals: dict[str, TaskTotals] = {}
        self._cursor = 0
        self._epoch: int | None = None
        self._synced_at = -math.inf
        self._lock = threading.RLock()
        # A store it was given may have other writers (even an in-memory one): re-read it.
        self._shared = store is not None
        if self._shared:
            self._refresh()

    def __repr__(self) -> str:
        return f"OutcomeMemory({self.store!r}, examples={len(self)}, tasks={len(self._totals)})"

    def __len__(self) -> int:
        """Prompts held for the nearest-neighbour search."""
        return self._index.size

    # -- learning -------------------------------------------------------------------------------

    def add(self, outcomes: Iterable[RoutingOutcome]) -> None:
        """Learn from outcomes (incremental: only the new ones are processed).

        Raises:
            OutcomeError: An item is not a ``RoutingOutcome``.
            OutcomeStoreError: The store could not be written or read.
        """
        records = []
        for outcome in outcomes:
            if not isinstance(outcome, RoutingOutcome):
                msg = f"learn() takes RoutingOutcome objects, got {type(outcome).__name__}"
                raise OutcomeError(msg)
            text = Conversation.from_input(outcome.input).text
            hashes, counts = _word_counts(text)
            cheap, strong = float(outcome.cheap_ok), float(outcome.strong_ok)
            records.append(OutcomeRecord(outcome.task, cheap, strong, hashes, counts))
        if records:
            self.store.append(records)
            self.sync()

    def sync(self) -> None:
        """Read what the store has gained since the last read (other processes' outcomes too).

        Raises:
            OutcomeStoreError: The store could not be read.
        """
        with self._lock:
            log = self.store.read(self._cursor)
            if self._epoch is not None and log.epoch != self._epoch:
                self._index.clear()  # the store was cleared: what was read before is gone
                log = self.store.read(0)
            totals = self.store.totals()
            self._index.extend(log.records)
            self._totals, self._cursor, self._epoch = totals, log.newest, log.epoch
            self._synced_at = time.monotonic()

    def _refresh(self) -> None:
        try:
            self.sync()
        except OutcomeStoreError as exc:
            self._synced_at = time.monotonic()  # try again after refresh_s, not on every call
            logger.warning("outcomes not refreshed, using the last state: %s", exc)

    # -- scoring --------------------------------------------------------------------------------

    def adjust(
        self, prior: float, text: str, task: str | None = None
    ) -> tuple[float, dict[str, float]]:
        """The score after outcomes, and signals saying what moved it.

        Args:
            prior: The scorer's own score in [0, 1].
            text: The request's last user message (what the scorer read).
            task: The request's task tag, if any.

        Returns:
            ``(score, signals)``; the signals are ``prior_score``, ``task_outcomes`` (outcomes
            of the task that informed the score) and ``neighbour_weight`` (total similarity of
            the nearest outcomes used; 0 when the task decided or nothing was near).
        """
        if self._shared and time.monotonic() - self._synced_at > self.refresh_s:
            self._refresh()
        key = _task(task)
        a = self.prior_strength
        with self._lock:
            totals = self._totals.get(key) if key is not None else None
            if totals is not None and totals.outcomes > 0:
                rescued, weight, n_task = totals.rescued, totals.outcomes, totals.outcomes
                near = 0.0
            else:
                rescued, weight = self._index.neighbours(text, self.neighbours)
                n_task, near = 0.0, weight
        score = min(max((a * prior + rescued) / (a + weight), 0.0), 1.0)
        return score, {"prior_score": prior, "task_outcomes": n_task, "neighbour_weight": near}

    def tasks(self) -> dict[str, TaskTotals]:
        """What was learned per task: outcomes, and how often each tier held (sums).

        Example:
            >>> OutcomeMemory().tasks()
            {}
        """
        with self._lock:
            return dict(self._totals)

    @property
    def empty(self) -> bool:
        """Nothing learned yet (scores are the prior's)."""
        return self._index.size == 0 and not self._totals

    # -- persistence ----------------------------------------------------------------------------

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the task totals and the kept records to one compressed ``.npz`` file."""
        with self._lock:
            records = self.store.read(0).records
            totals = {task: t.__dict__ for task, t in self.store.totals().items()}
        np.savez_compressed(
            Path(path),
            format=np.asarray(_FORMAT),
            totals=np.asarray(json.dumps(totals)),
            records=np.asarray("\n".join(r.to_bytes().decode() for r in records)),
        )

    def load(self, path: str | os.PathLike[str]) -> None:
        """Replace what this memory's store holds with a file written by :meth:`save`.

        Raises:
            OutcomeError: The file is not an outcomes file.
        """
        try:
            with np.load(Path(path), allow_pickle=False) as data:
                if str(data["format"]) != _FORMAT:
                    raise KeyError("format")
                totals = json.loads(str(data["totals"]))
                lines = str(data["records"])
        except (OSError, KeyError, ValueError) as exc:
            msg = f"{path} is not an outcomes file written by OutcomeMemory.save ({exc})"
            raise OutcomeError(msg) from exc
        records = [OutcomeRecord.from_bytes(line.encode()) for line in lines.split("\n") if line]
        self.store.clear()
        self.store.append(records, totals={t: TaskTotals(**v) for t, v in totals.items()})
        self.sync()
