"""`tripwire.stats()`: a typed snapshot, and sampling that repeats itself run after run."""

from __future__ import annotations

import dataclasses
import random
import uuid
from decimal import Decimal

import pytest
from langchain_core.language_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, HumanMessage

from langchain_globalapi import ChatGlobalAPI, QualityTripwire, TripwireStats
from langchain_globalapi.testing import FakeOpenAIServer
from langchain_globalapi.tripwire import TaskAgreement

CHEAP, REFERENCE = "GA-Economy", "gpt-4o"


def _model(server: FakeOpenAIServer, name: str) -> ChatGlobalAPI:
    return ChatGlobalAPI(model=name, api_key="k", base_url=server.base_url, max_retries=0)


def _idle_tripwire(**kwargs: object) -> QualityTripwire:
    # Never reached: these tests look at what sampling picked, not at shadow answers.
    reference = GenericFakeChatModel(messages=iter(["x"] * 1000))
    return QualityTripwire(reference, queue_size=1000, **kwargs)  # type: ignore[arg-type]


def _sampled_positions(tripwire: QualityTripwire, run_ids: list[object]) -> list[int]:
    return [
        n
        for n, run_id in enumerate(run_ids)
        if tripwire.observe([HumanMessage(f"q{n}")], AIMessage("a"), run_id=run_id)  # type: ignore[arg-type]
    ]


def test_answers_without_request_ids_are_sampled_the_same_on_every_run() -> None:
    runs = [
        _sampled_positions(_idle_tripwire(sample_rate=0.4), [uuid.uuid4() for _ in range(60)])
        for _ in range(4)
    ]
    assert runs[0] == runs[1] == runs[2] == runs[3]
    assert 10 <= len(runs[0]) <= 40  # 40% of 60, hashed


def test_langchain_run_ids_through_the_callback_do_not_change_the_sample_count() -> None:
    counts = []
    for _ in range(3):
        tripwire = _idle_tripwire(sample_rate=0.4)
        cheap = GenericFakeChatModel(messages=iter(["answer"] * 30))
        for i in range(30):
            cheap.invoke(f"question {i}", config={"callbacks": [tripwire.as_callback()]})
        counts.append(tripwire.stats().sampled)
    assert counts[0] == counts[1] == counts[2]


def test_request_ids_pick_the_same_answers_in_any_order() -> None:
    ids = [f"req-{i}" for i in range(200)]
    shuffled = random.Random(7).sample(ids, len(ids))
    first, second = _idle_tripwire(sample_rate=0.2), _idle_tripwire(sample_rate=0.2)
    picked = {ids[n] for n in _sampled_positions(first, list(ids))}
    picked_again = {shuffled[n] for n in _sampled_positions(second, list(shuffled))}
    assert picked == picked_again


def test_an_empty_request_id_falls_back_to_the_position() -> None:
    tripwire = _idle_tripwire(sample_rate=0.5)
    reference = _idle_tripwire(sample_rate=0.5)
    assert _sampled_positions(tripwire, [""] * 40) == _sampled_positions(reference, [None] * 40)


def test_stats_is_a_frozen_typed_snapshot(fake_server: FakeOpenAIServer) -> None:
    fake_server.set_reply(REFERENCE, "spam")
    tripwire = QualityTripwire(_model(fake_server, REFERENCE), sample_rate=1.0,
                               default_task="classification")  # fmt: skip
    for i, cheap in enumerate(["spam", "spam", "ham"]):
        tripwire.observe([HumanMessage("mail?")], AIMessage(cheap), run_id=f"r{i}")
    assert tripwire.drain()
    stats = tripwire.stats()
    assert isinstance(stats, TripwireStats)
    assert (stats.observed, stats.sampled, stats.samples, stats.window) == (3, 3, 3, 3)
    assert stats.agreement == pytest.approx(2 / 3)
    assert stats.agreement_low is not None
    assert stats.agreement_high is not None
    assert stats.agreement_low < stats.agreement < stats.agreement_high
    assert isinstance(stats.spend_usd, Decimal)
    assert stats.spend_usd > 0
    assert stats.by_task["classification"] == TaskAgreement(3, pytest.approx(2 / 3), 0.0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        stats.samples = 0  # type: ignore[misc]


def test_as_dict_is_the_dict_stats_used_to_return(fake_server: FakeOpenAIServer) -> None:
    fake_server.set_reply(REFERENCE, "ok")
    tripwire = QualityTripwire(_model(fake_server, REFERENCE), sample_rate=1.0)
    tripwire.observe([HumanMessage("q")], AIMessage("ok"), run_id="r")
    assert tripwire.drain()
    data = tripwire.stats().as_dict()
    assert set(data) == {
        "observed", "sampled", "samples", "dropped", "skipped_budget", "skipped_reference",
        "errors", "queued", "window", "agreement", "agreement_low", "agreement_high",
        "by_task", "spend_usd", "alarms", "alarmed",
    }  # fmt: skip
    assert data["spend_usd"] == str(tripwire.stats().spend_usd)
    assert data["by_task"] == {"free_text": {"samples": 1, "agreement": 1.0}}


def test_subscripting_still_works_with_a_deprecation_warning() -> None:
    stats = _idle_tripwire().stats()
    with pytest.warns(DeprecationWarning, match=r"use stats\.observed"):
        assert stats["observed"] == 0


def test_stats_before_any_sample_say_so_without_made_up_numbers() -> None:
    stats = _idle_tripwire().stats()
    assert (stats.agreement, stats.agreement_low, stats.agreement_high) == (None, None, None)
    assert str(stats).splitlines()[0] == "quality tripwire: no shadow samples yet"


def test_printed_stats_name_agreement_interval_counts_and_tasks(
    fake_server: FakeOpenAIServer,
) -> None:
    fake_server.set_reply(REFERENCE, "positive")
    tripwire = QualityTripwire(_model(fake_server, REFERENCE), sample_rate=1.0, min_samples=2,
                               threshold=0.9, default_task="classification")  # fmt: skip
    for i, cheap in enumerate(["positive", "negative", "negative"]):
        tripwire.observe([HumanMessage("review?")], AIMessage(cheap), run_id=f"r{i}")
    assert tripwire.drain()
    text = str(tripwire.stats())
    assert text.startswith("quality tripwire: agreement 33.3% (95% CI 6.1%-79.2%) over 3 samples")
    assert ": ALARM" in text
    assert "observed 3, sampled 3, evaluated 3, queued 0, dropped 0" in text
    assert "classification: 3 samples, agreement 33.3%, kappa 0.00" in text
    assert max(len(line) for line in text.splitlines()) <= 80
