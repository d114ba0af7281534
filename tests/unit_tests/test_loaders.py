"""Every file loader names the file and the line, and raises the package's own error.

Invalid UTF-8, broken syntax and wrong shapes (a list where a table belongs, a string
price, a missing field) must never surface as `UnicodeDecodeError`, `AttributeError`,
`KeyError` or `JSONDecodeError`.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from langchain_globalapi import Catalog, GoldenSet
from langchain_globalapi.bench.replay import load_router_config
from langchain_globalapi.bench.runner import BenchmarkRecord, load_results
from langchain_globalapi.errors import (
    CatalogError,
    GoldenSetError,
    PromptFileError,
    RoutingConfigError,
)
from langchain_globalapi.routing.learned import LearnedScorer
from langchain_globalapi.routing.plan import load_prompts

GOOD_ITEM = b'{"id": "a", "task": "reasoning", "prompt": "2+2?", "expected": 4}'


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


# --- catalog files ---------------------------------------------------------------------------

CATALOG_CASES = [
    # (file name, bytes, line, what the message says)
    (
        "bad-utf8.toml",
        b'[models."acme/x"]\ninput = "0.1"\nnotes = "caf\xe9"\n',
        3,
        "not valid UTF-8",
    ),
    ("bad-utf8.json", b'{"models": {"acme/x": {"notes": "\xff"}}}', 1, "not valid UTF-8"),
    ("syntax.toml", b'[models."acme/x"]\ninput = \n', 2, "not valid TOML"),
    ("syntax.json", b'{"models": {\n"acme/x": {"input": 1,}\n}}', 2, "not valid JSON"),
    ("list-doc.json", b'[{"input": 1}]', 1, "must hold a table with a 'models' key, not a list"),
    ("models-list.json", b'{"models": [\n"gpt-4o"\n]}', 1, "'models' must be a table"),
    ("models-list.toml", b'models = ["gpt-4o"]\n', 1, "'models' must be a table"),
    (
        "entry-list.toml",
        b'[models]\n"acme/x" = ["0.1", "0.2"]\n',
        2,
        "must be a mapping of fields",
    ),
    (
        "string-price.toml",
        b'[models."acme/a"]\ninput = "1"\noutput = "1"\n'
        b'[models."acme/x"]\ninput = "cheap"\noutput = "1"\n',
        4,
        "input_per_mtok must be a finite, non-negative USD amount",
    ),
    (
        "missing-price.json",
        b'{"models": {\n  "acme/x": {"input": "0.1"}\n}}',
        2,
        "needs both prices",
    ),
    (
        "bool-window.toml",
        b'[models."gpt-4o"]\ncontext_window = true\n',
        1,
        "context_window must be None or an integer >= 1",
    ),
    ("aliases-str.toml", b'[models."gpt-4o"]\naliases = "4o"\n', 1, "aliases must be a list"),
    ("tiers-list.toml", b'tiers = ["gpt-4o"]\n', 1, "tiers must map tier names"),
    ("reference-int.json", b'{\n"reference_model": 4\n}', 2, "reference model 4"),
    ("extra.toml", b"x = 1\nprices = 2\n", 2, "unknown key(s) ['prices', 'x']"),
]


@pytest.mark.parametrize(("name", "data", "line", "says"), CATALOG_CASES)
def test_catalog_file_errors_name_file_and_line(
    tmp_path: Path, name: str, data: bytes, line: int, says: str
) -> None:
    path = _write(tmp_path / name, data)
    with pytest.raises(CatalogError) as caught:
        Catalog.from_file(path)
    message = str(caught.value)
    assert message.startswith(f"{path}:{line}: ")
    assert says in message


def test_catalog_file_that_is_a_directory_is_a_catalog_error(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match=r"cannot read this catalog file"):
        Catalog.from_file(tmp_path)


def test_valid_catalog_file_still_loads(tmp_path: Path) -> None:
    path = _write(tmp_path / "ok.toml", b'[models."acme/x"]\ninput = 0.1\noutput = "0.4"\n')
    info = Catalog.from_file(path).require("acme/x")
    assert (str(info.input_per_mtok), str(info.output_per_mtok)) == ("0.1", "0.4")


# --- golden sets -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "line", "says"),
    [
        (GOOD_ITEM + b"\n\n" + b'{"id": "b", "task": "qa\xe9"}\n', 3, "not valid UTF-8"),
        (GOOD_ITEM + b"\n[1, 2]\n", 2, "a record must be a JSON object, got list"),
        (GOOD_ITEM + b'\n{"id": "b", "task": "reasoning", "prompt": "x"\n', 2, "not valid JSON"),
        (b'{"id": "a", "prompt": "x", "expected": 1}\n', 1, '"task" is missing'),
    ],
)
def test_golden_set_errors_name_file_and_line(
    tmp_path: Path, data: bytes, line: int, says: str
) -> None:
    path = _write(tmp_path / "golden.jsonl", data)
    with pytest.raises(GoldenSetError) as caught:
        GoldenSet.load(path)
    assert str(caught.value).startswith(f"{path}:{line}: ")
    assert says in str(caught.value)
    assert (caught.value.path, caught.value.line) == (str(path), line)


def test_golden_set_path_that_is_a_directory_is_a_golden_set_error(tmp_path: Path) -> None:
    with pytest.raises(GoldenSetError, match="cannot read this golden set"):
        GoldenSet.load(tmp_path)


# --- prompt files, router configs, scorer weights, results -----------------------------------


@pytest.mark.parametrize(
    ("name", "data", "line", "says"),
    [
        ("p.txt", b"first prompt\nsecond \xc3\x28 prompt\n", 2, "not valid UTF-8"),
        ("p.jsonl", b'{"prompt": "a"}\n{"messages": [1]}\n', 2, "messages[0] must be"),
        ("p.jsonl", b'{"prompt": "a"}\n\n{"prompt": \n', 3, "not valid JSON"),
    ],
)
def test_prompt_file_errors_name_file_and_line(
    tmp_path: Path, name: str, data: bytes, line: int, says: str
) -> None:
    path = _write(tmp_path / name, data)
    with pytest.raises(PromptFileError) as caught:
        load_prompts(path)
    assert str(caught.value).startswith(f"{path}:{line}: ")
    assert says in str(caught.value)


@pytest.mark.parametrize(
    ("name", "data", "line", "says"),
    [
        ("router.toml", b"[router]\nthresholds = [0.3,\n", 2, "not valid TOML"),
        ("router.toml", b"[router]\nx = 1\ny = @\n", 3, "not valid TOML"),
        ("router.json", b'{"router": [0.3]}', 1, "expected a [router] table"),
        ("router.toml", b"[other]\nx = 1\n", None, "expected a [router] table"),
        ("router.json", b'{"router": {"x": "\xff"}}', 1, "not valid UTF-8"),
    ],
)
def test_router_config_errors_name_file_and_line(
    tmp_path: Path, name: str, data: bytes, line: int | None, says: str
) -> None:
    path = _write(tmp_path / name, data)
    with pytest.raises(RoutingConfigError) as caught:
        load_router_config(path)
    prefix = f"{path}:{line}: " if line is not None else f"{path}: "
    assert str(caught.value).startswith(prefix)
    assert says in str(caught.value)


@pytest.mark.parametrize(
    "data",
    [b"not a zip file at all", b"PK\x03\x04 truncated zip", b""],
    ids=["garbage", "truncated", "empty"],
)
def test_scorer_weights_that_are_not_a_weights_file_raise_routing_config_error(
    tmp_path: Path, data: bytes
) -> None:
    path = _write(tmp_path / "weights.npz", data)
    with pytest.raises(RoutingConfigError, match=r"weights\.npz: not a LearnedScorer weights"):
        LearnedScorer.load(path)


def test_scorer_weights_missing_an_array_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "partial.npz"
    np.savez(path, vocabulary=np.asarray("a"))
    with pytest.raises(RoutingConfigError, match=r"partial\.npz: not a LearnedScorer weights"):
        LearnedScorer.load(path)


def test_scorer_weights_with_nan_are_refused(tmp_path: Path) -> None:
    scorer = LearnedScorer.fit(["hi", "prove it step by step"] * 4, [0, 1] * 4, min_count=1)
    scorer.term_weights[0] = np.nan
    path = tmp_path / "nan.npz"
    scorer.save(path)
    with pytest.raises(RoutingConfigError, match="term_weights holds NaN"):
        LearnedScorer.load(path)


def test_missing_scorer_weights_file_is_a_routing_config_error(tmp_path: Path) -> None:
    with pytest.raises(RoutingConfigError, match=r"missing\.npz"):
        LearnedScorer.load(tmp_path / "missing.npz")


def test_results_file_skips_unreadable_lines_with_a_warning_naming_the_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    good = BenchmarkRecord(model="m", item_id="a", task="qa", score=1.0).to_json().encode()
    path = _write(tmp_path / "results.jsonl", good + b"\n\xff\xfe\n[1]\n" + good + b'\n{"tor')
    with caplog.at_level(logging.WARNING, logger="langchain_globalapi.bench.runner"):
        records = load_results(path)
    assert [record.item_id for record in records] == ["a", "a"]
    assert f"{path}:2:" in caplog.text
    assert f"{path}:3:" in caplog.text
    assert ":5:" not in caplog.text  # a torn last line is expected after a crash
