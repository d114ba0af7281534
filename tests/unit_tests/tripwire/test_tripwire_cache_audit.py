"""The tripwire audits semantic cache hits: re-asks, counts false hits, tightens the cache."""

from __future__ import annotations

import asyncio
import random
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import pytest
from langchain_core.messages import HumanMessage, SystemMessage

from langchain_globalapi import (
    Budget,
    CacheConfigError,
    CachedChatModel,
    ChatGlobalAPI,
    CostTracker,
    ExactCache,
    GlobalAPIEmbeddings,
    QualityTripwire,
    SemanticCache,
    SpendLimit,
    TieredRouterRunnable,
    get_globalapi_callback,
)
from langchain_globalapi.costs import BilledCall
from langchain_globalapi.routing import HeuristicScorer
from langchain_globalapi.testing import FakeOpenAIServer, Fault
from langchain_globalapi.tripwire import CacheAuditAction

FLASH, REFERENCE = "deepseek-ai/DeepSeek-V4-Flash", "gpt-4o"
KITCHEN = SystemMessage("You are a kitchen assistant.")

# Bag-of-words embeddings on the fake server: thaw/freeze score 0.885 (the guard lets it
# through: it knows no antonym for "thaw"), the lower-cased rewording scores 1.0.
THAW = "How long should I thaw chicken in the fridge?"
FREEZE = "How long should I freeze chicken in the fridge?"
RESET = "How do I reset my password?"
RESET_LOWER = "how do i reset my password"
ANSWERS = {
    THAW: "About a day per 2 kg.",
    FREEZE: "Up to nine months in the freezer.",
    RESET: "Click 'Forgot password' on the login page.",
    RESET_LOWER: "Ask your administrator.",  # a question that embeds alike, answered apart
}


def _answer(request: dict[str, Any]) -> str:
    return ANSWERS.get(request["messages"][-1]["content"], "ok")


@pytest.fixture
def server(fake_server: FakeOpenAIServer) -> FakeOpenAIServer:
    fake_server.set_reply(FLASH, _answer)
    return fake_server


def _tripwire(server: FakeOpenAIServer, **kwargs: Any) -> QualityTripwire:
    kwargs.setdefault("cache_sample_rate", 1.0)
    kwargs.setdefault("cache_min_samples", 5)
    reference = ChatGlobalAPI(model=REFERENCE, api_key="k", base_url=server.base_url)
    return QualityTripwire(reference, **kwargs)


def _cache(server: FakeOpenAIServer, threshold: float = 0.85) -> SemanticCache:
    embeddings = GlobalAPIEmbeddings(api_key="k", base_url=server.base_url)
    return SemanticCache(embeddings, threshold=threshold)


def _flash(server: FakeOpenAIServer) -> ChatGlobalAPI:
    return ChatGlobalAPI(
        model=FLASH, temperature=0, api_key="k", base_url=server.base_url, max_retries=0
    )


def _bot(server: FakeOpenAIServer, tripwire: QualityTripwire, **cache: Any) -> CachedChatModel:
    return CachedChatModel(_flash(server), cache=_cache(server, **cache), tripwire=tripwire)


def _ask(bot: CachedChatModel, question: str, request_id: str, **metadata: Any) -> Any:
    config = {"metadata": {"request_id": request_id, **metadata}}
    return bot.invoke([KITCHEN, HumanMessage(question)], config=config)


def _ask_drained(
    bot: CachedChatModel, tripwire: QualityTripwire, question: str, times: int, prefix: str
) -> list[Any]:
    answers = []
    for i in range(times):
        answers.append(_ask(bot, question, f"{prefix}{i}"))
        assert tripwire.drain()
    return answers


class Recorder(CostTracker):
    """A cost tracker that keeps every billed call."""

    def __init__(self) -> None:
        super().__init__()
        self.billed: list[BilledCall] = []

    def on_billed(self, call: BilledCall) -> None:
        super().on_billed(call)
        self.billed.append(call)


@pytest.fixture
def closing() -> Iterator[list[QualityTripwire]]:
    tripwires: list[QualityTripwire] = []
    yield tripwires
    for tripwire in tripwires:
        tripwire.close()


def test_a_wrong_semantic_hit_is_counted_and_the_threshold_raised(
    server: FakeOpenAIServer,
) -> None:
    actions: list[object] = []
    tripwire = _tripwire(server, alert=actions.append)
    bot = _bot(server, tripwire)
    _ask(bot, THAW, "seed")
    served = _ask_drained(bot, tripwire, FREEZE, 5, "f")
    assert {answer.text for answer in served} == {ANSWERS[THAW]}  # the false hit, 5 times
    audit = tripwire.stats().cache
    assert (audit.observed, audit.sampled, audit.samples, audit.false_hits) == (5, 5, 5, 5)
    assert (audit.false_hit_rate, round(audit.low or 0, 3), audit.high) == (1.0, 0.566, 1.0)
    assert bot.response_cache.threshold == pytest.approx(0.9)  # type: ignore[attr-defined]
    (action,) = actions
    assert isinstance(action, CacheAuditAction)
    assert (action.action, action.threshold_before, action.threshold_after) == (
        "raised_threshold", 0.85, pytest.approx(0.9),
    )  # fmt: skip
    # At 0.90 the 0.885-similar question misses and gets its own answer.
    assert _ask(bot, FREEZE, "after").text == ANSWERS[FREEZE]


def test_a_scope_that_keeps_failing_after_a_raise_loses_its_semantic_hits(
    server: FakeOpenAIServer,
) -> None:
    tripwire = _tripwire(server)
    bot = _bot(server, tripwire)
    _ask(bot, THAW, "seed-thaw")
    _ask(bot, RESET, "seed-reset")
    _ask_drained(bot, tripwire, FREEZE, 5, "f")  # first strike: threshold raised
    _ask_drained(bot, tripwire, RESET_LOWER, 5, "r")  # similarity 1.0: fails again
    cache = bot.response_cache
    assert isinstance(cache, SemanticCache)
    audit = tripwire.stats().cache
    assert [a.action for a in audit.actions] == ["raised_threshold", "disabled_scope"]
    assert audit.actions[1].reason == "still failing after raising the threshold"
    (scope,) = cache.disabled_scopes
    assert audit.by_scope[scope].disabled
    assert (audit.by_scope[scope].samples, audit.by_scope[scope].false_hits) == (10, 10)
    # Semantic hits are off in that scope; exact repeats are still served from the cache.
    assert _ask(bot, RESET_LOWER, "after").text == ANSWERS[RESET_LOWER]
    repeat = _ask(bot, RESET, "repeat")
    assert repeat.response_metadata["cache"]["kind"] == "exact"


def test_false_hits_above_the_raised_threshold_turn_the_scope_off_at_once(
    server: FakeOpenAIServer,
) -> None:
    tripwire = _tripwire(server)
    bot = _bot(server, tripwire)
    _ask(bot, RESET, "seed")
    _ask_drained(bot, tripwire, RESET_LOWER, 5, "r")
    cache = bot.response_cache
    assert isinstance(cache, SemanticCache)
    (action,) = tripwire.stats().cache.actions
    assert action.action == "disabled_scope"
    assert action.reason == "false hits sit above 0.90 too"
    assert cache.threshold == 0.85  # raising it would not have helped, so it was not raised
    assert len(cache.disabled_scopes) == 1


def test_at_the_threshold_cap_a_failing_scope_is_turned_off(server: FakeOpenAIServer) -> None:
    tripwire = _tripwire(server, cache_max_threshold=0.85)
    bot = _bot(server, tripwire)
    _ask(bot, THAW, "seed")
    _ask_drained(bot, tripwire, FREEZE, 5, "f")
    (action,) = tripwire.stats().cache.actions
    assert (action.action, action.reason) == ("disabled_scope", "the threshold is at its cap 0.85")


def test_other_scopes_keep_their_semantic_hits(server: FakeOpenAIServer) -> None:
    tripwire = _tripwire(server)
    bot = _bot(server, tripwire)
    _ask(bot, RESET, "seed")
    _ask_drained(bot, tripwire, RESET_LOWER, 5, "r")  # the kitchen scope is turned off
    other = [SystemMessage("You are a support bot."), HumanMessage(RESET)]
    bot.invoke(other)
    hit = bot.invoke([other[0], HumanMessage(RESET_LOWER)])
    assert hit.response_metadata["cache"]["kind"] == "semantic"


def test_a_cache_whose_hits_agree_is_left_alone(server: FakeOpenAIServer) -> None:
    server.set_reply(FLASH, "Click 'Forgot password' on the login page.")
    actions: list[object] = []
    tripwire = _tripwire(server, alert=actions.append)
    bot = _bot(server, tripwire)
    _ask(bot, RESET, "seed")
    served = _ask_drained(bot, tripwire, RESET_LOWER, 30, "r")
    assert all(answer.response_metadata["cache"]["kind"] == "semantic" for answer in served)
    audit = tripwire.stats().cache
    assert (audit.samples, audit.false_hits, audit.actions) == (30, 0, ())
    assert audit.low == 0.0
    assert round(audit.high or 0, 3) == 0.114  # 0 of 30 proves < 11.4%, not < 5%
    assert actions == []
    cache = bot.response_cache
    assert isinstance(cache, SemanticCache)
    assert (cache.threshold, cache.disabled_scopes) == (0.85, frozenset())


def test_exact_hits_are_never_audited(server: FakeOpenAIServer) -> None:
    tripwire = _tripwire(server)
    bot = _bot(server, tripwire)
    for i in range(5):
        _ask(bot, RESET, f"r{i}")
    assert tripwire.drain()
    assert tripwire.stats().cache.observed == 0
    assert server.calls_for(FLASH) == 1  # the first miss; no re-ask


def test_single_flight_shares_are_never_audited(server: FakeOpenAIServer) -> None:
    tripwire = _tripwire(server)
    bot = _bot(server, tripwire)
    server.inject(FLASH, Fault.slow_first_byte(0.3))  # the leader is still in flight
    start = threading.Barrier(4)

    def ask(i: int) -> Any:
        start.wait()
        return _ask(bot, RESET, f"r{i}")

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(ask, range(4)))
    assert tripwire.drain()
    shared = [a for a in answers if a.response_metadata["cache"].get("single_flight")]
    assert shared  # the followers got the leader's answer as a semantic-cache share
    assert tripwire.stats().cache.observed == 0
    assert server.calls_for(FLASH) == 1


def test_the_re_ask_is_billed_once_marked_as_a_cache_audit(server: FakeOpenAIServer) -> None:
    recorder = Recorder()
    tripwire = _tripwire(server, cost_tracker=recorder)
    bot = _bot(server, tripwire)
    with get_globalapi_callback() as cb:
        _ask(bot, THAW, "seed")
        _ask(bot, FREEZE, "f0")
        assert tripwire.drain()
    (audit,) = recorder.billed
    assert (audit.model, audit.shadow, audit.audit, audit.request_id) == (
        FLASH, True, "semantic_cache", "f0",
    )  # fmt: skip
    assert audit.cost is not None
    assert audit.cost.usd is not None
    assert tripwire.stats().cache.spend_usd == audit.cost.usd
    # The caller's tracker sees the seed call, the $0 hit and the audit, each once.
    assert (cb.calls, cb.cache_hits) == (3, 1)
    assert server.calls_for(FLASH) == 2


def test_the_re_ask_is_refused_when_the_tripwire_budget_is_spent(
    server: FakeOpenAIServer,
) -> None:
    budget = Budget([SpendLimit.total("0.01", per="day", hard=True)])
    with pytest.warns(UserWarning, match="budget reached"):
        budget.record(Decimal("0.02"), model=FLASH)
    tripwire = _tripwire(server, budget=budget)
    bot = _bot(server, tripwire)
    _ask(bot, THAW, "seed")
    _ask_drained(bot, tripwire, FREEZE, 3, "f")
    audit = tripwire.stats().cache
    assert (audit.sampled, audit.samples, audit.skipped_budget) == (3, 0, 3)
    assert server.calls_for(FLASH) == 1  # only the seed call


def test_a_stalled_re_ask_never_blocks_the_users_call(server: FakeOpenAIServer) -> None:
    started, release = threading.Event(), threading.Event()

    def slow_answer(request: dict[str, Any]) -> str:
        if request["messages"][-1]["content"] == FREEZE:  # only the audit asks this
            started.set()
            release.wait(30)
        return _answer(request)

    server.set_reply(FLASH, slow_answer)
    tripwire = _tripwire(server, queue_size=1)
    bot = _bot(server, tripwire)
    _ask(bot, THAW, "seed")
    first = _ask(bot, FREEZE, "f0")
    assert started.wait(30)  # the worker is stuck in the re-ask of f0
    later = [_ask(bot, FREEZE, f"f{i}") for i in (1, 2)]  # f1 waits in the queue, f2 is dropped
    assert [a.response_metadata["cache"]["kind"] for a in [first, *later]] == ["semantic"] * 3
    audit = tripwire.stats().cache
    assert (audit.sampled, audit.samples, audit.dropped) == (3, 0, 1)
    release.set()
    assert tripwire.drain()
    assert tripwire.stats().cache.samples == 2


def test_sampling_follows_request_ids_in_any_order(
    server: FakeOpenAIServer, closing: list[QualityTripwire]
) -> None:
    ids = [f"req-{i}" for i in range(40)]
    picked = []
    for order in (ids, random.Random(3).sample(ids, len(ids))):
        recorder = Recorder()
        tripwire = _tripwire(server, cache_sample_rate=0.3, cost_tracker=recorder,
                             cache_min_samples=1000)  # fmt: skip
        closing.append(tripwire)
        bot = _bot(server, tripwire)
        _ask(bot, RESET, "seed")
        for request_id in order:
            _ask(bot, RESET_LOWER, request_id)
        assert tripwire.drain()
        picked.append({call.request_id for call in recorder.billed})
    assert picked[0] == picked[1]
    assert 4 <= len(picked[0]) <= 20  # 30% of 40, hashed


def test_hits_without_request_ids_are_sampled_by_position(
    server: FakeOpenAIServer, closing: list[QualityTripwire]
) -> None:
    counts = []
    for _ in range(2):
        tripwire = _tripwire(server, cache_sample_rate=0.3, cache_min_samples=1000)
        closing.append(tripwire)
        bot = _bot(server, tripwire)
        bot.invoke([KITCHEN, HumanMessage(RESET)])
        for _ in range(30):
            bot.invoke([KITCHEN, HumanMessage(RESET_LOWER)])
        counts.append(tripwire.stats().cache.sampled)
    assert counts[0] == counts[1] > 0


def test_async_and_streamed_semantic_hits_are_audited(server: FakeOpenAIServer) -> None:
    tripwire = _tripwire(server)
    bot = _bot(server, tripwire)
    _ask(bot, RESET, "seed")
    question = [KITCHEN, HumanMessage(RESET_LOWER)]

    def config(request_id: str) -> Any:
        return {"metadata": {"request_id": request_id}}

    async def main() -> None:
        await bot.ainvoke(question, config=config("a"))
        _ = [chunk async for chunk in bot.astream(question, config=config("b"))]

    asyncio.run(main())
    _ = list(bot.stream(question, config=config("c")))
    assert tripwire.drain()
    audit = tripwire.stats().cache
    assert (audit.observed, audit.samples, audit.false_hits) == (3, 3, 3)


def test_the_agreement_scorer_follows_the_requests_task(server: FakeOpenAIServer) -> None:
    answers = {RESET: "The answer is 12.", RESET_LOWER: "It is 12, as computed."}
    server.set_reply(FLASH, lambda request: answers[request["messages"][-1]["content"]])
    tripwire = _tripwire(server)
    bot = _bot(server, tripwire)
    _ask(bot, RESET, "seed")
    _ask(bot, RESET_LOWER, "as-text")  # ROUGE-L: different words, a false hit
    _ask(bot, RESET_LOWER, "as-number", task="reasoning")  # the final numbers agree
    assert tripwire.drain()
    assert tripwire.stats().cache.false_hits == 1


def test_with_actions_off_the_cache_is_untouched_and_alerted_once(
    server: FakeOpenAIServer,
) -> None:
    actions: list[object] = []
    tripwire = _tripwire(server, cache_actions=False, alert=actions.append)
    bot = _bot(server, tripwire)
    _ask(bot, RESET, "seed")
    _ask_drained(bot, tripwire, RESET_LOWER, 10, "r")
    cache = bot.response_cache
    assert isinstance(cache, SemanticCache)
    assert (cache.threshold, cache.disabled_scopes) == (0.85, frozenset())
    assert [a.action for a in actions if isinstance(a, CacheAuditAction)] == ["none", "none"]
    assert {a.scope is None for a in actions if isinstance(a, CacheAuditAction)} == {True, False}


def test_pooled_false_hits_across_small_scopes_raise_the_threshold(
    server: FakeOpenAIServer,
) -> None:
    tripwire = _tripwire(server)
    bot = _bot(server, tripwire)
    for n in range(5):  # five conversations, one false hit each: no scope has 5 samples
        system = SystemMessage(f"You are kitchen assistant number {n}.")
        bot.invoke([system, HumanMessage(THAW)])
        bot.invoke([system, HumanMessage(FREEZE)])
        assert tripwire.drain()
    (action,) = tripwire.stats().cache.actions
    assert (action.action, action.scope, action.samples) == ("raised_threshold", None, 5)
    assert bot.response_cache.threshold == pytest.approx(0.9)  # type: ignore[attr-defined]


def test_a_router_sharing_the_tripwire_does_not_observe_the_re_ask(
    server: FakeOpenAIServer,
) -> None:
    server.set_reply("GA-Economy", _answer)
    server.set_reply(REFERENCE, _answer)
    tripwire = _tripwire(server, sample_rate=1.0)
    router = TieredRouterRunnable(
        tiers={"economy": ChatGlobalAPI(model="GA-Economy", api_key="k", base_url=server.base_url),
               "flash": _flash(server)},
        scorer=HeuristicScorer(), thresholds=[0.99], tripwire=tripwire,
    )  # fmt: skip
    bot = CachedChatModel(router, cache=_cache(server), tripwire=tripwire)
    _ask(bot, THAW, "seed")  # a miss: the router's answer is observed and shadowed
    _ask(bot, FREEZE, "hit")  # a semantic hit: audited through the router, not observed
    assert tripwire.drain()
    stats = tripwire.stats()
    assert (stats.observed, stats.samples) == (1, 1)
    assert (stats.cache.samples, stats.cache.false_hits) == (1, 1)
    assert server.calls_for(REFERENCE) == 1


def test_a_tripwire_on_an_exact_cache_fails_at_construction(server: FakeOpenAIServer) -> None:
    with pytest.raises(CacheConfigError, match="use a SemanticCache or drop tripwire="):
        CachedChatModel(_flash(server), cache=ExactCache(), tripwire=_tripwire(server))


@pytest.mark.parametrize(
    ("name", "value"),
    [("cache_sample_rate", float("nan")), ("cache_max_false_hit_rate", 1.5),
     ("cache_min_samples", 0), ("cache_threshold_step", -0.1),
     ("cache_max_threshold", float("inf"))],
)  # fmt: skip
def test_bad_cache_audit_settings_fail_at_construction(
    server: FakeOpenAIServer, name: str, value: object
) -> None:
    with pytest.raises(ValueError, match=name):
        _tripwire(server, **{name: value})


def test_printed_stats_show_the_audit_within_80_columns(server: FakeOpenAIServer) -> None:
    tripwire = _tripwire(server)
    bot = _bot(server, tripwire)
    _ask(bot, THAW, "seed")
    _ask_drained(bot, tripwire, FREEZE, 5, "f")
    text = str(tripwire.stats())
    assert "  cache audit: 5 of 5 semantic hits re-asked, 5 false" in text
    assert "    false-hit rate 100.0% (95% CI 56.6%-100.0%)" in text
    assert "action: threshold 0.85 -> 0.90" in text
    assert max(len(line) for line in text.splitlines()) <= 80
    assert tripwire.stats().cache.as_dict()["actions"][0]["event"] == (
        "globalapi.quality_tripwire.cache_action"
    )
