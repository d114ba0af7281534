"""SQLiteStore shared by two real processes writing and reading one file at the same time."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from langchain_core.messages import AIMessage
from langchain_core.outputs import ChatGeneration

from langchain_globalapi import ExactCache, SQLiteStore

WRITES_PER_PROCESS = 200


def _writer(path: str, worker: int) -> int:
    """Write this worker's entries while reading the other's; return the store errors."""
    cache = ExactCache(SQLiteStore(path))
    for i in range(WRITES_PER_PROCESS):
        answer = [ChatGeneration(message=AIMessage(f"answer {worker}-{i}"))]
        cache.update(f"question {worker}-{i}", "llm", answer)
        cache.lookup(f"question {1 - worker}-{i}", "llm")
    return cache.stats.errors


def test_two_processes_write_and_read_one_file(tmp_path: Path) -> None:
    path = str(tmp_path / "shared.db")
    SQLiteStore(path).close()  # create the schema once, as an app's startup would
    context = multiprocessing.get_context("spawn")
    with context.Pool(2) as pool:
        errors = pool.starmap(_writer, [(path, 0), (path, 1)])
    assert errors == [0, 0]  # no "database is locked" or torn reads in either process
    cache = ExactCache(SQLiteStore(path))
    for worker in (0, 1):
        for i in range(WRITES_PER_PROCESS):
            [generation] = cache.lookup(f"question {worker}-{i}", "llm") or [None]
            assert generation is not None
            assert generation.text == f"answer {worker}-{i}"
