"""Outcome stores: the contract every backend keeps, and sharing outcomes between scorers.

SQLite is a real file; Redis is a real redis-server on loopback (tests/conftest.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from langchain_globalapi.errors import OutcomeError, OutcomeStoreError
from langchain_globalapi.routing import (
    HeuristicScorer,
    InMemoryOutcomeStore,
    OutcomeMemory,
    OutcomeStore,
    RedisOutcomeStore,
    RoutingOutcome,
    SQLiteOutcomeStore,
)
from langchain_globalapi.routing.outcome_stores import OutcomeRecord, TaskTotals

CALCULUS = [f"Integrate x^{i} e^x dx by parts, showing each step." for i in range(2, 10)]
SIMILAR = "Integrate x^5 e^x dx by parts and show each step."


def record(task: str | None = "math", cheap: float = 0.0, strong: float = 1.0) -> OutcomeRecord:
    return OutcomeRecord(task, cheap, strong, hashes=(11, 22), counts=(1, 2))


def rescued(prompt: str, task: str | None = None) -> RoutingOutcome:
    return RoutingOutcome(prompt, cheap_ok=False, strong_ok=True, task=task)


StoreFactory = Callable[..., OutcomeStore]


@pytest.fixture(params=["memory", "sqlite", "redis"])
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreFactory]:
    """A factory of stores of one backend; stores made with the same namespace share state."""
    made: list[OutcomeStore] = []
    shared_memory: dict[str, InMemoryOutcomeStore] = {}

    def factory(namespace: str = "default", max_records: int = 100) -> OutcomeStore:
        store: OutcomeStore
        if request.param == "memory":
            store = shared_memory.setdefault(namespace, InMemoryOutcomeStore(max_records))
        elif request.param == "sqlite":
            store = SQLiteOutcomeStore(
                tmp_path / "outcomes.db", namespace=namespace, max_records=max_records
            )
        else:
            url = request.getfixturevalue("redis_url")
            store = RedisOutcomeStore(url, namespace=namespace, max_records=max_records)
        made.append(store)
        return store

    yield factory
    for store in made:
        store.close()


# -- the contract -------------------------------------------------------------------------------


def test_appended_records_read_back_in_order_with_their_numbers(make_store) -> None:
    store = make_store()
    store.append([record("a"), record("b")])
    log = store.read(after=0)
    assert [r.task for r in log.records] == ["a", "b"]
    assert log.records[0] == record("a")
    assert store.read(after=log.newest).records == []


def test_a_reader_gets_only_what_was_added_since_its_last_read(make_store) -> None:
    store = make_store()
    store.append([record("a")])
    cursor = store.read(after=0).newest
    store.append([record("b"), record("c")])
    assert [r.task for r in store.read(after=cursor).records] == ["b", "c"]


def test_task_totals_add_up_and_untagged_records_count_for_no_task(make_store) -> None:
    store = make_store()
    store.append([record("math"), record("math", cheap=1.0), record(None)])
    assert store.totals() == {"math": TaskTotals(2.0, 1.0, 2.0, 1.0)}


def test_only_the_newest_records_are_kept_but_totals_stay_exact(make_store) -> None:
    store = make_store(max_records=3)
    for _ in range(3):
        store.append([record("math"), record("math")])
    assert len(store.read(after=0).records) == 3
    assert store.totals()["math"].outcomes == 6.0


def test_appended_totals_replace_the_records_own(make_store) -> None:
    store = make_store()
    store.append([record("math")], totals={"math": TaskTotals(40.0, 10.0, 30.0, 20.0)})
    assert store.totals()["math"] == TaskTotals(40.0, 10.0, 30.0, 20.0)


def test_clear_empties_the_namespace_and_starts_a_new_epoch(make_store) -> None:
    store = make_store()
    store.append([record("math")])
    before = store.read(after=0)
    store.clear()
    after = store.read(after=0)
    assert (after.records, store.totals()) == ([], {})
    assert after.epoch != before.epoch


def test_namespaces_keep_outcomes_apart(make_store) -> None:
    first, second = make_store("bot-a"), make_store("bot-b")
    first.append([record("math")])
    assert second.read(after=0).records == []
    assert second.totals() == {}


def test_bad_max_records_fail_at_construction(tmp_path: Path) -> None:
    with pytest.raises(OutcomeError, match="max_records must be a positive int"):
        InMemoryOutcomeStore(max_records=0)
    with pytest.raises(OutcomeError, match="max_records"):
        SQLiteOutcomeStore(tmp_path / "o.db", max_records=2.5)  # type: ignore[arg-type]


# -- sharing between scorers --------------------------------------------------------------------


def shared_scorer(store: OutcomeStore) -> HeuristicScorer:
    scorer = HeuristicScorer()
    scorer.outcomes = OutcomeMemory(store, refresh_s=0.0)
    return scorer


def test_two_scorers_on_one_store_learn_from_each_other(make_store) -> None:
    writer, reader = shared_scorer(make_store()), shared_scorer(make_store())
    writer.learn([rescued(p, "math") for p in CALCULUS] + [rescued(p) for p in CALCULUS])
    for task in ("math", None):
        assert reader.score(SIMILAR, task=task) == writer.score(SIMILAR, task=task)
    assert reader.score(SIMILAR, task="math") > HeuristicScorer().score(SIMILAR) + 0.2


def test_a_clear_elsewhere_resets_what_a_scorer_learned(make_store) -> None:
    first, second = shared_scorer(make_store()), shared_scorer(make_store())
    first.learn([rescued(p) for p in CALCULUS])
    assert second.score(SIMILAR) > HeuristicScorer().score(SIMILAR)
    first.outcomes.store.clear()
    assert second.score(SIMILAR) == HeuristicScorer().score(SIMILAR)
    assert len(second.outcomes) == 0


def test_share_outcomes_opens_a_sqlite_file_that_survives_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "outcomes.db"
    HeuristicScorer().share_outcomes(path, namespace="bot").learn([rescued("q", "math")])
    restarted = HeuristicScorer().share_outcomes(str(path), namespace="bot")
    assert restarted.outcomes.tasks()["math"].outcomes == 1.0
    assert HeuristicScorer().share_outcomes(path, namespace="other").outcomes.tasks() == {}


def test_sqlite_store_in_a_missing_directory_fails_at_construction(tmp_path: Path) -> None:
    with pytest.raises(OutcomeError, match="does not exist"):
        SQLiteOutcomeStore(tmp_path / "missing" / "outcomes.db")


def test_a_file_that_is_not_sqlite_fails_at_construction(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello " * 1000)
    with pytest.raises(OutcomeError, match="cannot use"):
        SQLiteOutcomeStore(tmp_path / "notes.txt")


@pytest.mark.redis
def test_share_outcomes_with_a_redis_url_shares_between_scorers(redis_url: str) -> None:
    writer = HeuristicScorer().share_outcomes(redis_url, refresh_s=0.0)
    reader = HeuristicScorer().share_outcomes(redis_url, refresh_s=0.0)
    writer.learn([rescued(p, "math") for p in CALCULUS])
    assert isinstance(reader.outcomes.store, RedisOutcomeStore)
    assert reader.score(SIMILAR, task="math") == writer.score(SIMILAR, task="math")


def test_a_redis_url_with_another_scheme_fails_at_construction() -> None:
    with pytest.raises(OutcomeError, match="unsupported URL scheme 'http'"):
        RedisOutcomeStore("http://127.0.0.1:6379")


@pytest.mark.redis
def test_when_redis_dies_learning_fails_and_scoring_keeps_the_last_state(
    redis_server, redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    scorer = HeuristicScorer().share_outcomes(redis_url, refresh_s=0.0)
    scorer.learn([rescued(p, "math") for p in CALCULUS])
    learned = scorer.score(SIMILAR, task="math")
    redis_server.stop()
    try:
        with caplog.at_level(logging.WARNING, logger="langchain_globalapi.routing.outcomes"):
            assert scorer.score(SIMILAR, task="math") == learned
        assert "outcomes not refreshed" in caplog.text
        with pytest.raises(OutcomeStoreError, match="RedisOutcomeStore"):
            scorer.learn([rescued("one more", "math")])
    finally:
        redis_server.start()


@pytest.mark.redis
def test_a_scorer_created_while_redis_is_down_starts_from_the_prior(
    redis_server, redis_url: str
) -> None:
    redis_server.stop()
    try:
        scorer = HeuristicScorer().share_outcomes(redis_url, refresh_s=0.0)
        assert scorer.score(SIMILAR, task="math") == HeuristicScorer().score(SIMILAR)
    finally:
        redis_server.start()
