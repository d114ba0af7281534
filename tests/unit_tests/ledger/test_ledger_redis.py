"""The Redis ledger against a real redis-server: outages, retention, secrets in URLs."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
import redis

from langchain_globalapi.costs import BilledCall
from langchain_globalapi.errors import LedgerError
from langchain_globalapi.ledger import Ledger, Retention, open_reader, summarize

pytestmark = pytest.mark.redis


def _totals(url: str) -> dict[str, Any]:
    return summarize(open_reader(url), now=time.time() + 60)["totals"]


def test_redis_down_never_reaches_the_call_and_rows_arrive_after_restart(
    redis_server: Any,
    redis_url: str,
    billed: Callable[..., BilledCall],
    usd_of: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    ledger = Ledger(redis_url)
    redis_server.stop()
    calls = [billed(at=time.time()) for _ in range(30)]
    with caplog.at_level(logging.WARNING, logger="langchain_globalapi.ledger"):
        for call in calls:
            ledger.on_billed(call)  # must not raise
        assert not ledger.flush(timeout_s=1.0)
        redis_server.start()
        assert ledger.flush(timeout_s=15.0)
    ledger.close()
    assert caplog.text.count("cannot be written") == 1
    assert Decimal(_totals(redis_url)["spend_usd"]) == usd_of(calls)


def test_an_unreachable_redis_is_not_an_error_at_construction() -> None:
    ledger = Ledger("redis://127.0.0.1:1/0")  # connects on the first write, fails open
    ledger.close(timeout_s=0.1)
    assert ledger.target == "redis://127.0.0.1:1/0"


def test_the_stream_of_raw_calls_is_capped_but_totals_keep_everything(
    redis_url: str, billed: Callable[..., BilledCall], usd_of: Any
) -> None:
    calls = [billed(at=time.time()) for _ in range(2000)]
    with Ledger(redis_url, retention=Retention(max_calls=100)) as ledger:
        for call in calls:
            ledger.on_billed(call)
    client = redis.Redis.from_url(redis_url)
    assert client.xlen("globalapi:ledger:calls") < 400  # approximate trimming: ~100
    assert Decimal(_totals(redis_url)["spend_usd"]) == usd_of(calls)


def test_two_prefixes_are_two_ledgers(redis_url: str, billed: Callable[..., BilledCall]) -> None:
    with (
        Ledger(redis_url, redis_prefix="team-a") as a,
        Ledger(redis_url, redis_prefix="team-b") as b,
    ):
        a.on_billed(billed(at=time.time()))
        b.on_billed(billed(at=time.time()))
        b.on_billed(billed(at=time.time()))
    calls = {
        prefix: summarize(open_reader(redis_url, redis_prefix=prefix))["totals"]["calls"]
        for prefix in ("team-a", "team-b")
    }
    assert calls == {"team-a": 1, "team-b": 2}


def test_the_password_of_a_redis_url_is_never_shown() -> None:
    ledger = Ledger("redis://:hunter2@127.0.0.1:1/0")
    reader = open_reader("redis://:hunter2@127.0.0.1:1/0")
    summary = summarize(reader)
    ledger.close(timeout_s=0.1)
    assert "hunter2" not in ledger.target + reader.description + str(summary)
    assert summary["status"] == "error"


def test_a_non_redis_url_scheme_is_refused_by_the_reader() -> None:
    with pytest.raises(LedgerError, match="unsupported ledger target"):
        open_reader("redis+sentinel://x")
