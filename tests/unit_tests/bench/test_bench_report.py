"""Reports: per-model and per-task rows, exports, Pareto front and plot, router comparisons."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from langchain_globalapi.bench import BenchmarkRecord
from langchain_globalapi.bench.report import BenchmarkReport


def _records() -> list[BenchmarkRecord]:
    out = []
    for i in range(10):
        task = "reasoning" if i < 5 else "classification"
        hard = i % 2 == 0
        out.append(
            BenchmarkRecord(
                f"q{i}",
                task,
                "cheap",
                score=0.0 if hard else 1.0,
                usd="0.001",
                latency_s=0.1 + i / 100,
                tier="economy",
            )
        )
        out.append(
            BenchmarkRecord(
                f"q{i}", task, "strong", score=1.0, usd="0.010", latency_s=1.0 + i / 10, tier="pro"
            )
        )
        out.append(
            BenchmarkRecord(
                f"q{i}",
                task,
                "router",
                score=1.0,
                routing_score=0.9 if hard else 0.1,
                usd="0.010" if hard else "0.001",
                tier="pro" if hard else "economy",
            )
        )
    out.append(BenchmarkRecord("q10", "reasoning", "cheap", error="RateLimitError: 429"))
    return out  # fmt: skip


def test_rows_per_model_and_task_with_exact_cost_and_errors() -> None:
    rows = {(r.model, r.task): r for r in BenchmarkReport(_records()).rows(by_task=True)}
    cheap = rows[("cheap", "all")]
    assert (cheap.n, cheap.errors, cheap.quality.value) == (11, 1, 0.5)
    assert str(cheap.usd_total) == "0.010"
    assert rows[("cheap", "reasoning")].quality.value == pytest.approx(0.4)
    assert cheap.quality.low <= 0.5 <= cheap.quality.high


def test_latency_percentiles() -> None:
    strong = BenchmarkReport(_records()).rows()[1]
    assert strong.latency_p50_s == pytest.approx(1.45)
    assert strong.latency_p95_s == pytest.approx(1.855)


def test_router_tier_mix_is_reported() -> None:
    router = {r.model: r for r in BenchmarkReport(_records()).rows()}["router"]
    assert router.tier_mix == {"economy": 0.5, "pro": 0.5}


def test_markdown_csv_and_json_exports_hold_the_same_rows() -> None:
    report = BenchmarkReport(_records())
    markdown = report.to_markdown(by_task=False)
    assert markdown.count("\n") == 2 + 3
    assert "| cheap | all | 11 | 1 |" in markdown
    rows = list(csv.DictReader(io.StringIO(report.to_csv(by_task=False))))
    assert [r["model"] for r in rows] == ["cheap", "strong", "router"]
    assert rows[1]["usd_total"] == "0.100"
    data = json.loads(report.to_json(by_task=False))
    assert data["rows"][0]["quality"] == 0.5


def test_pareto_front_drops_dominated_models() -> None:
    # router: same quality as strong, cheaper -> strong is dominated.
    assert BenchmarkReport(_records()).pareto_front() == ["cheap", "router"]


def test_pareto_plot_writes_a_png(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    out = BenchmarkReport(_records()).plot_pareto(tmp_path / "pareto.png")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_router_saves_against_the_reference_at_equal_quality() -> None:
    summary = BenchmarkReport(_records()).router_summary("router", "strong")
    assert summary.n == 10
    assert summary.quality_delta.value == 0.0
    assert summary.equal_quality
    assert summary.savings == pytest.approx(1 - 0.055 / 0.1)


def test_router_routing_metrics_from_stamped_scores() -> None:
    metrics = BenchmarkReport(_records(), n_resamples=50).routing_metrics(
        "router", weak="cheap", strong="strong"
    )
    # The router sends exactly the items the cheap model misses: an oracle.
    assert metrics["cpt50"].value == pytest.approx(0.25)
    assert metrics["apgr"].value > 0.7


def test_router_summary_without_overlap_says_so() -> None:
    with pytest.raises(ValueError, match="no items answered by both"):
        BenchmarkReport(_records()).router_summary("router", "gpt-4o")
