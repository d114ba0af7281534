"""`globalapi --help` and every command's help: complete, 80 columns wide, and fast to load."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

COMMANDS = ["demo", "estimate", "plan", "route", "models", "bench", "calibrate"]
ROOT = Path(__file__).parents[3]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_within_80_columns(globalapi, command: str) -> None:
    result = globalapi([command, "--help"])
    assert result.exit_code == 0, result.output
    assert f"Usage: globalapi {command}" in result.output
    assert max(len(line) for line in result.output.splitlines()) <= 80


@pytest.mark.parametrize("command", ["estimate", "plan", "route", "models", "calibrate", "demo"])
def test_commands_a_script_reads_offer_json(globalapi, command: str) -> None:
    assert "--json" in globalapi([command, "--help"]).output


def test_root_help_lists_commands_in_order_with_environment_and_exit_codes(globalapi) -> None:
    text = globalapi(["--help"]).output
    listed = [line.split()[0] for line in text.split("Commands:")[1].splitlines() if line.strip()]
    assert [name for name in listed if name in COMMANDS] == COMMANDS
    assert "GLOBAL_API_BASE" in text
    assert "GLOBAL_API_KEY" in text
    for code in ("0  success", "1  a benchmark ran but some items failed", "2  bad input",
                 "3  endpoint unreachable"):  # fmt: skip
        assert code in text
    assert max(len(line) for line in text.splitlines()) <= 80


def _modules_after_help(args: list[str]) -> set[str]:
    script = (
        "import json, sys\n"
        "from langchain_globalapi.cli import main\n"
        f"try:\n    main({args!r}, prog_name='globalapi')\nexcept SystemExit:\n    pass\n"
        "sys.stderr.write(json.dumps(sorted(sys.modules)))\n"
    )
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=True, timeout=120, env=env)  # fmt: skip
    return set(json.loads(done.stderr))


@pytest.mark.parametrize("args", [["--help"], ["plan", "--help"], ["bench", "--help"]])
def test_help_loads_click_and_none_of_the_runtime(args: list[str]) -> None:
    loaded = {name.split(".")[0] for name in _modules_after_help(args)}
    assert "click" in loaded
    assert loaded.isdisjoint({"rich", "langchain_core", "langchain_openai", "openai", "numpy"})
