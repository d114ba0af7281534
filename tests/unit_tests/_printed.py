"""Comparing what a script printed with what its documentation shows.

Only what truly varies between runs is made constant, on both sides:

- loopback ports: `127.0.0.1:41283` -> `127.0.0.1:PORT` (servers bind free ports);
- temporary paths: `/tmp/tmpab12cd/usage.db` -> `TMP/usage.db` (`tempfile` names them);
- durations: `12.3 ms`, `0.84s` -> `N ms`, `N s` (wall-clock timings).

Trailing spaces are dropped, and leading or trailing blank lines.
"""

from __future__ import annotations

import re
import tempfile

_PORT = re.compile(r"\b(127\.0\.0\.1|localhost):\d+")
_TEMP = re.compile(re.escape(tempfile.gettempdir()) + r"/[^\s/'\"]+")  # one folder tempfile made
_DURATION = re.compile(r"\b\d+(?:\.\d+)? ?(ms|s)\b")


def normalize(text: str) -> list[str]:
    """The lines of `text` with ports, temporary paths and durations made constant."""
    text = _PORT.sub(r"\1:PORT", text)
    text = _TEMP.sub("TMP", text)
    text = _DURATION.sub(r"N \1", text)
    return [line.rstrip() for line in text.strip("\n").splitlines()]
