"""Caches under faults: unsound entries, tampering, isolation, odd vectors, broken stores.

The rule everywhere: the user's call succeeds with a correct answer, the fault is a miss
reported once per kind (a `CacheWarning` and a WARNING log line), and the cache works
again as soon as the fault is gone. Stores are real: SQLite files and a redis-server.
"""

from __future__ import annotations

import json
import logging
import shutil
import sqlite3
import subprocess
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import redis
from langchain_core.load import dumps
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from langchain_core.outputs import ChatGeneration, Generation

from langchain_globalapi import (
    CachedChatModel,
    ExactCache,
    GlobalAPIEmbeddings,
    InMemoryStore,
    RedisStore,
    SemanticCache,
    SQLiteStore,
)
from langchain_globalapi.caching._faults import CacheWarning
from langchain_globalapi.caching.base import CacheStore
from langchain_globalapi.testing import FakeOpenAIServer
from tests.unit_tests.caching._cache_helpers import flash

QUESTION = "How do I reset my password?"
FRESH = f"[deepseek-ai/DeepSeek-V4-Flash] {QUESTION}"


def _only_key(store: InMemoryStore) -> str:
    [key] = list(store._entries)
    return key


def _rewrite(store: InMemoryStore, key: str, change: Callable[[dict[str, Any]], None]) -> None:
    data = json.loads(store.get(key) or b"{}")
    change(data)
    store.set(key, json.dumps(data).encode())


def _generations(*generations: Any) -> Callable[[dict[str, Any]], None]:
    return lambda data: data.update(generations=dumps(list(generations)))


def _bad_usage(data: dict[str, Any]) -> None:
    data["generations"] = data["generations"].replace('"input_tokens": ', '"input_tokens": -')


BAD_ENTRIES: dict[str, Callable[[dict[str, Any]], None]] = {
    "usd_not_a_number": lambda data: data.update(usd="abc"),
    "usd_infinite": lambda data: data.update(usd="Infinity"),
    "plain_generation": _generations(Generation(text="someone else's answer")),
    "empty_generations": _generations(),
    "human_message": _generations(ChatGeneration(message=HumanMessage("injected"))),
    "system_message": _generations(ChatGeneration(message=SystemMessage("injected"))),
    "negative_usage": _bad_usage,
    "tokens_not_a_count": lambda data: data.update(tokens="many"),
    "created_at_nan": lambda data: data.update(created_at="NaN"),
    "question_not_text": lambda data: data.update(question=["x"]),
    "generations_not_text": lambda data: data.update(generations=5),
}

CALLS: dict[str, Callable[[Any], str]] = {
    "invoke": lambda llm: llm.invoke(QUESTION).text,
    "stream": lambda llm: "".join(chunk.text for chunk in llm.stream(QUESTION)),
}


def _wrapped_or_core(server: FakeOpenAIServer, cache: ExactCache, how: str) -> Any:
    if how == "langchain_cache":  # ChatGlobalAPI(cache=...): LangChain's own cache path
        return flash(server, cache=cache)
    return CachedChatModel(flash(server), cache=cache)


@pytest.mark.parametrize("how", ["wrapper", "langchain_cache"])
@pytest.mark.parametrize("bad", sorted(BAD_ENTRIES))
def test_unsound_entry_is_a_miss_and_is_overwritten_by_the_next_answer(
    fake_server: FakeOpenAIServer, bad: str, how: str
) -> None:
    store = InMemoryStore()
    cache = ExactCache(store)
    llm = _wrapped_or_core(fake_server, cache, how)
    llm.invoke(QUESTION)
    _rewrite(store, _only_key(store), BAD_ENTRIES[bad])
    with pytest.warns(CacheWarning, match="treating it as a miss"):
        answer = llm.invoke(QUESTION)
    assert answer.text == FRESH
    assert isinstance(answer, AIMessage)
    assert len(fake_server.requests) == 2
    assert cache.stats.errors == 1
    # The fresh answer replaced the bad entry: the next call is a plain hit.
    assert llm.invoke(QUESTION).text == FRESH
    assert len(fake_server.requests) == 2


@pytest.mark.parametrize("call", sorted(CALLS))
def test_unsound_entry_never_reaches_a_stream_or_an_invoke(
    fake_server: FakeOpenAIServer, call: str
) -> None:
    store = InMemoryStore()
    llm = CachedChatModel(flash(fake_server), cache=ExactCache(store))
    llm.invoke(QUESTION)
    _rewrite(store, _only_key(store), BAD_ENTRIES["human_message"])
    with pytest.warns(CacheWarning):
        assert CALLS[call](llm) == FRESH


def test_each_kind_of_unsound_entry_warns_once(
    fake_server: FakeOpenAIServer, caplog: pytest.LogCaptureFixture
) -> None:
    store = InMemoryStore()
    cache = ExactCache(store)
    key = "k" * 64
    store.set(key, b"{}")
    with warnings.catch_warnings(record=True) as seen, caplog.at_level(logging.WARNING):
        warnings.simplefilter("always")
        for _ in range(3):
            cache._decode(store.get(key), key)
        store.set(key, b"\xff not json")
        for _ in range(3):
            cache._decode(store.get(key), key)
    assert len(seen) == 2
    assert "not an entry of this cache version" in str(seen[0].message)
    assert "unreadable cache entry" in str(seen[1].message)
    assert len(caplog.records) == 2
    assert cache.stats.errors == 6


def test_entry_copied_under_another_key_is_never_served(fake_server: FakeOpenAIServer) -> None:
    store = InMemoryStore()
    llm = CachedChatModel(flash(fake_server), cache=ExactCache(store))
    llm.invoke("What is the admin password?")
    secret_key = _only_key(store)
    llm.invoke(QUESTION)
    other_key = next(key for key in store._entries if key != secret_key)
    # Valid JSON with someone else's prompt and answer, put under this prompt's key.
    store.set(other_key, store.get(secret_key) or b"")
    with pytest.warns(CacheWarning, match="written under another key"):
        answer = llm.invoke(QUESTION)
    assert answer.text == FRESH
    assert answer.response_metadata["cache"]["hit"] is False


def _sqlite_pair(tmp_path: Path) -> tuple[CacheStore, CacheStore]:
    return SQLiteStore(tmp_path / "shared.db"), SQLiteStore(tmp_path / "shared.db")


@pytest.mark.parametrize("kind", ["namespace", "model", "base_url"])
def test_entries_of_another_tenant_or_model_on_a_shared_file_are_never_served(
    fake_server: FakeOpenAIServer, tmp_path: Path, kind: str
) -> None:
    mine, theirs = _sqlite_pair(tmp_path)
    writer = CachedChatModel(flash(fake_server), cache=ExactCache(theirs, namespace="a"))
    writer.invoke(QUESTION)
    if kind == "namespace":
        reader = CachedChatModel(flash(fake_server), cache=ExactCache(mine, namespace="b"))
    elif kind == "model":
        reader = CachedChatModel(
            flash(fake_server, model="deepseek-ai/DeepSeek-V4-Pro"),
            cache=ExactCache(mine, namespace="a"),
        )
    else:
        other = flash(fake_server)
        other.openai_api_base = fake_server.base_url.replace("127.0.0.1", "localhost")
        reader = CachedChatModel(other, cache=ExactCache(mine, namespace="a"))
    assert reader.invoke(QUESTION).response_metadata["cache"]["hit"] is False
    assert len(fake_server.requests) == 2


# --- semantic scopes with a vector of the wrong size -----------------------------------------


def _semantic(server: FakeOpenAIServer, store: CacheStore) -> CachedChatModel:
    embeddings = GlobalAPIEmbeddings(api_key="k", base_url=server.base_url)
    return CachedChatModel(flash(server), cache=SemanticCache(embeddings, store, threshold=0.8))


def _odd_vectors_into_memory(store: InMemoryStore) -> None:
    for scope, _ in list(store._scopes):
        store.add_vector(scope, "b" * 64, np.ones(3, dtype=np.float32))


def test_wrong_size_vector_does_not_break_a_memory_scope(fake_server: FakeOpenAIServer) -> None:
    store = InMemoryStore()
    llm = _semantic(fake_server, store)
    llm.invoke(QUESTION)
    with pytest.warns(CacheWarning, match="dimensions"):
        _odd_vectors_into_memory(store)
    hit = llm.invoke("how do i reset my password")
    assert hit.response_metadata["cache"]["kind"] == "semantic"
    assert hit.text == FRESH


def test_wrong_size_vector_filed_first_does_not_block_a_memory_scope(
    fake_server: FakeOpenAIServer,
) -> None:
    store = InMemoryStore()
    llm = _semantic(fake_server, store)
    llm.invoke("What are your opening hours?")  # creates the scope (no system prompt)
    _odd_vectors_into_memory(store)
    llm.invoke(QUESTION)
    hit = llm.invoke("how do i reset my password")
    assert hit.response_metadata["cache"]["kind"] == "semantic"


def test_wrong_size_vector_in_a_sqlite_scope_is_skipped(
    fake_server: FakeOpenAIServer, tmp_path: Path
) -> None:
    _semantic(fake_server, SQLiteStore(tmp_path / "c.db")).invoke(QUESTION)
    with sqlite3.connect(tmp_path / "c.db") as conn:
        for (scope,) in conn.execute("SELECT DISTINCT scope FROM vectors").fetchall():
            for blob in (np.ones(3, dtype="<f4").tobytes(), b"\x00\x01\x02"):
                conn.execute(
                    "INSERT INTO vectors (scope, key, vector) VALUES (?, ?, ?)",
                    (scope, "b" * 64, blob),
                )
    reader = _semantic(fake_server, SQLiteStore(tmp_path / "c.db"))
    with pytest.warns(CacheWarning, match="skipped 2 vector"):
        hit = reader.invoke("how do i reset my password")
    assert hit.response_metadata["cache"]["kind"] == "semantic"
    # The scope keeps working, not only once.
    assert reader.invoke("how do i reset my password").response_metadata["cache"]["hit"]


@pytest.mark.redis
def test_wrong_size_vector_in_a_redis_scope_is_skipped(
    fake_server: FakeOpenAIServer, redis_url: str
) -> None:
    _semantic(fake_server, RedisStore(redis_url)).invoke(QUESTION)
    client = redis.Redis.from_url(redis_url)
    lists = list(client.scan_iter(match="globalapi:cache:v:*"))
    assert lists
    for name in lists:
        client.rpush(name, b"b" * 64 + np.ones(3, dtype="<f4").tobytes(), b"short")
    reader = _semantic(fake_server, RedisStore(redis_url))
    with pytest.warns(CacheWarning, match="skipped 2 vector"):
        hit = reader.invoke("how do i reset my password")
    assert hit.response_metadata["cache"]["kind"] == "semantic"
    assert reader.invoke("how do i reset my password").response_metadata["cache"]["hit"]


# --- SQLite files that are locked, read-only or corrupted ------------------------------------


@pytest.fixture
def locked_sqlite(tmp_path: Path) -> Iterator[Path]:
    """A cache file on which another connection holds an exclusive write transaction."""
    path = tmp_path / "locked.db"
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("PRAGMA journal_mode = WAL")
    other.execute("CREATE TABLE other (a)")
    other.execute("BEGIN EXCLUSIVE")
    other.execute("INSERT INTO other VALUES (1)")
    yield path
    other.execute("COMMIT")
    other.close()


def test_sqlite_locked_by_another_connection_fails_open_and_recovers(
    fake_server: FakeOpenAIServer, locked_sqlite: Path
) -> None:
    with pytest.warns(CacheWarning, match="database is locked"):
        store = SQLiteStore(locked_sqlite, busy_timeout_s=0.05)
    llm = CachedChatModel(flash(fake_server), cache=ExactCache(store))
    with pytest.warns(CacheWarning, match="database is locked"):
        assert llm.invoke(QUESTION).text == FRESH
    assert llm.invoke(QUESTION).response_metadata["cache"]["hit"] is False


def test_sqlite_lock_released_lets_the_cache_resume(
    fake_server: FakeOpenAIServer, tmp_path: Path
) -> None:
    path = tmp_path / "c.db"
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("PRAGMA journal_mode = WAL")
    other.execute("BEGIN EXCLUSIVE")
    other.execute("CREATE TABLE other (a)")
    with pytest.warns(CacheWarning, match="database is locked"):
        store = SQLiteStore(path, busy_timeout_s=0.05)
    llm = CachedChatModel(flash(fake_server), cache=ExactCache(store))
    with pytest.warns(CacheWarning, match="database is locked"):
        assert llm.invoke(QUESTION).text == FRESH
    other.execute("COMMIT")
    other.close()
    llm.invoke(QUESTION)  # stores now
    assert llm.invoke(QUESTION).response_metadata["cache"]["hit"] is True


def _make_immutable(path: Path) -> Callable[[], None]:
    """A real read-only file even for root (chattr +i), or a skip where that is impossible."""
    if shutil.which("chattr") is None:
        pytest.skip("chattr is not available to make a file read-only for root")
    done = subprocess.run(["chattr", "+i", str(path)], capture_output=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot make {path} immutable here: {done.stderr.decode().strip()}")
    return lambda: subprocess.run(["chattr", "-i", str(path)], check=False)


def test_read_only_sqlite_file_serves_hits_and_fails_writes_open(
    fake_server: FakeOpenAIServer, tmp_path: Path
) -> None:
    path = tmp_path / "ro.db"
    writer = SQLiteStore(path)
    CachedChatModel(flash(fake_server), cache=ExactCache(writer)).invoke(QUESTION)
    writer.close()
    undo = _make_immutable(path)
    try:
        llm = CachedChatModel(flash(fake_server), cache=ExactCache(SQLiteStore(path)))
        assert llm.invoke(QUESTION).response_metadata["cache"]["hit"] is True
        with pytest.warns(CacheWarning, match="readonly"):
            answer = llm.invoke("What are your opening hours?")
        assert answer.text.endswith("What are your opening hours?")
    finally:
        undo()


def test_sqlite_file_corrupted_mid_run_never_crashes_or_answers_wrongly(
    fake_server: FakeOpenAIServer, tmp_path: Path
) -> None:
    path = tmp_path / "c.db"
    store = SQLiteStore(path)
    llm = CachedChatModel(flash(fake_server), cache=ExactCache(store))
    llm.invoke("What are your opening hours?")
    for name in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        if name.exists():
            name.write_bytes(np.random.default_rng(0).bytes(name.stat().st_size or 4096))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CacheWarning)
        answers = [llm.invoke(QUESTION).text, llm.invoke("What are your opening hours?").text]
    assert answers == [FRESH, "[deepseek-ai/DeepSeek-V4-Flash] What are your opening hours?"]


# --- Redis killed mid-run --------------------------------------------------------------------


@pytest.mark.redis
def test_redis_killed_mid_run_warns_once_then_resumes_after_restart(
    fake_server: FakeOpenAIServer, redis_server: Any, redis_url: str
) -> None:
    cache = ExactCache(RedisStore(redis_url, socket_timeout_s=0.2))
    llm = CachedChatModel(flash(fake_server), cache=cache)
    llm.invoke(QUESTION)
    redis_server.stop()
    try:
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            answers = [llm.invoke(QUESTION).text for _ in range(3)]
        assert answers == [FRESH] * 3
        lookups = [w for w in seen if "lookup failed" in str(w.message)]
        assert len(lookups) == 1
        assert all(issubclass(w.category, CacheWarning) for w in seen)
    finally:
        redis_server.start()
    llm.invoke(QUESTION)  # the restarted server is empty: a miss that stores again
    assert llm.invoke(QUESTION).response_metadata["cache"]["hit"] is True
    # A second outage is reported again: the store worked in between.
    redis_server.stop()
    try:
        with pytest.warns(CacheWarning, match="lookup failed"):
            llm.invoke(QUESTION)
    finally:
        redis_server.start()
