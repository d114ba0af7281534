"""Fixtures for the `globalapi` command tests."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from langchain_globalapi.cli import main

Run = Callable[..., Result]


@pytest.fixture
def globalapi() -> Run:
    """Invoke `globalapi ARGS` in-process, as an 80-column terminal with no key set."""

    def run(args: Sequence[str], env: dict[str, str] | None = None) -> Result:
        base = {"COLUMNS": "80", "GLOBAL_API_KEY": None, "GLOBAL_API_BASE": None}
        return CliRunner().invoke(main, [str(a) for a in args], env={**base, **(env or {})})

    return run


@pytest.fixture
def examples() -> Path:
    """The repository's example prompts file."""
    return Path(__file__).parents[3] / "examples" / "prompts.jsonl"


@pytest.fixture
def dead_url() -> str:
    """A loopback URL where nothing listens (the port was free a moment ago)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


@pytest.fixture
def golden(tmp_path: Path) -> Path:
    """Three classification items, all expecting "spam"."""
    path = tmp_path / "golden.jsonl"
    rows = [{"id": f"c{i}", "task": "classification", "prompt": f"label message {i}",
             "expected": "spam", "scorer": "label"} for i in range(3)]  # fmt: skip
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path
