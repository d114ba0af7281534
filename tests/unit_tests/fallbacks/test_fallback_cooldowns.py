"""Cooldowns and circuit breakers: skipped members get no call, in-process and through Redis."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from langchain_core.exceptions import ModelAPIError

from langchain_globalapi import (
    AllModelsRateLimitedError,
    ChatGlobalAPI,
    Cooldowns,
    FallbackChatModel,
    RetryAfter,
    RetryPolicy,
)
from langchain_globalapi.fallbacks import Failure, FailureKind
from langchain_globalapi.testing import FakeOpenAIServer, Fault

FLASH = "deepseek-ai/DeepSeek-V4-Flash"
PRO = "deepseek-ai/DeepSeek-V4-Pro"

Member = Callable[..., ChatGlobalAPI]
OUTAGE = Failure(FailureKind.SERVER_ERROR, ModelAPIError("503"), 503)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def skipped(answer: object) -> list[tuple[str, str]]:
    fallback = answer.response_metadata["fallback"]  # type: ignore[attr-defined]
    return [(s["model"], s["error"]) for s in fallback["skipped"]]


def test_rate_limited_member_is_skipped_until_retry_after_passes(
    member: Member, fake_server: FakeOpenAIServer
) -> None:
    fake_server.inject(FLASH, Fault.rate_limit(retry_after_s=30))
    chain = FallbackChatModel(
        [member(FLASH), member(PRO)], retry_policy=RetryPolicy(RetryAfter(max_wait_s=1))
    )
    chain.invoke("first")
    second = chain.invoke("second")
    assert second.content == f"[{PRO}] second"
    assert skipped(second) == [(FLASH, "cooldown")]
    assert fake_server.calls_for(FLASH) == 1


def test_circuit_opens_after_consecutive_failures(
    member: Member, fake_server: FakeOpenAIServer
) -> None:
    fake_server.inject(FLASH, Fault.server_error(503), times=2)
    chain = FallbackChatModel(
        [member(FLASH), member(PRO)], cooldowns=Cooldowns(failure_threshold=2, open_s=60)
    )
    chain.invoke("one")
    chain.invoke("two")
    third = chain.invoke("three")
    assert skipped(third) == [(FLASH, "cooldown")]
    assert fake_server.calls_for(FLASH) == 2


def test_half_open_circuit_lets_one_probe_through_and_closes_on_success(
    member: Member, fake_server: FakeOpenAIServer
) -> None:
    clock = FakeClock()
    cooldowns = Cooldowns(failure_threshold=1, open_s=10, clock=clock)
    chain = FallbackChatModel([member(FLASH), member(PRO)], cooldowns=cooldowns)
    fake_server.inject(FLASH, Fault.server_error(503))
    chain.invoke("opens")
    assert skipped(chain.invoke("open")) == [(FLASH, "cooldown")]
    clock.now += 10
    probe = chain.invoke("probe")
    assert probe.response_metadata["fallback"]["served_by"] == FLASH
    assert cooldowns.status(f"{FLASH}@{fake_server.base_url}").allowed
    assert not cooldowns.status(f"{FLASH}@{fake_server.base_url}").probe  # closed


def test_failed_probe_opens_the_circuit_again(
    member: Member, fake_server: FakeOpenAIServer
) -> None:
    clock = FakeClock()
    chain = FallbackChatModel(
        [member(FLASH), member(PRO)],
        cooldowns=Cooldowns(failure_threshold=1, open_s=10, clock=clock),
    )
    fake_server.inject(FLASH, Fault.server_error(503), times=2)
    chain.invoke("opens")
    clock.now += 10
    chain.invoke("probe fails")
    assert skipped(chain.invoke("open again")) == [(FLASH, "cooldown")]
    assert fake_server.calls_for(FLASH) == 2


def test_only_one_caller_probes_a_half_open_member() -> None:
    clock = FakeClock()
    cooldowns = Cooldowns(failure_threshold=1, open_s=5, clock=clock)
    cooldowns.record_failure("flash", OUTAGE)
    clock.now += 5
    first, second = cooldowns.admit("flash"), cooldowns.admit("flash")
    assert first.probe
    assert (second.allowed, second.reason) == (False, "probing")


def test_every_member_cooling_fails_fast_without_a_call(
    member: Member, fake_server: FakeOpenAIServer
) -> None:
    fake_server.inject(FLASH, Fault.rate_limit(retry_after_s=30))
    fake_server.inject(PRO, Fault.rate_limit(retry_after_s=20))
    chain = FallbackChatModel(
        [member(FLASH), member(PRO)], retry_policy=RetryPolicy(RetryAfter(max_wait_s=1))
    )
    with pytest.raises(AllModelsRateLimitedError):
        chain.invoke("first")
    with pytest.raises(AllModelsRateLimitedError) as caught:
        chain.invoke("second")
    assert [f["error"] for f in caught.value.failures] == ["cooldown", "cooldown"]
    assert caught.value.retry_after_s is not None
    assert 0 < caught.value.retry_after_s <= 20
    assert len(fake_server.requests) == 2


def test_tool_bound_copies_share_the_cooldown_state(
    member: Member, fake_server: FakeOpenAIServer
) -> None:
    fake_server.inject(FLASH, Fault.rate_limit(retry_after_s=30))
    chain = FallbackChatModel(
        [member(FLASH), member(PRO)], retry_policy=RetryPolicy(RetryAfter(max_wait_s=1))
    )
    chain.invoke("first")

    def get_weather(city: str) -> str:
        """Weather in a city."""
        return "sunny"

    answer = chain.bind_tools([get_weather]).invoke("weather in Paris?")
    assert skipped(answer) == [(FLASH, "cooldown")]


@pytest.mark.redis
def test_two_chains_share_a_rate_limit_cooldown_through_redis(
    member: Member, fake_server: FakeOpenAIServer, redis_url: str
) -> None:
    def worker() -> FallbackChatModel:
        return FallbackChatModel(
            [member(FLASH), member(PRO)],
            cooldowns=Cooldowns(redis_url=redis_url),
            retry_policy=RetryPolicy(RetryAfter(max_wait_s=1)),
        )

    fake_server.inject(FLASH, Fault.rate_limit(retry_after_s=30))
    worker().invoke("worker A meets the 429")
    answer = worker().invoke("worker B skips flash")
    assert skipped(answer) == [(FLASH, "cooldown")]
    assert fake_server.calls_for(FLASH) == 1


@pytest.mark.redis
def test_redis_breaker_grants_one_probe_across_processes(redis_url: str) -> None:
    worker_a = Cooldowns(failure_threshold=1, open_s=0.05, redis_url=redis_url)
    worker_b = Cooldowns(failure_threshold=1, open_s=0.05, redis_url=redis_url)
    worker_a.record_failure("flash", OUTAGE)
    assert worker_b.admit("flash").reason == "circuit_open"
    time.sleep(0.1)
    assert worker_a.admit("flash").probe
    assert worker_b.admit("flash").reason == "probing"
    worker_a.record_success("flash")
    assert worker_b.admit("flash") == worker_b.admit("flash")
    assert worker_b.admit("flash").allowed


@pytest.mark.redis
def test_unreachable_redis_fails_open(
    member: Member, fake_server: FakeOpenAIServer, redis_url: str, redis_server: object
) -> None:
    chain = FallbackChatModel([member(FLASH)], cooldowns=Cooldowns(redis_url=redis_url))
    redis_server.stop()  # type: ignore[attr-defined]
    assert chain.invoke("hi").content == f"[{FLASH}] hi"


def record(cooldowns: Cooldowns, outcomes: str, key: str = "flash") -> None:
    """`outcomes` like "ok fail ok": one recorded call each."""
    for outcome in outcomes.split():
        assert cooldowns.admit(key).allowed  # a call is counted when it is admitted
        if outcome == "fail":
            cooldowns.record_failure(key, OUTAGE)
        else:
            cooldowns.record_success(key)


def test_a_30_percent_failure_rate_keeps_the_circuit_closed() -> None:
    cooldowns = Cooldowns(clock=FakeClock())
    record(cooldowns, "ok fail ok ok fail ok ok fail ok ok " * 10)
    assert cooldowns.admit("flash").allowed


def test_three_failures_in_a_row_no_longer_open_the_circuit_by_default() -> None:
    cooldowns = Cooldowns(clock=FakeClock())
    record(cooldowns, "ok ok ok ok ok ok fail fail fail")
    assert cooldowns.admit("flash").allowed


def test_more_than_half_failing_with_five_calls_opens_the_circuit() -> None:
    cooldowns = Cooldowns(clock=FakeClock())
    record(cooldowns, "ok fail ok fail fail")
    assert cooldowns.admit("flash").reason == "circuit_open"


def test_fewer_than_min_calls_never_open_on_the_rate() -> None:
    cooldowns = Cooldowns(clock=FakeClock())
    record(cooldowns, "fail fail fail fail")
    assert cooldowns.admit("flash").allowed


def test_fast_failures_among_calls_in_flight_do_not_open_the_circuit() -> None:
    cooldowns = Cooldowns(clock=FakeClock())
    for _ in range(50):  # 50 calls in flight...
        assert cooldowns.admit("flash").allowed
    for _ in range(15):  # ...and the 15 that fail come back first
        cooldowns.record_failure("flash", OUTAGE)
    assert cooldowns.status("flash").allowed


def test_failures_older_than_the_window_do_not_count() -> None:
    clock = FakeClock()
    cooldowns = Cooldowns(failure_window_s=60, clock=clock)
    record(cooldowns, "fail fail fail fail")
    clock.now += 61
    record(cooldowns, "ok fail")  # 1 of 2 in the window
    assert cooldowns.admit("flash").allowed


def test_a_streak_threshold_opens_the_circuit_even_in_a_busy_healthy_window() -> None:
    cooldowns = Cooldowns(failure_threshold=10, clock=FakeClock())
    record(cooldowns, "ok " * 100 + "fail " * 10)
    assert cooldowns.admit("flash").reason == "circuit_open"


def test_short_retry_after_is_left_to_the_request_and_benches_no_one(
    member: Member, fake_server: FakeOpenAIServer
) -> None:
    fake_server.inject(FLASH, Fault.rate_limit(retry_after_ms=200))
    chain = FallbackChatModel([member(FLASH), member(PRO)], retry_policy=RetryPolicy.never())
    assert chain.invoke("first").content == f"[{PRO}] first"
    second = chain.invoke("second")
    assert second.content == f"[{FLASH}] second"
    assert skipped(second) == []


def test_retry_after_at_the_bench_threshold_benches_the_member(
    member: Member, fake_server: FakeOpenAIServer
) -> None:
    fake_server.inject(FLASH, Fault.rate_limit(retry_after_ms=300))
    chain = FallbackChatModel(
        [member(FLASH), member(PRO)],
        retry_policy=RetryPolicy.never(),
        cooldowns=Cooldowns(bench_retry_after_s=0.3),
    )
    chain.invoke("first")
    assert skipped(chain.invoke("second")) == [(FLASH, "cooldown")]


@pytest.mark.redis
def test_redis_failure_rate_is_shared_across_workers(redis_url: str) -> None:
    worker_a, worker_b = Cooldowns(redis_url=redis_url), Cooldowns(redis_url=redis_url)
    record(worker_a, "ok fail ok")
    record(worker_b, "ok fail")
    assert worker_a.status("flash").allowed  # 2 of 5: 40%
    record(worker_b, "fail fail")
    assert worker_a.status("flash").reason == "circuit_open"  # 4 of 7
