"""The SQLite ledger file: retention, roll-ups that survive pruning, text opt-in, bad files."""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from langchain_globalapi.costs import BilledCall
from langchain_globalapi.errors import LedgerError
from langchain_globalapi.ledger import Ledger, Retention, open_reader, summarize


def _count(path: Path, sql: str) -> int:
    with sqlite3.connect(path) as conn:
        return int(conn.execute(sql).fetchone()[0])


def _totals(path: Path, now: float) -> dict[str, Any]:
    return summarize(open_reader(path), range_name="all", now=now)["totals"]


def test_pruning_old_calls_and_minute_rollups_leaves_every_total(
    tmp_path: Path, billed: Callable[..., BilledCall], usd_of: Any, t0: float
) -> None:
    path = tmp_path / "usage.db"
    now = time.time()
    old = [billed(at=t0 + i * 600) for i in range(50)]  # months ago
    new = [billed("gpt-4o", at=now - i) for i in range(10)]
    with Ledger(path, retention=Retention(calls_days=7, minute_rollups_days=1)) as ledger:
        for call in old + new:
            ledger.on_billed(call)
        assert ledger.flush()
        before = _totals(path, now)
        assert ledger.prune()
    assert _count(path, "SELECT count(*) FROM calls") == 10
    assert (
        _count(path, f"SELECT count(*) FROM rollups WHERE span = 60 AND bucket < {t0 + 86400 * 2}")
        == 0
    )
    after = _totals(path, now)
    assert after == before
    assert Decimal(after["spend_usd"]) == usd_of(old + new)


def test_max_calls_keeps_only_the_newest_rows(
    tmp_path: Path, billed: Callable[..., BilledCall], t0: float
) -> None:
    path = tmp_path / "usage.db"
    with Ledger(path, retention=Retention(max_calls=25)) as ledger:
        for i in range(100):
            ledger.on_billed(billed(at=time.time() - 100 + i, call_id=f"n{i}"))
        assert ledger.flush()
        assert ledger.prune()
    with sqlite3.connect(path) as conn:
        kept = [row[0] for row in conn.execute("SELECT call_id FROM calls ORDER BY rowid")]
    assert kept == [f"n{i}" for i in range(75, 100)]
    assert _totals(path, time.time())["calls"] == 100


def test_prompt_and_answer_are_not_stored_by_default(
    tmp_path: Path, billed: Callable[..., BilledCall]
) -> None:
    path = tmp_path / "usage.db"
    with Ledger(path) as ledger:
        ledger.on_billed(billed(call_id="c1"))
        ledger.record_text("c1", prompt="my secret prompt", answer="the answer")
    assert (
        _count(path, "SELECT count(*) FROM calls WHERE prompt IS NOT NULL OR answer IS NOT NULL")
        == 0
    )
    assert b"my secret prompt" not in path.read_bytes()


def test_prompt_and_answer_are_stored_when_opted_in(
    tmp_path: Path, billed: Callable[..., BilledCall]
) -> None:
    path = tmp_path / "usage.db"
    with Ledger(path, store_text=True) as ledger:
        ledger.on_billed(billed(call_id="c1"))
        ledger.record_text("c1", prompt="what is 2+2?", answer="4")
    with sqlite3.connect(path) as conn:
        row = conn.execute("SELECT prompt, answer FROM calls WHERE call_id = 'c1'").fetchone()
    assert row == ("what is 2+2?", "4")


def test_a_verdict_fills_model_tier_and_task_from_the_answered_call(
    tmp_path: Path, billed: Callable[..., BilledCall], t0: float
) -> None:
    path = tmp_path / "usage.db"
    with Ledger(path) as ledger:
        ledger.on_billed(billed("gpt-4o", tier="pro", task="extraction", request_id="q9"))
        ledger.record_verdict("q9", agree=True, at=t0 + 5)
    summary = summarize(open_reader(path), now=t0 + 3600)
    assert [row["name"] for row in summary["tasks"] if row["verdicts"]] == ["extraction"]
    assert summary["recent_calls"][0]["verdict"] is True


def test_a_locked_file_fails_open_with_one_warning_then_catches_up(
    tmp_path: Path,
    billed: Callable[..., BilledCall],
    usd_of: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    path = tmp_path / "usage.db"
    ledger = Ledger(path)
    ledger._store.busy_timeout_s = 0.05  # type: ignore[attr-defined]
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")  # another process holding the write lock
    calls = [billed() for _ in range(20)]
    with caplog.at_level(logging.WARNING, logger="langchain_globalapi.ledger"):
        for call in calls:
            ledger.on_billed(call)
        assert not ledger.flush(timeout_s=1.0)
        assert ledger.stats().failed_writes >= 1
        blocker.execute("ROLLBACK")
        blocker.close()
        assert ledger.flush()
    ledger.close()
    assert caplog.text.count("cannot be written") == 1
    assert "writable again" in caplog.text
    assert Decimal(_totals(path, time.time() + 86400 * 400)["spend_usd"]) == usd_of(calls)


def test_a_corrupted_file_is_refused_at_construction(tmp_path: Path) -> None:
    path = tmp_path / "usage.db"
    path.write_bytes(b"\x00garbage" * 1000)
    with pytest.raises(LedgerError, match=r"cannot use .*usage\.db as a ledger"):
        Ledger(path)


def test_another_programs_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)")
        conn.execute("INSERT INTO meta VALUES ('schema', '99')")
    with pytest.raises(LedgerError, match="schema version '99'"):
        Ledger(path)


def test_a_missing_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(LedgerError, match="does not exist"):
        Ledger(tmp_path / "no" / "such" / "usage.db")


def test_an_unknown_url_scheme_is_refused() -> None:
    with pytest.raises(LedgerError, match="unsupported ledger target"):
        Ledger("postgres://localhost/ledger")
