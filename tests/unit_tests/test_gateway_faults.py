"""Gateway faults: malformed 200s, empty streams and stalls are typed errors, and fall back.

Every case runs over real HTTP against the local server, in the four ways a chat model is
called (invoke, stream, ainvoke, astream), alone and as the first member of a
`FallbackChatModel` whose second member answers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from langchain_core.exceptions import ModelAPIError, ModelTimeoutError
from langchain_core.language_models import BaseChatModel

from langchain_globalapi import ChatGlobalAPI, FallbackChatModel, MidStreamError
from langchain_globalapi.errors import (
    CallTimeoutError,
    EmptyResponseError,
    GlobalAPIError,
    MalformedResponseError,
)
from langchain_globalapi.testing import FakeOpenAIServer, Fault

FLASH = "deepseek-ai/DeepSeek-V4-Flash"
PRO = "deepseek-ai/DeepSeek-V4-Pro"
MODES = ("invoke", "stream", "ainvoke", "astream")
Build = Callable[..., ChatGlobalAPI]


def call(
    model: BaseChatModel, mode: str, prompt: str = "hello there"
) -> tuple[str, dict[str, Any]]:
    """The answer's text and its (first chunk's) response metadata, called in `mode`."""

    async def astream() -> list[Any]:
        return [chunk async for chunk in model.astream(prompt)]

    if mode == "invoke":
        message = model.invoke(prompt)
        return message.text, message.response_metadata
    if mode == "ainvoke":
        message = asyncio.run(model.ainvoke(prompt))
        return message.text, message.response_metadata
    chunks = list(model.stream(prompt)) if mode == "stream" else asyncio.run(astream())
    return "".join(chunk.text for chunk in chunks), chunks[0].response_metadata


def attempts(metadata: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [(a["model"], a["error"]) for a in metadata["fallback"]["attempts"]]


@pytest.fixture
def build(fake_server: FakeOpenAIServer) -> Build:
    def make(model: str = FLASH, **kwargs: Any) -> ChatGlobalAPI:
        kwargs.setdefault("max_retries", 0)
        return ChatGlobalAPI(model=model, api_key="k", base_url=fake_server.base_url, **kwargs)

    return make


# --- malformed 200s ----------------------------------------------------------------------

MALFORMED = {
    "empty_choices": Fault.empty_choices,
    "null_choices": Fault.null_choices,
    "not_json": Fault.not_json,
    "html_page": Fault.html_page,
    "sse_done_only": Fault.sse_done_only,
    "sse_garbage": Fault.sse_garbage,
}
# A stream that ends without an answer is an empty response; everything else a malformed one.
EMPTY_WHEN_STREAMED = {"empty_choices", "null_choices", "not_json", "sse_done_only"}


def expected_error(fault: str, mode: str) -> type[MalformedResponseError]:
    streamed = mode in ("stream", "astream")
    return (
        EmptyResponseError if streamed and fault in EMPTY_WHEN_STREAMED else MalformedResponseError
    )


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("fault", MALFORMED)
def test_malformed_200_raises_one_typed_error_naming_model_and_url(
    build: Build, fake_server: FakeOpenAIServer, fault: str, mode: str
) -> None:
    fake_server.inject(FLASH, MALFORMED[fault]())

    with pytest.raises(MalformedResponseError) as caught:
        call(build(), mode)

    error = caught.value
    assert type(error) is expected_error(fault, mode)
    assert isinstance(error, GlobalAPIError)
    assert isinstance(error, ModelAPIError)  # LangChain's generic server-fault class
    assert (error.model, error.base_url) == (FLASH, fake_server.base_url)
    assert FLASH in str(error)
    assert fake_server.base_url in str(error)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("fault", MALFORMED)
def test_malformed_200_falls_back_to_the_next_member_and_is_recorded(
    build: Build, fake_server: FakeOpenAIServer, fault: str, mode: str
) -> None:
    fake_server.inject(FLASH, MALFORMED[fault]())
    chain = FallbackChatModel([build(FLASH), build(PRO)])

    text, metadata = call(chain, mode)

    assert text == f"[{PRO}] hello there"
    kind = "empty_response" if expected_error(fault, mode) is EmptyResponseError else "server_error"
    assert attempts(metadata) == [(FLASH, kind), (PRO, None)]
    assert expected_error(fault, mode).__name__ in metadata["fallback"]["attempts"][0]["detail"]


def test_stream_of_only_done_is_empty_not_an_empty_answer(
    build: Build, fake_server: FakeOpenAIServer
) -> None:
    fake_server.inject(FLASH, Fault.sse_done_only())

    with pytest.raises(EmptyResponseError, match="ended its stream without an answer"):
        list(build().stream("hi"))


def test_a_200_error_body_is_a_server_fault(build: Build) -> None:
    llm = build()
    response = {"error": {"message": "upstream overloaded"}, "choices": None}

    with pytest.raises(MalformedResponseError, match="upstream overloaded"):
        llm._create_chat_result(response)


def test_a_healthy_answer_still_passes_the_checks(build: Build) -> None:
    for mode in MODES:
        assert call(build(), mode)[0] == f"[{FLASH}] hello there"


# --- stalls and timeouts -------------------------------------------------------------------


def collect(model: BaseChatModel, mode: str, into: list[str]) -> None:
    """Stream `model` in `mode`, appending each chunk's text to `into` as it arrives."""

    async def astream() -> None:
        async for chunk in model.astream("hello there"):
            into.append(chunk.text)

    if mode == "stream":
        into.extend(chunk.text for chunk in model.stream("hello there"))
    else:
        asyncio.run(astream())


@pytest.mark.parametrize("mode", ["stream", "astream"])
def test_stream_that_stalls_after_text_fails_after_chunk_timeout(
    build: Build, fake_server: FakeOpenAIServer, mode: str
) -> None:
    fake_server.inject(FLASH, Fault.stall_after_chunks(2))
    received: list[str] = []

    with pytest.raises(CallTimeoutError) as caught:
        collect(build(chunk_timeout_s=0.2), mode, received)

    assert "".join(received) == f"[{FLASH}] hello "  # what came before the stall
    error = caught.value
    assert (error.timeout, error.timeout_s) == ("chunk", 0.2)
    assert isinstance(error, ModelTimeoutError)
    assert isinstance(error, TimeoutError)
    assert "chunk_timeout_s=0.2" in str(error)
    assert FLASH in str(error)
    assert fake_server.base_url in str(error)


@pytest.mark.parametrize("mode", ["invoke", "ainvoke"])
def test_answer_that_stalls_mid_body_fails_after_request_timeout(
    build: Build, fake_server: FakeOpenAIServer, mode: str
) -> None:
    fake_server.inject(FLASH, Fault.stall_after_chunks())

    with pytest.raises(CallTimeoutError) as caught:
        call(build(timeout=0.2), mode)

    assert (caught.value.timeout, caught.value.timeout_s) == ("request", 0.2)
    assert "timeout=0.2" in str(caught.value)


@pytest.mark.parametrize("mode", MODES)
def test_total_timeout_ends_a_stalled_call(
    build: Build, fake_server: FakeOpenAIServer, mode: str
) -> None:
    fake_server.inject(FLASH, Fault.stall_after_chunks(1))
    llm = build(chunk_timeout_s=None, timeout=30, total_timeout_s=0.3)

    with pytest.raises(CallTimeoutError) as caught:
        call(llm, mode)

    assert (caught.value.timeout, caught.value.timeout_s) == ("total", 0.3)
    assert "total_timeout_s=0.3" in str(caught.value)


def test_async_stream_of_keepalives_only_fails_after_chunk_timeout(
    build: Build, fake_server: FakeOpenAIServer
) -> None:
    # Comments are not chunks: the silence between chunks counts, not bytes on the wire.
    fake_server.inject(FLASH, Fault.keepalive_after_chunks(2, every_s=0.02))
    received: list[str] = []

    with pytest.raises(CallTimeoutError) as caught:
        collect(build(chunk_timeout_s=0.2), "astream", received)

    assert caught.value.timeout == "chunk"
    assert "".join(received) == f"[{FLASH}] hello "


def test_sync_stream_of_keepalives_only_fails_at_the_total_deadline(
    build: Build, fake_server: FakeOpenAIServer
) -> None:
    # The socket is never silent, so no read times out: the deadline cuts the body.
    fake_server.inject(FLASH, Fault.keepalive_after_chunks(2, every_s=0.02))
    received: list[str] = []

    with pytest.raises(CallTimeoutError) as caught:
        collect(build(chunk_timeout_s=0.2, total_timeout_s=0.6), "stream", received)

    assert caught.value.timeout == "total"
    assert "".join(received) == f"[{FLASH}] hello "


@pytest.mark.parametrize("mode", ["invoke", "ainvoke"])
def test_answer_trickling_byte_by_byte_fails_at_the_total_deadline(
    build: Build, fake_server: FakeOpenAIServer, mode: str
) -> None:
    fake_server.inject(FLASH, Fault.keepalive_after_chunks(every_s=0.05))

    with pytest.raises(CallTimeoutError) as caught:
        call(build(timeout=0.3, total_timeout_s=0.6), mode)

    assert caught.value.timeout == "total"


@pytest.mark.parametrize("mode", ["invoke", "ainvoke"])
def test_total_timeout_stops_the_sdk_retrying(
    build: Build, fake_server: FakeOpenAIServer, mode: str
) -> None:
    fake_server.inject(FLASH, Fault.slow_first_byte(5.0), times=10)
    llm = build(max_retries=8, timeout=0.2, total_timeout_s=0.5)

    with pytest.raises(CallTimeoutError) as caught:
        call(llm, mode)

    assert caught.value.timeout == "total"
    assert fake_server.calls_for(FLASH) < 9  # the deadline cut the SDK's 9 attempts short


@pytest.mark.parametrize("mode", MODES)
def test_stall_before_any_text_falls_back_as_a_timeout(
    build: Build, fake_server: FakeOpenAIServer, mode: str
) -> None:
    fake_server.inject(FLASH, Fault.stall_after_chunks(0))
    chain = FallbackChatModel([build(FLASH, timeout=0.3, chunk_timeout_s=0.2), build(PRO)])

    text, metadata = call(chain, mode)

    assert text == f"[{PRO}] hello there"
    assert attempts(metadata) == [(FLASH, "timeout"), (PRO, None)]


def test_stall_after_text_under_a_fallback_is_a_mid_stream_error(
    build: Build, fake_server: FakeOpenAIServer
) -> None:
    fake_server.inject(FLASH, Fault.stall_after_chunks(2))
    chain = FallbackChatModel([build(FLASH, chunk_timeout_s=0.2), build(PRO)])

    with pytest.raises(MidStreamError) as caught:
        list(chain.stream("hello there"))

    assert caught.value.delivered_text == f"[{FLASH}] hello "
    assert isinstance(caught.value.__cause__, CallTimeoutError)
    assert fake_server.calls_for(PRO) == 0
