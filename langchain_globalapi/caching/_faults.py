"""Failing open, loudly once: how caches and stores report a fault without failing the call.

A cache that cannot reach its store, or finds an entry it cannot trust, answers as if the
entry were absent. That must be visible but not flood the logs: each kind of fault is
reported once (a `CacheWarning` and a log line at WARNING), then at DEBUG. Store faults
(Redis down, SQLite locked) warn again after the store has worked in between, so a
second outage is not silent.

Example:
    >>> import warnings
    >>> faults = FaultLog("ExactCache")
    >>> with warnings.catch_warnings(record=True) as seen:
    ...     warnings.simplefilter("always")
    ...     for _ in range(3):
    ...         faults.report("entry:bad_usd", "cached cost 'abc' is not a number")
    >>> len(seen), faults.count
    (1, 3)
"""

from __future__ import annotations

import logging
import threading
import warnings

__all__ = ["CacheWarning", "FaultLog"]

logger = logging.getLogger("langchain_globalapi.caching")


class CacheWarning(UserWarning):
    """A cache or store fault was treated as a miss (the call went on without the cache)."""


class FaultLog:
    """Once-per-kind reporting of the faults one cache or store treats as misses."""

    def __init__(self, owner: str) -> None:
        self.owner = owner
        self.count = 0
        self._warned: set[str] = set()
        self._lock = threading.Lock()

    def report(self, kind: str, message: str, *, transient: bool = False) -> None:
        """Count the fault; warn the first time this `kind` is seen (since the last recovery).

        Args:
            kind: What went wrong, e.g. `"store:ConnectionError"` or `"entry:bad_usd"`.
            message: The full sentence for the log.
            transient: A store fault that `recovered()` re-arms.
        """
        key = ("transient:" if transient else "") + kind
        with self._lock:
            self.count += 1
            first = key not in self._warned
            self._warned.add(key)
        if not first:
            logger.debug("%s: %s", self.owner, message)
            return
        text = f"{self.owner}: {message} (logged once; repeats go to DEBUG)"
        logger.warning(text)
        warnings.warn(text, CacheWarning, stacklevel=4)

    def recovered(self) -> None:
        """The store answered again: the next store fault warns again."""
        if not any(key.startswith("transient:") for key in self._warned):
            return
        with self._lock:
            self._warned = {key for key in self._warned if not key.startswith("transient:")}
