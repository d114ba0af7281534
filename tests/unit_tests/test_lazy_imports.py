"""Lazy package exports: every public name resolves, and importing a package imports no more."""

from __future__ import annotations

import ast
import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import langchain_globalapi

PACKAGES = [
    "langchain_globalapi",
    "langchain_globalapi.bench",
    "langchain_globalapi.caching",
    "langchain_globalapi.fallbacks",
    "langchain_globalapi.routing",
    "langchain_globalapi.testing",
]
ROOT = Path(langchain_globalapi.__file__).parent


def _loaded_after(code: str) -> set[str]:
    """The modules a fresh interpreter holds after running `code`."""
    script = f"import json, sys\n{code}\nprint(json.dumps(sorted(sys.modules)))"
    # This checkout first on the path, whatever is installed.
    path = os.pathsep.join([str(ROOT.parent), os.environ.get("PYTHONPATH", "")])
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120,
        env={**os.environ, "PYTHONPATH": path},
    ).stdout  # fmt: skip
    return set(json.loads(out.splitlines()[-1]))


def _heavy(loaded: set[str], prefixes: tuple[str, ...]) -> set[str]:
    return {name for name in loaded if name.split(".")[0] in prefixes or name in prefixes}


@pytest.mark.parametrize("package", PACKAGES)
def test_every_name_in_all_resolves_from_the_package(package: str) -> None:
    module = importlib.import_module(package)
    for name in module.__all__:
        namespace: dict[str, object] = {}
        exec(f"from {package} import {name}", namespace)
        assert namespace[name] is getattr(module, name)


@pytest.mark.parametrize("package", PACKAGES)
def test_dir_lists_every_public_name(package: str) -> None:
    module = importlib.import_module(package)
    assert set(module.__all__) <= set(dir(module))


@pytest.mark.parametrize("package", PACKAGES)
def test_type_checking_imports_exports_and_all_agree(package: str) -> None:
    init = ROOT.joinpath(*package.split(".")[1:], "__init__.py")
    tree = ast.parse(init.read_text(encoding="utf-8"))
    typed: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            for stmt in node.body:
                assert isinstance(stmt, ast.ImportFrom)
                typed |= {alias.name: str(stmt.module) for alias in stmt.names}
    module = importlib.import_module(package)
    exports = {name: f"{package}.{sub}" for name, sub in module._EXPORTS.items()}
    assert typed == exports, "a name's TYPE_CHECKING import and its _EXPORTS entry disagree"
    assert set(module.__all__) - {"__version__"} == set(exports), "__all__ and _EXPORTS disagree"


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="has no attribute 'ChatGlobalAPIs'"):
        _ = langchain_globalapi.ChatGlobalAPIs  # type: ignore[attr-defined]


def test_submodules_still_import_through_a_lazy_package() -> None:
    from langchain_globalapi.caching import _guard_words  # noqa: PLC0415

    assert _guard_words.__name__ == "langchain_globalapi.caching._guard_words"


def test_importing_the_package_imports_no_dependency() -> None:
    loaded = _loaded_after("import langchain_globalapi")
    heavy = ("langchain_openai", "openai", "numpy", "rich", "click", "langchain_core")
    assert _heavy(loaded, heavy) == set()
    assert not {m for m in loaded if m.startswith("langchain_globalapi.bench")}


def test_importing_a_router_imports_no_offline_tool() -> None:
    loaded = _loaded_after("from langchain_globalapi import TieredRouterRunnable")
    offline = {
        "langchain_globalapi.bench",
        "langchain_globalapi.bench.evaluation",
        "langchain_globalapi.bench.datasets",
        "langchain_globalapi.routing.plan",
        "langchain_globalapi.cli",
    }
    assert loaded & offline == set()
    assert _heavy(loaded, ("rich", "click", "matplotlib")) == set()


def test_importing_the_tripwire_imports_no_offline_metrics() -> None:
    loaded = _loaded_after("from langchain_globalapi import QualityTripwire")
    assert "langchain_globalapi.bench.evaluation" not in loaded
    assert "langchain_globalapi.bench.runner" not in loaded
