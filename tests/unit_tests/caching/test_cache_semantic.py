"""SemanticCache: last-question embedding, scopes, the guard, thresholds and fail-open."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from langchain_core.embeddings import Embeddings
from langchain_core.load import dumps
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from langchain_core.outputs import ChatGeneration

from langchain_globalapi import (
    CacheConfigError,
    CachedChatModel,
    GlobalAPIEmbeddings,
    InMemoryStore,
    LexicalGuard,
    SemanticCache,
    SQLiteStore,
    get_globalapi_callback,
)
from langchain_globalapi.testing import FakeOpenAIServer
from tests.unit_tests.caching._cache_helpers import FLASH, flash

RESET = "How do I reset my password?"
RESET_REWORDED = "how do i reset my password"


def _cache(server: FakeOpenAIServer, **kwargs) -> SemanticCache:
    kwargs.setdefault("threshold", 0.8)
    return SemanticCache(GlobalAPIEmbeddings(api_key="k", base_url=server.base_url), **kwargs)


def _wrapped(server: FakeOpenAIServer, **kwargs) -> CachedChatModel:
    return CachedChatModel(flash(server), cache=_cache(server, **kwargs))


class BrokenEmbeddings(Embeddings):
    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        raise ConnectionError("embeddings endpoint down")

    def embed_query(self, text: str) -> list[float]:
        raise ConnectionError("embeddings endpoint down")


def test_reworded_question_is_a_semantic_hit_with_its_similarity(
    fake_server: FakeOpenAIServer,
) -> None:
    llm = _wrapped(fake_server)
    first = llm.invoke(RESET)
    hit = llm.invoke(RESET_REWORDED)
    cache = hit.response_metadata["cache"]
    assert (cache["hit"], cache["kind"]) == (True, "semantic")
    assert 0.8 <= cache["similarity"] <= 1.0
    assert hit.text == first.text
    assert len([r for r in fake_server.requests if r.path.endswith("/chat/completions")]) == 1


def test_identical_question_is_an_exact_hit_and_not_embedded(
    fake_server: FakeOpenAIServer,
) -> None:
    llm = _wrapped(fake_server)
    llm.invoke(RESET)
    embeddings_before = len([r for r in fake_server.requests if r.path.endswith("/embeddings")])
    assert llm.invoke(RESET).response_metadata["cache"]["kind"] == "exact"
    embeddings_after = len([r for r in fake_server.requests if r.path.endswith("/embeddings")])
    assert embeddings_after == embeddings_before


def test_only_the_last_user_message_is_embedded(fake_server: FakeOpenAIServer) -> None:
    llm = _wrapped(fake_server)
    llm.invoke([SystemMessage("You are a support bot. " * 20), HumanMessage(RESET)])
    embedded = [r.json["input"] for r in fake_server.requests if r.path.endswith("/embeddings")]
    assert embedded == [RESET] or embedded == [[RESET]]


def test_unrelated_question_behind_the_same_system_prompt_misses(
    fake_server: FakeOpenAIServer,
) -> None:
    llm = _wrapped(fake_server)
    system = SystemMessage("You are the support assistant of ACME Corp. " * 10)
    llm.invoke([system, HumanMessage(RESET)])
    other = llm.invoke([system, HumanMessage("What are your opening hours?")])
    assert other.response_metadata["cache"]["hit"] is False


def test_different_system_prompt_is_another_scope(fake_server: FakeOpenAIServer) -> None:
    llm = _wrapped(fake_server)
    llm.invoke([SystemMessage("Answer in French."), HumanMessage(RESET)])
    other = llm.invoke([SystemMessage("Answer in German."), HumanMessage(RESET_REWORDED)])
    assert other.response_metadata["cache"]["hit"] is False


def test_different_earlier_turns_are_another_scope(fake_server: FakeOpenAIServer) -> None:
    llm = _wrapped(fake_server)
    llm.invoke([HumanMessage("I use the mobile app."), AIMessage("OK."), HumanMessage(RESET)])
    other = llm.invoke(
        [HumanMessage("I use the website."), AIMessage("OK."), HumanMessage(RESET_REWORDED)]
    )
    assert other.response_metadata["cache"]["hit"] is False


def test_different_model_is_another_scope(fake_server: FakeOpenAIServer) -> None:
    cache = _cache(fake_server)
    CachedChatModel(flash(fake_server), cache=cache).invoke(RESET)
    pro = CachedChatModel(flash(fake_server, model="deepseek-ai/DeepSeek-V4-Pro"), cache=cache)
    assert pro.invoke(RESET_REWORDED).response_metadata["cache"]["hit"] is False


def test_guard_refuses_a_negated_question(fake_server: FakeOpenAIServer) -> None:
    llm = _wrapped(fake_server, threshold=0.5)
    llm.invoke("Is it safe to eat raw eggs?")
    assert llm.invoke("Is it not safe to eat raw eggs?").response_metadata["cache"]["hit"] is False


def test_guard_refuses_a_different_number(fake_server: FakeOpenAIServer) -> None:
    llm = _wrapped(fake_server, threshold=0.5)
    llm.invoke("Convert 5 km to miles")
    assert llm.invoke("Convert 50 km to miles").response_metadata["cache"]["hit"] is False


def test_without_the_guard_the_negation_would_hit(fake_server: FakeOpenAIServer) -> None:
    unguarded = LexicalGuard(numbers=False, negations=False, quoted=False, names=False)
    llm = _wrapped(fake_server, threshold=0.5, guard=unguarded)
    llm.invoke("Is it safe to eat raw eggs?")
    assert llm.invoke("Is it not safe to eat raw eggs?").response_metadata["cache"]["hit"] is True


def test_threshold_one_only_serves_exact_repeats(fake_server: FakeOpenAIServer) -> None:
    llm = _wrapped(fake_server, threshold=1.0)
    llm.invoke(RESET)
    assert llm.invoke("how can i reset the password").response_metadata["cache"]["hit"] is False


@pytest.mark.parametrize("threshold", [-0.1, 1.5])
def test_threshold_outside_unit_interval_fails_at_construction(threshold: float) -> None:
    with pytest.raises(CacheConfigError, match="in \\[0, 1\\]"):
        SemanticCache(BrokenEmbeddings(), threshold=threshold)


def test_embeddings_outage_is_a_logged_miss_not_a_failed_call(
    fake_server: FakeOpenAIServer, caplog: pytest.LogCaptureFixture
) -> None:
    llm = CachedChatModel(flash(fake_server), cache=SemanticCache(BrokenEmbeddings()))
    with caplog.at_level(logging.WARNING, logger="langchain_globalapi.caching"):
        first = llm.invoke(RESET)
        second = llm.invoke(RESET)
    assert first.text
    assert second.response_metadata["cache"]["kind"] == "exact"  # the exact tier still works
    assert "embedding failed" in caplog.text


def test_langchain_base_cache_path_is_semantic_too(fake_server: FakeOpenAIServer) -> None:
    cache = _cache(fake_server)
    llm = flash(fake_server, cache=cache)
    llm.invoke(RESET)
    assert llm.invoke(RESET_REWORDED).response_metadata["cache"]["kind"] == "semantic"


def test_plain_text_prompts_use_only_the_exact_tier(fake_server: FakeOpenAIServer) -> None:
    cache = _cache(fake_server)
    cache.update("plain prompt", "llm", [ChatGeneration(message=AIMessage("x"))])
    assert cache.lookup("plain prompt!", "llm") is None
    assert cache.lookup("plain prompt", "llm") is not None


def test_conversation_ending_in_a_tool_result_is_not_semantic(
    fake_server: FakeOpenAIServer,
) -> None:
    cache = _cache(fake_server)
    assert cache._question(dumps([HumanMessage("hi"), AIMessage("x")]), "llm", None) is None


def test_semantic_hit_is_priced_at_zero_with_its_saving(fake_server: FakeOpenAIServer) -> None:
    llm = _wrapped(fake_server)
    with get_globalapi_callback() as cb:
        llm.invoke(RESET)
        llm.invoke(RESET_REWORDED)
    assert (cb.calls, cb.cache_hits) == (2, 1)
    assert cb.saved_by_cache_usd == cb.total_cost_usd
    assert cb.per_model[FLASH].cache_hits == 1


def test_stats_split_exact_and_semantic_hits(fake_server: FakeOpenAIServer) -> None:
    llm = _wrapped(fake_server)
    llm.invoke(RESET)
    llm.invoke(RESET)
    llm.invoke(RESET_REWORDED)
    stats = llm.response_cache.stats
    assert (stats.misses, stats.exact_hits, stats.semantic_hits) == (1, 1, 1)


async def test_async_semantic_hit(fake_server: FakeOpenAIServer) -> None:
    llm = _wrapped(fake_server)
    await llm.ainvoke(RESET)
    hit = await llm.ainvoke(RESET_REWORDED)
    assert hit.response_metadata["cache"]["kind"] == "semantic"


def test_semantic_stream_hit_replays_chunks(fake_server: FakeOpenAIServer) -> None:
    llm = _wrapped(fake_server)
    first = llm.invoke(RESET)
    chunks = list(llm.stream(RESET_REWORDED))
    assert "".join(chunk.text for chunk in chunks) == first.text
    assert chunks[-1].response_metadata["cache"]["kind"] == "semantic"


def test_sqlite_semantic_entries_are_found_by_another_store_on_the_file(
    fake_server: FakeOpenAIServer, tmp_path: Path
) -> None:
    path = tmp_path / "semantic.db"
    CachedChatModel(flash(fake_server), cache=_cache(fake_server, store=SQLiteStore(path))).invoke(
        RESET
    )
    other = CachedChatModel(flash(fake_server), cache=_cache(fake_server, store=SQLiteStore(path)))
    assert other.invoke(RESET_REWORDED).response_metadata["cache"]["kind"] == "semantic"


def test_sqlite_clear_by_one_process_is_seen_by_another_mirror(
    fake_server: FakeOpenAIServer, tmp_path: Path
) -> None:
    path = tmp_path / "semantic.db"
    writer = CachedChatModel(flash(fake_server), cache=_cache(fake_server, store=SQLiteStore(path)))
    reader = CachedChatModel(flash(fake_server), cache=_cache(fake_server, store=SQLiteStore(path)))
    writer.invoke(RESET)
    assert reader.invoke(RESET_REWORDED).response_metadata["cache"]["hit"] is True
    writer.response_cache.clear()
    assert reader.invoke(RESET_REWORDED + "?").response_metadata["cache"]["hit"] is False


def test_memory_store_evicting_an_entry_drops_its_vector(fake_server: FakeOpenAIServer) -> None:
    llm = _wrapped(fake_server, store=InMemoryStore(max_entries=1))
    llm.invoke(RESET)
    llm.invoke("What are your opening hours?")
    assert llm.invoke(RESET_REWORDED).response_metadata["cache"]["hit"] is False
