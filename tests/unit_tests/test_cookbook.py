"""Every cookbook recipe that runs against the local server runs here, so the docs stay true."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from langchain_globalapi.testing import FakeOpenAIServer

COOKBOOK = Path(__file__).resolve().parents[2] / "docs" / "cookbook"
_BLOCK = re.compile(r"```python\n(.*?)```", re.DOTALL)


def _recipes() -> list[tuple[str, str]]:
    found = []
    for path in sorted(COOKBOOK.glob("*.md")):
        for index, block in enumerate(_BLOCK.findall(path.read_text(encoding="utf-8"))):
            if "FakeOpenAIServer" in block:
                found.append((f"{path.stem}[{index}]", block))
    return found


RECIPES = _recipes()


def test_every_feature_has_a_runnable_recipe() -> None:
    names = {name.split("[")[0] for name, _ in RECIPES}
    assert {"chat-model", "costs", "routing", "caching", "fallbacks", "tripwire", "agents"} <= names


@pytest.mark.parametrize(("name", "code"), RECIPES, ids=[name for name, _ in RECIPES])
def test_recipe_runs(
    name: str,
    code: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Recipes may write files (cache.db, results); they read examples/ from the repo root.
    (tmp_path / "examples").symlink_to(COOKBOOK.parents[1] / "examples")
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, Any] = {"__name__": f"cookbook_{name}"}
    exec(compile(code, f"{name}.md", "exec"), namespace)
    tests = [fn for key, fn in namespace.items() if key.startswith("test_") and callable(fn)]
    for test in tests:  # a recipe that shows a pytest test: run it against a fresh server
        with FakeOpenAIServer() as server:
            test(server)
    assert tests or capsys.readouterr().out.strip(), f"recipe {name} printed nothing"


def test_no_recipe_shows_an_empty_output_block() -> None:
    for path in sorted(COOKBOOK.glob("*.md")):
        assert "```\n```" not in path.read_text(encoding="utf-8"), f"{path.name}: empty block"
