"""ExactCache: keys, isolation, what is (not) cached, fail-open, and LangChain's cache API."""

from __future__ import annotations

import json
import logging
import time
from decimal import Decimal

import pytest
from langchain_core.globals import set_llm_cache
from langchain_core.messages import AIMessage
from langchain_core.outputs import ChatGeneration, Generation

from langchain_globalapi import (
    CacheConfigError,
    ExactCache,
    InMemoryStore,
    SQLiteStore,
    get_globalapi_callback,
)
from langchain_globalapi.caching.base import CACHE_VERSION, exact_key
from langchain_globalapi.testing import FakeOpenAIServer
from tests.unit_tests.caching._cache_helpers import FLASH, flash


def _answer(text: str = "Paris", finish_reason: str = "stop") -> list[Generation]:
    message = AIMessage(
        content=text,
        usage_metadata={"input_tokens": 1000, "output_tokens": 100, "total_tokens": 1100},
        response_metadata={"model_name": FLASH, "finish_reason": finish_reason},
    )
    return [ChatGeneration(message=message)]


def test_hit_returns_the_stored_message_stamped_as_an_exact_hit() -> None:
    cache = ExactCache()
    cache.update("capital of France?", "llm", _answer())
    [generation] = cache.lookup("capital of France?", "llm") or []
    assert isinstance(generation, ChatGeneration)
    assert generation.text == "Paris"
    assert generation.message.response_metadata["cache"] == {
        "hit": True,
        "kind": "exact",
        "similarity": None,
        "saved_usd": "0.00038",
    }


def test_namespaces_never_answer_each_other() -> None:
    store = InMemoryStore()
    ExactCache(store, namespace="tenant-a").update("q", "llm", _answer())
    assert ExactCache(store, namespace="tenant-b").lookup("q", "llm") is None
    assert ExactCache(store, namespace="tenant-a").lookup("q", "llm") is not None


def test_key_changes_with_every_part() -> None:
    base = exact_key("ns", "llm", "prompt")
    assert (
        len(
            {
                base,
                exact_key("ns2", "llm", "prompt"),
                exact_key("ns", "llm2", "prompt"),
                exact_key("ns", "llm", "prompt2"),
                exact_key("nsl", "lm", "prompt"),
            }
        )
        == 5
    )


def test_truncated_answers_are_not_stored() -> None:
    cache = ExactCache()
    cache.update("q", "llm", _answer(finish_reason="length"))
    assert cache.lookup("q", "llm") is None


def test_sampled_calls_are_not_cached_unless_allowed() -> None:
    sampled = "[('model', 'x'), ('temperature', 0.7)]"
    cache = ExactCache()
    cache.update("q", sampled, _answer())
    assert cache.lookup("q", sampled) is None
    allowing = ExactCache(cache_sampled=True)
    allowing.update("q", sampled, _answer())
    assert allowing.lookup("q", sampled) is not None


def test_zero_temperature_is_cached() -> None:
    greedy = '{"temperature": 0.0}'
    cache = ExactCache()
    cache.update("q", greedy, _answer())
    assert cache.lookup("q", greedy) is not None


def test_entries_expire_after_ttl() -> None:
    cache = ExactCache(ttl_s=0.05)
    cache.update("q", "llm", _answer())
    assert cache.lookup("q", "llm") is not None
    time.sleep(0.08)
    assert cache.lookup("q", "llm") is None


def test_memory_store_evicts_least_recently_used() -> None:
    cache = ExactCache(InMemoryStore(max_entries=2))
    cache.update("a", "llm", _answer("A"))
    cache.update("b", "llm", _answer("B"))
    assert cache.lookup("a", "llm") is not None  # "a" becomes the most recently used
    cache.update("c", "llm", _answer("C"))
    assert cache.lookup("b", "llm") is None
    assert cache.lookup("a", "llm") is not None


def test_clear_forgets_everything() -> None:
    cache = ExactCache()
    cache.update("q", "llm", _answer())
    cache.clear()
    assert cache.lookup("q", "llm") is None


def test_stats_count_hits_misses_tokens_and_dollars() -> None:
    cache = ExactCache()
    assert cache.lookup("q", "llm") is None
    cache.update("q", "llm", _answer())
    cache.lookup("q", "llm")
    cache.lookup("q", "llm")
    stats = cache.stats
    assert (stats.hits, stats.misses, stats.tokens_saved) == (2, 1, 2200)
    assert stats.hit_rate == pytest.approx(2 / 3)
    assert stats.saved_usd == Decimal("0.00076")


def test_corrupted_entry_is_a_logged_miss(caplog: pytest.LogCaptureFixture) -> None:
    store = InMemoryStore()
    cache = ExactCache(store)
    store.set(exact_key("", "llm", "q"), b"\x00not json")
    with caplog.at_level(logging.WARNING, logger="langchain_globalapi.caching"):
        assert cache.lookup("q", "llm") is None
    assert "unreadable cache entry" in caplog.text
    assert cache.stats.errors == 1


def test_foreign_entry_is_a_logged_miss(caplog: pytest.LogCaptureFixture) -> None:
    store = InMemoryStore()
    store.set(exact_key("", "llm", "q"), b'{"v": "someone-else", "generations": "[]"}')
    with caplog.at_level(logging.WARNING, logger="langchain_globalapi.caching"):
        assert ExactCache(store).lookup("q", "llm") is None
    assert "not an entry of this cache version" in caplog.text


def test_entry_reviving_non_core_objects_is_refused(caplog: pytest.LogCaptureFixture) -> None:
    store = InMemoryStore()
    key = exact_key("", "llm", "q")
    evil = json.dumps({
        "v": CACHE_VERSION,
        "key": key,
        "generations": '[{"lc": 1, "type": "constructor", "id": ["os", "system"], "kwargs": {}}]',
    })  # fmt: skip
    store.set(key, evil.encode())
    with caplog.at_level(logging.WARNING, logger="langchain_globalapi.caching"):
        assert ExactCache(store).lookup("q", "llm") is None
    assert "unreadable cache entry" in caplog.text


def test_non_positive_ttl_fails_at_construction() -> None:
    with pytest.raises(CacheConfigError, match="ttl_s"):
        ExactCache(ttl_s=0)


def test_sqlite_path_in_missing_directory_fails_at_construction(tmp_path) -> None:
    with pytest.raises(CacheConfigError, match="does not exist"):
        SQLiteStore(tmp_path / "missing" / "cache.db")


def test_sqlite_path_that_is_not_a_database_fails_at_construction(tmp_path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("this is not sqlite " * 100)
    with pytest.raises(CacheConfigError, match="cannot use"):
        SQLiteStore(path)


def test_sqlite_entries_survive_a_new_store_on_the_same_file(tmp_path) -> None:
    ExactCache(SQLiteStore(tmp_path / "c.db")).update("q", "llm", _answer())
    [generation] = ExactCache(SQLiteStore(tmp_path / "c.db")).lookup("q", "llm") or []
    assert generation.text == "Paris"


def test_chat_globalapi_cache_argument_serves_repeats(fake_server: FakeOpenAIServer) -> None:
    cache = ExactCache()
    llm = flash(fake_server, cache=cache)
    first = llm.invoke("What is the capital of France?")
    second = llm.invoke("What is the capital of France?")
    assert second.text == first.text
    assert len(fake_server.requests) == 1
    assert second.response_metadata["cache"]["hit"] is True


def test_set_llm_cache_serves_repeats(fake_server: FakeOpenAIServer) -> None:
    set_llm_cache(ExactCache())
    try:
        llm = flash(fake_server)
        llm.invoke("Hello")
        assert llm.invoke("Hello").response_metadata["cache"]["hit"] is True
    finally:
        set_llm_cache(None)
    assert len(fake_server.requests) == 1


def test_cost_tracker_bills_a_langchain_path_hit_at_zero(fake_server: FakeOpenAIServer) -> None:
    llm = flash(fake_server, cache=ExactCache())
    with get_globalapi_callback() as cb:
        llm.invoke("Hello")
        llm.invoke("Hello")
    assert (cb.calls, cb.cache_hits) == (2, 1)
    assert cb.saved_by_cache_usd > 0
    assert cb.total_cost_usd == cb.saved_by_cache_usd  # paid once, saved once
