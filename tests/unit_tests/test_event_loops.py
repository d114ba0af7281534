"""Async calls across event loops: repeated `asyncio.run`, loops in threads, pools closed.

langchain-openai shares one async connection pool per process, so a second
`asyncio.run()` reuses a connection of the closed first loop ("Event loop is closed").
The gateway models keep one pool per running loop and close it with the loop.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from langchain_globalapi import ChatGlobalAPI, FallbackChatModel, GlobalAPIEmbeddings
from langchain_globalapi._http import LoopLocalAsyncClient
from langchain_globalapi.testing import FakeOpenAIServer, Fault

FLASH = "deepseek-ai/DeepSeek-V4-Flash"
PRO = "deepseek-ai/DeepSeek-V4-Pro"


@pytest.fixture
def llm(fake_server: FakeOpenAIServer) -> ChatGlobalAPI:
    return ChatGlobalAPI(api_key="k", base_url=fake_server.base_url)


async def astream_text(model: Any, prompt: str) -> str:
    return "".join([chunk.text async for chunk in model.astream(prompt)])


async def abatch_texts(model: Any, prompts: list[str]) -> list[str]:
    return [message.text for message in await model.abatch(prompts)]


async def ainvoke_text(model: Any, prompt: str) -> str:
    return (await model.ainvoke(prompt)).text


CALLS: dict[str, Callable[[Any], Awaitable[Any]]] = {
    "ainvoke": lambda model: ainvoke_text(model, "hi"),
    "astream": lambda model: astream_text(model, "hi"),
    "abatch": lambda model: abatch_texts(model, ["a", "b"]),
}
EXPECTED = {
    "ainvoke": "[{m}] hi",
    "astream": "[{m}] hi",
    "abatch": ["[{m}] a", "[{m}] b"],
}


def expected(how: str, model: str) -> Any:
    value = EXPECTED[how]
    return [v.format(m=model) for v in value] if isinstance(value, list) else value.format(m=model)


@pytest.mark.parametrize("how", CALLS)
def test_repeated_asyncio_run_keeps_working(llm: ChatGlobalAPI, how: str) -> None:
    answers = [asyncio.run(CALLS[how](llm)) for _ in range(3)]

    assert answers == [expected(how, FLASH)] * 3


@pytest.mark.parametrize("how", CALLS)
def test_repeated_asyncio_run_keeps_working_under_a_fallback(
    fake_server: FakeOpenAIServer, how: str
) -> None:
    members = [
        ChatGlobalAPI(model=name, api_key="k", base_url=fake_server.base_url)
        for name in (FLASH, PRO)
    ]
    chain = FallbackChatModel(members)

    first = asyncio.run(CALLS[how](chain))
    fake_server.inject(FLASH, Fault.server_error(503), times=2)
    second = asyncio.run(CALLS[how](chain))  # a new loop, and a fallback inside it

    assert first == expected(how, FLASH)
    assert second == expected(how, PRO)


def test_repeated_asyncio_run_keeps_working_for_embeddings(
    fake_server: FakeOpenAIServer,
) -> None:
    embeddings = GlobalAPIEmbeddings(api_key="k", base_url=fake_server.base_url)

    vectors = [asyncio.run(embeddings.aembed_query("same text")) for _ in range(3)]

    assert vectors[0] == vectors[1] == vectors[2]
    assert len(vectors[0]) == fake_server.embedding_dim


def test_sync_and_async_calls_interleave_across_loops(llm: ChatGlobalAPI) -> None:
    answers = []
    for _ in range(2):
        answers.append(llm.invoke("hi").text)
        answers.append(asyncio.run(ainvoke_text(llm, "hi")))

    assert answers == [f"[{FLASH}] hi"] * 4


def test_loops_in_concurrent_threads_each_get_their_own_pool(llm: ChatGlobalAPI) -> None:
    def in_own_loop(index: int) -> list[str]:
        return asyncio.run(abatch_texts(llm, [f"t{index}-{n}" for n in range(5)]))

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(in_own_loop, range(8)))

    assert results == [[f"[{FLASH}] t{i}-{n}" for n in range(5)] for i in range(8)]


def test_a_pool_closes_when_its_asyncio_run_ends(fake_server: FakeOpenAIServer) -> None:
    client = LoopLocalAsyncClient()
    llm = ChatGlobalAPI(api_key="k", base_url=fake_server.base_url, http_async_client=client)

    async def count_during_the_call() -> int:
        await llm.ainvoke("hi")
        return client.pool_count

    assert asyncio.run(count_during_the_call()) == 1
    assert client.pool_count == 0


# Its socket can only be closed by the garbage collector, which warns about it.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_pool_of_a_loop_closed_without_shutdown_is_dropped_later(
    fake_server: FakeOpenAIServer,
) -> None:
    client = LoopLocalAsyncClient()
    url = f"{fake_server.base_url}/models"
    loop = asyncio.new_event_loop()
    loop.run_until_complete(client.get(url))
    loop.close()  # no shutdown_asyncgens(): the pool could not be closed with its loop

    held = client.pool_count
    status = asyncio.run(client.get(url)).status_code  # the next new loop drops it

    assert (held, status, client.pool_count) == (1, 200, 0)
    gc.collect()


async def test_closing_the_shared_client_only_closes_this_loops_pool(
    llm: ChatGlobalAPI,
) -> None:
    await llm.ainvoke("hi")

    await llm.root_async_client.close()  # what `async with AsyncOpenAI(...)` does on exit

    assert (await llm.ainvoke("again")).text == f"[{FLASH}] again"
