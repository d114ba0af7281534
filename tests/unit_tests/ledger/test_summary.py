"""The dashboard's figures: ranges and bucket sizes, series that add up, the tripwire alarm."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from langchain_globalapi.costs import BilledCall, price_usage
from langchain_globalapi.ledger import Ledger, open_reader, summarize
from langchain_globalapi.ledger.summary import format_usd


def _ledger_of(
    path: Path, calls: list[BilledCall], verdicts: Sequence[tuple[str, bool, float]] = ()
) -> None:
    with Ledger(path) as ledger:
        for call in calls:
            ledger.on_billed(call)
        for request_id, agree, at in verdicts:
            ledger.record_verdict(request_id, agree, at=at)


@pytest.mark.parametrize(
    ("range_name", "bucket_s"), [("1h", 60), ("6h", 60), ("24h", 3600), ("7d", 3600), ("30d", 3600)]
)
def test_each_range_is_drawn_at_a_readable_bucket_size(
    tmp_path: Path, billed: Callable[..., BilledCall], t0: float, range_name: str, bucket_s: int
) -> None:
    _ledger_of(tmp_path / "u.db", [billed(at=t0)])
    summary = summarize(open_reader(tmp_path / "u.db"), range_name=range_name, now=t0 + 30)
    assert summary["range"]["bucket_s"] == bucket_s
    assert len(summary["series"]["t"]) <= 800


def test_a_long_history_is_drawn_per_day(
    tmp_path: Path, billed: Callable[..., BilledCall], t0: float
) -> None:
    _ledger_of(tmp_path / "u.db", [billed(at=t0), billed(at=t0 + 400 * 86400)])
    summary = summarize(open_reader(tmp_path / "u.db"), now=t0 + 400 * 86400 + 10)
    assert summary["range"]["bucket_s"] == 86400
    assert summary["totals"]["calls"] == 2


def test_the_series_add_up_to_the_totals(
    tmp_path: Path, billed: Callable[..., BilledCall], t0: float
) -> None:
    models = ["gpt-4o", "deepseek-ai/DeepSeek-V4-Flash", "GA-Economy"]
    calls = [billed(models[i % 3], tier=f"t{i % 2}", at=t0 + i * 900) for i in range(96)]
    _ledger_of(tmp_path / "u.db", calls)
    summary = summarize(open_reader(tmp_path / "u.db"), range_name="24h", now=t0 + 86399)
    spend = Decimal(summary["totals"]["spend_usd"])
    by_model = sum(sum(line) for line in summary["series"]["spend_by_model"].values())
    assert by_model == pytest.approx(float(spend))
    assert summary["series"]["cumulative_spend"][-1] == pytest.approx(float(spend))
    assert sum(sum(line) for line in summary["series"]["answers_by_tier"].values()) == 96


def test_beyond_seven_models_the_rest_are_drawn_as_other(
    tmp_path: Path, billed: Callable[..., BilledCall], t0: float
) -> None:
    priced = price_usage({"input_tokens": 100, "output_tokens": 10}, "gpt-4o")
    calls = [billed(f"org/model-{i}", cost=priced, at=t0) for i in range(10)]
    _ledger_of(tmp_path / "u.db", calls)
    series = summarize(open_reader(tmp_path / "u.db"), now=t0 + 60)["series"]["spend_by_model"]
    assert len(series) == 8
    assert "other" in series


def _verdicts(count: int, agreeing: int, t0: float) -> list[tuple[str, bool, float]]:
    return [(f"q{i}", i < agreeing, t0 + i) for i in range(count)]


def test_agreement_whose_lower_bound_falls_below_the_threshold_alarms(
    tmp_path: Path, t0: float
) -> None:
    _ledger_of(tmp_path / "u.db", [], _verdicts(100, 70, t0))
    tripwire = summarize(open_reader(tmp_path / "u.db"), now=t0 + 3600)["tripwire"]
    assert (tripwire["verdicts"], tripwire["agreed"], tripwire["rate"]) == (100, 70, 0.7)
    assert tripwire["low"] < 0.85
    assert tripwire["alarm"] is True
    assert len(tripwire["alarms"]) == 1


def test_too_few_verdicts_never_alarm(tmp_path: Path, t0: float) -> None:
    _ledger_of(tmp_path / "u.db", [], _verdicts(20, 5, t0))
    tripwire = summarize(open_reader(tmp_path / "u.db"), now=t0 + 3600)["tripwire"]
    assert tripwire["alarm"] is False
    assert tripwire["alarms"] == []


def test_high_agreement_does_not_alarm(tmp_path: Path, t0: float) -> None:
    _ledger_of(tmp_path / "u.db", [], _verdicts(400, 396, t0))
    tripwire = summarize(open_reader(tmp_path / "u.db"), now=t0 + 3600)["tripwire"]
    assert tripwire["low"] > 0.95
    assert tripwire["alarm"] is False


def test_an_empty_ledger_says_so(tmp_path: Path) -> None:
    with Ledger(tmp_path / "u.db"):
        pass
    summary: dict[str, Any] = summarize(open_reader(tmp_path / "u.db"))
    assert summary["status"] == "empty"
    assert "No calls recorded yet" in summary["message"]


@pytest.mark.parametrize(
    ("amount", "shown"),
    [("0", "$0.00"), ("1234.565", "$1,234.57"), ("0.00347", "$0.0035"), ("-2.5", "-$2.50")],
)
def test_dollars_are_shown_to_the_cent_or_finer_below_a_dollar(amount: str, shown: str) -> None:
    assert format_usd(Decimal(amount)) == shown
