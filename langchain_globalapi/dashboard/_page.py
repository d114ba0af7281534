"""The dashboard's one HTML page, filled in two ways: served live, or as a self-contained report.

The live page links its script, style and Chart.js from `/static/` and embeds the first
summary, so it paints without a second request. The report inlines all three and the
summary, so the single file opens anywhere, offline, with nothing to fetch.
"""

from __future__ import annotations

import html
import json
import re
from functools import cache
from importlib import resources
from typing import Any

__all__ = ["STATIC_FILES", "embed_json", "live_page", "report_page", "static_text"]

#: The files served under `/static/` (and inlined into reports).
STATIC_FILES = ("chart.umd.min.js", "dashboard.js", "dashboard.css")
_MARKER = re.compile(r"__(?:TITLE|LEDGER|MODE|STYLE|INITIAL|SCRIPTS)__")


@cache
def static_text(name: str) -> str:
    """The text of a file shipped in the package's `static` folder."""
    return (
        resources.files("langchain_globalapi.dashboard")
        .joinpath("static")
        .joinpath(name)
        .read_text(encoding="utf-8")
    )


def embed_json(data: Any) -> str:
    r"""JSON safe to place inside a `<script>` element (no `</script>` can end it early).

    Example:
        >>> print(embed_json({"model": "</script>"}))
        {"model": "\u003c/script\u003e"}
    """
    text = json.dumps(data)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _fill(summary: dict[str, Any], *, mode: str, style: str, scripts: str) -> str:
    page = static_text("dashboard.html")
    ledger = str(summary.get("ledger", ""))
    values = {
        "__TITLE__": html.escape(f"LLM cost dashboard: {ledger}"),
        "__LEDGER__": html.escape(ledger),
        "__MODE__": mode,
        "__STYLE__": style,
        "__INITIAL__": embed_json(summary),
        "__SCRIPTS__": scripts,
    }
    # One pass, so a value that happens to contain a marker is never substituted again.
    return _MARKER.sub(lambda match: values[match.group(0)], page)


def live_page(summary: dict[str, Any]) -> str:
    """The served page: assets from `/static/`, first summary embedded."""
    return _fill(
        summary,
        mode="live",
        style='<link rel="stylesheet" href="static/dashboard.css">',
        scripts='<script src="static/chart.umd.min.js"></script>\n'
        '<script src="static/dashboard.js"></script>',
    )


def report_page(summary: dict[str, Any]) -> str:
    """One self-contained HTML file: style, Chart.js, script and data inlined."""

    def inline_script(name: str) -> str:
        # "</script" cannot appear inside an inline script; the shipped files never contain it.
        text = static_text(name).replace("</script", "<\\/script")
        return f"<script>\n{text}\n</script>"

    return _fill(
        summary,
        mode="report",
        style=f"<style>\n{static_text('dashboard.css')}\n</style>",
        scripts=inline_script("chart.umd.min.js") + "\n" + inline_script("dashboard.js"),
    )
