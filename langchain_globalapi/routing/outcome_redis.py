"""`RedisOutcomeStore`: routing outcomes in Redis, shared by every worker and host (Redis 7).

A namespace is four keys: a list of the newest records, a sequence number, a hash of task
totals and an epoch. Appends and reads are single Lua scripts, so a reader never sees half an
append; nothing needs RediSearch or other modules.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from langchain_globalapi._redis import redis_client
from langchain_globalapi.errors import OutcomeError, OutcomeStoreError
from langchain_globalapi.routing.outcome_stores import (
    DEFAULT_MAX_RECORDS,
    TOTAL_FIELDS,
    OutcomeLog,
    OutcomeRecord,
    OutcomeStore,
    TaskTotals,
    check_max_records,
    totals_added,
)

__all__ = ["RedisOutcomeStore"]

# KEYS: records (list), sequence (int), totals (hash). ARGV: max records, number of records,
# the records, then one "field increment" pair per task total. Returns the newest number.
_APPEND = """
local n = tonumber(ARGV[2])
for i = 1, n do redis.call('RPUSH', KEYS[1], ARGV[2 + i]) end
redis.call('LTRIM', KEYS[1], -tonumber(ARGV[1]), -1)
for i = 3 + n, #ARGV, 2 do redis.call('HINCRBYFLOAT', KEYS[3], ARGV[i], ARGV[i + 1]) end
return redis.call('INCRBY', KEYS[2], n)
"""
# KEYS: records, sequence, epoch. ARGV: after. Returns {newest, epoch, records above `after`...}.
_READ = """
local newest = tonumber(redis.call('GET', KEYS[2]) or '0')
local epoch = tonumber(redis.call('GET', KEYS[3]) or '0')
local after = tonumber(ARGV[1])
if after >= newest then return {newest, epoch} end
local kept = redis.call('LLEN', KEYS[1])
local start = math.max(0, kept - (newest - after))
local out = redis.call('LRANGE', KEYS[1], start, -1)
table.insert(out, 1, epoch)
table.insert(out, 1, newest)
return out
"""


class RedisOutcomeStore(OutcomeStore):
    """Outcomes in Redis: every worker and host learns from every other's (Redis 7 is enough).

    Appends and reads are single Lua scripts, so a reader never sees half an append. Needs the
    ``redis`` extra. Nothing is sent at construction.

    Args:
        url: ``redis://host:port/db``, ``rediss://...`` (TLS) or ``unix:///path.sock``.
        namespace: Keeps separate routers' outcomes apart.
        prefix: Prefix of every key this store writes.
        max_records: Newest records kept (task totals are exact regardless).
        socket_timeout_s: Per-command timeout.

    Raises:
        OutcomeError: the URL scheme is not redis, rediss or unix, ``redis`` is not installed,
            or ``max_records`` is not a positive int.

    Example:
        >>> RedisOutcomeStore("redis://127.0.0.1:6379/0", namespace="support-bot").namespace
        'support-bot'
    """

    def __init__(
        self,
        url: str,
        *,
        namespace: str = "default",
        prefix: str = "globalapi:outcomes",
        max_records: int = DEFAULT_MAX_RECORDS,
        socket_timeout_s: float = 0.5,
    ) -> None:
        self.max_records = check_max_records(max_records)
        self.namespace = namespace
        self.url = url
        self._client = redis_client(
            url, owner="RedisOutcomeStore", timeout_s=socket_timeout_s, error=OutcomeError
        )
        base = f"{prefix}:{namespace}"
        self._keys = (f"{base}:records", f"{base}:sequence", f"{base}:totals", f"{base}:epoch")
        self._append = self._client.register_script(_APPEND)
        self._read = self._client.register_script(_READ)

    def __repr__(self) -> str:
        return f"RedisOutcomeStore({self.url!r}, namespace={self.namespace!r})"

    def _run(self, work: Any) -> Any:
        import redis  # noqa: PLC0415 - optional dependency, present once a client was built

        try:
            return work()
        except redis.RedisError as exc:
            msg = f"RedisOutcomeStore: {self.url}: {exc}"
            raise OutcomeStoreError(msg) from exc

    def append(
        self, records: Sequence[OutcomeRecord], *, totals: dict[str, TaskTotals] | None = None
    ) -> None:
        """Push records, trim to ``max_records`` and add task totals, in one script."""
        fields: list[str | float] = []
        for task, added in totals_added(records, totals).items():
            for name in TOTAL_FIELDS:
                fields += [json.dumps([task, name]), getattr(added, name)]
        if not records and not fields:
            return
        args = [self.max_records, len(records), *(r.to_bytes() for r in records), *fields]
        self._run(lambda: self._append(keys=list(self._keys[:3]), args=args))

    def read(self, after: int) -> OutcomeLog:
        """Records numbered above ``after`` that are still kept, the newest number and epoch."""
        keys = [self._keys[0], self._keys[1], self._keys[3]]
        reply = self._run(lambda: self._read(keys=keys, args=[after]))
        records = [OutcomeRecord.from_bytes(r) for r in reply[2:]]
        return OutcomeLog(records, int(reply[0]), int(reply[1]))

    def totals(self) -> dict[str, TaskTotals]:
        """Every task's totals."""
        raw = self._run(lambda: self._client.hgetall(self._keys[2]))
        values: dict[str, dict[str, float]] = {}
        for field, value in raw.items():
            task, name = json.loads(field)
            values.setdefault(task, {})[name] = float(value)
        return {task: TaskTotals(**fields) for task, fields in values.items()}

    def clear(self) -> None:
        """Delete this namespace's records and totals and start a new epoch (for every process).

        The sequence number is kept, so readers' cursors stay meaningful.
        """
        pipe = self._client.pipeline(transaction=True)
        pipe.delete(self._keys[0], self._keys[2])
        pipe.incr(self._keys[3])
        self._run(pipe.execute)

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()
