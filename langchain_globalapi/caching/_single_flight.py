"""Single flight: identical requests in flight at the same time are sent once.

A cache answers repeats that arrive after the first answer is stored; requests that arrive
while the first is still being answered would all miss and all be paid for
(`abatch(["a", "b", "a"])` made three calls). `Flights` lets the first caller of a key
lead and the others follow: followers wait for the leader's answer and are served it as
a cache hit ($0). When the leader fails, stops early or takes longer than the followers'
patience, followers make their own calls: nothing is lost, only the duplicate is saved.

Leaders and followers may be sync or async, in any mix and on any thread or event loop:
a flight ends with a `threading.Event` for sync followers and wakes async followers through
their own loop.

Example:
    >>> flights = Flights()
    >>> first, leads = flights.join("key")
    >>> second, follows = flights.join("key")
    >>> leads, follows, first is second
    (True, False, True)
    >>> flights.finish("key", first, ["the answer"])
    >>> second.wait(timeout_s=1)
    ['the answer']
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from typing import Generic, TypeVar

__all__ = ["Flight", "Flights"]

_T = TypeVar("_T")


class Flight(Generic[_T]):
    """One leader's call that followers wait on; ends with a result or `None` (failed)."""

    def __init__(self) -> None:
        self._done = threading.Event()
        self._result: _T | None = None
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = []
        self._lock = threading.Lock()

    def end(self, result: _T | None) -> None:
        """Publish the leader's result (`None`: followers call for themselves)."""
        with self._lock:
            self._result = result
            self._done.set()
            waiters, self._waiters = self._waiters, []
        for loop, future in waiters:
            with contextlib.suppress(RuntimeError):  # that loop has closed: nobody waits
                loop.call_soon_threadsafe(_resolve, future)

    def wait(self, timeout_s: float | None) -> _T | None:
        """Block until the leader is done; its result, or `None` (failed or too slow)."""
        if not self._done.wait(timeout_s):
            return None
        return self._result

    async def await_result(self, timeout_s: float | None) -> _T | None:
        """Async `wait`, woken through the caller's own event loop."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        with self._lock:
            if self._done.is_set():
                return self._result
            self._waiters.append((loop, future))
        try:
            await asyncio.wait_for(future, timeout_s)
        except asyncio.TimeoutError:
            return None
        return self._result


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class Flights(Generic[_T]):
    """The flights in progress, by key (thread-safe)."""

    def __init__(self) -> None:
        self._flights: dict[str, Flight[_T]] = {}
        self._lock = threading.Lock()

    def join(self, key: str) -> tuple[Flight[_T], bool]:
        """The flight for `key` and whether the caller leads it (no flight was in progress)."""
        with self._lock:
            flight = self._flights.get(key)
            if flight is not None:
                return flight, False
            flight = self._flights[key] = Flight()
            return flight, True

    def finish(self, key: str, flight: Flight[_T], result: _T | None) -> None:
        """End the leader's flight: publish `result` and let the next request lead anew."""
        with self._lock:
            if self._flights.get(key) is flight:
                del self._flights[key]
        flight.end(result)

    def __len__(self) -> int:
        with self._lock:
            return len(self._flights)
