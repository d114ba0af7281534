"""A ledger in Redis, shared by processes on many hosts: the writer's script and the reader.

One Lua script writes a whole batch atomically: for each event it claims the call id
(`SET NX` with an expiry, so a call delivered twice is written once), appends the row to a
capped stream, keeps it in the hour's priciest-calls set, and sums its counters into the
roll-up hashes of its minute, hour and day (which expire with the retention). A reply lost
after the script ran is retried safely: the ids are already claimed.

Keys, under a prefix (default `globalapi:ledger`): `:calls` (stream), `:r:SPAN:BUCKET`
(roll-up hashes, field `dim US value US metric-index`), `:b:SPAN` (sorted set of buckets),
`:top:HOUR` (priciest calls), `:seen:ID` and `:verdict:ID` (dedupe), `:text:ID`, `:version`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Hashable, Sequence
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from langchain_globalapi._redis import redis_client
from langchain_globalapi.errors import LedgerError
from langchain_globalapi.ledger._retention import Retention
from langchain_globalapi.ledger._rows import (
    CALL_FIELDS,
    METRICS,
    SPANS,
    CallRow,
    TextRow,
    VerdictRow,
    bucket_of,
)
from langchain_globalapi.ledger.reader import LedgerReader, RollupRow

__all__ = ["RedisLedgerReader", "RedisLedgerStore", "redacted_url"]

_US = "\x1f"  # separates dimension, value and metric index in a roll-up field
#: Priciest calls kept per hour for the "priciest calls" table.
_TOP_PER_HOUR = 10

_WRITE = """
local p = ARGV[1]
local dedupe_ttl = tonumber(ARGV[2])
local maxlen = ARGV[3]
local top_keep = tonumber(ARGV[4])
local calls_ttl = tonumber(ARGV[5])
local sums, buckets = {}, {}
local written, duplicates = 0, 0
for i = 6, #ARGV do
  local e = cjson.decode(ARGV[i])
  local claim = p .. (e.k == 'c' and ':seen:' or ':verdict:') .. e.id
  if redis.call('SET', claim, '1', 'NX', 'EX', dedupe_ttl) then
    written = written + 1
    if e.k == 'c' then
      redis.call('XADD', p .. ':calls', 'MAXLEN', '~', maxlen, '*', 'j', e.row)
      if e.cost then
        local top = p .. ':top:' .. e.hour
        redis.call('ZADD', top, e.cost, e.row)
        redis.call('ZREMRANGEBYRANK', top, 0, -(top_keep + 1))
        redis.call('EXPIRE', top, calls_ttl)
      end
    end
    for _, b in ipairs(e.b) do
      local key = p .. ':r:' .. b[1] .. ':' .. b[2]
      buckets[key] = b
      local t = sums[key]
      if not t then t = {}; sums[key] = t end
      for _, d in ipairs(e.d) do
        for _, c in ipairs(e.c) do
          local f = d .. '\\31' .. c[1]
          t[f] = (t[f] or 0) + c[2]
        end
      end
    end
  else
    duplicates = duplicates + 1
  end
end
for key, t in pairs(sums) do
  for f, n in pairs(t) do
    redis.call('HINCRBY', key, f, string.format('%d', n))
  end
  local b = buckets[key]
  redis.call('ZADD', p .. ':b:' .. b[1], b[2], b[2])
  if b[3] > 0 then redis.call('EXPIRE', key, b[3]) end
end
if written > 0 then redis.call('INCR', p .. ':version') end
return {written, duplicates}
"""


def redacted_url(url: str) -> str:
    """`url` without its password, for messages and the page.

    Example:
        >>> redacted_url("redis://:s3cret@cache.internal:6379/2")
        'redis://:***@cache.internal:6379/2'
    """
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}{port}"))


def _unreachable(url: str, exc: Exception) -> LedgerError:
    return LedgerError(
        f"cannot reach the Redis ledger at {redacted_url(url)} ({type(exc).__name__}: {exc}): "
        "start redis-server or check the URL"
    )


def _row_json(row: CallRow) -> str:
    return json.dumps([getattr(row, name) for name in CALL_FIELDS], separators=(",", ":"))


def _row_from_json(text: str | bytes) -> CallRow:
    return CallRow(*json.loads(text))


def _event(event: CallRow | VerdictRow, retention: Retention) -> str:
    spans = []
    for span in SPANS:
        keep_s = retention.keep_s(span)
        spans.append([span, bucket_of(event.ts, span), 0 if keep_s is None else int(keep_s) + span])
    document: dict[str, Any] = {
        "b": spans,
        "d": [f"{dim}{_US}{value}" for dim, value in event.dimensions()],
        "c": [[index, value] for index, value in enumerate(event.counters()) if value],
    }
    if isinstance(event, CallRow):
        document.update(k="c", id=event.call_id, row=_row_json(event))
        document["hour"] = bucket_of(event.ts, 3600)
        if event.cost_nusd is not None:
            document["cost"] = event.cost_nusd
    else:
        document.update(k="v", id=event.request_id)
    return json.dumps(document, separators=(",", ":"))


class RedisLedgerStore:
    """Writes batches of ledger events to Redis in one atomic script per batch.

    Example:
        >>> RedisLedgerStore(
        ...     "redis://127.0.0.1:1/0", Retention(), prefix="p", dedupe_window_s=60
        ... ).describe()
        'redis://127.0.0.1:1/0'
    """

    def __init__(
        self, url: str, retention: Retention, *, prefix: str, dedupe_window_s: float,
        timeout_s: float = 5.0,
    ) -> None:  # fmt: skip
        self.url = url
        self.prefix = prefix
        self.retention = retention
        self.dedupe_window_s = max(1, math.ceil(dedupe_window_s))
        # Checks the URL now (a typo fails at construction); connects on first write.
        self._client = redis_client(url, owner="Ledger", timeout_s=timeout_s, error=LedgerError)
        self._script = self._client.register_script(_WRITE)

    def describe(self) -> str:
        """The URL without its password."""
        return redacted_url(self.url)

    def write(self, events: Sequence[CallRow | VerdictRow | TextRow]) -> tuple[int, int]:
        """Write a batch atomically; return (events written, duplicates skipped)."""
        documents = [_event(e, self.retention) for e in events if not isinstance(e, TextRow)]
        written = duplicates = 0
        if documents:
            args = [
                self.prefix, self.dedupe_window_s, self.retention.max_calls, _TOP_PER_HOUR,
                int(self.retention.calls_s), *documents,
            ]  # fmt: skip
            written, duplicates = (int(n) for n in self._script(args=args))
        texts = [e for e in events if isinstance(e, TextRow)]
        if texts:
            pipe = self._client.pipeline(transaction=False)
            for text in texts:
                key = f"{self.prefix}:text:{text.call_id}"
                pipe.hset(key, mapping={"prompt": text.prompt or "", "answer": text.answer or ""})
                pipe.expire(key, int(self.retention.calls_s))
            pipe.execute()
        return written, duplicates

    def prune(self, retention: Retention, now: float) -> int:
        """Trim the stream by age and forget expired minute and hour buckets."""
        removed = int(
            self._client.xtrim(
                f"{self.prefix}:calls", minid=int((now - retention.calls_s) * 1000),
                approximate=True,
            )
        )  # fmt: skip
        for span in SPANS:
            keep_s = retention.keep_s(span)
            if keep_s is not None:
                self._client.zremrangebyscore(f"{self.prefix}:b:{span}", "-inf", now - keep_s)
        return removed

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()


class RedisLedgerReader(LedgerReader):
    """Reads a Redis ledger; an unreachable server is a `LedgerError` saying so.

    Example:
        >>> reader = RedisLedgerReader("redis://127.0.0.1:1/0", timeout_s=0.2)
        >>> try:
        ...     reader.bounds()
        ... except LedgerError as error:
        ...     print(str(error).split(" (")[0])
        cannot reach the Redis ledger at redis://127.0.0.1:1/0
    """

    def __init__(
        self, url: str, *, prefix: str = "globalapi:ledger", timeout_s: float = 2.0
    ) -> None:
        self.url = url
        self.prefix = prefix
        self.description = redacted_url(url)
        self._client = redis_client(
            url, owner="ledger reader", timeout_s=timeout_s, error=LedgerError
        )

    def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        import redis  # noqa: PLC0415 - the client is importable: redis_client checked it

        try:
            return getattr(self._client, method)(*args, **kwargs)
        except redis.exceptions.RedisError as exc:
            raise _unreachable(self.url, exc) from exc

    def _pipeline(self, commands: list[tuple[str, tuple[Any, ...]]]) -> list[Any]:
        import redis  # noqa: PLC0415

        pipe = self._client.pipeline(transaction=False)
        for method, args in commands:
            getattr(pipe, method)(*args)
        try:
            return list(pipe.execute())
        except redis.exceptions.RedisError as exc:
            raise _unreachable(self.url, exc) from exc

    def version(self) -> Hashable:
        """The ledger's write counter (`None` while unreachable)."""
        try:
            version: bytes | None = self._call("get", f"{self.prefix}:version")
        except LedgerError:
            return None
        return version

    def bounds(self) -> tuple[int, int] | None:
        """The first and last day buckets, or `None` for an empty ledger."""
        first, last = self._pipeline([
            ("zrange", (f"{self.prefix}:b:86400", 0, 0)),
            ("zrange", (f"{self.prefix}:b:86400", -1, -1)),
        ])  # fmt: skip
        if not first:
            return None
        return int(first[0]), int(last[0])

    def rollups(self, span: int, since: int, until: int) -> list[RollupRow]:
        """Roll-up rows of one bucket size in `[since, until)`."""
        buckets = [
            int(b)
            for b in self._call("zrangebyscore", f"{self.prefix}:b:{span}", since, f"({until}")
        ]
        hashes = self._pipeline(
            [("hgetall", (f"{self.prefix}:r:{span}:{bucket}",)) for bucket in buckets]
        )
        rows: list[RollupRow] = []
        width = len(METRICS)
        for bucket, fields in zip(buckets, hashes, strict=True):
            vectors: dict[tuple[str, str], list[int]] = {}
            for field, count in fields.items():
                dim, value, index = field.decode().split(_US)
                vector = vectors.setdefault((dim, value), [0] * width)
                vector[int(index)] = int(count)
            rows.extend(
                RollupRow(bucket, dim, value, tuple(vector))
                for (dim, value), vector in vectors.items()
            )
        return rows

    def top_calls(
        self, since: float, until: float, limit: int, *, calls_in_range: int | None = None
    ) -> list[dict[str, Any]]:
        """The priciest calls in the range, from each hour's kept priciest calls."""
        hours = range(bucket_of(since, 3600), int(until) + 1, 3600)
        replies = self._pipeline(
            [("zrevrange", (f"{self.prefix}:top:{hour}", 0, limit - 1)) for hour in hours]
        )
        calls = [_row_from_json(member) for members in replies for member in members]
        calls = [call for call in calls if since <= call.ts < until]
        calls.sort(key=lambda call: call.cost_nusd or 0, reverse=True)
        return [call.as_record() for call in calls[:limit]]

    def recent_calls(self, limit: int) -> list[dict[str, Any]]:
        """The last calls appended to the stream, newest first."""
        entries = self._call("xrevrange", f"{self.prefix}:calls", count=limit)
        return [_row_from_json(fields[b"j"]).as_record() for _, fields in entries]

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()
