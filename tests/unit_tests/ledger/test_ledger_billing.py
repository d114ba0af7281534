"""End to end: real calls through the local server, billed by the billing core, into a ledger.

The ledger must hold exactly what the cost tracker billed (same calls, same dollars),
however the ledger is attached and whatever wrappers the calls go through.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from langchain_globalapi import (
    CachedChatModel,
    ChatGlobalAPI,
    ExactCache,
    FallbackChatModel,
    InMemoryStore,
    TieredRouterRunnable,
    get_globalapi_callback,
)
from langchain_globalapi.ledger import Ledger, open_reader, summarize
from langchain_globalapi.testing import FakeOpenAIServer, Fault

FLASH = "deepseek-ai/DeepSeek-V4-Flash"
PRO = "deepseek-ai/DeepSeek-V4-Pro"


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    with Ledger(tmp_path / "usage.db") as opened:
        yield opened


def _model(server: FakeOpenAIServer, name: str = FLASH) -> ChatGlobalAPI:
    return ChatGlobalAPI(model=name, api_key="k", base_url=server.base_url, max_retries=0)


def _summary(ledger: Ledger) -> dict[str, Any]:
    assert ledger.flush()
    return summarize(open_reader(ledger.target))


def _rows(summary: dict[str, Any], dim: str) -> dict[str, dict[str, Any]]:
    return {row["name"]: row for row in summary[dim]}


def test_the_ledger_holds_what_the_tracker_billed(
    fake_server: FakeOpenAIServer, ledger: Ledger
) -> None:
    llm = _model(fake_server)
    with get_globalapi_callback(ledger=ledger) as cb:
        llm.invoke("one")
        "".join(chunk.text for chunk in llm.stream("two"))
        llm.batch(["three", "four"])
    totals = _summary(ledger)["totals"]
    assert totals["calls"] == cb.calls == len(fake_server.requests) == 4
    assert Decimal(totals["spend_usd"]) == cb.total_cost_usd
    assert Decimal(totals["reference_usd"]) == cb.reference_cost_usd


def test_structured_output_through_a_router_is_written_once(
    fake_server: FakeOpenAIServer, ledger: Ledger
) -> None:
    class Answer(BaseModel):
        """An answer."""

        text: str

    fake_server.set_reply(FLASH, {"tool_calls": [{"name": "Answer", "args": {"text": "hi"}}]})
    router = TieredRouterRunnable(
        tiers={"cheap": _model(fake_server), "strong": _model(fake_server)}
    )
    with get_globalapi_callback(ledger=ledger):
        router.with_structured_output(Answer).invoke("hello")
    assert _summary(ledger)["totals"]["calls"] == len(fake_server.requests) == 1


def test_a_routers_ledger_records_the_tier_and_score(
    fake_server: FakeOpenAIServer, ledger: Ledger
) -> None:
    router = TieredRouterRunnable(
        tiers={"economy": _model(fake_server, "GA-Economy"), "pro": _model(fake_server, PRO)},
        ledger=ledger,
    )
    router.invoke("hi", config={"configurable": {"complexity": "pro"}, "metadata": {"task": "qa"}})
    summary = _summary(ledger)
    assert list(_rows(summary, "tiers")) == ["pro"]
    assert list(_rows(summary, "tasks")) == ["qa"]
    assert summary["recent_calls"][0]["model"] == PRO


def _rate_limited_then_rescued(server: FakeOpenAIServer, ledger: Ledger) -> dict[str, Any]:
    """Flash answers 429, the chain falls back to Pro; the ledger's rows per model."""
    server.inject(FLASH, Fault.rate_limit())
    chain = FallbackChatModel([_model(server, FLASH), _model(server, PRO)], ledger=ledger)
    chain.invoke("hi")
    return _rows(_summary(ledger), "models")


def test_a_fallback_chains_ledger_counts_the_rate_limit_per_model(
    fake_server: FakeOpenAIServer, ledger: Ledger
) -> None:
    models = _rate_limited_then_rescued(fake_server, ledger)
    assert (models[FLASH]["failed"], models[FLASH]["rate_limited"]) == (1, 1)
    assert (models[PRO]["answered"], models[PRO]["failed"]) == (1, 0)


def test_an_answer_from_the_second_member_counts_as_served_by_a_fallback(
    fake_server: FakeOpenAIServer, ledger: Ledger
) -> None:
    assert _rate_limited_then_rescued(fake_server, ledger)[PRO]["fallback_served"] == 1


def _assert_one_hit_at_zero(ledger: Ledger, first_answer: Any) -> None:
    totals = _summary(ledger)["totals"]
    assert (totals["calls"], totals["cache_hits"]) == (2, 1)
    assert Decimal(totals["spend_usd"]) == Decimal(first_answer.response_metadata["cost"]["usd"])
    assert totals["saved_by_cache_usd"] == totals["spend_usd"]


def test_a_cache_hit_is_written_at_zero_with_its_saving(
    fake_server: FakeOpenAIServer, ledger: Ledger
) -> None:
    model = CachedChatModel(_model(fake_server), cache=ExactCache(InMemoryStore()))
    with get_globalapi_callback(ledger=ledger):
        first = model.invoke("same question")
        model.invoke("same question")
    _assert_one_hit_at_zero(ledger, first)


def test_a_cache_wrappers_own_ledger_receives_its_hits(
    fake_server: FakeOpenAIServer, ledger: Ledger
) -> None:
    model = CachedChatModel(_model(fake_server), cache=ExactCache(InMemoryStore()), ledger=ledger)
    first = model.invoke("same question")
    model.invoke("same question")
    _assert_one_hit_at_zero(ledger, first)


def test_a_ledger_callback_in_config_bills_every_call_below_it(
    fake_server: FakeOpenAIServer, ledger: Ledger
) -> None:
    llm = _model(fake_server)
    llm.invoke("hi", config={"callbacks": [ledger.as_callback()]})
    llm.invoke("again", config={"callbacks": [ledger.as_callback()]})
    assert _summary(ledger)["totals"]["calls"] == 2


def test_a_failed_call_with_nothing_received_is_written_without_cost(
    fake_server: FakeOpenAIServer, ledger: Ledger
) -> None:
    fake_server.inject(FLASH, Fault.server_error(500))
    with get_globalapi_callback(ledger=ledger), pytest.raises(Exception, match="500"):
        _model(fake_server).invoke("hi")
    totals = _summary(ledger)["totals"]
    assert (totals["calls"], totals["failed"], totals["spend_usd"]) == (1, 1, "0")


def test_a_tripwire_verdict_reaches_the_ledger_of_the_routed_call(
    fake_server: FakeOpenAIServer, ledger: Ledger
) -> None:
    from langchain_globalapi import QualityTripwire  # noqa: PLC0415

    tripwire = QualityTripwire(_model(fake_server, "gpt-4o"), sample_rate=1.0, ledger=ledger)
    router = TieredRouterRunnable(tiers={"flash": _model(fake_server)}, tripwire=tripwire)
    with get_globalapi_callback(ledger=ledger):
        router.invoke("What is the capital of France?")
    assert tripwire.drain(10)
    summary = _summary(ledger)
    assert summary["tripwire"]["verdicts"] == 1
    assert summary["totals"]["calls"] == 2  # the answer and the tripwire's shadow call
