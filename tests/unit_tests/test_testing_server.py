"""Specification of the fake OpenAI server, exercised through the real openai SDK and ChatOpenAI."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import numpy as np
import openai
import pytest
from langchain_core.exceptions import (
    ContextOverflowError,
    ModelAPIError,
    ModelAuthenticationError,
    ModelConnectionError,
    ModelInvalidRequestError,
    ModelRateLimitError,
    ModelTimeoutError,
)
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, ToolMessage
from langchain_openai import ChatOpenAI
from pydantic import BaseModel

import langchain_globalapi.testing as testing_package
from langchain_globalapi.testing import FakeOpenAIServer, Fault
from langchain_globalapi.testing import server as server_module

USER_HI = [{"role": "user", "content": "hello there, how are you today?"}]
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather for a city.",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string"},
                "days": {"type": "integer"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                "note": {"type": "string"},
            },
            "required": ["city", "days", "unit"],
        },
    },
}


@pytest.fixture
def client(fake_server: FakeOpenAIServer) -> openai.OpenAI:
    return openai.OpenAI(base_url=fake_server.base_url, api_key="test", max_retries=0)


def chat_model(server: FakeOpenAIServer, **kwargs: Any) -> ChatOpenAI:
    return ChatOpenAI(base_url=server.base_url, api_key="k", model="m", max_retries=0, **kwargs)


def cosine(a: list[float], b: list[float]) -> float:
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))


# --- replies ---------------------------------------------------------------------------------


def test_default_reply_names_the_model_and_echoes_the_user(client: openai.OpenAI) -> None:
    reply = client.chat.completions.create(model="model-a", messages=USER_HI)

    assert reply.choices[0].message.content == "[model-a] hello there, how are you today?"
    assert reply.model == "model-a"
    assert reply.choices[0].finish_reason == "stop"


def test_usage_estimates_four_characters_per_token(client: openai.OpenAI) -> None:
    reply = client.chat.completions.create(model="m", messages=USER_HI)

    assert reply.usage is not None
    assert reply.usage.prompt_tokens == 8  # 31 characters
    assert reply.usage.completion_tokens == 9  # "[m] " + 31 characters
    assert reply.usage.total_tokens == 17


def test_set_reply_accepts_text_or_a_callable(
    fake_server: FakeOpenAIServer, client: openai.OpenAI
) -> None:
    fake_server.set_reply("a", "fixed text")
    fake_server.set_reply("b", lambda request: f"{len(request['messages'])} messages")

    a = client.chat.completions.create(model="a", messages=USER_HI)
    b = client.chat.completions.create(model="b", messages=USER_HI * 3)

    assert a.choices[0].message.content == "fixed text"
    assert b.choices[0].message.content == "3 messages"


def test_max_tokens_truncates_with_finish_reason_length(client: openai.OpenAI) -> None:
    reply = client.chat.completions.create(model="m", messages=USER_HI, max_tokens=2)

    assert reply.choices[0].message.content == "[m] hell"
    assert reply.choices[0].finish_reason == "length"


def test_stop_sequence_cuts_the_reply(client: openai.OpenAI) -> None:
    reply = client.chat.completions.create(model="m", messages=USER_HI, stop=[",", "how"])

    assert reply.choices[0].message.content == "[m] hello there"
    assert reply.choices[0].finish_reason == "stop"


def test_json_object_mode_answers_with_the_echo(client: openai.OpenAI) -> None:
    reply = client.chat.completions.create(
        model="m", messages=USER_HI, response_format={"type": "json_object"}
    )

    content = reply.choices[0].message.content
    assert content is not None
    assert json.loads(content) == {"answer": "hello there, how are you today?"}


def test_structured_output_fills_the_schema(fake_server: FakeOpenAIServer) -> None:
    class Person(BaseModel):
        name: str
        age: int
        nickname: str | None = None

    for method in ("json_schema", "function_calling"):
        structured = chat_model(fake_server).with_structured_output(Person, method=method)
        person = structured.invoke("Who is it?")

        assert isinstance(person, Person)
        assert (person.name, person.age) == ("x", 1), method


def test_reasoning_model_returns_reasoning_before_content(client: openai.OpenAI) -> None:
    reply = client.chat.completions.create(model="deepseek-reasoner", messages=USER_HI)
    chunks = list(
        client.chat.completions.create(model="DeepSeek-R1", messages=USER_HI, stream=True)
    )

    message = reply.choices[0].message.model_dump()
    assert message["reasoning_content"] == server_module.DEFAULT_REASONING
    kinds = [
        "reasoning" if c.choices[0].delta.model_dump().get("reasoning_content") else "content"
        for c in chunks[:-1]
    ]
    assert kinds[0] == "reasoning"
    assert kinds[-1] == "content"
    assert kinds == sorted(kinds, reverse=True)  # all reasoning, then all content


def test_set_reasoning_enables_reasoning_for_any_model(
    fake_server: FakeOpenAIServer, client: openai.OpenAI
) -> None:
    fake_server.set_reasoning("gpt-4o", "Because.")

    reply = client.chat.completions.create(model="gpt-4o", messages=USER_HI)

    assert reply.choices[0].message.model_dump()["reasoning_content"] == "Because."
    assert reply.usage is not None
    assert reply.usage.completion_tokens_details is not None
    assert reply.usage.completion_tokens_details.reasoning_tokens == 2


# --- streaming -------------------------------------------------------------------------------


def test_stream_sends_role_first_then_words_then_usage(client: openai.OpenAI) -> None:
    chunks = list(
        client.chat.completions.create(
            model="m", messages=USER_HI, stream=True, stream_options={"include_usage": True}
        )
    )

    content_chunks = [c for c in chunks if c.choices and c.choices[0].delta.content]
    assert chunks[0].choices[0].delta.role == "assistant"
    assert len(content_chunks) >= 3
    text = "".join(c.choices[0].delta.content or "" for c in content_chunks)
    assert text == "[m] hello there, how are you today?"
    assert chunks[-2].choices[0].finish_reason == "stop"
    assert chunks[-1].choices == []
    assert chunks[-1].usage is not None
    assert chunks[-1].usage.total_tokens == 17


def test_raw_stream_is_chunked_sse_ending_with_done(fake_server: FakeOpenAIServer) -> None:
    body = {"model": "m", "messages": USER_HI, "stream": True}

    response = httpx.post(f"{fake_server.base_url}/chat/completions", json=body)

    assert response.headers["transfer-encoding"] == "chunked"
    assert response.headers["content-type"].startswith("text/event-stream")
    events = [line for line in response.text.split("\n\n") if line]
    assert all(event.startswith("data: ") for event in events)
    assert events[-1] == "data: [DONE]"


def test_chat_openai_stream_reports_usage(fake_server: FakeOpenAIServer) -> None:
    chunks = list(chat_model(fake_server, stream_usage=True).stream("hello there friend"))

    merged = sum(chunks[1:], chunks[0])
    assert isinstance(merged, AIMessageChunk)
    assert merged.content == "[m] hello there friend"
    assert merged.usage_metadata is not None
    assert merged.usage_metadata["input_tokens"] == 5
    assert merged.usage_metadata["output_tokens"] == 6


# --- tool calls ------------------------------------------------------------------------------


def test_required_tool_choice_builds_arguments_from_the_schema(client: openai.OpenAI) -> None:
    reply = client.chat.completions.create(
        model="m", messages=USER_HI, tools=[WEATHER_TOOL], tool_choice="required"
    )

    choice = reply.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.tool_calls is not None
    call = choice.message.tool_calls[0]
    assert call.id == "call_1"
    assert call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == {"city": "x", "days": 1, "unit": "celsius"}


def test_auto_tool_choice_calls_a_tool_only_when_mentioned(client: openai.OpenAI) -> None:
    mentioned = [{"role": "user", "content": "Please get weather for Paris"}]

    plain = client.chat.completions.create(model="m", messages=USER_HI, tools=[WEATHER_TOOL])
    called = client.chat.completions.create(model="m", messages=mentioned, tools=[WEATHER_TOOL])

    assert plain.choices[0].message.tool_calls is None
    assert called.choices[0].message.tool_calls is not None
    assert called.choices[0].finish_reason == "tool_calls"


def test_auto_tool_choice_matches_the_meaningful_words_of_a_tool_name(
    client: openai.OpenAI,
) -> None:
    messages = [{"role": "user", "content": "What is the weather in San Francisco?"}]

    reply = client.chat.completions.create(model="m", messages=messages, tools=[WEATHER_TOOL])

    assert reply.choices[0].message.tool_calls is not None
    assert reply.choices[0].message.tool_calls[0].function.name == "get_weather"


def test_arguments_spelled_out_in_the_prompt_are_used(client: openai.OpenAI) -> None:
    messages = [
        {"role": "user", "content": "Call get_weather('Paris', 3, unit=\"fahrenheit\") now"}
    ]

    reply = client.chat.completions.create(model="m", messages=messages, tools=[WEATHER_TOOL])

    assert reply.choices[0].message.tool_calls is not None
    arguments = json.loads(reply.choices[0].message.tool_calls[0].function.arguments)
    assert arguments == {"city": "Paris", "days": 3, "unit": "fahrenheit"}


def test_quoted_text_fills_string_arguments_unescaped(client: openai.OpenAI) -> None:
    messages = [{"role": "user", "content": "What's the weather like in '東京' today?"}]

    reply = client.chat.completions.create(
        model="m", messages=messages, tools=[WEATHER_TOOL], tool_choice="required"
    )

    assert reply.choices[0].message.tool_calls is not None
    raw_arguments = reply.choices[0].message.tool_calls[0].function.arguments
    assert json.loads(raw_arguments)["city"] == "東京"
    assert "東京" in raw_arguments


def test_tool_result_is_echoed_in_the_answer(client: openai.OpenAI) -> None:
    messages: list[Any] = [
        {"role": "user", "content": "get_weather for Paris"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": "{}"},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "sunny, 21C"},
    ]

    reply = client.chat.completions.create(model="m", messages=messages, tools=[WEATHER_TOOL])

    assert reply.choices[0].message.content == "[m] Tool result: sunny, 21C"


def test_scripted_tool_calls_answer_every_call_even_after_a_tool_result(
    fake_server: FakeOpenAIServer, client: openai.OpenAI
) -> None:
    fake_server.set_tool_calls("m", [{"name": "get_weather", "args": {"city": "Oslo"}}])
    after_tool: list[Any] = [
        *USER_HI,
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "c0", "type": "function", "function": {"name": "get_weather",
                                                          "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "c0", "content": "sunny"},
    ]  # fmt: skip

    first = client.chat.completions.create(model="m", messages=USER_HI, tools=[WEATHER_TOOL])
    again = client.chat.completions.create(model="m", messages=after_tool, tools=[WEATHER_TOOL])
    other = client.chat.completions.create(model="other", messages=after_tool, tools=[WEATHER_TOOL])

    for reply in (first, again):
        call = (reply.choices[0].message.tool_calls or [])[0]
        assert call.function.name == "get_weather"
        assert json.loads(call.function.arguments) == {"city": "Oslo"}
        assert reply.choices[0].finish_reason == "tool_calls"
    assert other.choices[0].message.content == "[other] Tool result: sunny"


def test_scripted_tool_calls_may_carry_malformed_arguments_or_come_from_a_callable(
    fake_server: FakeOpenAIServer, client: openai.OpenAI
) -> None:
    fake_server.set_tool_calls("raw", [{"name": "get_weather", "args": '{"city": '}])
    fake_server.set_tool_calls(
        "fn", lambda request: [{"name": "echo", "args": {"n": len(request["messages"])}}]
    )
    fake_server.set_tool_calls("none", lambda request: None)

    raw = client.chat.completions.create(model="raw", messages=USER_HI)
    fn = client.chat.completions.create(model="fn", messages=USER_HI)
    none = client.chat.completions.create(model="none", messages=USER_HI)

    assert (raw.choices[0].message.tool_calls or [])[0].function.arguments == '{"city": '
    assert json.loads((fn.choices[0].message.tool_calls or [])[0].function.arguments) == {"n": 1}
    assert none.choices[0].message.content == "[none] hello there, how are you today?"


def test_streamed_tool_call_sends_id_and_name_then_argument_fragments(
    client: openai.OpenAI,
) -> None:
    chunks = list(
        client.chat.completions.create(
            model="m", messages=USER_HI, tools=[WEATHER_TOOL], tool_choice="required", stream=True
        )
    )

    deltas = [c.choices[0].delta.tool_calls[0] for c in chunks if c.choices[0].delta.tool_calls]
    assert deltas[0].id == "call_1"
    assert deltas[0].function is not None
    assert deltas[0].function.name == "get_weather"
    fragments = [d.function.arguments for d in deltas[1:] if d.function]
    assert len(fragments) >= 2
    assert json.loads("".join(f or "" for f in fragments))["unit"] == "celsius"
    assert chunks[-1].choices[0].finish_reason == "tool_calls"


def test_chat_openai_tool_loop_invoke_and_stream(fake_server: FakeOpenAIServer) -> None:
    llm = chat_model(fake_server).bind_tools([WEATHER_TOOL], tool_choice="get_weather")

    called = llm.invoke("weather in Paris?")
    streamed = list(llm.stream("weather in Paris?"))
    merged = sum(streamed[1:], streamed[0])
    assert isinstance(called, AIMessage)
    answer = chat_model(fake_server).invoke(
        [
            HumanMessage("weather in Paris?"),
            called,
            ToolMessage("rain", tool_call_id=called.tool_calls[0]["id"]),
        ]
    )

    assert called.tool_calls[0]["name"] == "get_weather"
    assert called.tool_calls[0]["args"] == {"city": "x", "days": 1, "unit": "celsius"}
    assert isinstance(merged, AIMessageChunk)
    assert merged.tool_calls[0]["args"] == called.tool_calls[0]["args"]
    assert answer.content == "[m] Tool result: rain"


# --- faults through the openai SDK -----------------------------------------------------------


def test_rate_limit_exposes_retry_after_headers(
    fake_server: FakeOpenAIServer, client: openai.OpenAI
) -> None:
    fake_server.inject("m", Fault.rate_limit(retry_after_s=1.5))
    fake_server.inject("m", Fault.rate_limit(retry_after_ms=200))
    fake_server.inject("m", Fault.rate_limit())

    errors = []
    for _ in range(3):
        with pytest.raises(openai.RateLimitError) as caught:
            client.chat.completions.create(model="m", messages=USER_HI)
        errors.append(caught.value)

    assert errors[0].response.headers["retry-after"] == "1.5"
    assert errors[1].response.headers["retry-after-ms"] == "200"
    assert "retry-after" not in errors[2].response.headers
    assert "retry-after-ms" not in errors[2].response.headers
    assert errors[0].code == "rate_limit_exceeded"
    assert errors[0].type == "requests"


def test_injected_faults_run_out_after_times(
    fake_server: FakeOpenAIServer, client: openai.OpenAI
) -> None:
    fake_server.inject("m", Fault.rate_limit(), times=2)
    fake_server.inject("m", Fault.server_error(503))

    outcomes = []
    for _ in range(4):
        try:
            client.chat.completions.create(model="m", messages=USER_HI)
            outcomes.append(200)
        except openai.APIStatusError as error:
            outcomes.append(error.status_code)

    assert outcomes == [429, 429, 503, 200]
    assert fake_server.calls_for("m") == 4
    assert [r.fault for r in fake_server.requests] == [
        "rate_limit",
        "rate_limit",
        "server_error",
        None,
    ]


def test_sdk_retries_honour_retry_after_ms(fake_server: FakeOpenAIServer) -> None:
    fake_server.inject("m", Fault.rate_limit(retry_after_ms=50))
    retrying = openai.OpenAI(base_url=fake_server.base_url, api_key="test", max_retries=1)

    reply = retrying.chat.completions.create(model="m", messages=USER_HI)

    assert reply.choices[0].message.content is not None
    assert fake_server.calls_for("m") == 2


@pytest.mark.parametrize(
    ("fault", "error_type"),
    [
        (Fault.server_error(500), openai.InternalServerError),
        (Fault.server_error(502), openai.InternalServerError),
        (Fault.server_error(503), openai.InternalServerError),
        (Fault.bad_request(), openai.BadRequestError),
        (Fault.unauthorized(), openai.AuthenticationError),
        (Fault.context_overflow(), openai.BadRequestError),
    ],
)
def test_http_error_faults_raise_the_sdk_error(
    fake_server: FakeOpenAIServer,
    client: openai.OpenAI,
    fault: Fault,
    error_type: type[openai.APIStatusError],
) -> None:
    fake_server.inject("m", fault)

    with pytest.raises(error_type) as caught:
        client.chat.completions.create(model="m", messages=USER_HI)

    assert caught.value.status_code == fault.status
    assert isinstance(caught.value.body, dict)
    assert caught.value.body["type"] == fault.error_type


@pytest.mark.parametrize("stream", [False, True])
def test_drop_before_first_chunk_is_a_connection_error(
    fake_server: FakeOpenAIServer, client: openai.OpenAI, stream: bool
) -> None:
    fake_server.inject("m", Fault.drop_before_first_chunk())

    with pytest.raises(openai.APIConnectionError):
        list(client.chat.completions.create(model="m", messages=USER_HI, stream=stream))


def test_drop_after_chunks_delivers_n_chunks_then_fails(
    fake_server: FakeOpenAIServer, client: openai.OpenAI
) -> None:
    fake_server.inject("m", Fault.drop_after_chunks(2))
    received = []

    stream = client.chat.completions.create(model="m", messages=USER_HI, stream=True)

    with pytest.raises(openai.APIConnectionError):
        received.extend(chunk.choices[0].delta.content for chunk in stream)

    assert received == ["[m] ", "hello "]


def test_slow_first_byte_times_out_a_short_client_timeout(
    fake_server: FakeOpenAIServer, client: openai.OpenAI
) -> None:
    fake_server.inject("m", Fault.slow_first_byte(2.0))
    fake_server.inject("m", Fault.slow_first_byte(2.0, after_headers=True))
    impatient = client.with_options(timeout=0.2)

    with pytest.raises(openai.APITimeoutError):
        impatient.chat.completions.create(model="m", messages=USER_HI)
    with pytest.raises(openai.APITimeoutError):
        list(impatient.chat.completions.create(model="m", messages=USER_HI, stream=True))


def test_slow_first_byte_then_answers_normally(
    fake_server: FakeOpenAIServer, client: openai.OpenAI
) -> None:
    fake_server.inject("m", Fault.slow_first_byte(0.3))

    started = time.perf_counter()
    reply = client.chat.completions.create(model="m", messages=USER_HI)

    assert time.perf_counter() - started >= 0.3
    assert reply.choices[0].message.content == "[m] hello there, how are you today?"


def test_context_window_rejects_long_prompts(
    fake_server: FakeOpenAIServer, client: openai.OpenAI
) -> None:
    fake_server.set_context_window("m", 10)

    client.chat.completions.create(model="m", messages=USER_HI)  # 8 tokens fit
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model="m", messages=USER_HI * 2)

    assert caught.value.code == "context_length_exceeded"
    assert "maximum context length is 10 tokens" in caught.value.message
    assert "resulted in 16 tokens" in caught.value.message


def test_fail_rate_is_reproducible_with_a_seed() -> None:
    def outcomes(server: FakeOpenAIServer) -> list[int]:
        sdk = openai.OpenAI(base_url=server.base_url, api_key="test", max_retries=0)
        codes = []
        for _ in range(40):
            try:
                sdk.chat.completions.create(model="m", messages=USER_HI)
                codes.append(200)
            except openai.APIStatusError as error:
                codes.append(error.status_code)
        return codes

    kinds = [Fault.rate_limit(), Fault.server_error(502)]
    runs = []
    for _ in range(2):
        with FakeOpenAIServer() as server:
            server.fail_rate("m", 0.3, kinds=kinds, seed=1)
            runs.append(outcomes(server))

    assert runs[0] == runs[1]
    assert set(runs[0]) == {200, 429, 502}
    assert 6 <= sum(code != 200 for code in runs[0]) <= 18


# --- faults through langchain_openai.ChatOpenAI ----------------------------------------------


@pytest.mark.parametrize(
    ("fault", "error_type"),
    [
        (Fault.rate_limit(retry_after_s=1), ModelRateLimitError),
        (Fault.server_error(503), ModelAPIError),
        (Fault.bad_request(), ModelInvalidRequestError),
        (Fault.unauthorized(), ModelAuthenticationError),
        (Fault.context_overflow(), ContextOverflowError),
        (Fault.drop_before_first_chunk(), ModelConnectionError),
        (Fault.drop_after_chunks(0), ModelConnectionError),
    ],
)
def test_chat_openai_raises_langchain_error_types(
    fake_server: FakeOpenAIServer, fault: Fault, error_type: type[Exception]
) -> None:
    fake_server.inject("m", fault)

    with pytest.raises(error_type):
        chat_model(fake_server).invoke("hi")


def test_chat_openai_context_overflow_from_the_window(fake_server: FakeOpenAIServer) -> None:
    fake_server.set_context_window("m", 5)

    with pytest.raises(ContextOverflowError):
        chat_model(fake_server).invoke("x" * 100)


def test_chat_openai_timeout_on_slow_first_byte(fake_server: FakeOpenAIServer) -> None:
    fake_server.inject("m", Fault.slow_first_byte(2.0))

    with pytest.raises(ModelTimeoutError):
        chat_model(fake_server, timeout=0.2).invoke("hi")


def test_chat_openai_stream_dropped_mid_way_fails_after_chunks(
    fake_server: FakeOpenAIServer,
) -> None:
    fake_server.inject("m", Fault.drop_after_chunks(2))
    received = []

    stream = chat_model(fake_server).stream("hello there friend")

    with pytest.raises(ModelConnectionError):
        received.extend(chunk.content for chunk in stream)

    assert "".join(str(c) for c in received) == "[m] hello "


# --- embeddings, models, requests ------------------------------------------------------------


def test_embeddings_rank_paraphrases_above_unrelated_texts(client: openai.OpenAI) -> None:
    texts = [
        "How do I reset my password?",
        "how can I reset the password",
        "What are your opening hours on Sunday?",
    ]

    result = client.embeddings.create(model="text-embedding-3-small", input=texts)

    vectors = [item.embedding for item in result.data]
    assert [len(v) for v in vectors] == [256] * 3
    assert np.linalg.norm(vectors[0]) == pytest.approx(1.0, abs=1e-5)
    assert cosine(vectors[0], vectors[1]) > 0.6
    assert abs(cosine(vectors[0], vectors[2])) < 0.3
    assert result.usage.prompt_tokens > 0


def test_embeddings_are_deterministic_and_honour_dimensions(
    fake_server: FakeOpenAIServer,
) -> None:
    url = f"{fake_server.base_url}/embeddings"
    body = {"model": "e", "input": "same text", "encoding_format": "float", "dimensions": 64}

    first = httpx.post(url, json=body).json()
    second = httpx.post(url, json=body).json()

    assert first["data"][0]["embedding"] == second["data"][0]["embedding"]
    assert len(first["data"][0]["embedding"]) == 64
    assert first["usage"] == {"prompt_tokens": 2, "total_tokens": 2}


def test_models_lists_defaults_and_configured_models(
    fake_server: FakeOpenAIServer, client: openai.OpenAI
) -> None:
    fake_server.set_reply("my-model", "hi")

    ids = [model.id for model in client.models.list()]

    for expected in [
        "deepseek-ai/DeepSeek-V4-Flash",
        "deepseek-ai/DeepSeek-V4-Pro",
        "GA-Economy",
        "gpt-4o",
        "Qwen/Qwen3-32B",
        "THUDM/GLM-4-Plus",
        "my-model",
    ]:
        assert expected in ids


def test_unknown_model_is_rejected_when_asked(
    fake_server: FakeOpenAIServer, client: openai.OpenAI
) -> None:
    fake_server.reject_unknown_models = True

    client.chat.completions.create(model="GA-Economy", messages=USER_HI)
    with pytest.raises(openai.NotFoundError) as caught:
        client.chat.completions.create(model="no-such-model", messages=USER_HI)

    assert caught.value.code == "model_not_found"
    assert "no-such-model" in caught.value.message


def test_requests_are_recorded_without_the_api_key(
    fake_server: FakeOpenAIServer, client: openai.OpenAI
) -> None:
    client.chat.completions.create(model="a", messages=USER_HI, temperature=0.5)
    client.chat.completions.create(model="b", messages=USER_HI)
    client.chat.completions.create(model="a", messages=USER_HI)

    first = fake_server.requests[0]
    assert (first.path, first.method, first.model) == ("/v1/chat/completions", "POST", "a")
    assert first.json["temperature"] == 0.5
    assert "authorization" not in first.headers
    assert "content-type" in first.headers
    assert first.timestamp <= fake_server.requests[1].timestamp
    assert (fake_server.calls_for("a"), fake_server.calls_for("b")) == (2, 1)


def test_reset_forgets_replies_faults_and_records(
    fake_server: FakeOpenAIServer, client: openai.OpenAI
) -> None:
    fake_server.set_reply("m", "fixed")
    fake_server.inject("m", Fault.server_error(), times=None)
    fake_server.reject_unknown_models = True
    with pytest.raises(openai.InternalServerError):
        client.chat.completions.create(model="m", messages=USER_HI)

    fake_server.reset()
    reply = client.chat.completions.create(model="m", messages=USER_HI)

    assert reply.choices[0].message.content == "[m] hello there, how are you today?"
    assert fake_server.calls_for("m") == 1
    assert len(fake_server.requests) == 1


def test_api_key_is_enforced_when_configured() -> None:
    with FakeOpenAIServer(api_key="secret") as server:
        wrong = openai.OpenAI(base_url=server.base_url, api_key="wrong", max_retries=0)
        right = openai.OpenAI(base_url=server.base_url, api_key="secret", max_retries=0)

        with pytest.raises(openai.AuthenticationError):
            wrong.chat.completions.create(model="m", messages=USER_HI)
        assert right.chat.completions.create(model="m", messages=USER_HI).choices


# --- concurrency, lifecycle, CLI -------------------------------------------------------------


def test_serves_100_requests_over_20_threads(
    fake_server: FakeOpenAIServer, client: openai.OpenAI
) -> None:
    def ask(i: int) -> str | None:
        messages = [{"role": "user", "content": f"question {i}"}]
        reply = client.chat.completions.create(model="m", messages=messages)  # type: ignore[arg-type]
        return reply.choices[0].message.content

    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(ask, range(100)))

    assert answers == [f"[m] question {i}" for i in range(100)]
    assert fake_server.calls_for("m") == 100


async def test_async_client_streams_inside_async_context_manager() -> None:
    async with FakeOpenAIServer() as server:
        client = openai.AsyncOpenAI(base_url=server.base_url, api_key="test", max_retries=0)
        stream = await client.chat.completions.create(model="m", messages=USER_HI, stream=True)
        pieces = [chunk.choices[0].delta.content async for chunk in stream if chunk.choices]
        await client.close()

    assert "".join(p or "" for p in pieces) == "[m] hello there, how are you today?"


def test_stop_frees_the_port_and_ends_slow_requests_quickly() -> None:
    server = FakeOpenAIServer().start()
    server.inject("m", Fault.slow_first_byte(30))
    client = openai.OpenAI(base_url=server.base_url, api_key="t", max_retries=0, timeout=5)
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(client.chat.completions.create, model="m", messages=USER_HI)
        time.sleep(0.1)
        started = time.perf_counter()
        server.stop()

        assert time.perf_counter() - started < 1
        with pytest.raises(openai.APIConnectionError):
            pending.result(timeout=5)
    with pytest.raises(RuntimeError, match="not running"):
        _ = server.base_url


def test_cli_serves_in_the_foreground() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "langchain_globalapi.testing", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        match = re.search(r"(http://\S+/v1)", process.stdout.readline())
        assert match is not None
        models = httpx.get(f"{match.group(1)}/models").json()
    finally:
        process.terminate()
        process.wait(timeout=5)

    assert "GA-Economy" in [model["id"] for model in models["data"]]


@pytest.mark.parametrize("module", [testing_package, server_module])
def test_docstring_examples_run(module: Any) -> None:
    sources = [module.__doc__ or ""]
    sources += [obj.__doc__ or "" for obj in vars(module).values() if isinstance(obj, type)]
    examples = [block for doc in sources for block in re.findall(r"```python\n(.*?)```", doc, re.S)]

    assert examples
    for example in examples:
        exec(compile(textwrap.dedent(example), module.__name__, "exec"), {})
