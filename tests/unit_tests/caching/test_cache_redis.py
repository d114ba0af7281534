"""RedisStore on a real redis-server: the standard suites, semantic scopes, TTL, fail-open."""

from __future__ import annotations

import logging
import time

import pytest
import redis
from langchain_tests.integration_tests import AsyncCacheTestSuite, SyncCacheTestSuite

from langchain_globalapi import (
    CacheConfigError,
    CachedChatModel,
    ExactCache,
    GlobalAPIEmbeddings,
    RedisStore,
    SemanticCache,
)
from langchain_globalapi.testing import FakeOpenAIServer
from tests.unit_tests.caching._cache_helpers import flash

pytestmark = pytest.mark.redis

QUESTION = "How do I reset my password?"


class TestRedisExactCache(SyncCacheTestSuite):
    @pytest.fixture
    def cache(self, redis_url: str) -> ExactCache:
        return ExactCache(RedisStore(redis_url))


class TestRedisExactCacheAsync(AsyncCacheTestSuite):
    @pytest.fixture
    async def cache(self, redis_url: str) -> ExactCache:
        return ExactCache(RedisStore(redis_url))


def _semantic(server: FakeOpenAIServer, redis_url: str, **kwargs) -> SemanticCache:
    embeddings = GlobalAPIEmbeddings(api_key="k", base_url=server.base_url)
    return SemanticCache(embeddings, RedisStore(redis_url), threshold=0.8, **kwargs)


@pytest.mark.parametrize("url", ["http://localhost:6379", "localhost:6379", "memcached://x"])
def test_bad_redis_url_scheme_fails_at_construction(url: str) -> None:
    with pytest.raises(CacheConfigError, match="unsupported URL scheme"):
        RedisStore(url)


def test_entries_are_shared_between_two_stores(
    fake_server: FakeOpenAIServer, redis_url: str
) -> None:
    CachedChatModel(flash(fake_server), cache=ExactCache(RedisStore(redis_url))).invoke(QUESTION)
    other = CachedChatModel(flash(fake_server), cache=ExactCache(RedisStore(redis_url)))
    assert other.invoke(QUESTION).response_metadata["cache"]["hit"] is True
    assert len(fake_server.requests) == 1


def test_redis_expires_entries_after_ttl(redis_url: str) -> None:
    store = RedisStore(redis_url)
    store.set("a" * 64, b"v", ttl_s=0.05)
    assert store.get("a" * 64) == b"v"
    time.sleep(0.1)
    assert store.get("a" * 64) is None


def test_clear_deletes_only_this_prefix(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    client.set("someone-else:key", b"keep")
    store = RedisStore(redis_url)
    store.set("a" * 64, b"v")
    store.clear()
    assert store.get("a" * 64) is None
    assert client.get("someone-else:key") == b"keep"


def test_semantic_hit_from_vectors_written_by_another_process(
    fake_server: FakeOpenAIServer, redis_url: str
) -> None:
    writer = CachedChatModel(flash(fake_server), cache=_semantic(fake_server, redis_url))
    reader = CachedChatModel(flash(fake_server), cache=_semantic(fake_server, redis_url))
    reader.invoke("What are your opening hours?")  # the reader mirrors the scope first
    writer.invoke(QUESTION)
    hit = reader.invoke("how do i reset my password")
    assert hit.response_metadata["cache"]["kind"] == "semantic"


def test_semantic_mirror_notices_a_cleared_and_rebuilt_scope(
    fake_server: FakeOpenAIServer, redis_url: str
) -> None:
    cache = _semantic(fake_server, redis_url)
    llm = CachedChatModel(flash(fake_server), cache=cache)
    llm.invoke(QUESTION)
    RedisStore(redis_url).clear()  # another process clears
    llm.invoke("What are your opening hours?")
    assert llm.invoke("how do i reset my password").response_metadata["cache"]["hit"] is False


async def test_async_semantic_hit_on_redis(fake_server: FakeOpenAIServer, redis_url: str) -> None:
    llm = CachedChatModel(flash(fake_server), cache=_semantic(fake_server, redis_url))
    await llm.ainvoke(QUESTION)
    hit = await llm.ainvoke("how do i reset my password")
    assert hit.response_metadata["cache"]["kind"] == "semantic"


def test_redis_killed_mid_run_fails_open_and_recovers(
    fake_server: FakeOpenAIServer, redis_server, redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    llm = CachedChatModel(flash(fake_server), cache=_semantic(fake_server, redis_url))
    llm.invoke(QUESTION)
    assert llm.invoke(QUESTION).response_metadata["cache"]["hit"] is True
    redis_server.stop()
    try:
        with caplog.at_level(logging.WARNING, logger="langchain_globalapi.caching"):
            answer = llm.invoke(QUESTION)
            streamed = "".join(chunk.text for chunk in llm.stream(QUESTION))
        assert answer.text
        assert streamed == answer.text
        assert answer.response_metadata["cache"]["hit"] is False
        assert "treating it as a miss" in caplog.text
    finally:
        redis_server.start()
    llm.invoke(QUESTION)  # Redis is empty after the restart: a miss that stores again
    assert llm.invoke(QUESTION).response_metadata["cache"]["hit"] is True


async def test_redis_killed_mid_run_fails_open_async(
    fake_server: FakeOpenAIServer, redis_server, redis_url: str
) -> None:
    llm = CachedChatModel(flash(fake_server), cache=ExactCache(RedisStore(redis_url)))
    await llm.ainvoke(QUESTION)
    redis_server.stop()
    try:
        answer = await llm.ainvoke(QUESTION)
        assert answer.response_metadata["cache"]["hit"] is False
    finally:
        redis_server.start()
