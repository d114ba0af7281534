"""`globalapi report` and `globalapi dashboard` from the command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

from click.testing import CliRunner

from langchain_globalapi.cli import main
from tests.unit_tests.dashboard.conftest import write_calls


def test_report_json_prints_the_exact_totals(tmp_path: Path) -> None:
    path = tmp_path / "usage.db"
    total = write_calls(path, 12, at=time.time() - 60)
    result = CliRunner().invoke(main, ["report", "--ledger", str(path), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert Decimal(summary["totals"]["spend_usd"]) == total
    assert summary["totals"]["answered"] == 12


def test_report_writes_one_self_contained_html_file(tmp_path: Path) -> None:
    path = tmp_path / "usage.db"
    write_calls(path, 3, at=time.time() - 60)
    out = tmp_path / "report.html"
    result = CliRunner().invoke(main, ["report", "--ledger", str(path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Wrote {out}: 3 answers, $")
    html = out.read_text(encoding="utf-8")
    assert 'data-mode="report"' in html
    assert "<script src=" not in html
    assert '<link rel="stylesheet"' not in html


def test_report_since_and_until_select_the_period(tmp_path: Path) -> None:
    path = tmp_path / "usage.db"
    write_calls(path, 5, at=1736121600.0)  # 2025-01-06 00:00 UTC
    later = write_calls(path, 4, at=1736121600.0 + 3 * 86400, first_id=100)
    result = CliRunner().invoke(
        main,
        ["report", "--ledger", str(path), "--json", "--since", "2025-01-08T00:00:00+00:00",
         "--until", "2025-01-10T00:00:00+00:00"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["range"]["name"] == "custom"
    assert Decimal(summary["totals"]["spend_usd"]) == later


def test_report_needs_somewhere_to_write(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["report", "--ledger", str(tmp_path / "usage.db")])
    assert result.exit_code == 2
    assert "give --out report.html" in result.output


def test_report_rejects_a_time_it_cannot_read(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["report", "--ledger", str(tmp_path / "u.db"), "--json", "--since", "last tuesday"]
    )
    assert result.exit_code == 2
    assert "cannot read the time 'last tuesday'" in result.output


def test_report_rejects_a_period_that_ends_before_it_starts(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        ["report", "--ledger", str(tmp_path / "u.db"), "--json", "--since", "1d", "--until", "2d"],
    )
    assert result.exit_code == 2
    assert "--since must be before --until" in result.output


def test_report_on_a_corrupted_ledger_says_so_and_fails(tmp_path: Path) -> None:
    path = tmp_path / "usage.db"
    path.write_bytes(b"garbage" * 1000)
    result = CliRunner().invoke(main, ["report", "--ledger", str(path), "--json"])
    assert result.exit_code == 1
    assert "is not a readable ledger" in json.loads(result.output)["message"]


def test_dashboard_refuses_to_listen_beyond_loopback_without_the_flag(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["dashboard", "--ledger", str(tmp_path / "u.db"), "--host", "0.0.0.0", "--port", "0"]
    )
    assert result.exit_code == 2
    assert "--allow-remote" in result.output


def test_the_cli_does_not_import_the_web_stack() -> None:
    code = (
        "import sys, langchain_globalapi.cli; "
        "print(sorted({'starlette', 'uvicorn'} & set(sys.modules)))"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    output = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout
    assert output.strip() == "[]"
