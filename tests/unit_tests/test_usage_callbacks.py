"""Usage callbacks count a wrapped call once: router, fallback chain, cache and the stack.

LangChain's `UsageMetadataCallbackHandler` counts every run whose message has
`usage_metadata` and `response_metadata["model_name"]`. Wrappers answer with the inner
model's message, so their outputs name the model `model` instead: the inner run is
counted, the wrapper's run is not.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest
from langchain_core.callbacks import BaseCallbackHandler, get_usage_metadata_callback
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, LLMResult

from langchain_globalapi import (
    CachedChatModel,
    ChatGlobalAPI,
    ExactCache,
    FallbackChatModel,
    TieredRouterRunnable,
    get_globalapi_callback,
    price_message,
)
from langchain_globalapi.routing import HeuristicScorer
from langchain_globalapi.testing import FakeOpenAIServer, Fault

FLASH = "deepseek-ai/DeepSeek-V4-Flash"
PRO = "deepseek-ai/DeepSeek-V4-Pro"
PROMPT = "What is the capital of France?"
MODES = ["invoke", "ainvoke", "stream", "astream"]
WRAPPERS = ["router", "fallback", "cache", "stack"]


def _model(server: FakeOpenAIServer, name: str) -> ChatGlobalAPI:
    return ChatGlobalAPI(model=name, api_key="test", base_url=server.base_url, max_retries=0)


def _router(tiers: dict[str, BaseChatModel]) -> TieredRouterRunnable:
    # A short question scores far below 0.99: the first tier (flash) answers.
    return TieredRouterRunnable(tiers=tiers, scorer=HeuristicScorer(), thresholds=[0.99])


def _wrapper(kind: str, server: FakeOpenAIServer) -> BaseChatModel:
    """Each wrapper kind, answered by FLASH."""
    flash, pro = _model(server, FLASH), _model(server, PRO)
    if kind == "router":
        return _router({"flash": flash, "pro": pro})
    if kind == "fallback":
        return FallbackChatModel([flash, pro])
    if kind == "cache":
        return CachedChatModel(flash, cache=ExactCache())
    stack = _router({"flash": FallbackChatModel([flash, pro]), "pro": pro})
    return CachedChatModel(stack, cache=ExactCache())


async def _call(model: BaseChatModel, mode: str) -> BaseMessage:
    """One call in `mode`; a stream's chunks merged into one message."""
    if mode == "invoke":
        return model.invoke(PROMPT)
    if mode == "ainvoke":
        return await model.ainvoke(PROMPT)
    chunks: list[AIMessageChunk] = []
    if mode == "stream":
        chunks = list(model.stream(PROMPT))
    else:
        chunks = [chunk async for chunk in model.astream(PROMPT)]
    merged = chunks[0]
    for chunk in chunks[1:]:
        merged += chunk
    return merged


async def _langchain_usage(model: BaseChatModel, mode: str) -> dict[str, Any]:
    with get_usage_metadata_callback() as handler:
        await _call(model, mode)
    return dict(handler.usage_metadata)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("kind", WRAPPERS)
async def test_langchain_usage_handler_counts_a_wrapped_call_once(
    fake_server: FakeOpenAIServer, kind: str, mode: str
) -> None:
    direct = await _langchain_usage(_model(fake_server, FLASH), mode)
    wrapped = await _langchain_usage(_wrapper(kind, fake_server), mode)
    assert direct[FLASH]["total_tokens"] > 0
    assert wrapped == direct


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("kind", WRAPPERS)
async def test_cost_tracker_bills_a_wrapped_call_once(
    fake_server: FakeOpenAIServer, kind: str, mode: str
) -> None:
    with get_globalapi_callback() as tracker:
        await _call(_wrapper(kind, fake_server), mode)
    assert tracker.calls == 1


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("kind", ["cache", "stack"])
async def test_a_cache_hit_counts_no_tokens_in_langchains_handler(
    fake_server: FakeOpenAIServer, kind: str, mode: str
) -> None:
    model = _wrapper(kind, fake_server)
    await _call(model, "invoke")
    with get_usage_metadata_callback() as handler:
        answer = await _call(model, mode)
    assert answer.response_metadata["cache"]["hit"] is True
    assert handler.usage_metadata == {}


@pytest.mark.parametrize("mode", MODES)
async def test_a_fallback_after_a_failed_member_counts_only_the_answer(
    fake_server: FakeOpenAIServer, mode: str
) -> None:
    direct = await _langchain_usage(_model(fake_server, PRO), mode)
    fake_server.inject(FLASH, Fault.server_error(503))
    wrapped = await _langchain_usage(_wrapper("fallback", fake_server), mode)
    assert wrapped == direct


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("kind", WRAPPERS)
async def test_wrapper_outputs_name_the_answering_model_as_model(
    fake_server: FakeOpenAIServer, kind: str, mode: str
) -> None:
    answer = await _call(_wrapper(kind, fake_server), mode)
    assert answer.response_metadata["model"] == FLASH
    assert "model_name" not in answer.response_metadata


@pytest.mark.parametrize("mode", MODES)
async def test_router_outputs_still_say_which_tier_model_answered(
    fake_server: FakeOpenAIServer, mode: str
) -> None:
    answer = await _call(_wrapper("router", fake_server), mode)
    assert answer.response_metadata["routing"]["model"] == FLASH


@pytest.mark.parametrize("mode", MODES)
async def test_fallback_outputs_still_say_which_member_served(
    fake_server: FakeOpenAIServer, mode: str
) -> None:
    answer = await _call(_wrapper("fallback", fake_server), mode)
    assert answer.response_metadata["fallback"]["served_by"] == FLASH


class _InnerAnswers(BaseCallbackHandler):
    """Keeps the message objects the inner (child) chat-model runs reported."""

    def __init__(self) -> None:
        self.messages: list[BaseMessage] = []

    def on_llm_end(
        self, response: LLMResult, *, run_id: UUID, parent_run_id: UUID | None = None, **_: Any
    ) -> None:
        generation = response.generations[0][0]
        if parent_run_id is not None and isinstance(generation, ChatGeneration):
            self.messages.append(generation.message)


@pytest.mark.parametrize(
    ("kind", "stamp"), [("router", "routing"), ("fallback", "fallback"), ("cache", "cache")]
)
async def test_wrappers_leave_the_inner_runs_message_untouched(
    fake_server: FakeOpenAIServer, kind: str, stamp: str
) -> None:
    inner = _InnerAnswers()
    answer = _wrapper(kind, fake_server).invoke(PROMPT, config={"callbacks": [inner]})
    (reported,) = inner.messages
    assert stamp in answer.response_metadata
    assert stamp not in reported.response_metadata
    assert reported.response_metadata["model_name"] == FLASH


def test_cost_tracker_still_prices_the_wrapper_output_by_model() -> None:
    # The cost tracker (and `price_message`) read `model` when `model_name` is gone.
    message = AIMessage(
        "x",
        response_metadata={"model": FLASH},
        usage_metadata={"input_tokens": 10, "output_tokens": 4, "total_tokens": 14},
    )
    call = price_message(message)
    assert call is not None
    assert call.model == FLASH
