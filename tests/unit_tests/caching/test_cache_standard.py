"""langchain-tests' standard BaseCache suites, for every store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from langchain_tests.integration_tests import AsyncCacheTestSuite, SyncCacheTestSuite

from langchain_globalapi import ExactCache, InMemoryStore, SQLiteStore


class TestInMemoryExactCache(SyncCacheTestSuite):
    @pytest.fixture
    def cache(self) -> ExactCache:
        return ExactCache(InMemoryStore())


class TestInMemoryExactCacheAsync(AsyncCacheTestSuite):
    @pytest.fixture
    async def cache(self) -> ExactCache:
        return ExactCache(InMemoryStore())


class TestSQLiteExactCache(SyncCacheTestSuite):
    @pytest.fixture
    def cache(self, tmp_path: Path) -> Iterator[ExactCache]:
        store = SQLiteStore(tmp_path / "cache.db")
        yield ExactCache(store)
        store.close()


class TestSQLiteExactCacheAsync(AsyncCacheTestSuite):
    @pytest.fixture
    async def cache(self, tmp_path: Path) -> ExactCache:
        return ExactCache(SQLiteStore(tmp_path / "cache.db"))
