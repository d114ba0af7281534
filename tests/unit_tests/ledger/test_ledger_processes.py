"""Several processes writing one ledger add up, and a process that just exits loses nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from langchain_globalapi.costs import price_usage
from langchain_globalapi.ledger import open_reader, summarize

_WRITER = """
import sys
from langchain_globalapi.costs import BilledCall, price_usage
from langchain_globalapi.ledger import Ledger

target, first, last = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
ledger = Ledger(target)
model = "deepseek-ai/DeepSeek-V4-Flash"
for i in range(first, last):
    cost = price_usage({"input_tokens": 100 + i, "output_tokens": 7 * i}, model)
    ledger.on_billed(BilledCall(f"call-{i}", f"run-{i}", 1736121600.0 + i, 10.0, model, cost=cost))
# No close(), no flush(): what is queued is written when the interpreter exits.
"""


def _expected_usd(ids: range) -> Decimal:
    model = "deepseek-ai/DeepSeek-V4-Flash"
    costs = (price_usage({"input_tokens": 100 + i, "output_tokens": 7 * i}, model) for i in ids)
    return sum((cost.usd for cost in costs if cost.usd), Decimal(0))


@pytest.fixture(params=["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "shared.db")
    return str(request.getfixturevalue("redis_url"))


def _spawn(target: str, first: int, last: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.Popen(
        [sys.executable, "-c", _WRITER, target, str(first), str(last)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip


def _summary(target: str) -> dict[str, Any]:
    return summarize(open_reader(target), now=1736121600.0 + 3600)


def test_two_processes_writing_one_ledger_add_up_and_overlaps_count_once(target: str) -> None:
    # Calls 300..399 are handed to both processes (as a retry in another worker would be).
    writers = [_spawn(target, 0, 400), _spawn(target, 300, 700)]
    for writer in writers:
        _, stderr = writer.communicate(timeout=60)
        assert writer.returncode == 0, stderr.decode()
    totals = _summary(target)["totals"]
    assert totals["calls"] == 700
    assert Decimal(totals["spend_usd"]) == _expected_usd(range(700))


def test_a_process_that_exits_without_closing_still_writes_its_calls(target: str) -> None:
    writer = _spawn(target, 0, 50)
    _, stderr = writer.communicate(timeout=60)
    assert writer.returncode == 0, stderr.decode()
    assert _summary(target)["totals"]["calls"] == 50
