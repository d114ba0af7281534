"""`globalapi report`: the dashboard as one static HTML file to share, or its figures as JSON."""

from __future__ import annotations

import os
import re
import time
from datetime import datetime
from typing import Any

from langchain_globalapi.dashboard._page import report_page
from langchain_globalapi.errors import LedgerError
from langchain_globalapi.ledger.reader import LedgerReader, open_reader
from langchain_globalapi.ledger.summary import summarize

__all__ = ["parse_time", "render_report", "report_summary"]

_RELATIVE = re.compile(r"^(\d+(?:\.\d+)?)\s*([smhdw])$")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_time(text: str, *, now: float | None = None) -> float:
    """A `--since`/`--until` value as seconds since the epoch.

    Accepts an ISO date or date-time (local time unless it has an offset), seconds since
    the epoch, or a duration before now: `90m`, `24h`, `7d`, `2w`.

    Example:
        >>> parse_time("7d", now=1_000_000.0)
        395200.0
        >>> parse_time("2025-01-06T00:00:00+00:00")
        1736121600.0
    """
    text = text.strip()
    now = time.time() if now is None else now
    relative = _RELATIVE.match(text.lower())
    if relative:
        return now - float(relative.group(1)) * _UNIT_S[relative.group(2)]
    try:
        return float(text)
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        msg = (
            f"cannot read the time {text!r}: give an ISO date or date-time (2025-01-06, "
            "2025-01-06T14:00), seconds since the epoch, or a duration before now (24h, 7d)"
        )
        raise LedgerError(msg) from None


def _reader(ledger: str | os.PathLike[str] | LedgerReader) -> LedgerReader:
    return ledger if isinstance(ledger, LedgerReader) else open_reader(ledger)


def report_summary(
    ledger: str | os.PathLike[str] | LedgerReader,
    *,
    since: float | None = None,
    until: float | None = None,
    range_name: str | None = None,
    **options: Any,
) -> dict[str, Any]:
    """The figures of a report, as a JSON-ready dict (what `globalapi report --json` prints).

    Example:
        >>> import os, tempfile
        >>> report_summary(os.path.join(tempfile.mkdtemp(), "usage.db"))["status"]
        'empty'
    """
    if since is not None and until is not None and since >= until:
        msg = "--since must be before --until"
        raise LedgerError(msg)
    reader = _reader(ledger)
    try:
        return summarize(reader, since=since, until=until, range_name=range_name, **options)
    finally:
        if reader is not ledger:
            reader.close()


def render_report(
    ledger: str | os.PathLike[str] | LedgerReader,
    *,
    since: float | None = None,
    until: float | None = None,
    range_name: str | None = None,
    **options: Any,
) -> str:
    """The dashboard as one self-contained HTML file (Chart.js and the data inlined).

    Example:
        >>> import os, tempfile
        >>> page = render_report(os.path.join(tempfile.mkdtemp(), "usage.db"))
        >>> page.startswith("<!doctype html>"), "<script src=" in page
        (True, False)
    """
    summary = report_summary(ledger, since=since, until=until, range_name=range_name, **options)
    return report_page(summary)
