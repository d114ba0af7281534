"""The shared-ledger cookbook recipe runs offline and prints what its README says."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

RECIPE = Path(__file__).resolve().parents[3] / "cookbook" / "shared_ledger"


def test_the_recipe_prints_what_its_readme_shows(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    result = subprocess.run(
        [sys.executable, str(RECIPE / "shared_ledger.py")],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    readme = (RECIPE / "README.md").read_text(encoding="utf-8")
    shown = re.search(r"It prints.*?```\n(.*?)```", readme, re.DOTALL)
    assert shown is not None
    assert result.stdout == shown.group(1)
