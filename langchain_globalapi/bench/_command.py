"""The body of `globalapi bench`: build the models, run the golden set, print or write the report.

Kept out of `cli.py` so the CLI module stays a thin, fast-importing shell.
"""

from __future__ import annotations

import math
from pathlib import Path

import click
from rich.console import Console

from langchain_globalapi.bench.golden import GoldenSet
from langchain_globalapi.bench.report import BenchmarkReport
from langchain_globalapi.bench.runner import run_benchmark
from langchain_globalapi.bench.scorers import BUILTIN_SCORERS, PairwiseJudge, Scorer
from langchain_globalapi.chat_models import ChatGlobalAPI

__all__ = ["run_bench_command"]


def run_bench_command(
    *,
    golden: str,
    models: tuple[str, ...],
    base_url: str | None,
    api_key: str | None,
    results_path: str | None,
    report_format: str,
    output: str | None,
    plot: str | None,
    concurrency: int,
    requests_per_s: float | None,
    judge: str | None,
    reference: str | None,
    limit: int | None,
    progress: bool,
    console: Console,
) -> None:
    """Run `globalapi bench` (see the command's help)."""
    if not api_key:
        msg = "GLOBAL_API_KEY is not set: export it or pass --api-key"
        raise click.UsageError(msg)
    known = [*BUILTIN_SCORERS, "judge"]
    golden_set = GoldenSet.load(golden, known_scorers=known)
    if limit is not None:
        golden_set = golden_set.filter(limit=limit)
    kwargs = {"api_key": api_key, **({"base_url": base_url} if base_url else {})}
    chat = {model: ChatGlobalAPI(model=model, **kwargs) for model in models}
    scorers: dict[str, Scorer] = {}
    task_scorers: dict[str, Scorer] = {}
    if judge:
        scorers["judge"] = task_scorers["free_text"] = PairwiseJudge(
            ChatGlobalAPI(model=judge, temperature=0, **kwargs)
        )
    results = run_benchmark(
        golden_set,
        chat,
        results_path=results_path,
        scorers=scorers,
        task_scorers=task_scorers,
        concurrency=concurrency,
        requests_per_s=requests_per_s,
        progress=progress,
    )
    report = BenchmarkReport(results.records)
    if report_format == "table":
        report.print(console)
    else:
        text = {"md": report.to_markdown, "csv": report.to_csv, "json": report.to_json}[
            report_format
        ]()
        if output:
            Path(output).write_text(text, encoding="utf-8")
            console.print(f"report written to {output}")
        else:
            click.echo(text, nl=False)
    if reference:
        for model in results.models:
            if model == reference:
                continue
            summary = report.router_summary(model, reference, tolerance=0.02)
            savings = "n/a" if math.isnan(summary.savings) else f"{summary.savings:.0%}"
            console.print(
                f"{model} vs {reference}: quality {summary.quality_delta.format(3)} "
                f"(paired, n={summary.n}), cost saved {savings}"
                + (" at equal quality" if summary.equal_quality else "")
            )
    if plot:
        console.print(f"Pareto plot written to {report.plot_pareto(plot)}")
    failed = sum(not r.ok for r in results.records)
    if failed:
        console.print(f"[yellow]{failed} item(s) failed; rerun with --resume to retry them[/]")
