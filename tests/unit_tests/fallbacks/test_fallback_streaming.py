"""FallbackChatModel.stream / astream: fall back before the first chunk, never after."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from decimal import Decimal

import pytest
from langchain_core.messages import AIMessage, BaseMessageChunk
from langchain_openai import ChatOpenAI

from langchain_globalapi import (
    ChatGlobalAPI,
    FallbackChatModel,
    MidStreamError,
    get_globalapi_callback,
    price_message,
)
from langchain_globalapi.testing import FakeOpenAIServer, Fault

FLASH = "deepseek-ai/DeepSeek-V4-Flash"
PRO = "deepseek-ai/DeepSeek-V4-Pro"

Member = Callable[..., ChatGlobalAPI]


def merge(chunks: Sequence[BaseMessageChunk]) -> BaseMessageChunk:
    merged = chunks[0]
    for chunk in chunks[1:]:
        merged += chunk
    return merged


async def collect(stream: AsyncIterator[BaseMessageChunk], into: list[str]) -> None:
    async for chunk in stream:
        into.append(chunk.text)


def test_stream_failing_before_the_first_chunk_falls_back(
    member: Member, fake_server: FakeOpenAIServer
) -> None:
    fake_server.inject(FLASH, Fault.drop_before_first_chunk())
    chunks = list(FallbackChatModel([member(FLASH), member(PRO)]).stream("hi"))
    assert "".join(c.text for c in chunks) == f"[{PRO}] hi"
    fallback = chunks[0].response_metadata["fallback"]
    assert [(a["model"], a["error"]) for a in fallback["attempts"]] == [
        (FLASH, "connection"),
        (PRO, None),
    ]


def test_stream_rate_limited_before_the_first_chunk_falls_back(
    member: Member, fake_server: FakeOpenAIServer
) -> None:
    fake_server.inject(FLASH, Fault.rate_limit())
    text = "".join(c.text for c in FallbackChatModel([member(FLASH), member(PRO)]).stream("hi"))
    assert text == f"[{PRO}] hi"


def test_slow_first_token_times_out_and_falls_back(
    member: Member, fake_server: FakeOpenAIServer
) -> None:
    fake_server.inject(FLASH, Fault.slow_first_byte(5.0, after_headers=True))
    chain = FallbackChatModel([member(FLASH), member(PRO)], first_chunk_timeout_s=0.3)
    assert "".join(c.text for c in chain.stream("hi")) == f"[{PRO}] hi"


def test_failure_after_text_raises_mid_stream_error_without_restarting(
    member: Member, fake_server: FakeOpenAIServer
) -> None:
    fake_server.inject(FLASH, Fault.drop_after_chunks(2))
    received: list[str] = []
    stream = FallbackChatModel([member(FLASH), member(PRO)]).stream("hi")
    with pytest.raises(MidStreamError) as caught:
        received.extend(chunk.text for chunk in stream)
    error = caught.value
    assert error.model == FLASH
    assert error.delivered_text == "".join(received)
    assert error.delivered_chars == len(error.delivered_text) > 0
    assert fake_server.calls_for(PRO) == 0  # no second answer glued to the first


def test_stream_is_relayed_chunk_by_chunk(member: Member, fake_server: FakeOpenAIServer) -> None:
    fake_server.set_reply(FLASH, "one two three four")
    chunks = list(FallbackChatModel([member(FLASH)]).stream("hi"))
    assert len([c for c in chunks if c.text]) > 1
    assert "".join(c.text for c in chunks) == "one two three four"


def test_stream_usage_and_cost_survive(member: Member, fake_server: FakeOpenAIServer) -> None:
    merged = merge(list(FallbackChatModel([member(FLASH)]).stream("hi")))
    assert merged.usage_metadata is not None
    assert merged.response_metadata["cost"]["model"] == FLASH
    assert merged.response_metadata["fallback"]["served_by"] == FLASH


async def test_astream_failing_before_the_first_chunk_falls_back(
    member: Member, fake_server: FakeOpenAIServer
) -> None:
    fake_server.inject(FLASH, Fault.server_error(503))
    chain = FallbackChatModel([member(FLASH), member(PRO)])
    text = "".join([chunk.text async for chunk in chain.astream("hi")])
    assert text == f"[{PRO}] hi"


async def test_astream_slow_first_token_times_out_and_falls_back(
    member: Member, fake_server: FakeOpenAIServer
) -> None:
    fake_server.inject(FLASH, Fault.slow_first_byte(5.0, after_headers=True))
    chain = FallbackChatModel([member(FLASH), member(PRO)], first_chunk_timeout_s=0.3)
    text = "".join([chunk.text async for chunk in chain.astream("hi")])
    assert text == f"[{PRO}] hi"


async def test_astream_failure_after_text_raises_mid_stream_error(
    member: Member, fake_server: FakeOpenAIServer
) -> None:
    fake_server.inject(FLASH, Fault.drop_after_chunks(1))
    received: list[str] = []
    stream = FallbackChatModel([member(FLASH), member(PRO)]).astream("hi")
    with pytest.raises(MidStreamError) as caught:
        await collect(stream, received)
    assert caught.value.delivered_text == "".join(received)
    assert fake_server.calls_for(PRO) == 0


def test_stream_from_a_plain_chat_openai_member_is_priced(fake_server: FakeOpenAIServer) -> None:
    flash = ChatOpenAI(
        model=FLASH, api_key="test", base_url=fake_server.base_url, stream_usage=True
    )
    chunks = list(FallbackChatModel([flash]).stream("hi"))
    merged = merge(chunks)
    priced = [i for i, chunk in enumerate(chunks) if "cost" in chunk.response_metadata]
    assert len(priced) == 1  # once, after the text
    assert all(not chunk.text for chunk in chunks[priced[0] + 1 :])
    expected = price_message(
        AIMessage(
            content="",
            usage_metadata=merged.usage_metadata,
            response_metadata={"model_name": FLASH},
        )
    )
    assert expected is not None
    assert merged.response_metadata["cost"] == expected.as_metadata()
    assert merged.text == f"[{FLASH}] hi"


async def test_astream_from_a_plain_chat_openai_fallback_member_is_priced_as_that_member(
    member: Member, fake_server: FakeOpenAIServer
) -> None:
    fake_server.inject(FLASH, Fault.server_error(503))
    pro = ChatOpenAI(model=PRO, api_key="test", base_url=fake_server.base_url, stream_usage=True)
    chunks = [chunk async for chunk in FallbackChatModel([member(FLASH), pro]).astream("hi")]
    merged = merge(chunks)
    assert merged.response_metadata["cost"]["model"] == PRO
    assert Decimal(merged.response_metadata["cost"]["usd"]) > 0


def test_streamed_fallback_under_the_cost_callback_bills_one_call_at_the_served_price(
    member: Member, fake_server: FakeOpenAIServer
) -> None:
    fake_server.inject(FLASH, Fault.drop_before_first_chunk())
    chain = FallbackChatModel([member(FLASH), member(PRO)])
    with get_globalapi_callback() as tracker:
        merged = merge(list(chain.stream("hi")))
    assert tracker.calls == 1
    assert list(tracker.per_model) == [PRO]
    assert tracker.total_cost_usd == Decimal(merged.response_metadata["cost"]["usd"])


async def test_astreamed_fallback_under_the_cost_callback_bills_one_call_at_the_served_price(
    member: Member, fake_server: FakeOpenAIServer
) -> None:
    fake_server.inject(FLASH, Fault.rate_limit())
    chain = FallbackChatModel([member(FLASH), member(PRO)])
    with get_globalapi_callback() as tracker:
        merged = merge([chunk async for chunk in chain.astream("hi")])
    assert tracker.calls == 1
    assert list(tracker.per_model) == [PRO]
    assert tracker.total_cost_usd == Decimal(merged.response_metadata["cost"]["usd"])
