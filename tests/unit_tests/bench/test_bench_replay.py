"""Replay and calibration: policies evaluated on recorded answers, thresholds written as config."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from langchain_globalapi.bench import BenchmarkRecord
from langchain_globalapi.bench.replay import Replay, calibrate, gsm8k_replay, load_router_config

DATA = Path(__file__).parents[4] / "shared" / "data"


def _replay() -> Replay:
    # Items 1 and 3 need the strong tier; the flash tier gets item 3 but not item 1.
    return Replay(
        ["economy", "flash", "pro"],
        scores=[0.1, 0.8, 0.3, 0.6],
        quality={"economy": [1, 0, 1, 0], "flash": [1, 0, 1, 1], "pro": [1, 1, 1, 1]},
        cost={"economy": 1.0, "flash": 3.0, "pro": 10.0},
    )


def test_thresholds_route_by_the_routers_convention() -> None:
    outcome = _replay().evaluate([0.5, 0.7])  # 0.1, 0.3 economy; 0.6 flash; 0.8 pro
    assert outcome.mix == {"economy": 0.5, "flash": 0.25, "pro": 0.25}
    assert outcome.quality == 1.0
    assert outcome.cost == pytest.approx((1 + 1 + 3 + 10) / 4)


def test_cheapest_policy_within_zero_points_keeps_full_quality() -> None:
    result = calibrate(_replay(), within_points=0)
    assert result.outcome.quality == result.outcome.reference_quality == 1.0
    assert result.outcome.cost == pytest.approx(15 / 4)


def test_allowing_a_quality_gap_buys_a_cheaper_policy() -> None:
    result = calibrate(_replay(), within_points=25)
    assert result.outcome.gap_points == pytest.approx(25)
    assert result.outcome.cost < 15 / 4


def test_target_mix_uses_quantile_cuts() -> None:
    result = calibrate(_replay(), target_mix={"economy": 0.5, "flash": 0.25, "pro": 0.25})
    assert result.outcome.mix == {"economy": 0.5, "flash": 0.25, "pro": 0.25}


def test_calibrate_needs_exactly_one_goal() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        calibrate(_replay())


@pytest.mark.parametrize("suffix", [".json", ".toml"])
def test_calibration_is_written_as_router_config(tmp_path: Path, suffix: str) -> None:
    result = calibrate(_replay(), within_points=0)
    path = result.write(tmp_path / f"router{suffix}")
    config = load_router_config(path)
    assert config["tiers"] == ["economy", "flash", "pro"]
    assert tuple(config["thresholds"]) == pytest.approx(result.thresholds)


def test_replay_from_benchmark_records_uses_the_routers_stamped_scores() -> None:
    records = []
    for i, (score, weak) in enumerate([(0.9, 0.0), (0.1, 1.0)]):
        records += [
            BenchmarkRecord(f"q{i}", "t", "weak", score=weak, usd="0.001"),
            BenchmarkRecord(f"q{i}", "t", "strong", score=1.0, usd="0.01"),
            BenchmarkRecord(f"q{i}", "t", "router", score=1.0, routing_score=score),
        ]
    replay = Replay.from_records(records, tiers={"weak": "weak", "strong": "strong"},
                                 router="router")  # fmt: skip
    assert replay.evaluate([0.5]).quality == 1.0
    assert replay.evaluate([0.5]).cost == pytest.approx(0.0055)


@pytest.mark.data
def test_gsm8k_replay_reports_real_weak_strong_agreement() -> None:
    if not (DATA / "routellm" / "gsm8k" / "gsm8k_responses.csv").exists():
        pytest.skip(f"shared data not found at {DATA}: GSM8K replay needs ../shared/data")
    gsm8k = gsm8k_replay(DATA)
    replay = gsm8k.replay
    assert len(replay) == 653  # held-out (odd) rows, decontaminated
    assert replay.evaluate([2.0]).quality == pytest.approx(0.640, abs=1e-3)  # all weak
    assert replay.evaluate([-1.0]).quality == pytest.approx(0.856, abs=1e-3)  # all strong
    agreement = gsm8k.answer_agreement()
    print(json.dumps({"gsm8k_weak_strong_answer_agreement": round(agreement, 4)}))
    assert 0.55 < agreement < 0.65
    within = calibrate(replay, within_points=5)
    assert within.outcome.gap_points <= 5
    assert within.outcome.savings > 0.3
