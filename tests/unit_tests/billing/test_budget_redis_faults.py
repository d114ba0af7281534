"""A Redis budget whose server dies mid-run: clear errors, one warning, no lost or doubled spend.

The redis-server is killed for real (SIGKILL) and restarted. Soft limits fail open with one
warning; hard limits refuse with `BudgetUnavailableError` before anything is sent (the
default `on_unavailable="refuse"`) or fail open with one warning (`"allow"`); never a raw
redis exception. Spend settled while Redis was down is written when it is back, and an
answer that was paid for is returned even when Redis died while the call was in flight.
"""

from __future__ import annotations

import uuid
import warnings
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import redis
from langchain_core.messages import BaseMessage

from langchain_globalapi import (
    Budget,
    FallbackChatModel,
    GlobalAPIError,
    SpendLimit,
    get_globalapi_callback,
)
from langchain_globalapi.errors import BudgetUnavailableError
from langchain_globalapi.testing import FakeOpenAIServer, Fault
from tests.conftest import RedisServer
from tests.unit_tests.billing._billing_helpers import (
    FLASH,
    PRO,
    PROMPT,
    chat_requests,
    merge,
    model,
    router,
    served,
)

MODES = ["invoke", "ainvoke", "stream", "astream"]


@pytest.fixture
def redis_down(redis_server: RedisServer, redis_url: str) -> Iterator[RedisServer]:
    """The session's redis-server, running now; started again (empty) after the test."""
    yield redis_server
    dump = Path(redis_server.workdir) / "dump.rdb"
    redis_server.stop()
    dump.unlink(missing_ok=True)
    redis_server.start()


def budget_on(url: str, limit: SpendLimit, **kwargs: Any) -> Budget:
    return Budget([limit], redis_url=url, namespace=uuid.uuid4().hex, **kwargs)


async def call(runnable: Any, mode: str, prompt: str = PROMPT) -> BaseMessage:
    if mode == "invoke":
        return runnable.invoke(prompt)  # type: ignore[no-any-return]
    if mode == "ainvoke":
        return await runnable.ainvoke(prompt)  # type: ignore[no-any-return]
    if mode == "stream":
        return merge(list(runnable.stream(prompt)))
    return merge([chunk async for chunk in runnable.astream(prompt)])


def outage_warnings(caught: list[warnings.WarningMessage]) -> list[str]:
    return [str(w.message) for w in caught if "cannot be reached" in str(w.message)]


# --- soft limits, and hard limits set to fail open ----------------------------------------


@pytest.mark.parametrize(
    ("hard", "on_unavailable", "mode"),
    [
        (False, "refuse", "invoke"),
        (False, "refuse", "astream"),
        (False, "allow", "ainvoke"),
        (True, "allow", "stream"),
        (True, "allow", "ainvoke"),
    ],
)
async def test_limits_that_may_fail_open_answer_with_one_warning_when_redis_dies(
    fake_server: FakeOpenAIServer,
    redis_down: RedisServer,
    mode: str,
    hard: bool,
    on_unavailable: str,
) -> None:
    limit = SpendLimit.total("5", hard=hard)
    budget = budget_on(redis_down.url, limit, on_unavailable=on_unavailable)
    routed = router({"flash": model(fake_server), "pro": model(fake_server, PRO)}, budget=budget)
    await call(routed, mode)
    redis_down.stop()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        answers = [await call(routed, mode, f"{PROMPT} {i}") for i in range(3)]
    assert [a.text.startswith(f"[{FLASH}]") for a in answers] == [True] * 3
    assert len(outage_warnings(caught)) == 1, outage_warnings(caught)
    assert chat_requests(fake_server) == 4


# --- hard limits refuse, typed, before sending ------------------------------------------------


def _guarded(kind: str, server: FakeOpenAIServer, budget: Budget) -> tuple[Any, Any]:
    """A model with `budget` attached the way `kind` says, and the context to call it in."""
    from contextlib import nullcontext  # noqa: PLC0415

    if kind == "router":
        guarded = router({"flash": model(server), "pro": model(server, PRO)}, budget=budget)
        return guarded, nullcontext()
    if kind == "fallback":
        return FallbackChatModel([model(server), model(server, PRO)], budget=budget), nullcontext()
    return model(server), get_globalapi_callback(budget=budget)


@pytest.mark.parametrize(
    ("kind", "mode"),
    [
        ("router", "invoke"),
        ("router", "astream"),
        ("fallback", "ainvoke"),
        ("fallback", "stream"),
        ("callback", "invoke"),
        ("callback", "astream"),
    ],
)
async def test_a_hard_limit_refuses_with_budget_unavailable_before_sending(
    fake_server: FakeOpenAIServer, redis_down: RedisServer, mode: str, kind: str
) -> None:
    budget = budget_on(redis_down.url, SpendLimit.total("5", hard=True))
    guarded, context = _guarded(kind, fake_server, budget)
    redis_down.stop()
    with context, pytest.raises(BudgetUnavailableError, match="on_unavailable='allow'") as info:
        await call(guarded, mode)
    assert not isinstance(info.value, redis.RedisError | ConnectionError)
    assert chat_requests(fake_server) == 0


def _refused_in_an_outage(
    server: FakeOpenAIServer, redis_down: RedisServer, **config: Any
) -> list[warnings.WarningMessage]:
    """The warnings of a routed call under a hard Redis limit, refused with Redis down."""
    budget = budget_on(redis_down.url, SpendLimit.total("5", hard=True))
    routed = router({"flash": model(server), "pro": model(server, PRO)}, budget=budget)
    redis_down.stop()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(BudgetUnavailableError):
            routed.invoke(PROMPT, config=config or None)  # type: ignore[arg-type]
    return caught


def test_the_outage_warning_of_a_refusing_budget_does_not_say_it_fails_open(
    fake_server: FakeOpenAIServer, redis_down: RedisServer
) -> None:
    (warning,) = outage_warnings(_refused_in_an_outage(fake_server, redis_down))
    assert "hard limits are refused" in warning
    assert "limits fail open until" not in warning


def test_a_routed_call_refused_for_an_outage_is_not_reported_as_a_downgrade(
    fake_server: FakeOpenAIServer, redis_down: RedisServer
) -> None:
    from langchain_globalapi.routing._route import BudgetDowngradeWarning  # noqa: PLC0415

    hint = {"complexity": "high"}  # pro: a downgrade would move it to flash
    caught = _refused_in_an_outage(fake_server, redis_down, configurable=hint)
    downgrades = [w for w in caught if issubclass(w.category, BudgetDowngradeWarning)]
    assert downgrades == []


def test_reading_and_resetting_a_budget_while_redis_is_down_raise_no_driver_error(
    redis_down: RedisServer,
) -> None:
    limit = SpendLimit.total("5", hard=True)
    budget = budget_on(redis_down.url, limit)
    redis_down.stop()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert budget.spent(limit) == 0
        assert budget.remaining(limit) == limit.usd
        assert not budget.check().allowed
        with pytest.raises(GlobalAPIError, match="cannot be reached"):
            budget.reset()


# --- nothing paid is lost ------------------------------------------------------------------


def _echo(request: dict[str, Any]) -> str:
    """The server's default reply, so `served()` prices the call as usual."""
    return f"[{request['model']}] {request['messages'][-1]['content']}"


@pytest.mark.parametrize("mode", ["invoke", "astream"])
async def test_spend_settled_while_redis_was_down_is_written_when_it_is_back(
    fake_server: FakeOpenAIServer, redis_down: RedisServer, mode: str
) -> None:
    limit = SpendLimit.total("5", hard=True)
    budget = budget_on(redis_down.url, limit, on_unavailable="allow")
    routed = router({"flash": model(fake_server), "pro": model(fake_server, PRO)}, budget=budget)
    redis_down.stop()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        await call(routed, mode)
    redis_down.start()  # empty: what was spent during the outage lives only in the process
    await call(routed, mode, f"{PROMPT} again")
    elsewhere = Budget([limit], redis_url=redis_down.url, namespace=_namespace(budget))
    assert elsewhere.spent(limit) == served(fake_server).usd
    assert budget.spent(limit) == served(fake_server).usd


def _namespace(budget: Budget) -> str:
    # The namespace is part of the key prefix; read it back from what this test created.
    client = redis.Redis.from_url(str(budget.redis_url))
    keys = [key.decode() for key in client.scan_iter(match="globalapi:budget:*")]
    assert keys, "nothing was written to Redis"
    return keys[0].split(":")[2]


@pytest.mark.parametrize(
    ("persisted", "mode"),
    [(False, "invoke"), (False, "astream"), (True, "ainvoke"), (True, "stream")],
)
async def test_an_answer_paid_while_redis_died_mid_call_is_returned_and_counted_once(
    fake_server: FakeOpenAIServer, redis_down: RedisServer, mode: str, persisted: bool
) -> None:
    limit = SpendLimit.total("5", hard=True)
    budget = budget_on(redis_down.url, limit)  # the default: refuse when it cannot check
    routed = router({"flash": model(fake_server), "pro": model(fake_server, PRO)}, budget=budget)
    killed: list[bool] = []

    def die_then_answer(request: dict[str, Any]) -> str:
        if not killed:
            if persisted:  # a Redis that keeps its data across the crash (AOF/RDB)
                redis.Redis.from_url(redis_down.url).save()
            redis_down.stop()
            killed.append(True)
        return _echo(request)

    fake_server.set_reply(FLASH, die_then_answer)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        answer = await call(routed, mode)
    assert answer.text == f"[{FLASH}] {PROMPT}"
    redis_down.start()
    with get_globalapi_callback() as cb:
        await call(routed, mode, f"{PROMPT} again")
    truth = served(fake_server)
    assert cb.total_cost_usd == truth.costs[1]
    elsewhere = Budget([limit], redis_url=redis_down.url, namespace=_namespace(budget))
    assert elsewhere.spent(limit) == truth.usd
    assert elsewhere.reserved(limit) == 0


@pytest.mark.parametrize("mode", ["invoke", "stream"])
def test_a_call_that_failed_while_redis_was_down_leaves_no_hold_behind(
    fake_server: FakeOpenAIServer, redis_down: RedisServer, mode: str
) -> None:
    limit = SpendLimit.total("5", hard=True)
    budget = budget_on(redis_down.url, limit)
    llm = model(fake_server)

    def persist_and_die(request: dict[str, Any]) -> str:
        redis.Redis.from_url(redis_down.url).save()  # the hold is on disk: it comes back
        redis_down.stop()
        return _echo(request)

    fake_server.set_reply(FLASH, persist_and_die)
    fake_server.inject(FLASH, Fault.drop_after_chunks(0))  # the call fails after the kill
    run: Callable[[], object] = (
        (lambda: llm.invoke(PROMPT)) if mode == "invoke" else (lambda: list(llm.stream(PROMPT)))
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with get_globalapi_callback(budget=budget), pytest.raises(Exception, match="onnection"):
            run()
        redis_down.start()
        elsewhere = Budget([limit], redis_url=redis_down.url, namespace=_namespace(budget))
        budget.record("0.000001")  # any write: what the outage held back is written now
    assert elsewhere.reserved(limit) == 0
    assert elsewhere.spent(limit) == Decimal("0.000001")
