"""`globalapi calibrate`: thresholds for a tier mix on prompts, or for quality on results."""

from __future__ import annotations

import json
from pathlib import Path

from langchain_globalapi.bench import BenchmarkRecord
from langchain_globalapi.bench.replay import load_router_config

MIX = "economy=0.5,flash=0.3,pro=0.2"
TIERS = ["--tier", "economy=GA-Economy", "--tier", "pro=deepseek-ai/DeepSeek-V4-Pro"]


def test_calibrating_prompts_to_a_mix_prints_thresholds_and_the_realized_mix(
    globalapi, examples: Path
) -> None:
    result = globalapi(["calibrate", examples, "--target-mix", MIX])
    assert result.exit_code == 0, result.output
    assert "Calibrated on 41 items of" in result.output
    assert "target      tier mix economy 50%, flash 30%, pro 20%" in result.output
    thresholds = next(line for line in result.output.splitlines() if "thresholds" in line)
    assert len(thresholds.split()[1:]) == 3  # two cuts and the "/" between them


def test_written_thresholds_are_what_plan_reads_back(
    globalapi, examples: Path, tmp_path: Path
) -> None:
    path = tmp_path / "router.toml"
    written = json.loads(
        globalapi(["calibrate", examples, "--target-mix", MIX, "--write", path, "--json"]).stdout
    )
    assert load_router_config(path)["thresholds"] == written["router"]["thresholds"]
    planned = json.loads(globalapi(["plan", examples, "--router-config", path, "--json"]).stdout)
    assert planned["thresholds"] == written["router"]["thresholds"]
    assert {t: round(m["share"], 6) for t, m in planned["mix"].items()} == {
        t: round(s, 6) for t, s in written["calibration"]["mix"].items()
    }


def _recorded(tmp_path: Path, golden: Path) -> Path:
    """Economy is right on item c0 only; pro on every item, at ten times the price."""
    path = tmp_path / "results.jsonl"
    records = [
        BenchmarkRecord(f"c{i}", "classification", model, score=score, usd=usd)
        for i in range(3)
        for model, score, usd in [("GA-Economy", float(i == 0), "0.001"),
                                  ("deepseek-ai/DeepSeek-V4-Pro", 1.0, "0.01")]
    ]  # fmt: skip
    path.write_text("".join(r.to_json() + "\n" for r in records), encoding="utf-8")
    return path


def test_calibrating_on_results_keeps_quality_within_the_points(
    globalapi, golden: Path, tmp_path: Path
) -> None:
    results = _recorded(tmp_path, golden)
    args = ["calibrate", golden, "--results", results, "--within-points", "0", "--json", *TIERS]
    data = json.loads(globalapi(args).stdout)
    found = data["calibration"]
    assert found["method"] == "within_points"
    assert found["quality"] == found["reference_quality"] == 1.0
    assert data["router"]["tiers"] == ["economy", "pro"]
    assert len(data["router"]["thresholds"]) == 1


def test_calibrating_on_results_prints_quality_and_cost(
    globalapi, golden: Path, tmp_path: Path
) -> None:
    results = _recorded(tmp_path, golden)
    args = ["calibrate", golden, "--results", results, "--within-points", "50", *TIERS]
    result = globalapi(args)
    assert result.exit_code == 0, result.output
    assert "quality within 50 points of the reference tier" in result.output
    assert "quality" in result.output
    assert "saved)" in result.output


def test_results_without_the_tier_models_say_which_are_missing(
    globalapi, golden: Path, tmp_path: Path
) -> None:
    results = _recorded(tmp_path, golden)
    result = globalapi(["calibrate", golden, "--results", results, "--within-points", "1"])
    assert result.exit_code == 2
    assert "no records of ['deepseek-ai/DeepSeek-V4-Flash']" in result.stderr


def test_calibrate_needs_a_target(globalapi, examples: Path) -> None:
    result = globalapi(["calibrate", examples])
    assert result.exit_code == 2
    assert "--target-mix" in result.output


def test_quality_options_need_results(globalapi, examples: Path) -> None:
    result = globalapi(["calibrate", examples, "--within-points", "2"])
    assert result.exit_code == 2
    assert "need --results" in result.output


def test_an_unknown_tier_in_the_mix_is_bad_input(globalapi, examples: Path) -> None:
    result = globalapi(["calibrate", examples, "--target-mix", "turbo=1"])
    assert result.exit_code == 2
    assert "turbo" in result.stderr
