"""The offline plan: prompts files, decisions, tier mix and spend; `globalapi plan` and `route`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from langchain_globalapi.cli import main
from langchain_globalapi.errors import PromptFileError
from langchain_globalapi.routing.plan import Prompt, load_prompts, offline_router, plan_routes

EXAMPLES = Path(__file__).parents[3] / "examples" / "prompts.jsonl"


def test_jsonl_records_give_prompts_and_message_lists(tmp_path: Path) -> None:
    path = tmp_path / "p.jsonl"
    messages = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"},
                {"role": "user", "content": "and now?"}]  # fmt: skip
    path.write_text(json.dumps({"prompt": "a"}) + "\n\n" + json.dumps({"messages": messages}))
    prompts = load_prompts(path)
    assert prompts == [Prompt("a", "a"), Prompt("and now?", messages)]


def test_text_file_gives_one_prompt_per_line(tmp_path: Path) -> None:
    path = tmp_path / "p.txt"
    path.write_text("first prompt\n\n  second prompt  \n")
    assert [p.text for p in load_prompts(path)] == ["first prompt", "second prompt"]


def test_malformed_json_line_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "p.jsonl"
    path.write_text('{"prompt": "ok"}\n{"prompt": oops}\n')
    with pytest.raises(PromptFileError, match=r"p.jsonl:2: not valid JSON"):
        load_prompts(path)


def test_record_without_prompt_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "p.jsonl"
    path.write_text('{"text": "x"}\n')
    with pytest.raises(PromptFileError, match="'prompt' string or a 'messages' list"):
        load_prompts(path)


def test_example_file_has_about_forty_prompts() -> None:
    assert 35 <= len(load_prompts(EXAMPLES)) <= 50


def test_plan_mix_and_spend_follow_the_decisions() -> None:
    router = offline_router("length", thresholds=[0.05, 0.5])
    plan = plan_routes(router, [Prompt("hi", "hi"), Prompt("long", "x" * 300),
                                Prompt("huge", "y" * 3000), Prompt("hey", "hey")])  # fmt: skip
    assert [d.tier for d in plan.decisions] == ["economy", "flash", "pro", "economy"]
    assert plan.mix() == {"economy": 0.5, "flash": 0.25, "pro": 0.25}
    spend = plan.spend("100M", "30M")
    assert spend.baseline_usd == 550
    assert {line.model for line in spend.lines} == {
        "GA-Economy", "deepseek-ai/DeepSeek-V4-Flash", "deepseek-ai/DeepSeek-V4-Pro"}  # fmt: skip
    assert 0 < spend.total_usd < spend.baseline_usd


def test_plan_command_prints_decisions_mix_and_saving_in_80_columns() -> None:
    result = CliRunner().invoke(main, ["plan", str(EXAMPLES)], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    assert "Tier mix" in result.output
    assert "GPT-4o alone" in result.output
    assert "Saving:" in result.output
    assert max(len(line) for line in result.output.splitlines()) <= 80


def test_plan_command_calibrates_to_a_target_mix() -> None:
    args = ["plan", str(EXAMPLES), "--scorer", "heuristic"]
    args += ["--target-mix", "economy=0.5,flash=0.3,pro=0.2"]
    result = CliRunner().invoke(main, args, env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    assert "calibrated to economy=0.5,flash=0.3,pro=0.2" in result.output
    assert max(len(line) for line in result.output.splitlines()) <= 80


def test_plan_command_rejects_a_bad_target_mix() -> None:
    result = CliRunner().invoke(main, ["plan", str(EXAMPLES), "--target-mix", "turbo=1"])
    assert result.exit_code == 2
    assert "unknown tier(s) ['turbo']" in result.output


def test_route_command_explains_one_prompt_without_a_key() -> None:
    result = CliRunner().invoke(
        main, ["route", "x" * 2500, "--scorer", "length"], env={"GLOBAL_API_KEY": ""}
    )
    assert result.exit_code == 0, result.output
    assert "tier:       pro" in result.output
    assert "deepseek-ai/DeepSeek-V4-Pro" in result.output


def test_route_command_honours_a_hint() -> None:
    result = CliRunner().invoke(main, ["route", "hi", "--hint", "high"])
    assert "tier:       pro" in result.output
    assert "hint 'high'" in result.output


def test_route_command_reports_an_unknown_hint() -> None:
    result = CliRunner().invoke(main, ["route", "hi", "--hint", "turbo"])
    assert result.exit_code == 2
    assert "unknown complexity hint 'turbo'" in result.output
