"""Every table a command prints fits an 80-column terminal."""

from __future__ import annotations

from pathlib import Path

import pytest

from langchain_globalapi.testing import FakeOpenAIServer


def _widest(text: str) -> int:
    return max(len(line) for line in text.splitlines())


@pytest.mark.parametrize(
    "args",
    [
        ["estimate"],
        ["estimate", "--mix", "economy=0.2", "--mix", "flash=0.5", "--mix", "pro=0.3",
         "--input-tokens", "1.5B", "--output-tokens", "250M"],
        ["models"],
        ["route", "Design a rate limiter for a multi-tenant API, compare three approaches " * 5],
        ["route", "hi", "--hint", "high"],
        ["demo"],
    ],
    ids=["estimate", "estimate-big", "models", "route-long", "route-hint", "demo"],
)  # fmt: skip
def test_command_output_fits_80_columns(globalapi, args: list[str]) -> None:
    result = globalapi(args)
    assert result.exit_code == 0, result.output
    assert _widest(result.output) <= 80


@pytest.mark.parametrize("extra", [[], ["--target-mix", "economy=0.5,flash=0.3,pro=0.2"]])
def test_plan_fits_80_columns_with_a_reason_per_prompt(globalapi, examples: Path, extra) -> None:
    result = globalapi(["plan", examples, *extra])
    assert result.exit_code == 0, result.output
    assert _widest(result.output) <= 80
    header = next(line for line in result.output.splitlines() if line.split()[:1] == ["#"])
    assert header.split() == ["#", "tier", "score", "why", "prompt"]


def test_plan_tells_why_for_each_prompt(globalapi, examples: Path) -> None:
    result = globalapi(["plan", examples, "--thresholds", "0.2,0.3"])
    rows = [line for line in result.output.splitlines() if line.strip()[:2].strip().isdigit()]
    assert len(rows) == 41
    assert all(
        ("score < 0.2" in r) or ("0.2 <= score <" in r) or ("0.3 <= score" in r) for r in rows
    )


def test_bench_table_fits_80_columns(globalapi, fake_server: FakeOpenAIServer, golden) -> None:
    fake_server.set_reply("*", "spam")
    models = ["--model", "GA-Economy", "--model", "deepseek-ai/DeepSeek-V4-Flash"]
    result = globalapi(
        ["bench", golden, *models, "--base-url", fake_server.base_url, "--no-progress"],
        env={"GLOBAL_API_KEY": "k"},
    )
    assert result.exit_code == 0, result.output
    assert "DeepSeek-V4-Flash" in result.output
    assert "$/1k items" in result.output
    assert _widest(result.output) <= 80


def test_calibrate_output_fits_80_columns(globalapi, examples: Path) -> None:
    result = globalapi(["calibrate", examples, "--target-mix", "economy=0.6,flash=0.3,pro=0.1"])
    assert result.exit_code == 0, result.output
    assert _widest(result.output) <= 80
