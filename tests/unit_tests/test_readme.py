"""Every python block of README.md runs, in order, and prints what the README shows after it.

The blocks run in one namespace (a later block may use an earlier block's `chain`), from an
empty temporary folder, with `GLOBAL_API_BASE` pointed at a `FakeOpenAIServer` and a dummy
`GLOBAL_API_KEY`: the code is the README's, unchanged. A python block's shown output is a
```text block that follows it with at most one line of prose between them; ports, temporary
paths and durations are normalized (`tests/unit_tests/_printed.py`).
"""

from __future__ import annotations

import contextlib
import io
import re
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import langchain_globalapi
from langchain_globalapi.testing import FakeOpenAIServer
from tests.unit_tests._printed import normalize

README = Path(__file__).resolve().parents[2] / "README.md"
_FENCE = re.compile(r"^```([a-z]*)\n(.*?)^```\n?", re.DOTALL | re.MULTILINE)


@dataclass(frozen=True)
class Block:
    """One python block of the README, and the output shown after it (or None)."""

    line: int
    code: str
    shown: str | None


def readme_blocks(text: str) -> list[Block]:
    """The python blocks of `text`, each with the text block that shows its output."""
    fences = list(_FENCE.finditer(text))
    blocks = []
    for index, fence in enumerate(fences):
        if fence.group(1) != "python":
            continue
        shown = None
        if index + 1 < len(fences) and fences[index + 1].group(1) == "text":
            between = text[fence.end() : fences[index + 1].start()].strip()
            if "\n" not in between:  # nothing, or one line of prose
                shown = fences[index + 1].group(2)
        blocks.append(Block(text.count("\n", 0, fence.start()) + 1, fence.group(2), shown))
    return blocks


BLOCKS = readme_blocks(README.read_text(encoding="utf-8"))
IDS = [f"README.md:{block.line}" for block in BLOCKS]


@dataclass
class Ran:
    """What one block printed, and the traceback it raised (or None)."""

    printed: str
    error: str | None


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Ran]]:
    """Run every block in order in one namespace, against a local server, from an empty dir."""
    workdir = tmp_path_factory.mktemp("readme")
    namespace: dict[str, Any] = {"__name__": "readme"}
    results: list[Ran] = []
    with FakeOpenAIServer() as server, pytest.MonkeyPatch.context() as patch:
        patch.setenv("GLOBAL_API_BASE", server.base_url)
        patch.setenv("GLOBAL_API_KEY", "readme-test-key")
        patch.chdir(workdir)
        for block in BLOCKS:
            out = io.StringIO()
            error = None
            with contextlib.redirect_stdout(out):
                try:
                    exec(compile(block.code, f"README.md:{block.line}", "exec"), namespace)
                except Exception:  # reported by the block's own test
                    error = traceback.format_exc()
            results.append(Ran(out.getvalue(), error))
        yield results


def test_readme_has_python_blocks_and_shows_some_output() -> None:
    assert len(BLOCKS) >= 3
    assert any(block.shown is not None for block in BLOCKS)


@pytest.mark.parametrize("index", range(len(BLOCKS)), ids=IDS)
def test_readme_block_runs(index: int, ran: list[Ran]) -> None:
    assert ran[index].error is None, ran[index].error


@pytest.mark.parametrize(
    "index", [i for i, b in enumerate(BLOCKS) if b.shown is not None],
    ids=[IDS[i] for i, b in enumerate(BLOCKS) if b.shown is not None],
)  # fmt: skip
def test_readme_block_prints_what_the_readme_shows(index: int, ran: list[Ran]) -> None:
    shown = BLOCKS[index].shown
    assert shown is not None
    assert normalize(ran[index].printed) == normalize(shown)


def test_readme_starts_with_the_two_commands() -> None:
    first = _FENCE.search(README.read_text(encoding="utf-8"))
    assert first is not None
    assert first.group(1) == "bash"
    commands = [line for line in first.group(2).splitlines() if not line.startswith("#")]
    assert [c for c in commands if c.strip()] == [
        "python3 -m venv .venv && . .venv/bin/activate && pip install -e . && globalapi demo",
        'pip install -e ".[test]" && pytest',
    ]


@pytest.mark.parametrize(
    "name", [n for n in langchain_globalapi.__all__ if not n.startswith("__")]
)  # fmt: skip
def test_readme_table_names_every_public_name(name: str) -> None:
    assert f"`{name}`" in README.read_text(encoding="utf-8")


def test_readme_blocks_pair_a_python_block_with_the_text_block_after_it() -> None:
    text = "```python\nprint(1)\n```\n\nOutput:\n\n```text\n1\n```\n\n```python\nx = 2\n```\n"
    blocks = readme_blocks(text)
    assert [(b.code, b.shown) for b in blocks] == [("print(1)\n", "1\n"), ("x = 2\n", None)]


def test_readme_blocks_ignore_a_text_block_after_a_paragraph() -> None:
    text = "```python\nprint(1)\n```\n\nOne line.\nAnother line.\n\n```text\n1\n```\n"
    assert readme_blocks(text)[0].shown is None
