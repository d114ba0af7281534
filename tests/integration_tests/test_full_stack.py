"""The whole stack from DESIGN.md, end to end against the local server.

prompt | CachedChatModel(TieredRouterRunnable(tiers of FallbackChatModels), SemanticCache over
SQLite with GlobalAPIEmbeddings) | parser: one request crosses every layer, and each layer
says what it did in `response_metadata`.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from langchain_core.messages import AIMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from pydantic import BaseModel, Field

from langchain_globalapi import (
    CachedChatModel,
    ChatGlobalAPI,
    FallbackChatModel,
    GlobalAPIEmbeddings,
    QualityTripwire,
    SemanticCache,
    SQLiteStore,
    TieredRouterRunnable,
    get_globalapi_callback,
)
from langchain_globalapi.testing import FakeOpenAIServer, Fault

FLASH = "deepseek-ai/DeepSeek-V4-Flash"
PRO = "deepseek-ai/DeepSeek-V4-Pro"


class Invoice(BaseModel):
    """Fields extracted from an invoice."""

    vendor: str = Field(description="Who issued the invoice")
    total: float = Field(description="Amount due")


@pytest.fixture
def stack(fake_server: FakeOpenAIServer, tmp_path: Path) -> CachedChatModel:
    def model(name: str) -> ChatGlobalAPI:
        return ChatGlobalAPI(api_key="k", base_url=fake_server.base_url, model=name)

    router = TieredRouterRunnable(
        tiers={
            "economy": model("GA-Economy"),
            "flash": FallbackChatModel([model(FLASH), model(PRO), model("gpt-4o")]),
            "pro": FallbackChatModel([model(PRO), model("gpt-4o")]),
        },
    )
    embeddings = GlobalAPIEmbeddings(api_key="k", base_url=fake_server.base_url)
    cache = SemanticCache(embeddings, SQLiteStore(str(tmp_path / "cache.db")))
    return CachedChatModel(router, cache=cache)


def test_a_request_crosses_every_layer_and_a_repeat_is_free(
    stack: CachedChatModel, fake_server: FakeOpenAIServer
) -> None:
    fake_server.inject(FLASH, Fault.rate_limit())  # the flash tier's first member is limited
    config = {"configurable": {"complexity": "flash"}}
    with get_globalapi_callback() as cb:
        first = stack.invoke("How do I rotate an API key without downtime?", config=config)
        again = stack.invoke("How do I rotate an API key without downtime?", config=config)

    meta = first.response_metadata
    assert meta["routing"]["tier"] == "flash"
    assert meta["fallback"]["served_by"] == PRO
    assert meta["fallback"]["attempts"][0]["model"] == FLASH
    assert meta["cache"]["hit"] is False
    assert Decimal(meta["cost"]["usd"]) > 0

    assert again.text == first.text
    assert again.response_metadata["cache"]["hit"] is True
    assert fake_server.calls_for(PRO) == 1
    assert cb.calls == 2
    assert cb.cache_hits == 1
    assert cb.saved_by_cache_usd > 0


def test_a_paraphrase_with_a_different_number_is_not_served_from_cache(
    stack: CachedChatModel, fake_server: FakeOpenAIServer
) -> None:
    stack.invoke("What is the refund window for orders over 50 dollars?")
    other = stack.invoke("What is the refund window for orders over 500 dollars?")
    assert other.response_metadata["cache"]["hit"] is False
    assert "500" in other.text


def test_streaming_through_the_stack_is_billed_once(stack: CachedChatModel) -> None:
    chain = ChatPromptTemplate.from_messages([("human", "{q}")]) | stack | StrOutputParser()
    with get_globalapi_callback() as cb:
        text = "".join(chain.stream({"q": "Summarise the plot of Hamlet in two lines."}))
        replay = "".join(chain.stream({"q": "Summarise the plot of Hamlet in two lines."}))
    assert "Hamlet" in text
    assert replay == text
    assert cb.calls == 2
    assert cb.cache_hits == 1


async def test_async_batch_through_the_stack(stack: CachedChatModel) -> None:
    answers = await stack.abatch(["first question here", "second question here"])
    assert "first question" in answers[0].text
    assert "second question" in answers[1].text
    assert all("routing" in a.response_metadata for a in answers)


def test_structured_output_survives_every_layer(stack: CachedChatModel) -> None:
    extractor = stack.with_structured_output(Invoice)
    result = extractor.invoke("Invoice from ACME Corp, total due 1234.50 USD.")
    assert isinstance(result, Invoice)


def test_tools_survive_every_layer(stack: CachedChatModel) -> None:
    def get_weather(city: str) -> str:
        """Get the weather for a city."""
        return f"sunny in {city}"

    msg = stack.bind_tools([get_weather]).invoke("Use get_weather for Paris")
    assert msg.tool_calls[0]["name"] == "get_weather"


def test_tripwire_shadows_answers_of_the_stack(fake_server: FakeOpenAIServer) -> None:
    def model(name: str) -> ChatGlobalAPI:
        return ChatGlobalAPI(api_key="k", base_url=fake_server.base_url, model=name)

    tripwire = QualityTripwire(model("gpt-4o"), sample_rate=1.0)
    router = TieredRouterRunnable(
        tiers={"economy": model("GA-Economy"), "pro": model(PRO)}, tripwire=tripwire
    )
    router.invoke("Is this ticket about billing? 'I was charged twice'")
    tripwire.drain()
    assert tripwire.stats().samples == 1
    assert fake_server.calls_for("gpt-4o") == 1


def test_an_explicit_hint_is_part_of_the_cache_key(
    stack: CachedChatModel, fake_server: FakeOpenAIServer
) -> None:
    def ask(hint: str) -> AIMessage:
        config = {"configurable": {"complexity": hint}}
        return stack.invoke("Explain TCP slow start.", config=config)

    cheap, strong, again = ask("low"), ask("high"), ask("high")
    assert cheap.response_metadata["routing"]["tier"] == "economy"
    assert strong.response_metadata["cache"]["hit"] is False
    assert strong.response_metadata["routing"]["tier"] == "pro"
    assert again.response_metadata["cache"]["hit"] is True
    assert again.text == strong.text


def test_streamed_hint_reaches_the_router_and_the_key(stack: CachedChatModel) -> None:
    config = {"configurable": {"complexity": "high"}}
    chunks = list(stack.stream("Explain TCP slow start.", config=config))
    assert "DeepSeek-V4-Pro" in "".join(c.text for c in chunks)
    replay = stack.invoke("Explain TCP slow start.", config=config)
    assert replay.response_metadata["cache"]["hit"] is True
