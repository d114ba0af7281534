"""The cost dashboard: a live local web page and a shareable static report of a usage ledger.

`DashboardServer` serves the page (Starlette on uvicorn, imported only when it starts:
`pip install "langchain-globalapi[dashboard]"`); `render_report` writes the same page as
one self-contained HTML file and needs no web stack. The commands are `globalapi dashboard`
and `globalapi report`.

Example:
    >>> import os, tempfile
    >>> from langchain_globalapi.dashboard import render_report
    >>> html = render_report(os.path.join(tempfile.mkdtemp(), "usage.db"))
    >>> "No calls recorded yet" in html and "cdn" not in html.lower()
    True
"""

from langchain_globalapi.dashboard._server import DashboardServer
from langchain_globalapi.dashboard.report import parse_time, render_report

__all__ = ["DashboardServer", "parse_time", "render_report"]
