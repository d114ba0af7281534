"""CachedChatModel: hits before the wrapped model, streaming replay, tee-on-miss, tools, costs."""

from __future__ import annotations

from langchain_core.callbacks import UsageMetadataCallbackHandler
from langchain_core.messages import AIMessageChunk, HumanMessage, SystemMessage
from pydantic import BaseModel

from langchain_globalapi import (
    CachedChatModel,
    ExactCache,
    InMemoryStore,
    SQLiteStore,
    get_globalapi_callback,
)
from langchain_globalapi.testing import FakeOpenAIServer, Fault
from tests.unit_tests.caching._cache_helpers import FLASH, CountingRouter, flash

QUESTION = "Explain in one sentence why the sky is blue to a curious child please"


def _sum(chunks: list[AIMessageChunk]) -> AIMessageChunk:
    total = chunks[0]
    for chunk in chunks[1:]:
        total = total + chunk
    return total


def test_repeat_invoke_is_served_without_calling_the_model(fake_server: FakeOpenAIServer) -> None:
    llm = CachedChatModel(flash(fake_server), cache=ExactCache())
    first = llm.invoke(QUESTION)
    second = llm.invoke(QUESTION)
    assert second.text == first.text
    assert len(fake_server.requests) == 1
    assert first.response_metadata["cache"] == {
        "hit": False,
        "kind": "exact",
        "similarity": None,
        "saved_usd": None,
    }
    assert second.response_metadata["cache"]["hit"] is True
    assert second.response_metadata["cache"]["kind"] == "exact"


def test_hit_saved_usd_is_the_decimal_price_of_the_original_call(
    fake_server: FakeOpenAIServer,
) -> None:
    llm = CachedChatModel(flash(fake_server), cache=ExactCache())
    first = llm.invoke(QUESTION)
    saved = llm.invoke(QUESTION).response_metadata["cache"]["saved_usd"]
    assert saved == first.response_metadata["cost"]["usd"]


def test_hit_in_front_of_a_router_happens_before_any_routing(
    fake_server: FakeOpenAIServer,
) -> None:
    router = CountingRouter(tier=flash(fake_server))
    llm = CachedChatModel(router, cache=ExactCache())
    llm.invoke(QUESTION)
    llm.invoke(QUESTION)
    list(llm.stream(QUESTION))
    assert router.decisions == 1
    assert len(fake_server.requests) == 1


def test_different_models_or_base_urls_never_share_entries(fake_server: FakeOpenAIServer) -> None:
    cache = ExactCache()
    with FakeOpenAIServer() as other_server:
        CachedChatModel(flash(fake_server), cache=cache).invoke(QUESTION)
        CachedChatModel(flash(other_server), cache=cache).invoke(QUESTION)
        CachedChatModel(
            flash(fake_server, model="deepseek-ai/DeepSeek-V4-Pro"), cache=cache
        ).invoke(QUESTION)
        assert len(other_server.requests) == 1
    assert len(fake_server.requests) == 2


def test_call_parameters_are_part_of_the_key(fake_server: FakeOpenAIServer) -> None:
    llm = CachedChatModel(flash(fake_server), cache=ExactCache())
    llm.invoke(QUESTION)
    llm.invoke(QUESTION, max_tokens=50)
    llm.invoke(QUESTION, stop=["\n"])
    assert len(fake_server.requests) == 3


def test_sampling_temperature_bypasses_the_cache_by_default(fake_server: FakeOpenAIServer) -> None:
    llm = CachedChatModel(flash(fake_server, temperature=0.9), cache=ExactCache())
    llm.invoke(QUESTION)
    assert llm.invoke(QUESTION).response_metadata["cache"]["hit"] is False
    assert len(fake_server.requests) == 2


def test_truncated_answer_is_not_cached(fake_server: FakeOpenAIServer) -> None:
    llm = CachedChatModel(flash(fake_server, max_tokens=2), cache=ExactCache())
    assert llm.invoke(QUESTION).response_metadata["finish_reason"] == "length"
    llm.invoke(QUESTION)
    assert len(fake_server.requests) == 2


def test_stream_hit_replays_several_chunks_that_add_up_to_the_answer(
    fake_server: FakeOpenAIServer,
) -> None:
    llm = CachedChatModel(flash(fake_server), cache=ExactCache())
    original = llm.invoke(QUESTION)
    chunks = list(llm.stream(QUESTION))
    assert len(chunks) >= 3
    assert chunks[-1].chunk_position == "last"
    assert sum(1 for chunk in chunks if chunk.usage_metadata) == 1
    total = _sum(chunks)
    assert total.text == original.text
    assert total.usage_metadata is not None
    assert total.usage_metadata["output_tokens"] == original.usage_metadata["output_tokens"]
    assert total.response_metadata["cache"]["hit"] is True
    assert len(fake_server.requests) == 1


def test_stream_miss_passes_chunks_through_and_stores_after_a_clean_finish(
    fake_server: FakeOpenAIServer,
) -> None:
    llm = CachedChatModel(flash(fake_server), cache=ExactCache())
    streamed = list(llm.stream(QUESTION))
    assert len(streamed) > 2
    assert _sum(streamed).response_metadata["cache"]["hit"] is False
    again = llm.invoke(QUESTION)
    assert again.response_metadata["cache"]["hit"] is True
    assert again.text == _sum(streamed).text
    assert len(fake_server.requests) == 1


def test_interrupted_stream_is_not_stored(fake_server: FakeOpenAIServer) -> None:
    llm = CachedChatModel(flash(fake_server), cache=ExactCache())
    fake_server.inject(FLASH, Fault.drop_after_chunks(2))
    received: list[AIMessageChunk] = []
    try:
        for chunk in llm.stream(QUESTION):
            received.append(chunk)
    except Exception:
        pass
    else:
        raise AssertionError("the dropped stream should have raised")
    assert llm.invoke(QUESTION).response_metadata["cache"]["hit"] is False
    assert len(fake_server.requests) == 2


def test_stream_abandoned_by_the_caller_is_not_stored(fake_server: FakeOpenAIServer) -> None:
    llm = CachedChatModel(flash(fake_server), cache=ExactCache())
    stream = llm.stream(QUESTION)
    next(stream)
    stream.close()
    assert llm.invoke(QUESTION).response_metadata["cache"]["hit"] is False


def test_truncated_stream_is_not_stored(fake_server: FakeOpenAIServer) -> None:
    llm = CachedChatModel(flash(fake_server, max_tokens=2), cache=ExactCache())
    list(llm.stream(QUESTION))
    list(llm.stream(QUESTION))
    assert len(fake_server.requests) == 2


async def test_async_invoke_and_astream_share_the_cache(fake_server: FakeOpenAIServer) -> None:
    llm = CachedChatModel(flash(fake_server), cache=ExactCache())
    first = await llm.ainvoke(QUESTION)
    chunks = [chunk async for chunk in llm.astream(QUESTION)]
    assert _sum(chunks).text == first.text
    assert chunks[-1].response_metadata["cache"]["hit"] is True
    assert len(fake_server.requests) == 1


async def test_astream_miss_is_stored_for_the_next_call(fake_server: FakeOpenAIServer) -> None:
    llm = CachedChatModel(flash(fake_server), cache=ExactCache())
    [chunk async for chunk in llm.astream(QUESTION)]
    assert (await llm.ainvoke(QUESTION)).response_metadata["cache"]["hit"] is True


def test_batch_serves_repeats(fake_server: FakeOpenAIServer) -> None:
    llm = CachedChatModel(flash(fake_server), cache=ExactCache())
    llm.invoke(QUESTION)
    answers = llm.batch([QUESTION, QUESTION])
    assert all(answer.response_metadata["cache"]["hit"] for answer in answers)


class GetWeather(BaseModel):
    """Get the current weather in a city."""

    city: str


def test_bound_tools_survive_and_are_part_of_the_key(fake_server: FakeOpenAIServer) -> None:
    llm = CachedChatModel(flash(fake_server), cache=ExactCache())
    with_tools = llm.bind_tools([GetWeather], tool_choice="GetWeather")
    first = with_tools.invoke("Weather in Paris?")
    assert first.tool_calls[0]["name"] == "GetWeather"
    assert fake_server.requests[-1].json["tools"][0]["function"]["name"] == "GetWeather"
    second = with_tools.invoke("Weather in Paris?")
    assert second.tool_calls == first.tool_calls
    assert second.response_metadata["cache"]["hit"] is True
    assert llm.invoke("Weather in Paris?").response_metadata["cache"]["hit"] is False
    assert len(fake_server.requests) == 2


def test_stream_replay_of_a_tool_call_rebuilds_it(fake_server: FakeOpenAIServer) -> None:
    with_tools = CachedChatModel(flash(fake_server), cache=ExactCache()).bind_tools(
        [GetWeather], tool_choice="GetWeather"
    )
    first = with_tools.invoke("Weather in Paris?")
    streamed = _sum(list(with_tools.stream("Weather in Paris?")))
    assert streamed.tool_calls == first.tool_calls


def test_structured_output_is_served_from_the_cache(fake_server: FakeOpenAIServer) -> None:
    structured = CachedChatModel(flash(fake_server), cache=ExactCache()).with_structured_output(
        GetWeather
    )
    first = structured.invoke("Weather in Paris?")
    second = structured.invoke("Weather in Paris?")
    assert isinstance(second, GetWeather)
    assert second == first
    assert len(fake_server.requests) == 1


def test_cost_tracker_prices_a_hit_at_zero_and_counts_the_saving(
    fake_server: FakeOpenAIServer,
) -> None:
    llm = CachedChatModel(flash(fake_server), cache=ExactCache())
    with get_globalapi_callback() as cb:
        llm.invoke(QUESTION)
        llm.invoke(QUESTION)
        list(llm.stream(QUESTION))
    assert (cb.calls, cb.cache_hits) == (3, 2)
    assert cb.saved_by_cache_usd == 2 * cb.total_cost_usd
    assert cb.total_cost_usd > 0


def test_langchain_usage_callback_does_not_count_a_hit_as_new_tokens(
    fake_server: FakeOpenAIServer,
) -> None:
    llm = CachedChatModel(flash(fake_server), cache=ExactCache())
    usage = UsageMetadataCallbackHandler()
    first = llm.invoke(QUESTION, config={"callbacks": [usage]})
    llm.invoke(QUESTION, config={"callbacks": [usage]})
    assert usage.usage_metadata[FLASH]["total_tokens"] == first.usage_metadata["total_tokens"]


def test_system_prompt_is_part_of_the_key(fake_server: FakeOpenAIServer) -> None:
    llm = CachedChatModel(flash(fake_server), cache=ExactCache())
    llm.invoke([SystemMessage("Be terse."), HumanMessage(QUESTION)])
    llm.invoke([SystemMessage("Be verbose."), HumanMessage(QUESTION)])
    assert len(fake_server.requests) == 2


def test_sqlite_backed_wrapper_serves_a_hit_after_restart(
    fake_server: FakeOpenAIServer, tmp_path
) -> None:
    CachedChatModel(flash(fake_server), cache=ExactCache(SQLiteStore(tmp_path / "c.db"))).invoke(
        QUESTION
    )
    fresh = CachedChatModel(flash(fake_server), cache=ExactCache(SQLiteStore(tmp_path / "c.db")))
    assert fresh.invoke(QUESTION).response_metadata["cache"]["hit"] is True


def test_in_memory_store_is_the_default(fake_server: FakeOpenAIServer) -> None:
    assert isinstance(
        CachedChatModel(flash(fake_server), cache=ExactCache()).response_cache.store, InMemoryStore
    )
