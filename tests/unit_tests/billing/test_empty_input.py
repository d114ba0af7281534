"""An empty message list is refused with `EmptyInputError` before any request, and never cached.

Every wrapper and `ChatGlobalAPI`, through invoke, stream and batch, sync and async, directly
and at the end of a prompt template that renders no messages.
"""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.globals import set_llm_cache
from langchain_core.prompts import ChatPromptTemplate

from langchain_globalapi import (
    CachedChatModel,
    ExactCache,
    InMemoryStore,
    get_globalapi_callback,
)
from langchain_globalapi.errors import EmptyInputError
from langchain_globalapi.testing import FakeOpenAIServer
from tests.unit_tests.billing._billing_helpers import COMPOSITIONS, model, router

MODES = ["invoke", "ainvoke", "stream", "astream", "batch", "abatch"]
WRAPPERS = ["fallback", "router", "cached_router", "fallback_of_routers", "stack"]


async def call(runnable: Any, mode: str, value: Any) -> Any:
    if mode == "invoke":
        return runnable.invoke(value)
    if mode == "ainvoke":
        return await runnable.ainvoke(value)
    if mode == "stream":
        return list(runnable.stream(value))
    if mode == "astream":
        return [chunk async for chunk in runnable.astream(value)]
    if mode == "batch":
        return runnable.batch([value])
    return await runnable.abatch([value])


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("kind", WRAPPERS)
async def test_a_wrapper_refuses_an_empty_message_list_before_any_request(
    fake_server: FakeOpenAIServer, kind: str, mode: str
) -> None:
    with (
        get_globalapi_callback() as cb,
        pytest.raises(EmptyInputError, match=r"empty (message list|list of messages)"),
    ):
        await call(COMPOSITIONS[kind](fake_server), mode, [])
    assert fake_server.requests == []
    assert cb.calls == 0


@pytest.mark.parametrize("mode", MODES)
async def test_chat_globalapi_refuses_an_empty_message_list_before_any_request(
    fake_server: FakeOpenAIServer, mode: str
) -> None:
    with pytest.raises(EmptyInputError, match=r"empty (message list|list of messages)"):
        await call(model(fake_server), mode, [])
    assert fake_server.requests == []


@pytest.mark.parametrize(
    ("kind", "mode"), [("router", "invoke"), ("fallback", "astream"), ("stack", "abatch")]
)
async def test_a_prompt_that_renders_no_messages_is_refused_before_any_request(
    fake_server: FakeOpenAIServer, kind: str, mode: str
) -> None:
    chain = ChatPromptTemplate.from_messages([]) | COMPOSITIONS[kind](fake_server)
    with pytest.raises(EmptyInputError):
        await call(chain, mode, {})
    assert fake_server.requests == []


@pytest.mark.parametrize("mode", ["invoke", "astream", "abatch"])
async def test_an_empty_message_list_is_never_cached(
    fake_server: FakeOpenAIServer, mode: str
) -> None:
    store = InMemoryStore()
    cached = CachedChatModel(
        router({"flash": model(fake_server, temperature=0)}), cache=ExactCache(store)
    )
    for _ in range(2):
        with pytest.raises(EmptyInputError):
            await call(cached, mode, [])
    assert len(store) == 0
    assert fake_server.requests == []


@pytest.mark.parametrize("mode", ["invoke", "ainvoke"])
async def test_an_empty_message_list_is_never_put_in_langchains_cache(
    fake_server: FakeOpenAIServer, mode: str
) -> None:
    store = InMemoryStore()
    set_llm_cache(ExactCache(store))
    try:
        with pytest.raises(EmptyInputError):
            await call(model(fake_server, temperature=0), mode, [])
    finally:
        set_llm_cache(None)
    assert len(store) == 0
    assert fake_server.requests == []
