"""TieredRouterRunnable as a chat model: routing by score and hint, metadata, every call style."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import AIMessageChunk, BaseMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from pydantic import BaseModel

from langchain_globalapi import get_globalapi_callback
from langchain_globalapi.errors import RoutingConfigError
from langchain_globalapi.routing import HeuristicScorer, RoutingDecision, TieredRouterRunnable
from langchain_globalapi.testing import FakeOpenAIServer

ROUTING_KEYS = {"tier", "model", "score", "signals", "hint", "reason", "thresholds", "overhead_ms"}


def test_low_score_goes_to_the_cheapest_tier(router: TieredRouterRunnable) -> None:
    assert router.invoke("[0.1] what is 2+2?").text == "[GA-Economy] [0.1] what is 2+2?"


def test_middle_score_goes_to_the_middle_tier(router: TieredRouterRunnable) -> None:
    assert router.invoke("[0.5] summarise").text.startswith("[deepseek-ai/DeepSeek-V4-Flash]")


def test_score_at_a_cut_goes_to_the_stronger_tier(router: TieredRouterRunnable) -> None:
    assert router.invoke("[0.7] prove it").response_metadata["routing"]["tier"] == "pro"


def test_every_response_carries_the_routing_decision(router: TieredRouterRunnable) -> None:
    routing = router.invoke("[0.9] hard").response_metadata["routing"]
    assert set(routing) >= ROUTING_KEYS
    assert routing["tier"] == "pro"
    assert routing["model"] == "deepseek-ai/DeepSeek-V4-Pro"
    assert routing["score"] == 0.9
    assert routing["signals"] == {"declared": 0.9}
    assert routing["thresholds"] == [0.3, 0.7]
    assert routing["hint"] is None
    assert "0.7 <= score" in routing["reason"]
    assert routing["overhead_ms"] >= 0


@pytest.mark.parametrize(
    ("hint", "tier"), [("low", "economy"), ("high", "pro"), ("flash", "flash"), ("auto", "pro")]
)
def test_configurable_hint_overrides_the_score(
    router: TieredRouterRunnable, hint: str, tier: str
) -> None:
    reply = router.invoke("[0.9] x", config={"configurable": {"complexity": hint}})
    assert reply.response_metadata["routing"]["tier"] == tier


def test_hint_in_run_metadata_is_honoured(router: TieredRouterRunnable) -> None:
    reply = router.invoke("[0.9] x", config={"metadata": {"complexity": "low"}})
    assert reply.response_metadata["routing"]["tier"] == "economy"
    assert reply.response_metadata["routing"]["hint"] == "low"


def test_hinted_call_skips_scoring(router: TieredRouterRunnable) -> None:
    routing = router.invoke("x", config={"configurable": {"complexity": "pro"}}).response_metadata
    assert routing["routing"]["score"] is None
    assert routing["routing"]["reason"] == "hint 'pro'"


def test_unknown_hint_is_an_error_listing_the_valid_ones(router: TieredRouterRunnable) -> None:
    with pytest.raises(RoutingConfigError, match=r"'low'.*'high'.*'auto'.*'economy', 'flash'"):
        router.invoke("x", config={"configurable": {"complexity": "medium"}})


def test_hint_reaches_the_router_inside_a_chain(router: TieredRouterRunnable) -> None:
    chain = ChatPromptTemplate.from_messages([("human", "{q}")]) | router | StrOutputParser()
    text = chain.invoke({"q": "hello"}, config={"configurable": {"complexity": "high"}})
    assert text == "[deepseek-ai/DeepSeek-V4-Pro] hello"


async def test_ainvoke_routes(router: TieredRouterRunnable) -> None:
    reply = await router.ainvoke("[0.5] async")
    assert reply.response_metadata["routing"]["tier"] == "flash"


def test_batch_routes_each_input_on_its_own(router: TieredRouterRunnable) -> None:
    replies = router.batch(["[0.1] a", "[0.5] b", "[0.9] c"])
    assert [r.response_metadata["routing"]["tier"] for r in replies] == ["economy", "flash", "pro"]


async def test_abatch_routes_each_input_on_its_own(router: TieredRouterRunnable) -> None:
    replies = await router.abatch(["[0.9] a", "[0.1] b"])
    assert [r.response_metadata["routing"]["tier"] for r in replies] == ["pro", "economy"]


def test_stream_yields_the_tiers_tokens_and_routing_on_one_last_chunk(
    router: TieredRouterRunnable,
) -> None:
    chunks = list(router.stream("[0.9] tell me a long story about a cat"))
    with_routing = [i for i, c in enumerate(chunks) if "routing" in c.response_metadata]
    assert len(chunks) > 3  # the tier's chunks, not one buffered message
    assert with_routing == [len(chunks) - 1]
    assert chunks[-1].chunk_position == "last"
    merged = chunks[0]
    for chunk in chunks[1:]:
        merged += chunk
    assert merged.text == "[deepseek-ai/DeepSeek-V4-Pro] [0.9] tell me a long story about a cat"
    assert merged.response_metadata["routing"]["tier"] == "pro"
    assert merged.usage_metadata is not None


async def test_astream_routes_and_streams(router: TieredRouterRunnable) -> None:
    chunks = [c async for c in router.astream("[0.1] hello there friend")]
    assert "".join(c.text for c in chunks) == "[GA-Economy] [0.1] hello there friend"
    assert chunks[-1].response_metadata["routing"]["tier"] == "economy"


async def test_astream_events_reports_the_tier_stream(router: TieredRouterRunnable) -> None:
    events = [e async for e in router.astream_events("[0.5] hi there", version="v2")]
    names = {e["name"] for e in events if e["event"] == "on_chat_model_stream"}
    assert names == {"TieredRouterRunnable", "ChatGlobalAPI"}
    end = next(e for e in events if e["event"] == "on_chat_model_end"
               and e["name"] == "TieredRouterRunnable")  # fmt: skip
    assert end["data"]["output"].response_metadata["routing"]["tier"] == "flash"


class _Starts(BaseCallbackHandler):
    def __init__(self) -> None:
        self.metadata: dict[str, dict[str, Any]] = {}

    def on_chat_model_start(
        self,
        serialized: dict[str, Any],
        messages: list[list[BaseMessage]],
        *,
        run_id: UUID,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        name = kwargs.get("name") or serialized.get("name", "")
        self.metadata[str(name)] = dict(metadata or {})


def test_tier_call_is_a_child_run_carrying_the_decision(router: TieredRouterRunnable) -> None:
    starts = _Starts()
    router.invoke("[0.5] hi", config={"callbacks": [starts]})
    child = starts.metadata["ChatGlobalAPI"]
    assert child["globalapi_tier"] == "flash"
    assert child["routing"]["tier"] == "flash"


def test_cost_tracker_bills_the_tier_once(router: TieredRouterRunnable) -> None:
    with get_globalapi_callback() as cb:
        router.invoke("[0.9] hi")
        list(router.stream("[0.1] hi"))
    assert cb.calls == 2
    assert set(cb.per_model) == {"deepseek-ai/DeepSeek-V4-Pro", "GA-Economy"}


def test_bound_tools_reach_the_chosen_tier(
    router: TieredRouterRunnable, fake_server: FakeOpenAIServer
) -> None:
    def get_weather(city: str) -> str:
        """Get the weather for a city."""
        return city

    bound = router.bind_tools([get_weather], tool_choice="any")
    assert isinstance(bound, TieredRouterRunnable)
    reply = bound.invoke("[0.1] weather in Paris?")
    assert reply.tool_calls[0]["name"] == "get_weather"
    assert fake_server.requests[-1].json["tools"][0]["function"]["name"] == "get_weather"
    assert router.bound_tools == []  # binding returns a new router


class Answer(BaseModel):
    """An answer."""

    answer: str
    confidence: float


@pytest.mark.parametrize("hint", ["low", "high"])
def test_structured_output_works_whichever_tier_answers(
    router: TieredRouterRunnable, hint: str
) -> None:
    structured = router.with_structured_output(Answer, include_raw=True)
    result = structured.invoke("[0.5] q", config={"configurable": {"complexity": hint}})
    assert isinstance(result["parsed"], Answer)
    expected = "economy" if hint == "low" else "pro"
    assert result["raw"].response_metadata["routing"]["tier"] == expected


def test_structured_output_rejects_methods_tiers_do_not_share(
    router: TieredRouterRunnable,
) -> None:
    with pytest.raises(RoutingConfigError, match="function_calling"):
        router.with_structured_output(Answer, method="json_schema")


def test_explain_decides_without_calling_a_model(
    router: TieredRouterRunnable, fake_server: FakeOpenAIServer
) -> None:
    decision = router.explain("[0.5] q", config={"configurable": {"complexity": "auto"}})
    assert isinstance(decision, RoutingDecision)
    assert (decision.tier, decision.score, decision.hint) == ("flash", 0.5, "auto")
    assert fake_server.requests == []


def test_explain_matches_the_metadata_of_a_real_call(router: TieredRouterRunnable) -> None:
    routing = router.invoke("[0.5] q").response_metadata["routing"]
    explained = router.explain("[0.5] q").as_metadata()
    assert {k: v for k, v in explained.items() if k != "overhead_ms"} == {
        k: v for k, v in routing.items() if k != "overhead_ms"
    }


def test_from_defaults_builds_the_catalog_tiers(fake_server: FakeOpenAIServer) -> None:
    router = TieredRouterRunnable.from_defaults(api_key="k", base_url=fake_server.base_url)
    assert {name: tier.model_name for name, tier in router.tiers.items()} == {  # type: ignore[attr-defined]
        "economy": "GA-Economy",
        "flash": "deepseek-ai/DeepSeek-V4-Flash",
        "pro": "deepseek-ai/DeepSeek-V4-Pro",
    }
    assert type(router.scorer).__name__ == "LearnedScorer"
    assert router.invoke("What is the capital of France?").text.startswith("[GA-Economy]")


def test_stream_chunks_are_aimessagechunks(router: TieredRouterRunnable) -> None:
    assert all(isinstance(c, AIMessageChunk) for c in router.stream("[0.1] hi"))


def test_stream_honours_the_configurable_hint(router: TieredRouterRunnable) -> None:
    chunks = list(router.stream("[0.1] hi", config={"configurable": {"complexity": "high"}}))
    assert chunks[-1].response_metadata["routing"]["tier"] == "pro"


def test_streamed_tier_call_is_a_child_run(router: TieredRouterRunnable) -> None:
    starts = _Starts()
    list(router.stream("[0.9] hi", config={"callbacks": [starts]}))
    assert starts.metadata["ChatGlobalAPI"]["globalapi_tier"] == "pro"


def test_a_decision_extracts_features_once(tiers: dict[str, Any]) -> None:
    calls: list[str] = []

    class Counting(HeuristicScorer):
        def score_with_signals(self, model_input: Any, *, tools: Any = None) -> Any:
            calls.append("both")
            return super().score_with_signals(model_input, tools=tools)

        def score(self, model_input: Any, *, tools: Any = None) -> float:
            calls.append("score")
            return super().score(model_input, tools=tools)

    router = TieredRouterRunnable(tiers=tiers, scorer=Counting(), thresholds=[0.3, 0.7])
    decision = router.explain("Prove that the square root of 2 is irrational.")
    assert calls == ["both"]
    assert decision.signals
