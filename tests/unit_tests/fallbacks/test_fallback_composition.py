"""FallbackChatModel as a chat model: async, batch, tools, structured output, budgets, nesting."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from pydantic import BaseModel

from langchain_globalapi import (
    AllModelsFailedError,
    Budget,
    CachedChatModel,
    ChatGlobalAPI,
    ExactCache,
    FallbackChatModel,
    SpendLimit,
    get_globalapi_callback,
)
from langchain_globalapi.routing import HeuristicScorer, TieredRouterRunnable
from langchain_globalapi.testing import FakeOpenAIServer, Fault

FLASH = "deepseek-ai/DeepSeek-V4-Flash"
PRO = "deepseek-ai/DeepSeek-V4-Pro"
GPT4O = "gpt-4o"

Member = Callable[..., ChatGlobalAPI]


class Weather(BaseModel):
    """The weather in a city."""

    city: str


def get_weather(city: str) -> str:
    """Get the weather in a city."""
    return f"sunny in {city}"


async def test_ainvoke_falls_back(member: Member, fake_server: FakeOpenAIServer) -> None:
    fake_server.inject(FLASH, Fault.rate_limit())
    answer = await FallbackChatModel([member(FLASH), member(PRO)]).ainvoke("hi")
    assert answer.content == f"[{PRO}] hi"
    assert answer.response_metadata["fallback"]["attempts"][0]["error"] == "rate_limit"


async def test_ainvoke_honours_retry_after_on_the_same_member(
    member: Member, fake_server: FakeOpenAIServer
) -> None:
    fake_server.inject(FLASH, Fault.rate_limit(retry_after_ms=50))
    answer = await FallbackChatModel([member(FLASH), member(PRO)]).ainvoke("hi")
    assert answer.response_metadata["fallback"]["served_by"] == FLASH
    assert fake_server.calls_for(FLASH) == 2


def test_batch_answers_every_input_in_order(member: Member, fake_server: FakeOpenAIServer) -> None:
    fake_server.inject(FLASH, Fault.server_error(503), times=2)
    chain = FallbackChatModel([member(FLASH), member(PRO)])
    answers = chain.batch(["a", "b", "c"], config={"max_concurrency": 1})
    assert [a.content.split("] ")[1] for a in answers] == ["a", "b", "c"]
    assert [a.response_metadata["fallback"]["served_by"] for a in answers] == [PRO, PRO, FLASH]


async def test_abatch_answers_every_input(member: Member, fake_server: FakeOpenAIServer) -> None:
    fake_server.fail_rate(FLASH, 0.5, seed=3)
    answers = await FallbackChatModel([member(FLASH), member(PRO)]).abatch(["a", "b", "c", "d"])
    assert sorted(a.content.split("] ")[1] for a in answers) == ["a", "b", "c", "d"]


def test_bind_tools_reaches_the_fallback_member(
    member: Member, fake_server: FakeOpenAIServer
) -> None:
    fake_server.inject(FLASH, Fault.server_error(500))
    chain = FallbackChatModel([member(FLASH), member(PRO)]).bind_tools([get_weather])
    answer = chain.invoke("What is the weather in Paris?")
    assert answer.tool_calls[0]["name"] == "get_weather"
    assert fake_server.requests[-1].model == PRO
    assert fake_server.requests[-1].json["tools"][0]["function"]["name"] == "get_weather"


def test_with_structured_output_survives_a_fallback(
    member: Member, fake_server: FakeOpenAIServer
) -> None:
    fake_server.inject(FLASH, Fault.rate_limit())
    structured = FallbackChatModel([member(FLASH), member(PRO)]).with_structured_output(Weather)
    result = structured.invoke("Weather in Paris?")
    assert isinstance(result, Weather)
    assert fake_server.requests[-1].model == PRO


def test_budget_vetoes_escalation_to_a_pricier_member(
    member: Member, fake_server: FakeOpenAIServer
) -> None:
    budget = Budget([SpendLimit.model(GPT4O, "0.01", per="day")])
    with pytest.warns(UserWarning, match="budget reached"):
        budget.record(Decimal("0.02"), model=GPT4O)
    fake_server.inject(FLASH, Fault.server_error(503))
    chain = FallbackChatModel([member(FLASH), member(GPT4O), member(PRO)], budget=budget)
    answer = chain.invoke("hi")
    assert answer.response_metadata["fallback"]["served_by"] == PRO
    assert answer.response_metadata["fallback"]["skipped"][0]["error"] == "budget"
    assert fake_server.calls_for(GPT4O) == 0


def test_budget_veto_with_no_cheaper_member_says_so(
    member: Member, fake_server: FakeOpenAIServer
) -> None:
    budget = Budget([SpendLimit.model(GPT4O, "0.01", per="day", hard=True)])
    with pytest.warns(UserWarning, match="budget reached"):
        budget.record(Decimal("0.02"), model=GPT4O)
    fake_server.inject(FLASH, Fault.server_error(503))
    chain = FallbackChatModel([member(FLASH), member(GPT4O)], budget=budget)
    with pytest.raises(AllModelsFailedError, match=r"gpt-4o: budget \(budget reached"):
        chain.invoke("hi")


def test_cost_tracker_bills_only_the_member_that_answered(
    member: Member, fake_server: FakeOpenAIServer
) -> None:
    fake_server.inject(FLASH, Fault.server_error(503))
    chain = FallbackChatModel([member(FLASH), member(PRO)])
    with get_globalapi_callback() as tracker:
        answer = chain.invoke("hi")
    assert tracker.total_cost_usd == Decimal(answer.response_metadata["cost"]["usd"])
    assert tracker.calls == 1  # the failed flash attempt is not billed


def test_works_as_a_router_tier(member: Member, fake_server: FakeOpenAIServer) -> None:
    fake_server.inject(PRO, Fault.rate_limit())
    router = TieredRouterRunnable(
        tiers={
            "flash": member(FLASH),
            "pro": FallbackChatModel([member(PRO), member(GPT4O)]),
        },
        scorer=HeuristicScorer(),
        thresholds=[0.5],
    )
    answer = router.invoke("hi", config={"configurable": {"complexity": "high"}})
    assert answer.response_metadata["routing"]["tier"] == "pro"
    assert answer.response_metadata["fallback"]["served_by"] == GPT4O


def test_works_under_a_cache(member: Member, fake_server: FakeOpenAIServer) -> None:
    fake_server.inject(FLASH, Fault.server_error(503))
    cached = CachedChatModel(FallbackChatModel([member(FLASH), member(PRO)]), cache=ExactCache())
    first = cached.invoke("hi")
    second = cached.invoke("hi")
    assert first.content == second.content == f"[{PRO}] hi"
    assert second.response_metadata["cache"]["hit"] is True
    assert len(fake_server.requests) == 2  # the failed flash call and pro's answer
