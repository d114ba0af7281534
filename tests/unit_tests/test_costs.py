"""Cost accounting: pricing calls, the callback, savings, cache hits and wrappers."""

from __future__ import annotations

import asyncio
import warnings
from decimal import Decimal
from typing import Any

import pytest
from langchain_core.caches import InMemoryCache
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage

from langchain_globalapi import (
    Budget,
    CachedChatModel,
    ChatGlobalAPI,
    CostTracker,
    ExactCache,
    FallbackChatModel,
    InMemoryStore,
    SpendLimit,
    TieredRouterRunnable,
    get_globalapi_callback,
    price_message,
)
from langchain_globalapi.testing import FakeOpenAIServer
from tests.unit_tests.caching._cache_helpers import CountingRouter

FLASH = "deepseek-ai/DeepSeek-V4-Flash"


def _msg(model: str, inp: int, out: int, **meta: Any) -> AIMessage:
    return AIMessage(
        content="x",
        usage_metadata={"input_tokens": inp, "output_tokens": out, "total_tokens": inp + out},
        response_metadata={"model_name": model, **meta},
    )


def test_price_of_a_flash_call_and_its_gpt4o_counterfactual() -> None:
    call = price_message(_msg(FLASH, 1_000_000, 1_000_000))
    assert call is not None
    assert call.usd == Decimal("1.37")
    assert call.reference_usd == Decimal("12.50")


def test_unknown_model_costs_none_with_one_warning() -> None:
    with pytest.warns(UserWarning, match="not in the price catalog"):
        call = price_message(_msg("mystery/model-a", 10, 10))
    assert call is not None
    assert call.usd is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        price_message(_msg("mystery/model-a", 10, 10))  # second time: no warning


def test_cache_hit_costs_zero_and_counts_as_saved() -> None:
    call = price_message(_msg(FLASH, 1_000_000, 0, cache={"hit": True, "kind": "exact"}))
    assert call is not None
    assert call.cache_hit
    assert call.usd == 0
    assert call.saved_by_cache_usd == Decimal("0.27")


def test_tracker_sums_sync_stream_and_async_calls(fake_server: FakeOpenAIServer) -> None:
    llm = ChatGlobalAPI(api_key="k", base_url=fake_server.base_url)
    with get_globalapi_callback() as cb:
        first = llm.invoke("one")
        list(llm.stream("two"))
        asyncio.run(llm.ainvoke("three"))
    assert cb.calls == 3
    assert first.usage_metadata is not None
    assert cb.input_tokens >= first.usage_metadata["input_tokens"] * 2
    assert cb.total_cost_usd > 0
    assert cb.savings_usd > 0
    assert cb.savings_pct is not None
    assert 85 < cb.savings_pct < 95  # Flash is ~9x cheaper than GPT-4o


def test_tracker_is_correct_under_concurrency(fake_server: FakeOpenAIServer) -> None:
    llm = ChatGlobalAPI(api_key="k", base_url=fake_server.base_url)
    tracker = CostTracker()
    answers = llm.batch([f"question {i}" for i in range(20)], config={"callbacks": [tracker]})
    expected = sum(
        (price_message(a).usd for a in answers if price_message(a)),
        start=Decimal(0),  # type: ignore[misc]
    )
    assert tracker.calls == 20
    assert tracker.total_cost_usd == expected


def test_langchain_cache_hit_is_not_billed(fake_server: FakeOpenAIServer) -> None:
    llm = ChatGlobalAPI(api_key="k", base_url=fake_server.base_url, cache=InMemoryCache())
    with get_globalapi_callback() as cb:
        llm.invoke("same question")
        llm.invoke("same question")
    assert fake_server.calls_for(FLASH) == 1
    assert cb.calls == 2
    assert cb.cache_hits == 1
    first_cost = cb.per_model[FLASH].cost_usd
    assert cb.saved_by_cache_usd == first_cost


def test_wrapped_model_is_billed_once(fake_server: FakeOpenAIServer) -> None:
    inner = ChatGlobalAPI(api_key="k", base_url=fake_server.base_url)
    with get_globalapi_callback() as cb:
        CountingRouter(tier=CountingRouter(tier=inner)).invoke("hello")
    assert cb.calls == 1


def test_tracker_feeds_the_budget(fake_server: FakeOpenAIServer) -> None:
    budget = Budget([SpendLimit.tier("flash", "1")])
    llm = ChatGlobalAPI(api_key="k", base_url=fake_server.base_url)
    with get_globalapi_callback(budget=budget) as cb:
        llm.invoke("hello")
    assert budget.spent(budget.limits[0]) == cb.total_cost_usd > 0


def test_summary_is_json_ready(fake_server: FakeOpenAIServer) -> None:
    llm = ChatGlobalAPI(api_key="k", base_url=fake_server.base_url)
    with get_globalapi_callback() as cb:
        llm.invoke("hello")
    summary = cb.summary()
    assert summary["calls"] == 1
    assert Decimal(summary["total_cost_usd"]) == cb.total_cost_usd
    assert FLASH in summary["models"]
    assert "Saved" in str(cb)


def _fallback(inner: ChatGlobalAPI) -> BaseChatModel:
    return FallbackChatModel([inner])


def _router(inner: ChatGlobalAPI) -> BaseChatModel:
    return TieredRouterRunnable(tiers={"cheap": inner, "strong": inner})


def _cache(inner: ChatGlobalAPI) -> BaseChatModel:
    return CachedChatModel(inner, cache=ExactCache(InMemoryStore()))


WRAPPERS = pytest.mark.parametrize(
    "wrap", [_fallback, _router, _cache], ids=["fallback", "router", "cache"]
)


@WRAPPERS
def test_streaming_through_a_wrapper_is_billed_once(
    fake_server: FakeOpenAIServer, wrap: Any
) -> None:
    model = wrap(ChatGlobalAPI(api_key="k", base_url=fake_server.base_url))
    with get_globalapi_callback() as cb:
        text = "".join(chunk.text for chunk in model.stream("hello there"))
    assert "hello there" in text
    assert cb.calls == 1


@WRAPPERS
async def test_async_streaming_through_a_wrapper_is_billed_once(
    fake_server: FakeOpenAIServer, wrap: Any
) -> None:
    model = wrap(ChatGlobalAPI(api_key="k", base_url=fake_server.base_url))
    with get_globalapi_callback() as cb:
        chunks = [chunk async for chunk in model.astream("hello there")]
    assert chunks
    assert cb.calls == 1


@WRAPPERS
async def test_invoking_through_a_wrapper_is_billed_once(
    fake_server: FakeOpenAIServer, wrap: Any
) -> None:
    model = wrap(ChatGlobalAPI(api_key="k", base_url=fake_server.base_url))
    with get_globalapi_callback() as cb:
        model.invoke("hello there")
        await model.ainvoke("hello again")
    assert cb.calls == 2
    assert cb.total_cost_usd > 0
