"""Cascade mode: the routed tier answers first; checks on its answer decide whether to escalate."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from langchain_globalapi import ChatGlobalAPI, TieredRouterRunnable, get_globalapi_callback
from langchain_globalapi.errors import RoutingConfigError
from langchain_globalapi.routing import HeuristicScorer
from langchain_globalapi.routing._cascade import Cascade
from langchain_globalapi.testing import FakeOpenAIServer

ECONOMY, FLASH, PRO = "GA-Economy", "deepseek-ai/DeepSeek-V4-Flash", "deepseek-ai/DeepSeek-V4-Pro"
WRONG = "17 * 23 = 381, so the answer is 381."
RIGHT = "17 * 23 = 391, so the answer is 391."
LOW = {"configurable": {"complexity": "low"}}


def router(server: FakeOpenAIServer, **options: Any) -> TieredRouterRunnable:
    def chat(model: str) -> ChatGlobalAPI:
        return ChatGlobalAPI(model=model, api_key="k", base_url=server.base_url)

    tiers = {"economy": chat(ECONOMY), "flash": chat(FLASH), "pro": chat(PRO)}
    return TieredRouterRunnable(
        tiers=tiers, scorer=HeuristicScorer(), thresholds=[0.5, 0.9], **options
    )


def models_called(server: FakeOpenAIServer) -> list[str]:
    return [request.model for request in server.requests]


def test_a_wrong_cheap_answer_is_escalated_to_the_next_tier(fake_server: FakeOpenAIServer) -> None:
    fake_server.set_reply(ECONOMY, WRONG)
    fake_server.set_reply(FLASH, RIGHT)
    answer = router(fake_server, cascade=True).invoke("What is 17 * 23?", config=LOW)
    assert answer.text == RIGHT
    assert models_called(fake_server) == [ECONOMY, FLASH]
    cascade = answer.response_metadata["routing"]["cascade"]
    assert cascade["escalated"] is True
    assert cascade["from"] == "economy"
    assert cascade["to"] == "flash"
    assert "arithmetic" in cascade["reason"]
    assert answer.response_metadata["routing"]["tier"] == "flash"


def test_a_sound_cheap_answer_is_kept(fake_server: FakeOpenAIServer) -> None:
    fake_server.set_reply(ECONOMY, RIGHT)
    answer = router(fake_server, cascade=True).invoke("What is 17 * 23?", config=LOW)
    assert answer.text == RIGHT
    assert models_called(fake_server) == [ECONOMY]
    cascade = answer.response_metadata["routing"]["cascade"]
    assert cascade["escalated"] is False
    assert cascade["to"] is None
    assert "arithmetic" in cascade["checked"]


def test_both_calls_of_an_escalation_are_billed_once_each(fake_server: FakeOpenAIServer) -> None:
    fake_server.set_reply(ECONOMY, WRONG)
    fake_server.set_reply(FLASH, RIGHT)
    with get_globalapi_callback() as cb:
        router(fake_server, cascade=True).invoke("What is 17 * 23?", config=LOW)
    assert cb.calls == len(fake_server.requests) == 2
    assert set(cb.per_model) == {ECONOMY, FLASH}


def test_without_cascade_the_routed_tier_answers_alone(fake_server: FakeOpenAIServer) -> None:
    fake_server.set_reply(ECONOMY, WRONG)
    answer = router(fake_server).invoke("What is 17 * 23?", config=LOW)
    assert answer.text == WRONG
    assert "cascade" not in answer.response_metadata["routing"]


def test_the_strongest_tier_never_cascades(fake_server: FakeOpenAIServer) -> None:
    fake_server.set_reply(PRO, WRONG)
    high = {"configurable": {"complexity": "high"}}
    answer = router(fake_server, cascade=True).invoke("What is 17 * 23?", config=high)
    assert answer.text == WRONG
    assert models_called(fake_server) == [PRO]


def test_only_the_listed_tasks_cascade(fake_server: FakeOpenAIServer) -> None:
    fake_server.set_reply(ECONOMY, WRONG)
    fake_server.set_reply(FLASH, RIGHT)
    model = router(fake_server, cascade=Cascade(tasks={"math"}))
    chat = model.invoke(
        "What is 17 * 23?", config={"configurable": {"complexity": "low", "task": "chat"}}
    )
    math = model.invoke(
        "What is 17 * 23?", config={"configurable": {"complexity": "low", "task": "math"}}
    )
    assert chat.text == WRONG
    assert math.text == RIGHT


def test_ainvoke_escalates_like_invoke(fake_server: FakeOpenAIServer) -> None:
    fake_server.set_reply(ECONOMY, WRONG)
    fake_server.set_reply(FLASH, RIGHT)
    answer = asyncio.run(router(fake_server, cascade=True).ainvoke("What is 17 * 23?", config=LOW))
    assert answer.text == RIGHT
    assert answer.response_metadata["routing"]["cascade"]["escalated"] is True


def test_a_held_stream_shows_only_the_answer_that_was_kept(fake_server: FakeOpenAIServer) -> None:
    fake_server.set_reply(ECONOMY, WRONG)
    fake_server.set_reply(FLASH, RIGHT)
    chunks = list(router(fake_server, cascade=True).stream("What is 17 * 23?", config=LOW))
    assert "".join(chunk.text for chunk in chunks) == RIGHT
    routing = [c.response_metadata["routing"] for c in chunks if "routing" in c.response_metadata]
    assert routing[-1]["cascade"]["escalated"] is True


def test_an_async_held_stream_keeps_a_sound_answer(fake_server: FakeOpenAIServer) -> None:
    fake_server.set_reply(ECONOMY, RIGHT)

    async def text() -> str:
        model = router(fake_server, cascade=True)
        return "".join([c.text async for c in model.astream("What is 17 * 23?", config=LOW)])

    assert asyncio.run(text()) == RIGHT
    assert models_called(fake_server) == [ECONOMY]


def test_an_accepted_stream_is_never_escalated_but_reports_its_checks(
    fake_server: FakeOpenAIServer,
) -> None:
    fake_server.set_reply(ECONOMY, WRONG)
    model = router(fake_server, cascade=Cascade(stream="accept"))
    chunks = list(model.stream("What is 17 * 23?", config=LOW))
    assert "".join(chunk.text for chunk in chunks) == WRONG
    assert models_called(fake_server) == [ECONOMY]
    cascade = [c.response_metadata["routing"] for c in chunks if "routing" in c.response_metadata][
        -1
    ]["cascade"]
    assert cascade["escalated"] is False
    assert "failed" in cascade["note"]


def test_escalation_raises_the_threads_floor(fake_server: FakeOpenAIServer) -> None:
    fake_server.set_reply(ECONOMY, WRONG)
    fake_server.set_reply(FLASH, RIGHT)
    model = router(fake_server, cascade=True)
    thread = {"configurable": {"thread_id": "t1"}}
    model.invoke(
        "What is 17 * 23?", config={"configurable": {"complexity": "low", "thread_id": "t1"}}
    )
    assert model.explain("hi", config=thread).tier == "flash"


@pytest.mark.parametrize(
    ("escalate_to", "message"),
    [({"economy": "nope"}, "unknown tier"), ({"pro": "economy"}, "stronger tier")],
)
def test_a_bad_escalation_map_fails_at_construction(
    fake_server: FakeOpenAIServer, escalate_to: dict[str, str], message: str
) -> None:
    with pytest.raises(RoutingConfigError, match=message):
        router(fake_server, cascade=Cascade(escalate_to=escalate_to))


def test_a_cascade_that_is_not_one_is_refused(fake_server: FakeOpenAIServer) -> None:
    with pytest.raises(RoutingConfigError, match="cascade must be"):
        router(fake_server, cascade="yes")
