"""`globalapi route` and `plan` with --outcomes and --task: what the router learned."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from langchain_globalapi import TieredRouterRunnable

PROOF = "Prove that there are infinitely many primes of the form 4k + 3."


@pytest.fixture
def learned(tmp_path: Path) -> Path:
    router = TieredRouterRunnable.from_defaults(api_key="k")
    for proof in ("Prove that there are infinitely many primes.", "Prove that 2 is prime."):
        router.record_outcome(proof, cheap_ok=False, strong_ok=True, task="proofs")
    path = tmp_path / "learned.npz"
    router.scorer.save_outcomes(path)
    return path


def test_route_shows_what_was_learned_per_task(globalapi, learned: Path) -> None:
    result = globalapi(["route", PROOF, "--outcomes", learned, "--task", "proofs"])
    assert result.exit_code == 0, result.output
    assert "learned from outcomes" in result.output
    assert "proofs" in result.output
    assert all(len(line) <= 80 for line in result.output.splitlines())


def test_outcomes_of_the_task_move_the_decision(globalapi, learned: Path) -> None:
    prior = json.loads(globalapi(["route", PROOF, "--json"]).output)
    tagged = json.loads(
        globalapi(["route", PROOF, "--outcomes", learned, "--task", "proofs", "--json"]).output
    )
    assert tagged["score"] > prior["score"]
    assert tagged["signals"]["task_outcomes"] == 2
    assert tagged["learned"]["proofs"]["rescued"] == 2.0


def test_plan_with_outcomes_reports_them(globalapi, learned: Path, examples: Path) -> None:
    result = globalapi(["plan", examples, "--outcomes", learned, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["learned"]["proofs"]["outcomes"] == 2.0


def test_a_missing_outcomes_file_is_one_line_not_a_traceback(globalapi, tmp_path: Path) -> None:
    result = globalapi(["route", "hi", "--outcomes", tmp_path / "nope.npz"])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
