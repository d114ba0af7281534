"""SemanticCache's levers: a threshold raised safely under concurrency, scopes switched off."""

from __future__ import annotations

import threading

import pytest
from langchain_core.embeddings import DeterministicFakeEmbedding
from langchain_core.messages import HumanMessage, SystemMessage

from langchain_globalapi import (
    CacheConfigError,
    CachedChatModel,
    GlobalAPIEmbeddings,
    SemanticCache,
)
from langchain_globalapi.testing import FakeOpenAIServer
from tests.unit_tests.caching._cache_helpers import flash

RESET = "How do I reset my password?"
RESET_REWORDED = "how do i reset my password"
SUPPORT = SystemMessage("You are a support bot.")
BILLING = SystemMessage("You answer billing questions.")


def _bot(server: FakeOpenAIServer) -> CachedChatModel:
    embeddings = GlobalAPIEmbeddings(api_key="k", base_url=server.base_url)
    return CachedChatModel(flash(server), cache=SemanticCache(embeddings, threshold=0.8))


def _scope_of(bot: CachedChatModel, system: SystemMessage) -> str:
    bot.invoke([system, HumanMessage(RESET)])
    hit = bot.response_cache.find(
        *bot._key([system, HumanMessage(RESET_REWORDED)], None, {}, None),
        messages=[system, HumanMessage(RESET_REWORDED)],
    )
    assert hit is not None
    assert hit.scope is not None
    return hit.scope


def test_concurrent_raises_each_count_and_stop_at_the_cap() -> None:
    cache = SemanticCache(DeterministicFakeEmbedding(size=8), threshold=0.5)
    start = threading.Barrier(8)

    def raise_once() -> None:
        start.wait()
        for _ in range(10):
            cache.raise_threshold(0.001, cap=0.9)

    threads = [threading.Thread(target=raise_once) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert cache.threshold == pytest.approx(0.58)  # 80 raises of 0.001, none lost
    assert cache.raise_threshold(0.5, cap=0.9) == 0.9
    assert cache.raise_threshold(0.05, cap=0.7) == 0.9  # a lower cap never lowers it


@pytest.mark.parametrize(
    ("step", "cap", "named"),
    [(float("nan"), 0.95, "step"), (-0.1, 0.95, "step"), (0.05, 1.5, "cap"), (0.05, True, "cap")],
)
def test_bad_raise_arguments_are_refused(step: object, cap: object, named: str) -> None:
    cache = SemanticCache(DeterministicFakeEmbedding(size=8))
    with pytest.raises(CacheConfigError, match=named):
        cache.raise_threshold(step, cap=cap)  # type: ignore[arg-type]
    assert cache.threshold == 0.85


@pytest.mark.parametrize("value", [float("nan"), -0.1, 1.01, "0.9"])
def test_assigning_a_bad_threshold_is_refused(value: object) -> None:
    cache = SemanticCache(DeterministicFakeEmbedding(size=8))
    with pytest.raises(CacheConfigError, match="threshold"):
        cache.threshold = value  # type: ignore[assignment]
    assert cache.threshold == 0.85


def test_a_disabled_scope_serves_exact_hits_but_no_semantic_ones(
    fake_server: FakeOpenAIServer,
) -> None:
    bot = _bot(fake_server)
    scope = _scope_of(bot, SUPPORT)
    assert bot.response_cache.disable_scope(scope)  # type: ignore[attr-defined]
    assert not bot.response_cache.disable_scope(scope)  # type: ignore[attr-defined]
    exact = bot.invoke([SUPPORT, HumanMessage(RESET)])
    reworded = bot.invoke([SUPPORT, HumanMessage(RESET_REWORDED)])
    assert exact.response_metadata["cache"]["kind"] == "exact"
    assert reworded.response_metadata["cache"]["hit"] is False


def test_disabling_one_scope_leaves_the_others_alone(fake_server: FakeOpenAIServer) -> None:
    bot = _bot(fake_server)
    bot.response_cache.disable_scope(_scope_of(bot, SUPPORT))  # type: ignore[attr-defined]
    bot.invoke([BILLING, HumanMessage(RESET)])
    hit = bot.invoke([BILLING, HumanMessage(RESET_REWORDED)])
    assert hit.response_metadata["cache"]["kind"] == "semantic"


def test_an_enabled_scope_serves_semantic_hits_again(fake_server: FakeOpenAIServer) -> None:
    bot = _bot(fake_server)
    cache = bot.response_cache
    assert isinstance(cache, SemanticCache)
    scope = _scope_of(bot, SUPPORT)
    cache.disable_scope(scope)
    assert cache.enable_scope(scope)
    assert not cache.enable_scope(scope)
    assert cache.disabled_scopes == frozenset()
    hit = bot.invoke([SUPPORT, HumanMessage(RESET_REWORDED)])
    assert hit.response_metadata["cache"]["kind"] == "semantic"


def test_a_semantic_hit_names_its_scope_and_the_cached_question(
    fake_server: FakeOpenAIServer,
) -> None:
    bot = _bot(fake_server)
    bot.invoke([SUPPORT, HumanMessage(RESET)])
    messages = [SUPPORT, HumanMessage(RESET_REWORDED)]
    hit = bot.response_cache.find(*bot._key(messages, None, {}, None), messages=messages)
    assert hit is not None
    assert (hit.kind, hit.cached_question) == ("semantic", RESET)
    assert hit.scope is not None
    assert len(hit.scope) == 64
