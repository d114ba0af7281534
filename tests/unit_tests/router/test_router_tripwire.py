"""The router hands every successful answer, with its routing metadata, to a tripwire."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest
from langchain_core.messages import BaseMessage

from langchain_globalapi import ChatGlobalAPI, QualityTripwire
from langchain_globalapi.routing import TieredRouterRunnable
from langchain_globalapi.testing import FakeOpenAIServer, Fault

MakeRouter = Callable[..., TieredRouterRunnable]
REFERENCE = "gpt-4o"


@pytest.fixture
def tripwire(fake_server: FakeOpenAIServer) -> Iterator[QualityTripwire]:
    reference = ChatGlobalAPI(
        model=REFERENCE, api_key="k", base_url=fake_server.base_url, max_retries=0
    )
    tripwire = QualityTripwire(reference, sample_rate=1.0)
    yield tripwire
    tripwire.close()


class Recorder:
    """Records what the router hands over."""

    def __init__(self, *, fail: bool = False) -> None:
        self.seen: list[tuple[list[BaseMessage], BaseMessage, Any, Any]] = []
        self.fail = fail

    def observe(
        self,
        request_messages: Sequence[BaseMessage],
        response_message: BaseMessage,
        *,
        run_id: Any = None,
        task: str | None = None,
    ) -> bool:
        self.seen.append((list(request_messages), response_message, run_id, task))
        if self.fail:
            raise RuntimeError("observer is down")
        return True


def test_invoke_answers_are_shadowed_on_the_reference_model(
    make_router: MakeRouter, tripwire: QualityTripwire, fake_server: FakeOpenAIServer
) -> None:
    router = make_router(tripwire=tripwire)
    router.invoke("[0.1] what is 2 + 2?")
    assert tripwire.drain()
    assert fake_server.calls_for(REFERENCE) == 1
    assert tripwire.stats().samples == 1


def test_streamed_answers_are_shadowed_once_at_the_end(
    make_router: MakeRouter, tripwire: QualityTripwire, fake_server: FakeOpenAIServer
) -> None:
    router = make_router(tripwire=tripwire)
    text = "".join(chunk.text for chunk in router.stream("[0.5] name three colours"))
    assert tripwire.drain()
    assert fake_server.calls_for(REFERENCE) == 1
    assert tripwire.stats().samples == 1
    assert "name three colours" in text


async def test_async_invoke_and_stream_answers_are_shadowed(
    make_router: MakeRouter, tripwire: QualityTripwire, fake_server: FakeOpenAIServer
) -> None:
    router = make_router(tripwire=tripwire)
    await router.ainvoke("[0.1] first")
    _ = [chunk async for chunk in router.astream("[0.1] second")]
    assert tripwire.drain()
    assert fake_server.calls_for(REFERENCE) == 2
    assert tripwire.stats().samples == 2


def test_the_observer_sees_the_routing_metadata_and_the_streamed_text(
    make_router: MakeRouter,
) -> None:
    recorder = Recorder()
    router = make_router(tripwire=recorder)
    text = "".join(chunk.text for chunk in router.stream("[0.9] tell me a story"))
    [(messages, answer, run_id, task)] = recorder.seen
    assert messages[0].text == "[0.9] tell me a story"
    assert answer.text == text
    assert answer.response_metadata["routing"]["tier"] == "pro"
    assert answer.response_metadata["routing"]["thresholds"] == [0.3, 0.7]
    assert run_id is not None
    assert task is None


def test_request_id_and_task_come_from_run_metadata(make_router: MakeRouter) -> None:
    recorder = Recorder()
    router = make_router(tripwire=recorder)
    router.invoke("[0.1] hi", config={"metadata": {"request_id": "r-7", "tripwire_task": "qa"}})
    [(_, _, run_id, task)] = recorder.seen
    assert (run_id, task) == ("r-7", "qa")


def test_a_failing_observer_is_logged_and_the_answer_returned(
    make_router: MakeRouter, caplog: pytest.LogCaptureFixture
) -> None:
    router = make_router(tripwire=Recorder(fail=True))
    with caplog.at_level(logging.ERROR, logger="langchain_globalapi.routing"):
        answer = router.invoke("[0.1] hi")
        chunks = list(router.stream("[0.1] hi"))
    assert answer.text
    assert chunks[-1].response_metadata["routing"]["tier"] == "economy"
    assert caplog.text.count("observe failed") == 2


def test_failed_calls_are_not_observed(
    make_router: MakeRouter, fake_server: FakeOpenAIServer
) -> None:
    recorder = Recorder()
    router = make_router(tripwire=recorder)
    fake_server.inject("GA-Economy", Fault.bad_request())
    with pytest.raises(Exception, match=r"400|[Bb]ad"):
        router.invoke("[0.1] hi")
    assert recorder.seen == []


def test_an_object_without_observe_is_rejected(make_router: MakeRouter) -> None:
    with pytest.raises(ValueError, match="tripwire"):
        make_router(tripwire=object())
