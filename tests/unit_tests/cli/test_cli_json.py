"""`--json`: every command a script would read prints one parseable JSON document on stdout."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from langchain_globalapi.testing import FakeOpenAIServer


def _json(result) -> dict:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_estimate_json_has_exact_money(globalapi) -> None:
    data = _json(globalapi(["estimate", "--json"]))
    assert Decimal(data["total_usd"]) == Decimal("66.10")
    assert Decimal(data["baseline_usd"]) == Decimal("550.00")
    assert [line["model"] for line in data["lines"]] == [
        "deepseek-ai/DeepSeek-V4-Flash", "deepseek-ai/DeepSeek-V4-Pro"]  # fmt: skip


def test_models_json_lists_the_catalog_and_no_live_ids_without_a_key(globalapi) -> None:
    data = _json(globalapi(["models", "--json"]))
    ids = {m["id"]: m for m in data["catalog"]}
    assert ids["GA-Economy"]["tier"] == "economy"
    assert ids["gpt-4o"]["reference"] is True
    assert data["live"] is None


def test_models_json_lists_live_ids_with_a_key(globalapi, fake_server: FakeOpenAIServer) -> None:
    env = {"GLOBAL_API_KEY": "k", "GLOBAL_API_BASE": fake_server.base_url}
    data = _json(globalapi(["models", "--json"], env=env))
    assert data["live"]["base_url"] == fake_server.base_url
    assert {"id": "Qwen/Qwen3-32B", "priced": True} in data["live"]["models"]


def test_route_json_is_the_decision(globalapi) -> None:
    data = _json(globalapi(["route", "x" * 2500, "--scorer", "length", "--json"]))
    assert (data["tier"], data["model"]) == ("pro", "deepseek-ai/DeepSeek-V4-Pro")
    assert data["tiers"] == ["economy", "flash", "pro"]
    assert data["reason"].startswith("score ")


def test_plan_json_has_every_prompt_with_its_reason(globalapi, examples: Path) -> None:
    data = _json(globalapi(["plan", examples, "--json"]))
    assert len(data["prompts"]) == 41
    assert all(p["reason"] for p in data["prompts"])
    assert sum(t["prompts"] for t in data["mix"].values()) == 41
    assert Decimal(data["spend"]["baseline_usd"]) == Decimal("550.00")


def test_calibrate_json_has_thresholds_and_realized_mix(globalapi, examples: Path) -> None:
    data = _json(
        globalapi(
            ["calibrate", examples, "--target-mix", "economy=0.5,flash=0.3,pro=0.2", "--json"]
        )
    )
    assert len(data["router"]["thresholds"]) == 2
    assert abs(data["calibration"]["mix"]["economy"] - 0.5) < 0.05
    assert data["written"] is None


def test_demo_json_reports_each_turn_tripwire_and_cost(globalapi) -> None:
    data = _json(globalapi(["demo", "--json"]))
    assert data["endpoint"]["demo"] is True
    assert [t["cache_hit"] for t in data["turns"]] == [False, True, False, False, False]
    flash = "deepseek-ai/DeepSeek-V4-Flash"
    assert data["turns"][2]["fallback"] == [{"model": flash, "error": "rate_limit", "status": 429}]
    assert data["tripwire"]["samples"] == 4
    assert Decimal(data["cost"]["requests_usd"]) < Decimal(data["cost"]["requests_on_gpt4o_usd"])


def test_bench_json_reports_rows_and_failures(
    globalapi, fake_server: FakeOpenAIServer, golden
) -> None:
    fake_server.set_reply("*", "spam")
    args = ["bench", golden, "--model", "GA-Economy", "--base-url", fake_server.base_url, "--json"]
    data = _json(globalapi(args, env={"GLOBAL_API_KEY": "k"}))
    assert data["rows"][0]["model"] == "GA-Economy"
    assert data["rows"][0]["quality"] == 1.0
    assert (data["failed"], data["total"], data["causes"]) == (0, 3, [])
