"""`globalapi bench`: run a golden set through models; report quality, cost and latency.

Before any item runs, the endpoint is asked for its model list, so a wrong base URL fails
at once (exit 3) instead of once per item. When items fail, the first distinct causes are
printed and the command exits 1.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from langchain_globalapi.cli._common import (
    EXIT_FAILED_ITEMS,
    CommandError,
    console,
    endpoint_options,
    guarded,
)

if TYPE_CHECKING:
    from rich.console import Console

    from langchain_globalapi.bench.report import BenchmarkReport
    from langchain_globalapi.bench.runner import BenchmarkRecord

__all__ = ["bench", "failure_summary"]

_SHOWN_CAUSES = 3


def failure_summary(records: list[BenchmarkRecord]) -> dict[str, Any]:
    """How many items failed, and the first distinct causes with how often each occurred.

    Example:
        >>> from langchain_globalapi.bench import BenchmarkRecord
        >>> records = [BenchmarkRecord(f"q{i}", "qa", "m", error="APIError: 500") for i in range(2)]
        >>> failure_summary(records)["causes"]
        [{'error': 'APIError: 500', 'count': 2, 'first': 'm q0'}]
    """
    failed = [r for r in records if not r.ok]
    counts = Counter(r.error or "no score" for r in failed)
    first: dict[str, str] = {}
    for record in failed:
        first.setdefault(record.error or "no score", f"{record.model} {record.item_id}")
    causes = [
        {"error": error, "count": count, "first": first[error]}
        for error, count in counts.most_common(_SHOWN_CAUSES)
    ]
    return {"failed": len(failed), "total": len(records), "causes": causes}


def _probe(base_url: str | None, api_key: str) -> None:
    # One cheap request: an unreachable endpoint or a rejected key fails here, once.
    import openai  # noqa: PLC0415

    from langchain_globalapi.catalog import fetch_model_ids  # noqa: PLC0415
    from langchain_globalapi.chat_models import DEFAULT_BASE_URL  # noqa: PLC0415

    try:
        fetch_model_ids(api_key=api_key, base_url=base_url or DEFAULT_BASE_URL, timeout_s=15)
    except (openai.APIConnectionError, openai.AuthenticationError):
        raise
    except openai.OpenAIError:
        pass  # the endpoint answered: some gateways do not list models


def _print_failures(out: Console, summary: dict[str, Any], results_path: str | None) -> None:
    out.print(
        f"[yellow]{summary['failed']} of {summary['total']} item(s) failed.[/] First causes:",
        highlight=False,
    )
    for cause in summary["causes"]:
        out.print(f"  {cause['count']}x {cause['error']} (first: {cause['first']})")
    again = f"--resume {results_path}" if results_path else "--resume FILE"
    out.print(f"Fix the cause, then rerun with {again} to retry only the failed items.")


def _comparisons(report: BenchmarkReport, models: list[str], reference: str) -> list[str]:
    lines = []
    for model in models:
        if model == reference:
            continue
        summary = report.router_summary(model, reference, tolerance=0.02)
        savings = "n/a" if math.isnan(summary.savings) else f"{summary.savings:.0%}"
        lines.append(
            f"{model} vs {reference}: quality {summary.quality_delta.format(3)} "
            f"(paired, n={summary.n}), cost saved {savings}"
            + (" at equal quality" if summary.equal_quality else "")
        )
    return lines


@click.command(short_help="Benchmark models on a golden set: quality, cost, latency.")
@click.argument("golden", type=click.Path(exists=True, dir_okay=False))
@click.option("--model", "models", multiple=True, required=True,
              help="Model id to benchmark; repeat for several.")  # fmt: skip
@endpoint_options
@click.option("--resume", "results_path", type=click.Path(dir_okay=False), default=None,
              help="JSONL results file, written as results arrive; rerun to resume.")  # fmt: skip
@click.option("--report", "report_format", type=click.Choice(["table", "md", "csv", "json"]),
              default="table", show_default=True, help="Report format.")  # fmt: skip
@click.option("--json", "as_json", is_flag=True,
              help="Print the report and the failures as JSON on stdout.")  # fmt: skip
@click.option("--output", "-o", type=click.Path(dir_okay=False), default=None,
              help="Write the md/csv/json report here instead of stdout.")  # fmt: skip
@click.option("--plot", type=click.Path(dir_okay=False), default=None,
              help="Write a cost-vs-quality Pareto plot (PNG; needs the bench extra).")  # fmt: skip
@click.option("--concurrency", default=4, show_default=True, type=click.IntRange(min=1),
              help="Calls in flight at once.")  # fmt: skip
@click.option("--rate", "requests_per_s", type=click.FloatRange(min=0, min_open=True),
              default=None,
              help="Requests per second across all models (default: unlimited).")  # fmt: skip
@click.option("--judge", default=None,
              help="Judge model: scores free_text items pairwise, in both orders.")  # fmt: skip
@click.option("--reference", default=None,
              help="Model to compare the others with (quality delta, cost saved).")  # fmt: skip
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Only the first N items.")
@click.option("--progress/--no-progress", default=True, help="Show a progress bar.")
@guarded
def bench(  # noqa: PLR0917 - click passes every option positionally
    golden: str,
    models: tuple[str, ...],
    base_url: str | None,
    api_key: str | None,
    results_path: str | None,
    report_format: str,
    as_json: bool,
    output: str | None,
    plot: str | None,
    concurrency: int,
    requests_per_s: float | None,
    judge: str | None,
    reference: str | None,
    limit: int | None,
    progress: bool,
) -> None:
    """Benchmark models on a golden set (JSONL): quality, cost, latency, with resume.

    Exits 1 when items failed (the first causes are printed), 3 when the endpoint cannot
    be reached.
    """
    from langchain_globalapi.bench.golden import GoldenSet  # noqa: PLC0415
    from langchain_globalapi.bench.report import BenchmarkReport  # noqa: PLC0415
    from langchain_globalapi.bench.runner import run_benchmark  # noqa: PLC0415
    from langchain_globalapi.bench.scorers import BUILTIN_SCORERS, PairwiseJudge, Scorer  # noqa: PLC0415
    from langchain_globalapi.chat_models import ChatGlobalAPI  # noqa: PLC0415

    if not api_key:
        msg = "GLOBAL_API_KEY is not set: export it or pass --api-key"
        raise CommandError(msg)
    if reference and reference not in models:
        msg = f"--reference {reference!r} must also be benchmarked: add --model {reference}"
        raise CommandError(msg)
    golden_set = GoldenSet.load(golden, known_scorers=[*BUILTIN_SCORERS, "judge"])
    if limit is not None:
        golden_set = golden_set.filter(limit=limit)
    _probe(base_url, api_key)
    kwargs: dict[str, Any] = {"api_key": api_key, **({"base_url": base_url} if base_url else {})}
    chat = {model: ChatGlobalAPI(model=model, **kwargs) for model in models}
    scorers: dict[str, Scorer] = {}
    task_scorers: dict[str, Scorer] = {}
    if judge:
        scorers["judge"] = task_scorers["free_text"] = PairwiseJudge(
            ChatGlobalAPI(model=judge, temperature=0, **kwargs)
        )
    results = run_benchmark(
        golden_set, chat, results_path=results_path, scorers=scorers, task_scorers=task_scorers,
        concurrency=concurrency, requests_per_s=requests_per_s, progress=progress and not as_json,
    )  # fmt: skip
    report = BenchmarkReport(results.records)
    failures = failure_summary(results.records)
    comparisons = _comparisons(report, results.models, reference) if reference else []
    out = console()
    if as_json:
        data = json.loads(report.to_json())
        click.echo(json.dumps({**data, "comparisons": comparisons, **failures}, indent=2))
    elif report_format == "table":
        report.print(out)
    else:
        text = {"md": report.to_markdown, "csv": report.to_csv, "json": report.to_json}[
            report_format
        ]()
        if output:
            Path(output).write_text(text, encoding="utf-8")
            out.print(f"report written to {output}")
        else:
            click.echo(text, nl=False)
    if not as_json:
        for line in comparisons:
            out.print(line, highlight=False)
    if plot:
        click.echo(f"Pareto plot written to {report.plot_pareto(plot)}", err=as_json)
    if failures["failed"]:
        # On stderr when stdout carries a report a script reads.
        _print_failures(out if report_format == "table" and not as_json else _stderr(),
                        failures, results_path)  # fmt: skip
        raise click.exceptions.Exit(EXIT_FAILED_ITEMS)


def _stderr() -> Console:
    from rich.console import Console  # noqa: PLC0415

    return Console(stderr=True, highlight=False)
