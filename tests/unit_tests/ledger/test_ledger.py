"""The ledger's contract, on SQLite and on a real redis-server alike.

Every billed call is appended once, money adds up exactly, failures, cache hits and
verdicts are counted where the dashboard looks for them, and writing never blocks or
raises into the call.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest

from langchain_globalapi.costs import BilledCall, CallCost
from langchain_globalapi.errors import LedgerError
from langchain_globalapi.ledger import Ledger, Retention, open_reader, summarize


@pytest.fixture(params=["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
def target(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "usage.db")
    return str(request.getfixturevalue("redis_url"))


@pytest.fixture
def ledger(target: str) -> Iterator[Ledger]:
    with Ledger(target) as opened:
        yield opened


def _summary(target: str, **options: Any) -> dict[str, Any]:
    reader = open_reader(target)
    options.setdefault("now", 1736121600.0 + 86400)  # the day after the tests' calls
    try:
        return summarize(reader, **options)
    finally:
        reader.close()


def _by_name(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {row["name"]: row for row in rows}


def test_total_spend_is_the_exact_sum_of_every_call(
    ledger: Ledger, target: str, billed: Callable[..., BilledCall], usd_of: Any, t0: float
) -> None:
    models = ["deepseek-ai/DeepSeek-V4-Flash", "deepseek-ai/DeepSeek-V4-Pro", "gpt-4o"]
    calls = [
        billed(models[i % 3], input_tokens=997 + i, output_tokens=13 * i, at=t0 + i * 37)
        for i in range(300)
    ]
    for call in calls:
        ledger.on_billed(call)
    assert ledger.flush()
    totals = _summary(target)["totals"]
    assert Decimal(totals["spend_usd"]) == usd_of(calls)
    assert totals["calls"] == totals["answered"] == 300
    assert totals["input_tokens"] == sum(c.cost.input_tokens for c in calls if c.cost)


def test_a_call_delivered_twice_is_written_once(
    ledger: Ledger, target: str, billed: Callable[..., BilledCall]
) -> None:
    call = billed()
    ledger.on_billed(call)
    ledger.on_billed(call)
    assert ledger.flush()
    with Ledger(target) as second:  # another writer, as another process would be
        second.on_billed(call)
        assert second.flush()
        assert second.stats().duplicates == 1
    assert (ledger.stats().written, ledger.stats().duplicates) == (1, 1)
    assert _summary(target)["totals"]["calls"] == 1


def test_savings_compare_answers_with_the_reference_model(
    ledger: Ledger, target: str, billed: Callable[..., BilledCall]
) -> None:
    flash = billed("deepseek-ai/DeepSeek-V4-Flash", input_tokens=10_000, output_tokens=1_000)
    ledger.on_billed(flash)
    ledger.on_billed(billed("gpt-4o", shadow=True))  # a tripwire re-check: spend, no answer
    ledger.on_billed(billed("deepseek-ai/DeepSeek-V4-Flash", error="server_error", cost=None))
    assert ledger.flush()
    totals = _summary(target)["totals"]
    assert flash.cost is not None
    assert flash.cost.reference_usd is not None
    assert Decimal(totals["reference_usd"]) == flash.cost.reference_usd
    assert totals["answered"] == 1
    assert totals["shadow"] == 1
    assert Decimal(totals["saving_usd"]) == Decimal(totals["reference_usd"]) - Decimal(
        totals["spend_usd"]
    )


def test_cache_hits_cost_nothing_and_count_what_they_saved(
    ledger: Ledger, target: str, billed: Callable[..., BilledCall]
) -> None:
    miss = billed("gpt-4o")
    hit = billed("gpt-4o", cache_hit=True)
    ledger.on_billed(miss)
    ledger.on_billed(hit)
    assert ledger.flush()
    totals = _summary(target)["totals"]
    assert hit.cost is not None
    assert miss.cost is not None
    assert miss.cost.usd is not None
    assert Decimal(totals["spend_usd"]) == miss.cost.usd
    assert Decimal(totals["saved_by_cache_usd"]) == hit.cost.saved_by_cache_usd == miss.cost.usd
    assert totals["cache_hits"] == 1
    assert totals["cache_hit_rate"] == 0.5


def test_failed_attempts_and_fallbacks_are_counted_per_model(
    ledger: Ledger, target: str, billed: Callable[..., BilledCall]
) -> None:
    flash, pro = "deepseek-ai/DeepSeek-V4-Flash", "deepseek-ai/DeepSeek-V4-Pro"
    ledger.on_billed(billed(flash, error="rate_limit", cost=None, request_id="q1"))
    ledger.on_billed(billed(flash, error="server_error", cost=None, request_id="q2"))
    ledger.on_billed(billed(pro, attempt=2, request_id="q1"))
    ledger.on_billed(billed(pro, attempt=2, request_id="q2"))
    assert ledger.flush()
    models = _by_name(_summary(target)["models"])
    assert (models[flash]["failed"], models[flash]["rate_limited"]) == (2, 1)
    assert (models[pro]["answered"], models[pro]["fallback_served"]) == (2, 2)


def test_a_partly_streamed_failure_is_billed_as_estimated(
    ledger: Ledger, target: str, billed: Callable[..., BilledCall]
) -> None:
    partial = billed("gpt-4o", output_tokens=40, error="disconnect", estimated=True)
    ledger.on_billed(partial)
    assert ledger.flush()
    totals = _summary(target)["totals"]
    assert partial.cost is not None
    assert partial.cost.usd is not None
    assert Decimal(totals["spend_usd"]) == partial.cost.usd
    assert (totals["estimated"], totals["failed"], totals["reference_usd"]) == (1, 1, "0")


def test_cascade_escalations_give_the_escalation_rate(
    ledger: Ledger, target: str, billed: Callable[..., BilledCall]
) -> None:
    for index in range(4):
        ledger.on_billed(billed(cascade="cheap", request_id=f"q{index}"))
    ledger.on_billed(billed("gpt-4o", cascade="escalated", request_id="q0"))
    assert ledger.flush()
    assert _summary(target)["totals"]["escalation_rate"] == 0.25


def test_an_unpriced_model_is_counted_not_summed_as_zero(
    ledger: Ledger, target: str, billed: Callable[..., BilledCall]
) -> None:
    unknown = CallCost("my-org/finetune", 100, 10, 0, usd=None, reference_usd=Decimal("0.001"))
    ledger.on_billed(billed("my-org/finetune", cost=unknown))
    assert ledger.flush()
    totals = _summary(target)["totals"]
    assert (totals["unpriced"], totals["spend_usd"]) == (1, "0")


def test_a_verdict_is_counted_once_per_request(
    ledger: Ledger, target: str, billed: Callable[..., BilledCall], t0: float
) -> None:
    ledger.on_billed(billed(request_id="q1", task="qa", tier="flash"))
    ledger.record_verdict("q1", agree=False, task="qa", at=t0 + 60)
    ledger.record_verdict("q1", agree=True, task="qa", at=t0 + 61)  # a late duplicate
    ledger.record_verdict("q2", agree=True, at=t0 + 62)
    assert ledger.flush()
    summary = _summary(target)
    assert (summary["tripwire"]["verdicts"], summary["tripwire"]["agreed"]) == (2, 1)
    assert _by_name(summary["tasks"])["qa"]["verdicts"] == 1


def test_calls_from_many_threads_all_arrive(
    ledger: Ledger, target: str, billed: Callable[..., BilledCall], usd_of: Any
) -> None:
    calls = [billed(input_tokens=100 + i) for i in range(800)]

    def send(part: list[BilledCall]) -> None:
        for call in part:
            ledger.on_billed(call)

    threads = [threading.Thread(target=send, args=(calls[i::8],)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert ledger.flush()
    assert Decimal(_summary(target)["totals"]["spend_usd"]) == usd_of(calls)
    assert ledger.stats().written == 800


def test_a_full_queue_drops_and_counts_without_blocking_or_raising(
    target: str, billed: Callable[..., BilledCall], caplog: pytest.LogCaptureFixture
) -> None:
    gate = threading.Event()
    with Ledger(target, queue_size=5, batch_size=1, linger_s=0) as ledger:
        real_write = ledger._store.write

        def slow_write(batch: Any) -> tuple[int, int]:
            gate.wait(10)
            return real_write(batch)

        ledger._store.write = slow_write  # type: ignore[method-assign]
        with caplog.at_level(logging.WARNING, logger="langchain_globalapi.ledger"):
            for _ in range(50):
                ledger.on_billed(billed())
        stats = ledger.stats()
        gate.set()
        assert ledger.flush()
    assert stats.dropped >= 44  # at most one in the writer's hands and five queued
    assert ledger.stats().written + ledger.stats().dropped == 50
    assert caplog.text.count("is dropping calls") == 1


def test_a_malformed_call_is_dropped_and_later_calls_still_written(
    ledger: Ledger, target: str, billed: Callable[..., BilledCall]
) -> None:
    ledger.on_billed("not a call")  # type: ignore[arg-type]
    ledger.on_billed(billed())
    assert ledger.flush()
    assert (ledger.stats().dropped, ledger.stats().written) == (1, 1)


def test_no_time_or_latency_value_breaks_the_writer(
    ledger: Ledger, target: str, billed: Callable[..., BilledCall]
) -> None:
    ledger.on_billed(billed(at=float("nan"), latency_ms=float("inf")))
    ledger.on_billed(billed(latency_ms=-5.0, routing_score=float("nan")))
    assert ledger.flush()
    assert ledger.stats().written == 2
    # the call with no valid start time is kept at the time it was written
    assert _summary(target, now=time.time() + 60)["totals"]["calls"] == 2


def test_a_closed_ledger_drops_instead_of_raising(
    target: str, billed: Callable[..., BilledCall]
) -> None:
    ledger = Ledger(target)
    ledger.close()
    ledger.on_billed(billed())
    assert ledger.stats().dropped == 1


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("queue_size", 0),
        ("queue_size", 2.5),
        ("batch_size", -1),
        ("linger_s", float("nan")),
        ("linger_s", -0.1),
        ("prune_every_s", 0),
        ("prune_every_s", float("inf")),
        ("dedupe_window_s", True),
    ],
)
def test_nonsense_settings_fail_at_construction(target: str, option: str, value: Any) -> None:
    with pytest.raises(LedgerError, match=option):
        Ledger(target, **{option: value})


@pytest.mark.parametrize(
    ("option", "value"),
    [("calls_days", 0), ("calls_days", float("nan")), ("max_calls", 0), ("hour_rollups_days", "3")],
)
def test_nonsense_retention_fails_at_construction(option: str, value: Any) -> None:
    with pytest.raises(LedgerError, match=option):
        Retention(**{option: value})
