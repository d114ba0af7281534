"""Caches in front of and inside wrappers never serve a wrong answer.

Two configurations that must answer differently (tools A vs tools B, a JSON-mode member vs a
plain one, temperature 0.9 vs 0, the same model id on two endpoints) are called one after
the other with the same prompt, through each wrapper shape, with LangChain's global cache
(`set_llm_cache(ExactCache())`) and with one `ExactCache` shared by two `CachedChatModel`s.
The second must get its own answer. A wrapper refuses LangChain's `cache=` at construction.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from langchain_core.globals import set_llm_cache
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage
from langchain_core.runnables import Runnable

from langchain_globalapi import (
    CacheConfigError,
    CachedChatModel,
    ExactCache,
    FallbackChatModel,
    TieredRouterRunnable,
    get_globalapi_callback,
)
from langchain_globalapi.testing import FakeOpenAIServer
from tests.unit_tests.billing._billing_helpers import (
    FLASH,
    PRO,
    PROMPT,
    chat_requests,
    model,
    router,
)

Leaf = Callable[[], Runnable[Any, Any]]


def get_weather(city: str) -> str:
    """Get the weather for a city."""
    return f"sunny in {city}"


def get_time(city: str) -> str:
    """Get the local time in a city."""
    return f"noon in {city}"


# How a wrapper is built around a leaf (a model, or a model with something bound).
SHAPES: dict[str, Callable[[Leaf, FakeOpenAIServer], Runnable[Any, Any]]] = {
    "plain": lambda leaf, s: leaf(),
    "fallback": lambda leaf, s: FallbackChatModel([leaf(), model(s, PRO)]),
    "router": lambda leaf, s: router({"flash": leaf(), "pro": model(s, PRO)}),
    "fallback_of_routers": lambda leaf, s: FallbackChatModel(
        [router({"flash": leaf(), "pro": model(s, PRO)}), model(s, PRO)]
    ),
}


class Pair:
    """Two leaves that must answer the same prompt differently, and how to tell them apart."""

    def __init__(self, first: Leaf, second: Leaf, says: Callable[[AIMessage], str]) -> None:
        self.first, self.second, self.says = first, second, says


def _tool_name(answer: AIMessage) -> str:
    return answer.tool_calls[0]["name"] if answer.tool_calls else f"text: {answer.text}"


def _says_its_settings(request: dict[str, Any]) -> str:
    """FLASH's reply on the first server: JSON in JSON mode, else its temperature."""
    if request.get("response_format"):
        return json.dumps({"temperature": request.get("temperature")})
    return f"temperature {request.get('temperature')}"


def _pairs(server: FakeOpenAIServer, other: FakeOpenAIServer) -> dict[str, tuple[Pair, str, str]]:
    """Each difference: the pair, and what the first and the second must say."""
    server.set_reply(FLASH, _says_its_settings)
    other.set_reply(FLASH, "from the other endpoint")
    return {
        "tools": (
            Pair(
                lambda: model(server).bind_tools([get_weather], tool_choice="required"),
                lambda: model(server).bind_tools([get_time], tool_choice="required"),
                _tool_name,
            ),
            "get_weather",
            "get_time",
        ),
        "json_mode": (
            Pair(
                lambda: model(server, temperature=0).bind(response_format={"type": "json_object"}),
                lambda: model(server, temperature=0),
                lambda a: "json" if a.text.startswith("{") else "text",
            ),
            "json",
            "text",
        ),
        "temperature": (
            Pair(
                lambda: model(server, temperature=0.9),
                lambda: model(server, temperature=0),
                lambda a: a.text,
            ),
            "temperature 0.9",
            "temperature 0.0",
        ),
        "endpoint": (
            Pair(
                lambda: model(server, temperature=0),
                lambda: model(other, temperature=0),
                lambda a: "other" if a.text == "from the other endpoint" else "first",
            ),
            "first",
            "other",
        ),
    }


@pytest.fixture
def other_server() -> Iterator[FakeOpenAIServer]:
    """A second endpoint that serves the same model ids."""
    with FakeOpenAIServer() as server:
        yield server


@pytest.fixture
def global_cache() -> Iterator[ExactCache]:
    """LangChain's global cache set to an ExactCache for this test only."""
    cache = ExactCache()
    set_llm_cache(cache)
    yield cache
    set_llm_cache(None)


@pytest.mark.parametrize("shape", list(SHAPES))
@pytest.mark.parametrize("difference", ["tools", "json_mode", "temperature", "endpoint"])
def test_langchains_global_cache_never_serves_one_configurations_answer_to_another(
    fake_server: FakeOpenAIServer,
    other_server: FakeOpenAIServer,
    global_cache: ExactCache,
    difference: str,
    shape: str,
) -> None:
    pair, first_says, second_says = _pairs(fake_server, other_server)[difference]
    first = SHAPES[shape](pair.first, fake_server).invoke(PROMPT)
    second = SHAPES[shape](pair.second, fake_server).invoke(PROMPT)
    assert (pair.says(first), pair.says(second)) == (first_says, second_says)


@pytest.mark.parametrize("shape", list(SHAPES))
@pytest.mark.parametrize("difference", ["tools", "json_mode", "temperature", "endpoint"])
def test_one_exact_cache_behind_two_cached_models_never_mixes_their_answers(
    fake_server: FakeOpenAIServer, other_server: FakeOpenAIServer, difference: str, shape: str
) -> None:
    pair, first_says, second_says = _pairs(fake_server, other_server)[difference]
    shared = ExactCache()
    first_model = CachedChatModel(_as_model(SHAPES[shape](pair.first, fake_server)), cache=shared)
    second_model = CachedChatModel(_as_model(SHAPES[shape](pair.second, fake_server)), cache=shared)
    first = first_model.invoke(PROMPT)
    second = second_model.invoke(PROMPT)
    assert (pair.says(first), pair.says(second)) == (first_says, second_says)
    assert second.response_metadata["cache"]["hit"] is False


def _as_model(runnable: Runnable[Any, Any]) -> BaseChatModel:
    # CachedChatModel takes a chat model: a bare leaf binding goes behind a one-member chain.
    return runnable if isinstance(runnable, BaseChatModel) else FallbackChatModel([runnable])


@pytest.mark.parametrize("greedy_first", [False, True])
def test_the_global_cache_answers_a_greedy_repeat_and_never_a_sampled_one(
    fake_server: FakeOpenAIServer, global_cache: ExactCache, greedy_first: bool
) -> None:
    greedy = router({"flash": model(fake_server, temperature=0)})
    sampled = router({"flash": model(fake_server, temperature=0.9)})
    for routed in (greedy, sampled) if greedy_first else (sampled, greedy):
        routed.invoke(PROMPT)
        routed.invoke(PROMPT)
    assert chat_requests(fake_server) == 3  # greedy once, sampled twice


def test_the_global_cache_answers_a_greedy_repeat_through_a_fallback_chain(
    fake_server: FakeOpenAIServer, global_cache: ExactCache
) -> None:
    chain = FallbackChatModel([model(fake_server, temperature=0)])
    chain.invoke(PROMPT)
    chain.invoke(PROMPT)
    assert chat_requests(fake_server) == 1


# --- tools bound after wrapping, keyed by CachedChatModel --------------------------------------


@pytest.mark.parametrize(
    ("shape", "where"),
    [
        ("fallback", "on_the_cache"),
        ("router", "on_the_wrapper"),
        ("router_of_fallbacks", "on_the_cache"),
        ("fallback_of_routers", "on_the_wrapper"),
    ],
)
def test_cached_chat_model_keys_on_tools_bound_through_a_wrapper(
    fake_server: FakeOpenAIServer, shape: str, where: str
) -> None:
    shared = ExactCache()
    leaf = lambda: model(fake_server, temperature=0)  # noqa: E731
    wrapper = (
        router({"flash": FallbackChatModel([leaf(), model(fake_server, PRO)])})
        if shape == "router_of_fallbacks"
        else SHAPES[shape](leaf, fake_server)
    )
    answers = []
    for tool in (get_weather, get_time, get_weather):
        if where == "on_the_cache":
            bound = CachedChatModel(wrapper, cache=shared).bind_tools(
                [tool], tool_choice="required"
            )
        else:
            bound = CachedChatModel(
                wrapper.bind_tools([tool], tool_choice="required"), cache=shared
            )
        answers.append(bound.invoke(PROMPT))
    assert [_tool_name(a) for a in answers] == ["get_weather", "get_time", "get_weather"]
    assert [a.response_metadata["cache"]["hit"] for a in answers] == [False, False, True]
    assert chat_requests(fake_server) == 2


# --- construction ------------------------------------------------------------------------------


@pytest.mark.parametrize("cache", [ExactCache, lambda: True])
@pytest.mark.parametrize("wrapper", ["fallback", "router"])
def test_a_wrapper_refuses_langchains_cache_and_points_to_cached_chat_model(
    fake_server: FakeOpenAIServer, wrapper: str, cache: Callable[[], Any]
) -> None:
    build: Callable[[], object] = (
        (lambda: FallbackChatModel([model(fake_server)], cache=cache()))
        if wrapper == "fallback"
        else (lambda: TieredRouterRunnable(tiers={"flash": model(fake_server)}, cache=cache()))
    )
    with pytest.raises(CacheConfigError, match=r"CachedChatModel\(model, cache=ExactCache\(\)\)"):
        build()


def test_cached_chat_model_refuses_a_binding_and_says_where_to_bind(
    fake_server: FakeOpenAIServer,
) -> None:
    with pytest.raises(CacheConfigError, match=r"CachedChatModel\(model, cache=...\)\.bind_tools"):
        CachedChatModel(model(fake_server).bind_tools([get_weather]), cache=ExactCache())
    cached = CachedChatModel(model(fake_server), cache=ExactCache()).bind_tools([get_weather])
    assert _tool_name(cached.invoke('call get_weather("Paris")')) == "get_weather"


def test_a_langchain_cache_hit_under_a_cache_wrapper_miss_is_billed_once_at_zero(
    fake_server: FakeOpenAIServer, global_cache: ExactCache
) -> None:
    ours = ExactCache()
    cached = CachedChatModel(model(fake_server, temperature=0), cache=ours)
    cached.invoke(PROMPT)
    ours.clear()  # our wrapper misses; the model inside hits LangChain's cache
    with get_globalapi_callback() as cb:
        cached.invoke(PROMPT)
    assert chat_requests(fake_server) == 1
    assert (cb.calls, cb.cache_hits, cb.total_cost_usd) == (1, 1, 0)
