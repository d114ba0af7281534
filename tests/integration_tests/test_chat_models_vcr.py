"""ChatGlobalAPI replayed from VCR cassettes: invoke, stream, tools, usage, reasoning.

Cassettes live in tests/integration_tests/cassettes. Re-record against the live gateway
with `GLOBALAPI_RECORD_MODE=all GLOBAL_API_KEY=... pytest tests/integration_tests -m vcr`.
"""

from __future__ import annotations

import os

import pytest
from pydantic import BaseModel, Field

from langchain_globalapi import ChatGlobalAPI, get_globalapi_callback

pytestmark = pytest.mark.vcr

FLASH = "deepseek-ai/DeepSeek-V4-Flash"


class GetWeather(BaseModel):
    """Get the current weather in a given location."""

    location: str = Field(description="The city, e.g. Paris")


@pytest.fixture
def llm() -> ChatGlobalAPI:
    return ChatGlobalAPI(
        api_key=os.environ.get("GLOBAL_API_KEY", "cassette-key"),
        base_url=os.environ.get("GLOBAL_API_BASE", "https://global-apis.com/v1"),
        model=FLASH,
        temperature=0,
        max_retries=0,
    )


def test_invoke_replays_text_and_usage(llm: ChatGlobalAPI) -> None:
    msg = llm.invoke("Name one primary colour.")
    assert msg.text
    assert msg.usage_metadata is not None
    assert msg.usage_metadata["total_tokens"] > 0
    assert msg.response_metadata["model_name"] == FLASH


def test_stream_replays_chunks_with_usage_last(llm: ChatGlobalAPI) -> None:
    chunks = list(llm.stream("Count from one to five in words."))
    assert len(chunks) > 1
    assert chunks[-1].chunk_position == "last"
    assert sum(1 for chunk in chunks if chunk.usage_metadata) == 1


async def test_async_invoke_replays(llm: ChatGlobalAPI) -> None:
    msg = await llm.ainvoke("Name one primary colour.")
    assert msg.text


def test_tool_call_replays(llm: ChatGlobalAPI) -> None:
    msg = llm.bind_tools([GetWeather], tool_choice="any").invoke("Weather in Lisbon?")
    assert msg.tool_calls[0]["name"] == "GetWeather"


def test_replayed_calls_are_priced(llm: ChatGlobalAPI) -> None:
    with get_globalapi_callback() as cb:
        llm.invoke("Name one primary colour.")
    assert cb.calls == 1
    assert cb.total_cost_usd > 0
    assert cb.savings_pct is not None
    assert cb.savings_pct > 80
