"""Conversation affinity: later turns of a thread never drop below a tier an earlier turn used.

A conversation that needed the strong tier once (a hard question, a long context) keeps
needing it: a cheap model answering turn five of a proof loses the thread. The router
remembers, per `thread_id`, the highest tier index used, in a bounded in-memory LRU map
(per process; the oldest threads are forgotten first).

Example:
    >>> affinity = ThreadAffinity(max_threads=2)
    >>> affinity.record("t1", 2)
    >>> affinity.record("t1", 0)
    >>> affinity.floor("t1"), affinity.floor("unknown")
    (2, None)
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable

__all__ = ["ThreadAffinity"]


class ThreadAffinity:
    """The highest tier index each conversation thread has used, least recently used evicted."""

    def __init__(self, max_threads: int = 10_000) -> None:
        self.max_threads = max_threads
        self._floors: OrderedDict[Hashable, int] = OrderedDict()
        self._lock = threading.Lock()

    def floor(self, thread_id: Hashable) -> int | None:
        """The lowest tier index this thread may use, or `None` for a new thread."""
        with self._lock:
            value = self._floors.get(thread_id)
            if value is not None:
                self._floors.move_to_end(thread_id)
            return value

    def record(self, thread_id: Hashable, tier_index: int) -> None:
        """Remember that this thread used `tier_index` (the floor only ever rises)."""
        with self._lock:
            self._floors[thread_id] = max(tier_index, self._floors.get(thread_id, tier_index))
            self._floors.move_to_end(thread_id)
            while len(self._floors) > self.max_threads:
                self._floors.popitem(last=False)

    def __len__(self) -> int:
        with self._lock:
            return len(self._floors)
