"""Rewrite each cookbook recipe's `## Output` block with what the recipe prints now.

Run after a change that moves a recipe's output on purpose (new default scorer, new prices),
then read the diff: every changed line must be explained by that change.

    python scripts/refresh_cookbook_outputs.py [recipe ...]
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

COOKBOOK = Path(__file__).resolve().parents[1] / "cookbook"
_OUTPUT = re.compile(r"(^## Output\b.*?^```[a-z]*\n)(.*?)(^```)", re.DOTALL | re.MULTILINE)


def refresh(recipe: str) -> bool:
    folder = COOKBOOK / recipe
    env = {k: v for k, v in os.environ.items() if k not in ("GLOBAL_API_KEY", "GLOBAL_API_BASE")}
    with tempfile.TemporaryDirectory() as cwd:
        done = subprocess.run(
            [sys.executable, str(folder / f"{recipe}.py")],
            cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
    if done.returncode != 0:
        print(f"{recipe}: failed\n{done.stderr[-2000:]}")
        return False
    readme = folder / "README.md"
    text = readme.read_text(encoding="utf-8")
    new = _OUTPUT.sub(lambda m: m.group(1) + done.stdout.rstrip("\n") + "\n" + m.group(3), text, 1)
    if new != text:
        readme.write_text(new, encoding="utf-8")
        print(f"{recipe}: output block updated")
    return True


def main() -> int:
    recipes = sys.argv[1:] or sorted(p.name for p in COOKBOOK.iterdir() if p.is_dir())
    refreshed = [refresh(recipe) for recipe in recipes]  # every recipe, even after a failure
    return 0 if all(refreshed) else 1


if __name__ == "__main__":
    raise SystemExit(main())
