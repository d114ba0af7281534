"""Hard limits hold under concurrency: 50 calls at once overshoot a limit by at most one call.

Every place that takes a `budget=` is tried (the router, `get_globalapi_callback`, the fallback
chain), from asyncio, from a thread pool and from two processes sharing one Redis budget, in
memory and on a real redis-server. A refused call raises `BudgetExceededError` and never
reaches the server; what was spent equals what the server's usage costs at catalog prices.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import AIMessage

from langchain_globalapi import (
    Budget,
    BudgetExceededError,
    CachedChatModel,
    CostTracker,
    ExactCache,
    FallbackChatModel,
    SpendLimit,
    get_globalapi_callback,
)
from langchain_globalapi.testing import FakeOpenAIServer, Fault
from tests.unit_tests.billing._billing_helpers import (
    FLASH,
    PRO,
    chat_requests,
    model,
    router,
    served,
)
from tests.unit_tests.billing._budget_worker import run_worker

CALLS = 50
LIMIT = "0.01"
WORKER = Path(__file__).with_name("_budget_worker.py")
REPO = Path(__file__).resolve().parents[3]


def long_prompt(index: int) -> str:
    """About 2,000 prompt tokens: a flash call costs about $0.0006, its worst case ~$0.005."""
    return f"Question {index}: " + "lorem " * 1600


@pytest.fixture(params=["memory", "redis"])
def make_budget(request: pytest.FixtureRequest) -> Callable[..., Budget]:
    """`make_budget(limits)`: a Budget in memory, or on a real (flushed) redis-server."""
    url = request.getfixturevalue("redis_url") if request.param == "redis" else None

    def build(limits: Sequence[SpendLimit], **kwargs: Any) -> Budget:
        return Budget(limits, redis_url=url, namespace=uuid.uuid4().hex, **kwargs)

    return build


def assert_held(
    results: Sequence[object], server: FakeOpenAIServer, budget: Budget, limit: SpendLimit
) -> None:
    """Refusals are BudgetExceededError and sent nothing; spend overshoots by one call at most."""
    answered = [r for r in results if isinstance(r, AIMessage)]
    refused = [r for r in results if isinstance(r, BudgetExceededError)]
    assert len(answered) + len(refused) == len(results), [
        r for r in results if not isinstance(r, AIMessage | BudgetExceededError)
    ]
    assert answered, "no call was let through"
    assert refused, "no call was refused"
    assert chat_requests(server) == len(answered)
    truth = served(server)
    assert budget.spent(limit) == truth.usd
    assert truth.usd <= limit.usd + max(truth.costs), (truth.usd, max(truth.costs))
    assert budget.reserved(limit) == 0


async def gather(calls: Sequence[Any]) -> list[object]:
    return list(await asyncio.gather(*calls, return_exceptions=True))


# --- asyncio -------------------------------------------------------------------------------


LIMITS: dict[str, Callable[[], SpendLimit]] = {
    "total": lambda: SpendLimit.total(LIMIT, hard=True),
    "tier": lambda: SpendLimit.tier("flash", LIMIT, hard=True),
    "model": lambda: SpendLimit.model(FLASH, LIMIT, per="day", hard=True),
}


async def _astream_text(runnable: Any, prompt: str) -> AIMessage:
    text = "".join([chunk.text async for chunk in runnable.astream(prompt)])
    return AIMessage(text)


@pytest.mark.parametrize(
    ("scope", "max_tokens", "mode"),
    [
        ("total", None, "ainvoke"),
        ("total", 200, "ainvoke"),
        ("tier", None, "astream"),
        ("model", 200, "astream"),
    ],
)
async def test_fifty_concurrent_routed_calls_overshoot_a_hard_limit_by_one_call_at_most(
    fake_server: FakeOpenAIServer,
    make_budget: Callable[..., Budget],
    scope: str,
    max_tokens: int | None,
    mode: str,
) -> None:
    limit = LIMITS[scope]()
    budget = make_budget([limit])
    options = {} if max_tokens is None else {"max_tokens": max_tokens}
    tiers = {"flash": model(fake_server, **options), "pro": model(fake_server, PRO, **options)}
    routed = router(tiers, budget=budget)
    if mode == "ainvoke":
        calls = [routed.ainvoke(long_prompt(i)) for i in range(CALLS)]
    else:
        calls = [_astream_text(routed, long_prompt(i)) for i in range(CALLS)]
    assert_held(await gather(calls), fake_server, budget, limit)


async def test_fifty_concurrent_calls_through_a_cached_models_hard_budget_overshoot_by_one(
    fake_server: FakeOpenAIServer, make_budget: Callable[..., Budget]
) -> None:
    limit = SpendLimit.total(LIMIT, hard=True)
    budget = make_budget([limit])
    cached = CachedChatModel(
        router({"flash": model(fake_server), "pro": model(fake_server, PRO)}),
        cache=ExactCache(),
        budget=budget,
    )
    results = await gather([cached.ainvoke(long_prompt(i)) for i in range(CALLS)])
    assert_held(results, fake_server, budget, limit)


def test_a_cache_hit_is_answered_after_a_hard_limit_is_reached(
    fake_server: FakeOpenAIServer,
) -> None:
    limit = SpendLimit.total(LIMIT, hard=True)
    budget = Budget([limit])
    cached = CachedChatModel(model(fake_server, temperature=0), cache=ExactCache(), budget=budget)
    first = cached.invoke(long_prompt(0))
    budget.record("1")  # the limit is now far behind
    with pytest.raises(BudgetExceededError):
        cached.invoke(long_prompt(1))
    again = cached.invoke(long_prompt(0))
    assert again.text == first.text
    assert again.response_metadata["cache"]["hit"] is True
    assert chat_requests(fake_server) == 1


async def test_fifty_concurrent_calls_under_a_callbacks_hard_budget_overshoot_by_one_call(
    fake_server: FakeOpenAIServer, make_budget: Callable[..., Budget]
) -> None:
    limit = SpendLimit.total(LIMIT, hard=True)
    budget = make_budget([limit])
    llm = model(fake_server)
    with get_globalapi_callback(budget=budget) as cb:
        results = await gather([llm.ainvoke(long_prompt(i)) for i in range(CALLS)])
    assert_held(results, fake_server, budget, limit)
    assert cb.total_cost_usd == served(fake_server).usd


async def test_fifty_concurrent_calls_through_a_fallback_chains_hard_budget_overshoot_by_one(
    fake_server: FakeOpenAIServer, make_budget: Callable[..., Budget]
) -> None:
    limit = SpendLimit.total(LIMIT, hard=True)
    budget = make_budget([limit])
    chain = FallbackChatModel([model(fake_server), model(fake_server, PRO)], budget=budget)
    results = await gather([chain.ainvoke(long_prompt(i)) for i in range(CALLS)])
    assert_held(results, fake_server, budget, limit)


async def test_a_hard_limit_on_one_member_holds_under_concurrency(
    fake_server: FakeOpenAIServer, make_budget: Callable[..., Budget]
) -> None:
    flash_limit = SpendLimit.model(FLASH, LIMIT, hard=True)
    budget = make_budget([flash_limit])
    chain = FallbackChatModel([model(fake_server), model(fake_server, PRO)], budget=budget)
    await gather([chain.ainvoke(long_prompt(i)) for i in range(CALLS)])
    truth = served(fake_server)
    flash_costs = [c for m, c in zip(truth.models, truth.costs, strict=True) if m == FLASH]
    assert budget.spent(flash_limit) == sum(flash_costs)
    assert sum(flash_costs) <= flash_limit.usd + max(flash_costs)
    assert budget.reserved(flash_limit) == 0


def test_a_call_refused_by_one_members_own_limit_is_served_by_the_next_member(
    fake_server: FakeOpenAIServer,
) -> None:
    flash_limit = SpendLimit.model(FLASH, LIMIT, hard=True)
    budget = Budget([flash_limit])
    budget.record("0.02", model=FLASH)
    chain = FallbackChatModel([model(fake_server), model(fake_server, PRO)], budget=budget)
    answer = chain.invoke(long_prompt(0))
    assert answer.response_metadata["fallback"]["served_by"] == PRO
    assert served(fake_server).models == (PRO,)


# --- threads -------------------------------------------------------------------------------


def test_fifty_sync_calls_from_a_thread_pool_overshoot_by_one_call_at_most(
    fake_server: FakeOpenAIServer, make_budget: Callable[..., Budget]
) -> None:
    limit = SpendLimit.total(LIMIT, hard=True)
    budget = make_budget([limit])
    routed = router({"flash": model(fake_server), "pro": model(fake_server, PRO)}, budget=budget)

    def call(index: int) -> object:
        try:
            return routed.invoke(long_prompt(index))
        except Exception as error:
            return error

    with ThreadPoolExecutor(max_workers=CALLS) as pool:
        results = list(pool.map(call, range(CALLS)))
    assert_held(results, fake_server, budget, limit)


# --- sequential: refusal at the limit, and holds given back ------------------------------


def test_sequential_calls_stop_at_the_limit_and_never_send_a_refused_call(
    fake_server: FakeOpenAIServer, make_budget: Callable[..., Budget]
) -> None:
    limit = SpendLimit.total(LIMIT, hard=True)
    budget = make_budget([limit])
    routed = router({"flash": model(fake_server), "pro": model(fake_server, PRO)}, budget=budget)
    results: list[object] = []
    for index in range(CALLS):
        try:
            results.append(routed.invoke(long_prompt(index)))
        except BudgetExceededError as error:
            results.append(error)
    first_refusal = next(i for i, r in enumerate(results) if isinstance(r, BudgetExceededError))
    assert all(isinstance(r, BudgetExceededError) for r in results[first_refusal:])
    assert_held(results, fake_server, budget, limit)


def test_a_refusal_says_what_is_spent_and_how_to_reserve_less(
    fake_server: FakeOpenAIServer,
) -> None:
    limit = SpendLimit.total(LIMIT, hard=True)
    budget = Budget([limit])
    hold = budget.reserve("0.009")
    with pytest.raises(BudgetExceededError, match=r"held by calls in flight.*max_tokens"):
        model(fake_server).invoke(
            long_prompt(0), config={"callbacks": [CostTracker(budget=budget)]}
        )
    budget.release(hold)
    assert chat_requests(fake_server) == 0
    assert budget.reserved(limit) == 0


@pytest.mark.parametrize("mode", ["invoke", "stream"])
def test_a_failed_call_gives_its_hold_back_and_costs_nothing(
    fake_server: FakeOpenAIServer, make_budget: Callable[..., Budget], mode: str
) -> None:
    limit = SpendLimit.total(LIMIT, hard=True)
    budget = make_budget([limit])
    fake_server.inject(FLASH, Fault.server_error(503))
    llm = model(fake_server)
    run: Callable[[], object] = (
        (lambda: llm.invoke(long_prompt(0)))
        if mode == "invoke"
        else (lambda: list(llm.stream(long_prompt(0))))
    )
    with get_globalapi_callback(budget=budget), pytest.raises(Exception, match="overloaded"):
        run()
    assert budget.reserved(limit) == 0
    assert budget.spent(limit) == 0


# --- two budgets on one call ----------------------------------------------------------------


def _outer_and_full_inner() -> tuple[Budget, SpendLimit, Budget]:
    """A roomy budget, and a tight one whose next call does not fit (another is in flight)."""
    outer_limit = SpendLimit.total("100", hard=True)
    inner = Budget([SpendLimit.total(LIMIT, hard=True)])
    inner.reserve("0.009")
    return Budget([outer_limit]), outer_limit, inner


def test_a_refusal_by_one_budget_releases_the_hold_another_budget_took(
    fake_server: FakeOpenAIServer,
) -> None:
    outer, outer_limit, inner = _outer_and_full_inner()
    routed = router({"flash": model(fake_server), "pro": model(fake_server, PRO)}, budget=inner)
    with get_globalapi_callback(budget=outer), pytest.raises(BudgetExceededError):
        routed.invoke(long_prompt(0))
    assert chat_requests(fake_server) == 0
    assert outer.reserved(outer_limit) == 0


def test_a_refusal_by_a_later_tracker_releases_an_earlier_trackers_hold(
    fake_server: FakeOpenAIServer,
) -> None:
    outer, outer_limit, inner = _outer_and_full_inner()
    trackers = [CostTracker(budget=outer), CostTracker(budget=inner)]
    with pytest.raises(BudgetExceededError):
        model(fake_server).invoke(long_prompt(0), config={"callbacks": trackers})
    assert outer.reserved(outer_limit) == 0


# --- two processes, one Redis budget ---------------------------------------------------------


async def test_two_processes_sharing_one_redis_budget_overshoot_by_one_call_at_most(
    fake_server: FakeOpenAIServer, redis_url: str
) -> None:
    namespace, half = uuid.uuid4().hex, CALLS // 2
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    command = [sys.executable, str(WORKER), fake_server.base_url, redis_url, namespace]
    other = subprocess.Popen(
        [*command, str(half), "2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
    )
    try:
        here = await run_worker(fake_server.base_url, redis_url, namespace, half, 2)
        out, err = await asyncio.to_thread(other.communicate, timeout=90)
    finally:
        other.kill()
    assert other.returncode == 0, err.decode()
    reports = [here, json.loads(out.decode().strip().splitlines()[-1])]
    assert [r["other"] for r in reports] == [[], []]
    answered = sum(r["answered"] for r in reports)
    assert answered + sum(r["refused"] for r in reports) == CALLS
    assert chat_requests(fake_server) == answered
    limit = SpendLimit.total(LIMIT, hard=True)
    budget = Budget([limit], redis_url=redis_url, namespace=namespace)
    truth = served(fake_server)
    assert budget.spent(limit) == truth.usd
    assert truth.usd <= limit.usd + max(truth.costs)
    assert budget.reserved(limit) == Decimal(0)
