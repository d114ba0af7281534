"""Golden sets: loading, defaults, and errors that name the line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from langchain_globalapi.bench import BUILTIN_SCORERS, GoldenSet
from langchain_globalapi.errors import GoldenSetError

GOOD = {"id": "q1", "task": "reasoning", "prompt": "2+2?", "expected": 4}


def _write(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "golden.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_shipped_golden_set_has_sixty_valid_items_across_five_task_types() -> None:
    golden = GoldenSet.default()
    assert len(golden) == 60
    assert golden.tasks == [
        "classification",
        "extraction",
        "free_text",
        "reasoning",
        "summarization",
    ]
    assert {item.scorer for item in golden} <= set(BUILTIN_SCORERS)


def test_benchmarks_copy_is_the_shipped_set() -> None:
    path = Path(__file__).parents[3] / "benchmarks" / "golden" / "golden_v1.jsonl"
    assert [i.id for i in GoldenSet.load(path)] == [i.id for i in GoldenSet.default()]


def test_scorer_defaults_by_task_and_prompt_becomes_a_user_message(tmp_path: Path) -> None:
    golden = GoldenSet.load(_write(tmp_path, [json.dumps(GOOD)]))
    assert golden["q1"].scorer == "numeric"
    assert golden["q1"].messages == ({"role": "user", "content": "2+2?"},)


def test_invalid_json_names_file_and_line(tmp_path: Path) -> None:
    path = _write(tmp_path, [json.dumps(GOOD), "", '{"id": "q2", "task": '])
    with pytest.raises(GoldenSetError, match=r"golden\.jsonl:3: not valid JSON") as info:
        GoldenSet.load(path)
    assert info.value.line == 3


def test_missing_expected_names_the_line(tmp_path: Path) -> None:
    record = {k: v for k, v in GOOD.items() if k != "expected"} | {"id": "q2"}
    with pytest.raises(GoldenSetError, match=r":2: \"expected\" is missing"):
        GoldenSet.load(_write(tmp_path, [json.dumps(GOOD), json.dumps(record)]))


def test_duplicate_id_names_both_lines(tmp_path: Path) -> None:
    with pytest.raises(GoldenSetError, match=r":2: duplicate id 'q1' \(first used on line 1\)"):
        GoldenSet.load(_write(tmp_path, [json.dumps(GOOD), json.dumps(GOOD)]))


def test_prompt_and_messages_together_are_rejected(tmp_path: Path) -> None:
    record = GOOD | {"messages": [{"role": "user", "content": "x"}]}
    with pytest.raises(GoldenSetError, match=r":1: give exactly one of \"prompt\""):
        GoldenSet.load(_write(tmp_path, [json.dumps(record)]))


def test_bad_message_role_is_reported_with_its_index(tmp_path: Path) -> None:
    record = {k: v for k, v in GOOD.items() if k != "prompt"}
    record["messages"] = [{"role": "user", "content": "a"}, {"role": "robot", "content": "b"}]
    with pytest.raises(GoldenSetError, match=r":1: \"messages\"\[1\]"):
        GoldenSet.load(_write(tmp_path, [json.dumps(record)]))


def test_unknown_scorer_is_rejected_when_known_scorers_are_given(tmp_path: Path) -> None:
    path = _write(tmp_path, [json.dumps(GOOD | {"scorer": "bleu"})])
    with pytest.raises(GoldenSetError, match=r":1: unknown scorer 'bleu'"):
        GoldenSet.load(path, known_scorers=BUILTIN_SCORERS)


def test_unknown_task_without_scorer_asks_for_one(tmp_path: Path) -> None:
    with pytest.raises(GoldenSetError, match=r"task 'poetry' has no default scorer"):
        GoldenSet.load(_write(tmp_path, [json.dumps(GOOD | {"task": "poetry"})]))


def test_unknown_keys_are_rejected_so_typos_surface(tmp_path: Path) -> None:
    with pytest.raises(GoldenSetError, match=r"unknown key\(s\) \['expeted'\]"):
        GoldenSet.load(_write(tmp_path, [json.dumps(GOOD | {"expeted": 5})]))


def test_missing_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(GoldenSetError, match="does not exist"):
        GoldenSet.load(tmp_path / "nope.jsonl")
