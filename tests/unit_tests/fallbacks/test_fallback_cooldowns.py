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
