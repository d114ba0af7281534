"""The tripwire's sampling, queue, budget and spend: deterministic, bounded, never in the way."""

from __future__ import annotations

import threading
import time
from typing import Any

from langchain_core.messages import AIMessage, HumanMessage

from langchain_globalapi import (
    Budget,
    ChatGlobalAPI,
    CostTracker,
    QualityTripwire,
    SpendLimit,
    get_globalapi_callback,
)
from langchain_globalapi.testing import FakeOpenAIServer, Fault

CHEAP, REFERENCE = "GA-Economy", "gpt-4o"


def _model(server: FakeOpenAIServer, name: str) -> ChatGlobalAPI:
    return ChatGlobalAPI(model=name, api_key="k", base_url=server.base_url, max_retries=0)


def _tripwire(**kwargs: Any) -> QualityTripwire:
    # Sampling decisions never call the reference: an unreachable URL is fine.
    reference = ChatGlobalAPI(model=REFERENCE, api_key="k", base_url="http://127.0.0.1:9/v1")
    return QualityTripwire(reference, **kwargs)


def _wait_for(condition: Any, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.002)


def test_sampling_is_deterministic_per_request_id() -> None:
    first, second = _tripwire(), _tripwire()
    ids = [f"req-{i}" for i in range(20_000)]
    picked = [i for i in ids if first.should_sample(i)]
    assert picked == [i for i in ids if second.should_sample(i)]
    assert 140 <= len(picked) <= 260  # 1% of 20,000 = 200


def test_a_different_salt_samples_different_requests() -> None:
    ids = [f"req-{i}" for i in range(5_000)]
    first, other = _tripwire(sample_rate=0.1), _tripwire(sample_rate=0.1, salt="other")
    a = {i for i in ids if first.should_sample(i)}
    b = {i for i in ids if other.should_sample(i)}
    assert a != b


def test_answers_near_a_threshold_are_sampled_more() -> None:
    tripwire = _tripwire(sample_rate=0.01, near_threshold_rate=0.5, near_threshold_margin=0.05)
    assert tripwire.rate_for({"score": 0.52, "thresholds": [0.2, 0.5]}) == 0.5
    assert tripwire.rate_for({"score": 0.35, "thresholds": [0.2, 0.5]}) == 0.01
    assert tripwire.rate_for(None) == 0.01
    ids = [f"req-{i}" for i in range(2_000)]
    near = sum(tripwire.should_sample(i, {"score": 0.5, "thresholds": [0.5]}) for i in ids)
    assert 900 <= near <= 1100


def test_the_user_call_returns_before_the_shadow_call_finishes(
    fake_server: FakeOpenAIServer,
) -> None:
    order: list[str] = []
    release = threading.Event()

    def slow_reference(_request: dict[str, Any]) -> str:
        # If the user's call waited for this shadow call, it would never return before
        # `release` is set (and the test would time out).
        release.wait(timeout=20)
        order.append("shadow finished")
        return "ok"

    fake_server.set_reply(REFERENCE, slow_reference)
    tripwire = QualityTripwire(_model(fake_server, REFERENCE), sample_rate=1.0)
    answer = _model(fake_server, CHEAP).invoke("hi", config={"callbacks": [tripwire.as_callback()]})
    order.append("user call returned")
    release.set()
    assert tripwire.drain()
    assert answer.text == f"[{CHEAP}] hi"
    assert order == ["user call returned", "shadow finished"]
    assert tripwire.stats().samples == 1


def test_a_full_queue_drops_and_counts_instead_of_blocking(
    fake_server: FakeOpenAIServer,
) -> None:
    release = threading.Event()
    fake_server.set_reply(REFERENCE, lambda _r: "ok" if release.wait(timeout=20) else "late")
    tripwire = QualityTripwire(_model(fake_server, REFERENCE), sample_rate=1.0, queue_size=2)
    queued = [tripwire.observe([HumanMessage("q")], AIMessage("ok"), run_id="r0")]
    _wait_for(lambda: fake_server.calls_for(REFERENCE) == 1)  # the worker holds r0
    queued += [tripwire.observe([HumanMessage("q")], AIMessage("ok"), run_id=f"r{i}")
               for i in range(1, 5)]  # fmt: skip
    assert queued == [True, True, True, False, False]
    assert (tripwire.stats().dropped, tripwire.stats().sampled) == (2, 5)
    release.set()
    assert tripwire.drain()
    assert tripwire.stats().samples == 3


def test_reference_model_answers_are_not_rerun(fake_server: FakeOpenAIServer) -> None:
    tripwire = QualityTripwire(_model(fake_server, REFERENCE), sample_rate=1.0)
    answer = AIMessage("x", response_metadata={"model_name": REFERENCE})
    assert not tripwire.observe([HumanMessage("q")], answer, run_id="r")
    assert tripwire.stats().skipped_reference == 1


def test_shadow_spend_goes_to_the_cost_tracker_and_the_own_budget(
    fake_server: FakeOpenAIServer,
) -> None:
    tracker = CostTracker()
    budget = Budget([SpendLimit.total("1", per="day")])
    tripwire = QualityTripwire(_model(fake_server, REFERENCE), sample_rate=1.0,
                               cost_tracker=tracker, budget=budget)  # fmt: skip
    for i in range(3):
        tripwire.observe([HumanMessage("question")], AIMessage("a"), run_id=f"r{i}")
    tripwire.drain()
    spend = tripwire.stats().spend_usd
    assert spend > 0
    assert tracker.calls == 3
    assert tracker.total_cost_usd == spend
    assert budget.spent(budget.limits[0]) == spend


def test_an_enclosing_globalapi_callback_sees_the_shadow_spend(
    fake_server: FakeOpenAIServer,
) -> None:
    tripwire = QualityTripwire(_model(fake_server, REFERENCE), sample_rate=1.0)
    with get_globalapi_callback() as cb:
        _model(fake_server, CHEAP).invoke("hi", config={"callbacks": [tripwire.as_callback()]})
        tripwire.drain()
    assert set(cb.per_model) == {CHEAP, REFERENCE}


def test_a_spent_budget_skips_shadow_calls(fake_server: FakeOpenAIServer) -> None:
    budget = Budget([SpendLimit.total("0.000001", per="day")])
    tripwire = QualityTripwire(_model(fake_server, REFERENCE), sample_rate=1.0, budget=budget)
    for i in range(4):
        tripwire.observe([HumanMessage("a long enough question")], AIMessage("a"), run_id=f"r{i}")
    tripwire.drain()
    stats = tripwire.stats()
    assert (stats.samples, stats.skipped_budget) == (1, 3)
    assert fake_server.calls_for(REFERENCE) == 1


def test_reference_errors_are_counted_not_raised(fake_server: FakeOpenAIServer) -> None:
    fake_server.inject(REFERENCE, Fault.server_error(503))
    tripwire = QualityTripwire(_model(fake_server, REFERENCE), sample_rate=1.0)
    tripwire.observe([HumanMessage("q")], AIMessage("a"), run_id="r")
    tripwire.drain()
    assert (tripwire.stats().errors, tripwire.stats().samples) == (1, 0)
