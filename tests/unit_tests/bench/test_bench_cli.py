"""`globalapi bench` against the local server: report formats, resume, reference comparison."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from click.testing import CliRunner

from langchain_globalapi.bench import load_results
from langchain_globalapi.cli import main
from langchain_globalapi.testing import FakeOpenAIServer

ECONOMY, FLASH = "GA-Economy", "deepseek-ai/DeepSeek-V4-Flash"


def _golden(tmp_path: Path) -> Path:
    path = tmp_path / "golden.jsonl"
    rows = [{"id": f"c{i}", "task": "classification", "prompt": f"label {i}",
             "expected": "spam", "scorer": "label"} for i in range(3)]  # fmt: skip
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


def _args(server: FakeOpenAIServer, golden: Path, *extra: str) -> list[str]:
    return ["bench", str(golden), "--model", ECONOMY, "--model", FLASH, "--base-url",
            server.base_url, "--api-key", "k", "--no-progress", *extra]  # fmt: skip


def test_bench_prints_csv_for_two_models(fake_server: FakeOpenAIServer, tmp_path: Path) -> None:
    fake_server.set_reply(ECONOMY, "ham")
    fake_server.set_reply(FLASH, "spam")
    result = CliRunner().invoke(main, _args(fake_server, _golden(tmp_path), "--report", "csv"))
    assert result.exit_code == 0, result.output
    rows = {r["model"]: r for r in csv.DictReader(io.StringIO(result.output))}
    assert (rows[ECONOMY]["quality"], rows[FLASH]["quality"]) == ("0.0", "1.0")


def test_bench_resume_skips_finished_items(fake_server: FakeOpenAIServer, tmp_path: Path) -> None:
    golden, results = _golden(tmp_path), tmp_path / "results.jsonl"
    runner = CliRunner()
    first = runner.invoke(main, _args(fake_server, golden, "--resume", str(results)))
    assert first.exit_code == 0, first.output
    before = fake_server.calls_for(ECONOMY) + fake_server.calls_for(FLASH)
    second = runner.invoke(main, _args(fake_server, golden, "--resume", str(results)))
    assert second.exit_code == 0, second.output
    assert fake_server.calls_for(ECONOMY) + fake_server.calls_for(FLASH) == before
    assert len(load_results(results)) == 6


def test_bench_compares_with_a_reference_and_writes_markdown(
    fake_server: FakeOpenAIServer, tmp_path: Path
) -> None:
    fake_server.set_reply("*", "spam")
    out = tmp_path / "report.md"
    args = _args(fake_server, _golden(tmp_path), "--report", "md", "-o", str(out),
                 "--reference", FLASH)  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert out.read_text().startswith("| model | task |")
    assert f"{ECONOMY} vs {FLASH}" in result.output
    assert "at equal quality" in result.output


def test_bench_without_a_key_explains_how_to_set_one(tmp_path: Path) -> None:
    result = CliRunner(env={"GLOBAL_API_KEY": ""}).invoke(
        main, ["bench", str(_golden(tmp_path)), "--model", ECONOMY]
    )
    assert result.exit_code == 2
    assert "GLOBAL_API_KEY is not set" in result.output


def test_bench_reports_a_malformed_golden_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": "a"\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["bench", str(path), "--model", ECONOMY, "--api-key", "k"])
    assert result.exit_code == 2
    assert "bad.jsonl:1: not valid JSON" in result.output
