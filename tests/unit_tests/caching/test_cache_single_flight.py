"""Single flight: identical requests in flight at once through a cache are sent once."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

from langchain_globalapi import CachedChatModel, ChatGlobalAPI, ExactCache, get_globalapi_callback
from langchain_globalapi.testing import FakeOpenAIServer, Fault

FLASH = "deepseek-ai/DeepSeek-V4-Flash"


def cached(server: FakeOpenAIServer, **kwargs: object) -> CachedChatModel:
    llm = ChatGlobalAPI(api_key="k", base_url=server.base_url, max_retries=0)
    return CachedChatModel(llm, cache=ExactCache(), **kwargs)


def test_abatch_with_a_repeated_prompt_sends_it_once(fake_server: FakeOpenAIServer) -> None:
    llm = cached(fake_server)
    fake_server.inject(FLASH, Fault.slow_first_byte(0.3))  # the first "a" is still in flight
    with get_globalapi_callback() as cb:
        answers = asyncio.run(llm.abatch(["a", "b", "a"]))
    assert len(fake_server.requests) == 2
    assert answers[0].text == answers[2].text
    assert [a.response_metadata["cache"]["hit"] for a in answers].count(True) == 1
    assert cb.calls == 3
    assert cb.cache_hits == 1


def test_threads_asking_the_same_question_share_one_call(fake_server: FakeOpenAIServer) -> None:
    llm = cached(fake_server)
    fake_server.inject(FLASH, Fault.slow_first_byte(0.3))
    start = threading.Barrier(8)

    def ask(_: int) -> str:
        start.wait()
        return llm.invoke("the same question").text

    with ThreadPoolExecutor(8) as pool:
        texts = list(pool.map(ask, range(8)))
    assert len(fake_server.requests) == 1
    assert len(set(texts)) == 1


def test_a_leader_that_fails_does_not_leave_followers_waiting(
    fake_server: FakeOpenAIServer,
) -> None:
    llm = cached(fake_server, single_flight_wait_s=30.0)
    fake_server.inject(FLASH, Fault.server_error(500))  # the leader's call fails at once

    async def main() -> list[object]:
        leader = asyncio.ensure_future(llm.ainvoke("q"))
        await asyncio.sleep(0)
        follower = asyncio.ensure_future(llm.ainvoke("q"))
        return await asyncio.gather(leader, follower, return_exceptions=True)

    leader, follower = asyncio.run(main())
    assert isinstance(leader, BaseException)
    assert not isinstance(follower, BaseException)  # it called on its own
    assert follower.response_metadata["cache"]["hit"] is False  # type: ignore[union-attr]


def test_streams_in_flight_together_are_sent_once(fake_server: FakeOpenAIServer) -> None:
    llm = cached(fake_server)
    fake_server.inject(FLASH, Fault.slow_first_byte(0.3))

    async def text(prompt: str) -> str:
        return "".join([chunk.text async for chunk in llm.astream(prompt)])

    async def main() -> list[str]:
        return await asyncio.gather(*[text("a streamed question") for _ in range(5)])

    texts = asyncio.run(main())
    assert len(fake_server.requests) == 1
    assert len(set(texts)) == 1
    assert texts[0]


def test_single_flight_can_be_turned_off(fake_server: FakeOpenAIServer) -> None:
    llm = cached(fake_server, single_flight=False)
    fake_server.inject(FLASH, Fault.slow_first_byte(0.3))
    asyncio.run(llm.abatch(["a", "a"]))
    assert len(fake_server.requests) == 2
