"""The runner: two models against the local server, measured records, resume after interruption."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any

import pytest

from langchain_globalapi import ChatGlobalAPI
from langchain_globalapi.bench import (
    GoldenSet,
    arun_benchmark,
    load_results,
    run_benchmark,
)
from langchain_globalapi.errors import GoldenSetError
from langchain_globalapi.testing import FakeOpenAIServer, Fault

FLASH = "deepseek-ai/DeepSeek-V4-Flash"
ECONOMY = "GA-Economy"


def _golden(n: int = 6) -> GoldenSet:
    lines = [
        json.dumps({"id": f"q{i}", "task": "reasoning", "prompt": f"What is {i} + {i}?",
                    "expected": 2 * i})
        for i in range(1, n + 1)
    ]  # fmt: skip
    return GoldenSet.parse(lines)


def _last_user(request: dict[str, Any]) -> str:
    return str(request["messages"][-1]["content"])


def _right(request: dict[str, Any]) -> str:
    a = int(re.findall(r"\d+", _last_user(request))[0])
    return f"{a} plus {a} is {2 * a}.\n#### {2 * a}"


def _wrong_on_even(request: dict[str, Any]) -> str:
    a = int(re.findall(r"\d+", _last_user(request))[0])
    return f"#### {2 * a + (a % 2 == 0)}"


def _model(server: FakeOpenAIServer, name: str) -> ChatGlobalAPI:
    return ChatGlobalAPI(model=name, api_key="k", base_url=server.base_url, max_retries=0)


def test_two_models_are_scored_and_measured(fake_server: FakeOpenAIServer) -> None:
    fake_server.set_reply(FLASH, _right)
    fake_server.set_reply(ECONOMY, _wrong_on_even)
    models = {"flash": _model(fake_server, FLASH), "economy": _model(fake_server, ECONOMY)}
    results = run_benchmark(_golden(), models, concurrency=4, progress=False)
    assert results.models == ["flash", "economy"]
    assert results.mean_score("flash") == 1.0
    assert results.mean_score("economy") == 0.5
    record = results.for_model("economy")[0]
    assert (record.answered_model, record.tier) == (ECONOMY, "economy")
    assert record.input_tokens
    assert record.output_tokens
    assert record.latency_s is not None
    assert record.ttft_s is not None
    assert 0 < record.ttft_s <= record.latency_s
    assert record.usd is not None
    assert float(record.usd) > 0
    assert record.reference_usd is not None
    assert float(record.reference_usd) > float(record.usd)
    assert fake_server.calls_for(FLASH) == fake_server.calls_for(ECONOMY) == 6


def test_records_are_written_to_the_results_file(
    fake_server: FakeOpenAIServer, tmp_path: Path
) -> None:
    path = tmp_path / "results.jsonl"
    run_benchmark(_golden(3), [_model(fake_server, FLASH)], results_path=path, progress=False)
    records = load_results(path)
    assert sorted(r.item_id for r in records) == ["q1", "q2", "q3"]
    assert {r.model for r in records} == {FLASH}


def test_rerun_after_interruption_calls_only_the_missing_items(
    fake_server: FakeOpenAIServer, tmp_path: Path
) -> None:
    path = tmp_path / "results.jsonl"
    golden = _golden(8)
    fake_server.set_reply(FLASH, _right)
    model = _model(fake_server, FLASH)

    async def interrupted() -> None:
        run = asyncio.create_task(
            arun_benchmark(golden, {"m": model}, results_path=path, concurrency=1, progress=False)
        )
        while len(load_results(path)) < 3:
            await asyncio.sleep(0.005)
        run.cancel()
        with pytest.raises(asyncio.CancelledError):
            await run

    asyncio.run(interrupted())
    done = len(load_results(path))
    assert 3 <= done < 8
    before = len(fake_server.requests)
    results = run_benchmark(golden, {"m": model}, results_path=path, progress=False)
    assert len(fake_server.requests) - before == 8 - done
    assert [r.item_id for r in results.records] == [f"q{i}" for i in range(1, 9)]
    assert results.mean_score("m") == 1.0


def test_a_complete_results_file_makes_a_rerun_call_nothing(
    fake_server: FakeOpenAIServer, tmp_path: Path
) -> None:
    path = tmp_path / "results.jsonl"
    model = _model(fake_server, FLASH)
    run_benchmark(_golden(4), {"m": model}, results_path=path, progress=False)
    before = len(fake_server.requests)
    results = run_benchmark(_golden(4), {"m": model}, results_path=path, progress=False)
    assert len(fake_server.requests) == before
    assert len(results.records) == 4


def test_failed_calls_are_recorded_then_retried_on_resume(
    fake_server: FakeOpenAIServer, tmp_path: Path
) -> None:
    path = tmp_path / "results.jsonl"
    fake_server.set_reply(FLASH, _right)
    fake_server.inject(FLASH, Fault.server_error(503))
    model = _model(fake_server, FLASH)
    first = run_benchmark(_golden(3), {"m": model}, results_path=path, concurrency=1,
                          progress=False)  # fmt: skip
    failed = [r for r in first.records if r.error]
    assert len(failed) == 1
    assert "503" in (failed[0].error or "")
    second = run_benchmark(_golden(3), {"m": model}, results_path=path, progress=False)
    assert all(r.ok for r in second.records)
    assert fake_server.calls_for(FLASH) == 4


def test_resume_false_starts_afresh(fake_server: FakeOpenAIServer, tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    model = _model(fake_server, FLASH)
    run_benchmark(_golden(2), {"m": model}, results_path=path, progress=False)
    run_benchmark(_golden(2), {"m": model}, results_path=path, resume=False, progress=False)
    assert fake_server.calls_for(FLASH) == 4
    assert len(load_results(path)) == 2


def test_rate_limited_run_still_completes(fake_server: FakeOpenAIServer) -> None:
    results = run_benchmark(_golden(3), {"m": _model(fake_server, FLASH)}, requests_per_s=200,
                            progress=False)  # fmt: skip
    assert len(results.records) == 3


def test_without_streaming_there_is_no_ttft(fake_server: FakeOpenAIServer) -> None:
    results = run_benchmark(_golden(1), {"m": _model(fake_server, FLASH)}, stream=False,
                            progress=False)  # fmt: skip
    assert results.records[0].ttft_s is None
    assert results.records[0].latency_s is not None


def test_task_scorer_overrides_the_named_scorer(fake_server: FakeOpenAIServer) -> None:
    quarter = {"reasoning": lambda out, exp: 0.25}
    model = {"m": _model(fake_server, FLASH)}
    results = run_benchmark(_golden(2), model, task_scorers=quarter, progress=False)
    assert results.mean_score("m") == 0.25


def test_judge_scorer_without_a_judge_explains_how_to_configure_it() -> None:
    line = json.dumps({"id": "t", "task": "free_text", "prompt": "hi", "expected": "hello",
                       "scorer": "judge"})  # fmt: skip
    with pytest.raises(GoldenSetError, match=r"PairwiseJudge\(judge_model\)"):
        run_benchmark(GoldenSet.parse([line]), {}, progress=False)
