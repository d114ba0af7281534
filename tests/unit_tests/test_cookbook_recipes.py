"""Every cookbook recipe runs as a user runs it, and prints exactly what its README shows.

Each `cookbook/NAME/NAME.py` is run as a subprocess (`python /abs/path/NAME.py`) from an empty
temporary working directory with `GLOBAL_API_KEY`, `GLOBAL_API_BASE` and `REDIS_URL` unset, so
it must find its own data through `__file__` and talk to its own `FakeOpenAIServer`. Its
stdout is compared, line by line, with the first fenced block under the `## Output` heading of
`cookbook/NAME/README.md`.

Ports, temporary paths and durations are normalized on both sides before comparing, and
nothing else (`tests/unit_tests/_printed.py`, described in cookbook/README.md).

Recipes that need an optional piece skip visibly when it is absent: a Python package of the
`test` extra (`langchain`, `langgraph`, `starlette`), or Debian's `redis-server` (then CI sets
GLOBALAPI_REQUIRE_REDIS=1 and a missing binary fails instead). Recipes run two at a time
(the machine has two cores), so the whole module takes about half the sum of their run times.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
from concurrent.futures import Future, ThreadPoolExecutor
from functools import cache
from pathlib import Path

import pytest

from tests.unit_tests._printed import normalize

ROOT = Path(__file__).resolve().parents[2]
COOKBOOK = ROOT / "cookbook"
DOCS = ROOT / "docs" / "cookbook"
RECIPES = sorted(path.name for path in COOKBOOK.iterdir() if (path / "README.md").is_file())

#: What a recipe needs beyond the core package: Python modules, and "redis-server".
NEEDS: dict[str, tuple[str, ...]] = {
    "agent_tools": ("langchain",),
    "caching_redis": ("redis", "redis-server"),
    "langgraph_node": ("langgraph",),
    "shared_ledger": ("starlette", "uvicorn"),
    "streaming_endpoint": ("starlette", "httpx"),
}

_OUTPUT = re.compile(r"^## Output\b.*?^```[a-z]*\n(.*?)^```", re.DOTALL | re.MULTILINE)


def shown_output(recipe: str) -> str:
    """The fenced block under `## Output` in the recipe's README."""
    readme = (COOKBOOK / recipe / "README.md").read_text(encoding="utf-8")
    match = _OUTPUT.search(readme)
    assert match, f"cookbook/{recipe}/README.md has no fenced block under '## Output'"
    return match.group(1)


def missing(recipe: str) -> str | None:
    """Why `recipe` cannot run here, or None."""
    for need in NEEDS.get(recipe, ()):
        if need == "redis-server":
            if shutil.which("redis-server") is None:
                return "redis-server is not installed (apt-get install -y redis-server)"
        elif importlib.util.find_spec(need) is None:
            return f"{need} is not installed (pip install -e '.[test]')"
    return None


def _run(recipe: str) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    env = {k: v for k, v in os.environ.items()
           if k not in {"GLOBAL_API_KEY", "GLOBAL_API_BASE", "REDIS_URL"}}  # fmt: skip
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    with tempfile.TemporaryDirectory(prefix=f"cookbook-{recipe}-") as workdir:
        done = subprocess.run(
            [sys.executable, str(COOKBOOK / recipe / f"{recipe}.py")],
            cwd=workdir, env=env, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        left = sorted(path.name for path in Path(workdir).iterdir())
    return done, left


@cache
def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=2, thread_name_prefix="cookbook")


@cache
def _started() -> dict[str, Future[tuple[subprocess.CompletedProcess[str], list[str]]]]:
    """Start every recipe that can run here (two at a time); each test waits for its own."""
    return {name: _pool().submit(_run, name) for name in RECIPES if missing(name) is None}


def test_the_cookbook_has_the_recipes_the_docs_promise() -> None:
    assert {
        "quickstart", "lcel_router", "agent_tools", "structured_extraction", "caching",
        "caching_redis", "fallback_outage", "costs_budgets", "tripwire", "bench_calibrate",
        "streaming_endpoint", "langgraph_node", "cascade", "shared_ledger", "testing_your_chain",
    } <= set(RECIPES)  # fmt: skip


@pytest.mark.parametrize("recipe", RECIPES)
def test_recipe_folder_has_its_script_and_an_output_block(recipe: str) -> None:
    assert (COOKBOOK / recipe / f"{recipe}.py").is_file()
    assert shown_output(recipe).strip(), f"{recipe}: the Output block is empty"
    assert f"python cookbook/{recipe}/{recipe}.py" in (COOKBOOK / recipe / "README.md").read_text(
        encoding="utf-8"
    ), f"{recipe}: the README does not say how to run it"


@pytest.mark.parametrize("recipe", RECIPES)
def test_cookbook_index_links_every_recipe(recipe: str) -> None:
    index = (COOKBOOK / "README.md").read_text(encoding="utf-8")
    assert f"({recipe}/)" in index, f"cookbook/README.md does not link {recipe}/"


@pytest.mark.parametrize("recipe", RECIPES)
def test_recipe_prints_what_its_readme_shows(recipe: str) -> None:
    reason = missing(recipe)
    if reason is not None:
        if "redis-server" in reason and os.environ.get("GLOBALAPI_REQUIRE_REDIS") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    done, left = _started()[recipe].result()
    assert done.returncode == 0, f"{recipe} failed:\n{done.stderr[-3000:]}"
    assert normalize(done.stdout) == normalize(shown_output(recipe)), (
        f"{recipe} printed something else than its README shows; stderr:\n{done.stderr[-2000:]}"
    )
    assert left == [], f"{recipe} left files in the working directory: {left}"


def test_normalize_makes_ports_temp_paths_and_durations_constant() -> None:
    tmp = tempfile.gettempdir()
    printed = f"at http://127.0.0.1:41283/v1 wrote {tmp}/tmpab12cd/usage.db in 12.5 ms  \n"
    assert normalize(printed) == ["at http://127.0.0.1:PORT/v1 wrote TMP/usage.db in N ms"]
    assert normalize("worker 1: 6 calls, $0.0001242") == ["worker 1: 6 calls, $0.0001242"]


# --- docs/cookbook holds explanations and excerpts, not second copies ----------------------

_PYTHON = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)


def _squeezed(code: str) -> list[str]:
    return [line.strip() for line in textwrap.dedent(code).splitlines() if line.strip()]


def _excerpts() -> list[tuple[str, str]]:
    return [
        (f"{page.name}[{n}]", block)
        for page in sorted(DOCS.glob("*.md"))
        for n, block in enumerate(_PYTHON.findall(page.read_text(encoding="utf-8")))
    ]


@pytest.mark.parametrize(("where", "code"), _excerpts(), ids=[w for w, _ in _excerpts()])
def test_docs_python_blocks_are_short_excerpts_of_a_recipe(where: str, code: str) -> None:
    lines = _squeezed(code)
    assert len(lines) <= 8, f"{where}: {len(lines)} lines; link the recipe instead of a copy"
    sources = [_squeezed(path.read_text(encoding="utf-8")) for path in COOKBOOK.glob("*/*.py")]
    found = any(
        source[i : i + len(lines)] == lines
        for source in sources
        for i in range(len(source) - len(lines) + 1)
    )
    assert found, f"{where} is not an excerpt of any cookbook/*/*.py (it would rot unseen)"


def test_docs_link_only_recipes_that_exist() -> None:
    for page in sorted(DOCS.glob("*.md")):
        for recipe in re.findall(r"\.\./\.\./cookbook/([a-z_]+)/", page.read_text("utf-8")):
            assert recipe in RECIPES, f"{page.name} links cookbook/{recipe}/, which does not exist"
