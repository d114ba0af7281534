"""`globalapi dashboard` and `globalapi report`: the cost dashboard of a usage ledger.

Importing this module costs only click: the web stack is imported when the dashboard
starts, so `globalapi --help` stays fast.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

__all__ = ["dashboard", "report"]

_LEDGER_OPTION = click.option(
    "--ledger", required=True, metavar="PATH|URL",
    help="The ledger your application writes: a SQLite file or a redis:// URL.",
)  # fmt: skip
_PREFIX_OPTION = click.option(
    "--redis-prefix", default="globalapi:ledger", show_default=True,
    help="Key prefix of a Redis ledger.",
)  # fmt: skip
_THRESHOLD_OPTION = click.option(
    "--alarm-threshold", type=click.FloatRange(0, 1), default=0.85, show_default=True,
    help="Tripwire alarm when the Wilson lower bound of agreement falls below this.",
)  # fmt: skip
_SAMPLES_OPTION = click.option(
    "--min-samples", type=click.IntRange(1), default=50, show_default=True,
    help="Verdicts needed before agreement is judged.",
)  # fmt: skip


@click.command()
@_LEDGER_OPTION
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Where to listen. Beyond loopback needs --allow-remote.")  # fmt: skip
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True,
              help="Port (0: any free port).")  # fmt: skip
@click.option("--allow-remote", is_flag=True,
              help="Allow a non-loopback --host; a random access token is printed "
                   "and required.")  # fmt: skip
@_PREFIX_OPTION
@_THRESHOLD_OPTION
@_SAMPLES_OPTION
def dashboard(  # noqa: PLR0917 - click passes every option positionally
    ledger: str,
    host: str,
    port: int,
    allow_remote: bool,
    redis_prefix: str,
    alarm_threshold: float,
    min_samples: int,
) -> None:
    """Serve a live cost dashboard of a usage ledger on a local web page."""
    try:
        import starlette  # noqa: F401, PLC0415
        import uvicorn  # noqa: F401, PLC0415
    except ImportError as exc:
        msg = (
            f"the dashboard needs its web stack ({exc.name}): "
            'pip install "langchain-globalapi[dashboard]"'
        )
        raise click.UsageError(msg) from exc
    from langchain_globalapi.dashboard._server import DashboardServer  # noqa: PLC0415
    from langchain_globalapi.errors import GlobalAPIError  # noqa: PLC0415
    from langchain_globalapi.ledger.reader import open_reader  # noqa: PLC0415

    try:
        server = DashboardServer(
            open_reader(ledger, redis_prefix=redis_prefix), host=host, port=port,
            allow_remote=allow_remote, alarm_threshold=alarm_threshold, min_samples=min_samples,
        )  # fmt: skip
    except GlobalAPIError as exc:
        raise click.UsageError(str(exc)) from exc
    click.echo(f"Cost dashboard of {server.reader.description}")
    click.echo(f"  {server.url}")
    if server.token:
        click.echo(f"Access token: {server.token} (the page asks for it; keep it private)")
    click.echo("Press Ctrl-C to stop.")
    server.run()


@click.command()
@_LEDGER_OPTION
@click.option("--out", "out_path", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write the report here (HTML, or JSON with --json; "
                   "default for --json: stdout).")  # fmt: skip
@click.option("--since", default=None, metavar="TIME",
              help="Start: ISO date/time, epoch seconds, or a duration before now "
                   "(7d, 24h).")  # fmt: skip
@click.option("--until", default=None, metavar="TIME", help="End (default: now); same forms.")
@click.option("--json", "as_json", is_flag=True, help="The figures as JSON, for scripts.")
@_PREFIX_OPTION
@_THRESHOLD_OPTION
@_SAMPLES_OPTION
def report(  # noqa: PLR0917 - click passes every option positionally
    ledger: str,
    out_path: str | None,
    since: str | None,
    until: str | None,
    as_json: bool,
    redis_prefix: str,
    alarm_threshold: float,
    min_samples: int,
) -> None:
    """Write the cost dashboard of a ledger as one self-contained HTML file (or JSON)."""
    from langchain_globalapi.dashboard._page import report_page  # noqa: PLC0415
    from langchain_globalapi.dashboard.report import parse_time, report_summary  # noqa: PLC0415
    from langchain_globalapi.errors import GlobalAPIError  # noqa: PLC0415
    from langchain_globalapi.ledger.reader import open_reader  # noqa: PLC0415

    if out_path is None and not as_json:
        msg = "give --out report.html (or --json to print the figures)"
        raise click.UsageError(msg)
    try:
        summary = report_summary(
            open_reader(ledger, redis_prefix=redis_prefix),
            since=None if since is None else parse_time(since),
            until=None if until is None else parse_time(until),
            alarm_threshold=alarm_threshold, min_samples=min_samples,
        )  # fmt: skip
    except GlobalAPIError as exc:
        raise click.UsageError(str(exc)) from exc
    text = json.dumps(summary, indent=2) if as_json else report_page(summary)
    if out_path is None:
        click.echo(text)
    else:
        Path(out_path).write_text(text, encoding="utf-8")
        totals = summary.get("totals")
        what = (
            f"{totals['answered']:,} answers, {totals['spend_display']} spent, "
            f"{totals['saving_display']} saved"
            if totals
            else str(summary.get("message"))
        )
        click.echo(f"Wrote {out_path}: {what}", err=as_json)
    if summary["status"] == "error":
        sys.exit(1)
