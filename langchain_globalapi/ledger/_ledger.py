"""`Ledger`: append every billed call to SQLite or Redis without slowing or breaking the call.

The billing core hands each `BilledCall` to `Ledger.on_billed`, which only puts it on a
bounded queue (a few microseconds, never blocks, never raises). One background thread per
ledger and process takes calls off the queue in batches, turns them into rows and writes
each batch in one transaction (SQLite) or one script (Redis). When the store is down the
batch is kept and retried with backoff; the queue then fills and further calls are dropped
and counted; one warning is logged per outage, and one when calls start being dropped.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import math
import os
import queue
import threading
import time
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from langchain_globalapi._validate import non_negative_number, positive_int, seconds
from langchain_globalapi.errors import LedgerError
from langchain_globalapi.ledger._retention import Retention
from langchain_globalapi.ledger._rows import CallRow, TextRow, VerdictRow

if TYPE_CHECKING:
    from langchain_globalapi.catalog import Catalog
    from langchain_globalapi.costs import BilledCall
    from langchain_globalapi.ledger._callback import LedgerCallback

__all__ = ["Ledger", "LedgerStats", "is_redis_target"]

logger = logging.getLogger("langchain_globalapi.ledger")

_REDIS_PREFIXES = ("redis://", "rediss://", "unix://")
_MAX_BACKOFF_S = 5.0


def is_redis_target(target: object) -> bool:
    """True when `target` names a Redis server, False for a file path; other URLs are refused.

    Example:
        >>> is_redis_target("redis://localhost:6379/0"), is_redis_target("usage.db")
        (True, False)

    Raises:
        LedgerError: `target` is a URL of another kind (`postgres://...`).
    """
    if isinstance(target, str) and target.startswith(_REDIS_PREFIXES):
        return True
    if isinstance(target, str) and "://" in target:
        msg = (
            f"unsupported ledger target {target!r}: give a file path (SQLite) or a "
            "redis://, rediss:// or unix:// URL"
        )
        raise LedgerError(msg)
    return False


class _Store(Protocol):
    def describe(self) -> str: ...
    def write(self, events: Sequence[CallRow | VerdictRow | TextRow]) -> tuple[int, int]: ...
    def prune(self, retention: Retention, now: float) -> int: ...
    def close(self) -> None: ...


@dataclass(frozen=True)
class LedgerStats:
    """What a ledger did in this process.

    Attributes:
        written: Calls and verdicts written to the store.
        duplicates: Calls (or verdicts) already in the store, skipped.
        dropped: Calls not written: the queue was full, the ledger closed, or the store
            stayed down until the ledger closed.
        queued: Events waiting on the queue right now.
        failed_writes: Batches that failed to write (each is retried).
        last_error: The last write error, if any.

    Example:
        >>> import os, tempfile
        >>> with Ledger(os.path.join(tempfile.mkdtemp(), "usage.db")) as ledger:
        ...     ledger.record_verdict("request-1", agree=True)
        ...     _ = ledger.flush()
        ...     stats = ledger.stats()
        >>> stats.written, stats.dropped, stats.last_error
        (1, 0, None)
    """

    written: int
    duplicates: int
    dropped: int
    queued: int
    failed_writes: int
    last_error: str | None


class _Flush:
    """A marker on the queue: set when everything queued before it is written."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.ok = False


_STOP = object()
_PRUNE = object()


class Ledger:
    """A usage ledger: every billed call appended to SQLite (a file path) or Redis (a URL).

    Attach it once: `get_globalapi_callback(ledger=ledger)`, `ledger=ledger` on a router,
    fallback chain or cache wrapper, or `config={"callbacks": [ledger.as_callback()]}`.
    The billing core hands it each `BilledCall` (`on_billed`); point `globalapi dashboard
    --ledger ...` or `globalapi report` at the same target.
    Any number of threads and processes may write to one ledger: calls add up, each call
    id is written once. Prompt and answer text is never stored unless `store_text=True`.

    Args:
        target: A file path for SQLite (created if missing), or `redis://host:port/db`
            (also `rediss://`, `unix://`) to share one ledger between hosts.
        retention: How long raw calls and roll-ups are kept (see `Retention`).
        store_text: Keep the prompt and answer given to `record_text` (off by default).
        queue_size: Events waiting to be written at most; beyond it calls are dropped
            and counted (`stats().dropped`), never waited for.
        batch_size: Events written per transaction at most.
        linger_s: How long the writer waits to fill a batch once a call arrived.
        prune_every_s: How often the writer applies the retention.
        redis_prefix: Key prefix in Redis (one ledger per prefix).
        dedupe_window_s: Redis only: how long a call id is remembered to drop duplicates.

    Raises:
        LedgerError: a bad path, URL or setting (at construction, never during a call).

    Example:
        >>> import os, tempfile
        >>> from langchain_globalapi.costs import BilledCall, price_usage
        >>> path = os.path.join(tempfile.mkdtemp(), "usage.db")
        >>> ledger = Ledger(path)
        >>> cost = price_usage({"input_tokens": 1000, "output_tokens": 200}, "gpt-4o")
        >>> ledger.on_billed(BilledCall("call-1", "run-1", 1.7e9, 812.0, "gpt-4o", cost=cost))
        >>> ledger.flush()
        True
        >>> ledger.stats().written
        1
        >>> ledger.close()
    """

    def __init__(
        self,
        target: str | os.PathLike[str],
        *,
        retention: Retention | None = None,
        store_text: bool = False,
        queue_size: int = 10_000,
        batch_size: int = 500,
        linger_s: float = 0.05,
        prune_every_s: float = 60.0,
        redis_prefix: str = "globalapi:ledger",
        dedupe_window_s: float = 86400.0,
    ) -> None:
        self._queue_size = positive_int("Ledger", "queue_size", queue_size, error=LedgerError)
        self.batch_size = positive_int("Ledger", "batch_size", batch_size, error=LedgerError)
        self.linger_s = non_negative_number("Ledger", "linger_s", linger_s, error=LedgerError)
        self.prune_every_s = seconds("Ledger", "prune_every_s", prune_every_s, error=LedgerError)
        dedupe_window_s = seconds("Ledger", "dedupe_window_s", dedupe_window_s, error=LedgerError)
        self.retention = retention or Retention()
        self.store_text = store_text
        self._store: _Store = _open_store(
            target, self.retention, redis_prefix=redis_prefix, dedupe_window_s=dedupe_window_s
        )
        self.target = self._store.describe()
        self._lock = threading.Lock()
        self._written = self._duplicates = self._dropped = self._failed_writes = 0
        self._last_error: str | None = None
        self._warned_drop = False
        self._closed = False
        self._reset_after_fork()
        _OPEN_LEDGERS.add(self)

    def _reset_after_fork(self) -> None:
        # A forked child has the parent's queue but not its writer thread: start afresh.
        self._queue: queue.Queue[object] = queue.Queue(self._queue_size)
        self._thread: threading.Thread | None = None
        self._prune_now = False
        self._start_lock = threading.Lock()

    # -- the hot path ------------------------------------------------------------------

    def on_billed(self, call: BilledCall) -> None:
        """Queue one billed call for writing. Never blocks, never raises."""
        self._enqueue(call)

    def record_verdict(
        self,
        request_id: str,
        agree: bool,
        *,
        model: str | None = None,
        tier: str | None = None,
        task: str | None = None,
        at: float | None = None,
    ) -> None:
        """Queue a tripwire verdict on the answer to `request_id`. Never blocks, never raises.

        The verdict is counted once per request id, at time `at` (default: now). On SQLite,
        a missing `model`, `tier` or `task` is taken from the answered call in the ledger;
        on Redis, pass them to see agreement per model, tier and task.
        """
        when = time.time() if at is None or not math.isfinite(at) else float(at)
        self._enqueue(
            VerdictRow(str(request_id), when, bool(agree), model or "", tier or "", task or "")
        )

    def record_text(self, call_id: str, *, prompt: str | None, answer: str | None) -> None:
        """Queue a call's prompt and answer; ignored unless the ledger has `store_text=True`."""
        if self.store_text:
            self._enqueue(TextRow(str(call_id), prompt, answer))

    def _enqueue(self, item: object) -> None:
        try:
            if self._closed:
                self._count_dropped(1, "the ledger is closed")
                return
            self._queue.put_nowait(item)
            if self._thread is None:
                self._start()
        except queue.Full:
            self._count_dropped(1, f"its queue of {self._queue_size} is full")
        except Exception as exc:  # the hot path never raises into the caller
            self._count_dropped(1, f"{type(exc).__name__}: {exc}")

    def _count_dropped(self, count: int, why: str) -> None:
        with self._lock:
            self._dropped += count
            warn = not self._warned_drop
            self._warned_drop = True
        if warn:
            logger.warning(
                "usage ledger %s is dropping calls (%s); see Ledger.stats().dropped",
                self.target,
                why,
            )

    def _start(self) -> None:
        with self._start_lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name=f"globalapi-ledger:{self.target}", daemon=True
                )
                self._thread.start()

    def as_callback(
        self, catalog: Catalog | None = None, *, reference_model: str | None = None
    ) -> LedgerCallback:
        """A LangChain callback handler that bills every model call below it into this ledger.

        Use it where handlers go: `chain.invoke(x, config={"callbacks": [ledger.as_callback()]})`.
        """
        from langchain_globalapi.ledger._callback import LedgerCallback  # noqa: PLC0415

        return LedgerCallback(self, catalog, reference_model=reference_model)

    # -- control -------------------------------------------------------------------------

    def flush(self, timeout_s: float = 10.0) -> bool:
        """Wait until every event queued so far is written; False on timeout or store failure."""
        if self._closed:
            return self._queue.empty()
        marker = _Flush()
        try:
            self._queue.put(marker, timeout=timeout_s)
        except queue.Full:
            return False
        if self._thread is None:
            self._start()
        return marker.done.wait(timeout_s) and marker.ok

    def prune(self, timeout_s: float = 10.0) -> bool:
        """Apply the retention now (the writer does it every `prune_every_s`); False on timeout."""
        try:
            self._queue.put(_PRUNE, timeout=timeout_s)
        except queue.Full:
            return False
        return self.flush(timeout_s)

    def close(self, timeout_s: float = 10.0) -> None:
        """Write what is queued (waiting at most `timeout_s`), stop the writer, close the store."""
        if self._closed:
            return
        self._closed = True
        thread = self._thread
        if thread is not None and thread.is_alive():
            with contextlib.suppress(queue.Full):
                self._queue.put(_STOP, timeout=timeout_s)
            thread.join(timeout_s)
        leftover = self._queue.qsize()
        if leftover:
            self._count_dropped(leftover, "it was closed before they were written")
        if thread is None or not thread.is_alive():
            self._store.close()
        _OPEN_LEDGERS.discard(self)

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def stats(self) -> LedgerStats:
        """Counts of what this ledger wrote, skipped and dropped in this process."""
        with self._lock:
            return LedgerStats(
                written=self._written,
                duplicates=self._duplicates,
                dropped=self._dropped,
                queued=self._queue.qsize(),
                failed_writes=self._failed_writes,
                last_error=self._last_error,
            )

    def __repr__(self) -> str:
        return f"Ledger({self.target!r})"

    # -- the writer thread -------------------------------------------------------------

    def _run(self) -> None:
        pending: list[CallRow | VerdictRow | TextRow] = []
        next_prune = time.monotonic() + min(self.prune_every_s, 5.0)
        backoff_s = 0.0
        while True:
            markers: list[_Flush] = []
            stopping = self._collect(pending, markers, wait=not pending)
            if pending and self._write(pending):
                pending, backoff_s = [], 0.0
            elif pending and stopping:
                self._count_dropped(len(pending), "the store stayed down until it closed")
                pending = []
            elif pending:
                backoff_s = min(_MAX_BACKOFF_S, max(0.1, backoff_s * 2))
            if not pending and (self._prune_now or time.monotonic() >= next_prune):
                next_prune = time.monotonic() + self.prune_every_s
                self._prune_now = False
                self._prune()
            for marker in markers:
                marker.ok = not pending
                marker.done.set()
            if stopping:
                self._store.close()
                return
            time.sleep(backoff_s)

    def _collect(
        self, batch: list[CallRow | VerdictRow | TextRow], markers: list[_Flush], *, wait: bool
    ) -> bool:
        """Move queued events into `batch` (up to `batch_size`); True when told to stop."""
        timeout = self.prune_every_s if wait else 0.0
        deadline: float | None = None
        while len(batch) < self.batch_size:
            try:
                if deadline is None:
                    item = self._queue.get(timeout=timeout) if wait else self._queue.get_nowait()
                    deadline = time.monotonic() + self.linger_s
                else:
                    left = deadline - time.monotonic()
                    item = self._queue.get(timeout=left) if left > 0 else self._queue.get_nowait()
            except queue.Empty:
                return False
            if item is _STOP:
                return True
            if item is _PRUNE:
                self._prune_now = True
                continue
            if isinstance(item, _Flush):
                markers.append(item)
                return False  # write now: the flush is waiting
            row = self._row(item)
            if row is not None:
                batch.append(row)
        return False

    def _row(self, item: object) -> CallRow | VerdictRow | TextRow | None:
        if isinstance(item, (VerdictRow, TextRow)):
            return item
        try:
            return CallRow.from_call(item)  # type: ignore[arg-type]
        except Exception as exc:  # a malformed call is dropped, not the writer
            self._count_dropped(1, f"a call could not be read: {type(exc).__name__}: {exc}")
            return None

    def _write(self, batch: list[CallRow | VerdictRow | TextRow]) -> bool:
        try:
            written, duplicates = self._store.write(batch)
        except Exception as exc:
            with self._lock:
                first = self._last_error is None
                self._failed_writes += 1
                self._last_error = f"{type(exc).__name__}: {exc}"
            if first:
                logger.warning(
                    "usage ledger %s cannot be written (%s: %s); calls go on, their rows are "
                    "kept in memory and retried, and dropped if the queue fills",
                    self.target,
                    type(exc).__name__,
                    exc,
                )
            return False
        with self._lock:
            recovered = self._last_error is not None
            self._last_error = None
            self._written += written
            self._duplicates += duplicates
        if recovered:
            logger.warning("usage ledger %s is writable again", self.target)
        return True

    def _prune(self) -> None:
        try:
            self._store.prune(self.retention, time.time())
        except Exception as exc:  # pruning is retried at the next interval
            logger.debug("usage ledger %s: pruning failed: %s", self.target, exc)


def _open_store(
    target: str | os.PathLike[str],
    retention: Retention,
    *,
    redis_prefix: str,
    dedupe_window_s: float,
) -> _Store:
    if is_redis_target(target):
        from langchain_globalapi.ledger._redis import RedisLedgerStore  # noqa: PLC0415

        return RedisLedgerStore(
            str(target), retention, prefix=redis_prefix, dedupe_window_s=dedupe_window_s
        )
    from langchain_globalapi.ledger._sqlite import SQLiteLedgerStore  # noqa: PLC0415

    return SQLiteLedgerStore(target)


_OPEN_LEDGERS: weakref.WeakSet[Ledger] = weakref.WeakSet()


def _close_all_at_exit() -> None:
    for ledger in list(_OPEN_LEDGERS):
        ledger.close(timeout_s=5.0)


def _reset_all_after_fork() -> None:
    for ledger in list(_OPEN_LEDGERS):
        ledger._reset_after_fork()


atexit.register(_close_all_at_exit)
os.register_at_fork(after_in_child=_reset_all_after_fork)
