"""Exit codes that mean something, and one line instead of a traceback for what a user can fix."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from langchain_globalapi import errors
from langchain_globalapi.cli._common import as_command_error
from langchain_globalapi.testing import FakeOpenAIServer, Fault

ROOT = Path(__file__).parents[3]


def _one_error_line(result) -> str:
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    return lines[0]


def test_models_at_an_unreachable_endpoint_exits_3_with_one_line(globalapi, dead_url) -> None:
    result = globalapi(["models"], env={"GLOBAL_API_KEY": "k", "GLOBAL_API_BASE": dead_url})
    assert result.exit_code == 3
    line = _one_error_line(result)
    assert f"cannot reach {dead_url}" in line
    assert "GLOBAL_API_BASE" in line


def test_bench_at_an_unreachable_endpoint_exits_3_before_any_item(
    globalapi, dead_url, golden, tmp_path: Path
) -> None:
    results = tmp_path / "results.jsonl"
    args = ["bench", golden, "--model", "GA-Economy", "--resume", results, "--no-progress"]
    result = globalapi(args, env={"GLOBAL_API_KEY": "k", "GLOBAL_API_BASE": dead_url})
    assert result.exit_code == 3
    assert "cannot reach" in _one_error_line(result)
    assert not results.exists()


def test_demo_with_a_key_at_an_unreachable_endpoint_exits_3(globalapi, dead_url) -> None:
    result = globalapi(["demo"], env={"GLOBAL_API_KEY": "k", "GLOBAL_API_BASE": dead_url})
    assert result.exit_code == 3
    assert "cannot reach" in _one_error_line(result)


def test_a_real_process_prints_no_traceback_for_an_unreachable_endpoint(dead_url) -> None:
    path = os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    env = {**os.environ, "GLOBAL_API_KEY": "k", "GLOBAL_API_BASE": dead_url, "PYTHONPATH": path}
    done = subprocess.run([sys.executable, "-m", "langchain_globalapi.cli", "models"],
                          capture_output=True, text=True, timeout=120, env=env,
                          check=False)  # fmt: skip
    assert done.returncode == 3
    assert done.stderr.startswith("Error: cannot reach")
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_a_rejected_key_exits_2_and_says_which_setting(globalapi) -> None:
    with FakeOpenAIServer(api_key="right") as server:
        result = globalapi(
            ["models"], env={"GLOBAL_API_KEY": "wrong", "GLOBAL_API_BASE": server.base_url}
        )
    assert result.exit_code == 2
    assert "GLOBAL_API_KEY" in _one_error_line(result)


def test_bench_exits_1_and_prints_the_first_causes_when_every_item_fails(
    globalapi, fake_server: FakeOpenAIServer, golden
) -> None:
    fake_server.inject("*", Fault.server_error(500), times=None)
    args = ["bench", golden, "--model", "GA-Economy", "--base-url", fake_server.base_url,
            "--no-progress"]  # fmt: skip
    result = globalapi(args, env={"GLOBAL_API_KEY": "k"})
    assert result.exit_code == 1
    assert "3 of 3 item(s) failed." in result.output
    assert "3x " in result.output
    assert "500" in result.output
    assert "(first: GA-Economy c0)" in result.output
    assert "--resume" in result.output


def test_bench_exits_1_when_only_some_items_fail(
    globalapi, fake_server: FakeOpenAIServer, golden
) -> None:
    fake_server.set_reply("*", "spam")
    fake_server.inject("GA-Economy", Fault.bad_request("injected: prompt rejected"))
    args = ["bench", golden, "--model", "GA-Economy", "--base-url", fake_server.base_url,
            "--no-progress", "--concurrency", "1"]  # fmt: skip
    result = globalapi(args, env={"GLOBAL_API_KEY": "k"})
    assert result.exit_code == 1
    assert "1 of 3 item(s) failed." in result.output


def test_bench_failures_go_to_stderr_when_stdout_is_json(
    globalapi, fake_server: FakeOpenAIServer, golden
) -> None:
    fake_server.inject("*", Fault.server_error(503), times=None)
    args = ["bench", golden, "--model", "GA-Economy", "--base-url", fake_server.base_url, "--json"]
    result = globalapi(args, env={"GLOBAL_API_KEY": "k"})
    assert result.exit_code == 1
    assert '"failed": 3' in result.stdout
    assert "3 of 3 item(s) failed." in result.stderr


def test_a_reference_that_is_not_benchmarked_is_bad_input(globalapi, golden) -> None:
    args = ["bench", golden, "--model", "GA-Economy", "--reference", "gpt-4o"]
    result = globalapi(args, env={"GLOBAL_API_KEY": "k"})
    assert result.exit_code == 2
    assert "--model gpt-4o" in _one_error_line(result)


def test_a_missing_catalog_file_exits_2(globalapi, tmp_path: Path) -> None:
    result = globalapi(["estimate", "--catalog", tmp_path / "nope.toml"])
    assert result.exit_code == 2
    assert "nope.toml" in _one_error_line(result)


def test_a_malformed_prompts_file_names_the_line(globalapi, tmp_path: Path) -> None:
    path = tmp_path / "p.jsonl"
    path.write_text('{"prompt": "ok"}\n{"prompt": oops}\n')
    result = globalapi(["plan", path])
    assert result.exit_code == 2
    assert "p.jsonl:2: not valid JSON" in _one_error_line(result)


def test_thresholds_and_a_router_config_together_are_a_usage_error(
    globalapi, examples: Path, tmp_path: Path
) -> None:
    config = tmp_path / "router.json"
    config.write_text('{"router": {"thresholds": [0.2, 0.3]}}')
    result = globalapi(["plan", examples, "--thresholds", "0.1,0.2", "--router-config", config])
    assert result.exit_code == 2
    assert "not both" in result.output


def test_bad_thresholds_are_a_usage_error(globalapi) -> None:
    result = globalapi(["route", "hi", "--thresholds", "0.5,low"])
    assert result.exit_code == 2
    assert "comma-separated cut points" in result.output


def test_an_endpoint_unreachable_error_exits_3_whatever_it_subclasses(monkeypatch) -> None:
    class EndpointUnreachableError(errors.GlobalAPIError, ValueError):
        """Stands in for the library's typed error for a wrong base URL."""

    monkeypatch.setattr(errors, "EndpointUnreachableError", EndpointUnreachableError, raising=False)
    error = as_command_error(EndpointUnreachableError("cannot reach http://127.0.0.1:9/v1"))
    assert error is not None
    assert (error.exit_code, error.message) == (3, "cannot reach http://127.0.0.1:9/v1")


def test_an_error_the_user_cannot_fix_keeps_its_traceback(globalapi, monkeypatch) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr("langchain_globalapi.estimate.estimate_spend", broken)
    result = globalapi(["estimate"])
    assert isinstance(result.exception, ZeroDivisionError)
