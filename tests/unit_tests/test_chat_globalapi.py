"""ChatGlobalAPI against the local OpenAI-compatible test server (real HTTP on loopback)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from langchain_core.caches import InMemoryCache
from langchain_core.load import dumpd
from langchain_core.messages import AIMessageChunk, HumanMessage
from pydantic import BaseModel, Field

from langchain_globalapi import ChatGlobalAPI, MissingAPIKeyError, ModelNotFoundError
from langchain_globalapi.testing import FakeOpenAIServer

FLASH = "deepseek-ai/DeepSeek-V4-Flash"


class GetWeather(BaseModel):
    """Get the current weather in a given location."""

    location: str = Field(description="The city, e.g. Paris")


@pytest.fixture
def llm(fake_server: FakeOpenAIServer) -> ChatGlobalAPI:
    return ChatGlobalAPI(api_key="test-key", base_url=fake_server.base_url, max_retries=0)


def test_missing_key_raises_naming_the_env_var(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GLOBAL_API_KEY", raising=False)
    monkeypatch.setenv("OPENAI_API_KEY", "openai-key-never-sent-to-the-gateway")
    with pytest.raises(MissingAPIKeyError, match="GLOBAL_API_KEY"):
        ChatGlobalAPI()


def test_key_comes_from_env_and_never_from_openai_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GLOBAL_API_KEY", "global-key")
    monkeypatch.setenv("OPENAI_API_KEY", "openai-key")
    llm = ChatGlobalAPI()
    assert llm.root_client.api_key == "global-key"
    assert str(llm.root_client.base_url) == "https://global-apis.com/v1/"


def test_key_is_not_in_repr_or_serialized_form() -> None:
    llm = ChatGlobalAPI(api_key="super-secret-value")
    assert "super-secret-value" not in repr(llm)
    assert "super-secret-value" not in str(dumpd(llm))


def test_invoke_returns_text_usage_provider_and_cost(llm: ChatGlobalAPI) -> None:
    msg = llm.invoke("Hello there")
    assert FLASH in msg.text
    assert msg.response_metadata["model_provider"] == "globalapi"
    assert msg.response_metadata["model_name"] == FLASH
    assert msg.usage_metadata is not None
    assert msg.usage_metadata["input_tokens"] > 0
    assert msg.usage_metadata["output_tokens"] > 0
    cost = msg.response_metadata["cost"]
    assert Decimal(cost["usd"]) > 0
    assert Decimal(cost["reference_usd"]) > Decimal(cost["usd"])


def test_stream_yields_several_chunks_and_usage_once(llm: ChatGlobalAPI) -> None:
    chunks = list(llm.stream("Tell me a short story about a lighthouse keeper"))
    assert len(chunks) > 2
    with_usage = [c for c in chunks if c.usage_metadata]
    assert len(with_usage) == 1
    assert chunks[-1].chunk_position == "last"
    full = chunks[0]
    for chunk in chunks[1:]:
        full += chunk
    assert isinstance(full, AIMessageChunk)
    assert "lighthouse" in full.text
    assert full.response_metadata["model_provider"] == "globalapi"
    assert Decimal(full.response_metadata["cost"]["usd"]) > 0


async def test_ainvoke_and_astream(llm: ChatGlobalAPI) -> None:
    msg = await llm.ainvoke("async hello")
    assert "async hello" in msg.text
    text = "".join([chunk.text async for chunk in llm.astream("async stream")])
    assert "async stream" in text


def test_batch_answers_each_prompt_in_order(llm: ChatGlobalAPI) -> None:
    answers = llm.batch(["first question", "second question"])
    assert "first question" in answers[0].text
    assert "second question" in answers[1].text


def test_tool_calls_come_back_parsed(llm: ChatGlobalAPI, fake_server: FakeOpenAIServer) -> None:
    msg = llm.bind_tools([GetWeather], tool_choice="any").invoke("What's the weather in Paris?")
    assert msg.tool_calls
    assert msg.tool_calls[0]["name"] == "GetWeather"
    assert "location" in msg.tool_calls[0]["args"]
    assert fake_server.requests[-1].json["tools"][0]["function"]["name"] == "GetWeather"


def test_structured_output_defaults_to_function_calling(
    llm: ChatGlobalAPI, fake_server: FakeOpenAIServer
) -> None:
    result = llm.with_structured_output(GetWeather).invoke("Weather in Oslo?")
    assert isinstance(result, GetWeather)
    assert "response_format" not in fake_server.requests[-1].json


def test_stop_sequences_are_sent(llm: ChatGlobalAPI, fake_server: FakeOpenAIServer) -> None:
    llm.invoke("say something", stop=["END"])
    assert fake_server.requests[-1].json["stop"] == ["END"]


def test_reasoning_content_becomes_a_reasoning_block(
    llm: ChatGlobalAPI, fake_server: FakeOpenAIServer
) -> None:
    fake_server.set_reasoning(FLASH, "Let me think step by step.")
    msg = llm.invoke("What is 2+2?")
    assert msg.additional_kwargs["reasoning_content"] == "Let me think step by step."
    assert msg.content_blocks[0]["type"] == "reasoning"


def test_reasoning_streams_too(llm: ChatGlobalAPI, fake_server: FakeOpenAIServer) -> None:
    fake_server.set_reasoning(FLASH, "Thinking.")
    chunks = list(llm.stream("What is 2+2?"))
    full = chunks[0]
    for chunk in chunks[1:]:
        full += chunk
    assert "Thinking." in full.additional_kwargs["reasoning_content"]


def test_unknown_model_rejected_by_gateway_names_model_and_url(
    fake_server: FakeOpenAIServer,
) -> None:
    fake_server.reject_unknown_models = True
    llm = ChatGlobalAPI(api_key="k", base_url=fake_server.base_url, model="no-such/model")
    with pytest.raises(ModelNotFoundError) as info:
        llm.invoke("hi")
    assert "no-such/model" in str(info.value)
    assert fake_server.base_url in str(info.value)


def test_unknown_model_ids_are_sent_as_given(fake_server: FakeOpenAIServer) -> None:
    llm = ChatGlobalAPI(api_key="k", base_url=fake_server.base_url, model="vendor/Some-New-Model")
    msg = llm.invoke("hi")
    assert fake_server.requests[-1].json["model"] == "vendor/Some-New-Model"
    assert msg.response_metadata.get("cost") is not None or msg.usage_metadata is not None


def test_token_counting_is_offline_for_any_model_name() -> None:
    llm = ChatGlobalAPI(api_key="k", model="some-vendor/unknown-model")
    assert llm.get_num_tokens("The quick brown fox jumps over the lazy dog.") == 10
    n = llm.get_num_tokens_from_messages([HumanMessage("hello world")], tools=[GetWeather])
    assert n > llm.get_num_tokens_from_messages([HumanMessage("hello world")])


def test_ls_params_name_the_provider() -> None:
    params = ChatGlobalAPI(api_key="k")._get_ls_params()
    assert params["ls_provider"] == "globalapi"
    assert params["ls_model_name"] == FLASH


def test_langchain_cache_key_includes_the_base_url(fake_server: FakeOpenAIServer) -> None:
    cache = InMemoryCache()
    with FakeOpenAIServer() as other:
        first = ChatGlobalAPI(api_key="k", base_url=fake_server.base_url, cache=cache)
        second = ChatGlobalAPI(api_key="k", base_url=other.base_url, cache=cache)
        first.invoke("same prompt")
        second.invoke("same prompt")
        assert other.calls_for(FLASH) == 1
    assert fake_server.calls_for(FLASH) == 1
