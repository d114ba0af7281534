"""The `globalapi` command: estimate spend, list models, plan and explain routing, benchmark.

Each command is a thin shell over the package's API and imports what it needs when it
runs, so `globalapi --help` stays fast.
"""

from __future__ import annotations

import os
from decimal import Decimal
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from langchain_globalapi.catalog import Catalog
from langchain_globalapi.dashboard._command import dashboard, report
from langchain_globalapi.errors import GlobalAPIError
from langchain_globalapi.estimate import SpendEstimate, estimate_spend, parse_token_count

__all__ = ["main"]

console = Console()


def _usd(amount: Decimal) -> str:
    return f"${amount:,.2f}"


def _name(model_id: str, catalog: Catalog) -> str:
    info = catalog.get(model_id)
    return info.display_name if info is not None and info.display_name else model_id


def _tokens(count: Decimal) -> str:
    for unit, size in (("B", 10**9), ("M", 10**6), ("k", 10**3)):
        if count >= size:
            return f"{count / size:,.1f}{unit}".replace(".0" + unit, unit)
    return f"{count:,.0f}"


def _catalog(path: str | None) -> Catalog:
    return Catalog.from_file(path) if path else Catalog.default()


def _parse_mix(pairs: tuple[str, ...]) -> dict[str, str] | None:
    if not pairs:
        return None
    mix: dict[str, str] = {}
    for pair in pairs:
        name, sep, share = pair.rpartition("=")
        if not sep or not name:
            msg = f"--mix takes NAME=SHARE (e.g. flash=0.9), got {pair!r}"
            raise click.BadParameter(msg)
        mix[name] = share
    return mix


def _token_count(_ctx: click.Context, _param: click.Parameter, value: str) -> int:
    try:
        return parse_token_count(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc


def print_estimate(
    estimate: SpendEstimate, catalog: Catalog, *, title: str = "Monthly spend"
) -> None:
    """Print an estimate as a table: each model's share and cost, then the baseline."""
    table = Table(title=title)
    table.add_column("model", no_wrap=True)
    for column in ("share", "tokens in/out", "input", "output", "total"):
        table.add_column(column, justify="right", no_wrap=True)
    for line in estimate.lines:
        table.add_row(
            _name(line.model, catalog),
            f"{line.share * 100:.1f}%",
            f"{_tokens(line.input_tokens)} / {_tokens(line.output_tokens)}",
            _usd(line.input_usd),
            _usd(line.output_usd),
            _usd(line.total_usd),
        )
    table.add_section()
    table.add_row("mix total", "100%", "", "", "", _usd(estimate.total_usd), style="bold")
    base = estimate.baseline
    table.add_row(
        f"{_name(base.model, catalog)} alone", "", "", _usd(base.input_usd), _usd(base.output_usd),
        _usd(estimate.baseline_usd),
    )  # fmt: skip
    console.print(table)
    console.print(
        f"Saving: [bold green]{_usd(estimate.saving_usd)}[/] a month "
        f"([bold green]{estimate.saving_pct:.0f}%[/] less than {_name(base.model, catalog)})"
    )


@click.group()
@click.version_option(package_name="langchain-globalapi")
def main() -> None:
    """Cut LLM spend with Global API: route, cache, fall back, and measure it."""


@main.command()
@click.option("--input-tokens", default="100M", show_default=True, callback=_token_count,
              help="Input tokens a month (100M, 250k, 1.5B...).")  # fmt: skip
@click.option("--output-tokens", default="30M", show_default=True, callback=_token_count,
              help="Output tokens a month.")  # fmt: skip
@click.option("--mix", "mix_pairs", multiple=True, metavar="NAME=SHARE",
              help="Share per tier or model id; repeat. Default: flash=0.9 pro=0.1.")  # fmt: skip
@click.option("--baseline", default=None, help="Model to compare against (default: gpt-4o).")
@click.option("--catalog", "catalog_path", type=click.Path(dir_okay=False), default=None,
              help="TOML/JSON file of price overrides.")  # fmt: skip
def estimate(
    input_tokens: int,
    output_tokens: int,
    mix_pairs: tuple[str, ...],
    baseline: str | None,
    catalog_path: str | None,
) -> None:
    """Estimate monthly spend for a token volume and model mix, against GPT-4o."""
    try:
        catalog = _catalog(catalog_path)
        result = estimate_spend(
            input_tokens, output_tokens, _parse_mix(mix_pairs), baseline=baseline, catalog=catalog
        )
    except GlobalAPIError as exc:
        raise click.UsageError(str(exc)) from exc
    print_estimate(result, catalog)


@main.command()
@click.option("--catalog", "catalog_path", type=click.Path(dir_okay=False), default=None,
              help="TOML/JSON file of price overrides.")  # fmt: skip
@click.option("--live/--no-live", default=None,
              help="Also list the gateway's models (default: with GLOBAL_API_KEY).")  # fmt: skip
def models(catalog_path: str | None, live: bool | None) -> None:
    """List the price catalog, and the gateway's live model ids when a key is set."""
    catalog = _catalog(catalog_path)
    table = Table(title="Price catalog ($ per million tokens)")
    table.add_column("model", no_wrap=True)
    table.add_column("tier")
    for column in ("input", "cached in", "output", "context"):
        table.add_column(column, justify="right")
    for info in catalog:
        table.add_row(
            info.id,
            catalog.tier_of(info.id) or ("reference" if info.id == catalog.reference_model else ""),
            f"{info.input_per_mtok}",
            "" if info.cached_input_per_mtok is None else f"{info.cached_input_per_mtok}",
            f"{info.output_per_mtok}",
            "" if info.context_window is None else f"{info.context_window:,}",
        )
    console.print(table)
    key = os.environ.get("GLOBAL_API_KEY")
    if live is None:
        live = bool(key)
    if not live:
        console.print("[dim]Set GLOBAL_API_KEY (or pass --live) to list the gateway's models.[/]")
        return
    if not key:
        msg = "GLOBAL_API_KEY is not set: export it to list the gateway's live models"
        raise click.UsageError(msg)
    from langchain_globalapi.catalog import fetch_model_ids  # noqa: PLC0415
    from langchain_globalapi.chat_models import DEFAULT_BASE_URL  # noqa: PLC0415

    base_url = os.environ.get("GLOBAL_API_BASE", DEFAULT_BASE_URL)
    ids = fetch_model_ids(api_key=key, base_url=base_url)
    priced = sum(catalog.get(model_id) is not None for model_id in ids)
    console.print(f"{len(ids)} models at {base_url} ({priced} priced in the catalog):")
    for model_id in ids:
        console.print(f"  {model_id}" + ("" if catalog.get(model_id) else "  [dim](no price)[/]"))


def _parse_target_mix(text: str | None) -> dict[str, float] | None:
    if not text:
        return None
    mix: dict[str, float] = {}
    for pair in text.split(","):
        name, sep, share = pair.strip().rpartition("=")
        try:
            mix[name] = float(share)
        except ValueError:
            name = ""
        if not sep or not name:
            msg = f"--target-mix takes TIER=SHARE pairs (economy=0.5,flash=0.4,...), got {pair!r}"
            raise click.BadParameter(msg)
    return mix


def _parse_thresholds(text: str | None) -> list[float] | None:
    if not text:
        return None
    try:
        return [float(cut) for cut in text.split(",")]
    except ValueError as exc:
        msg = f"--thresholds takes comma-separated cut points, e.g. 0.2,0.3; got {text!r}"
        raise click.BadParameter(msg) from exc


_SCORER_OPTION = click.option(
    "--scorer", type=click.Choice(["learned", "heuristic", "length"]), default="learned",
    show_default=True, help="Complexity scorer.",
)  # fmt: skip
_THRESHOLDS_OPTION = click.option(
    "--thresholds", default=None, metavar="CUTS",
    help="Cut points between tiers, cheapest first (e.g. 0.2,0.3). Default: the scorer's.",
)  # fmt: skip


@main.command()
@click.argument("prompt")
@_SCORER_OPTION
@_THRESHOLDS_OPTION
@click.option("--hint", default=None, help="Complexity hint: low, high, auto or a tier name.")
def route(prompt: str, scorer: str, thresholds: str | None, hint: str | None) -> None:
    """Show which tier PROMPT would go to, and why (no key, no network)."""
    from langchain_globalapi.routing._render import render_decision  # noqa: PLC0415
    from langchain_globalapi.routing.plan import offline_router  # noqa: PLC0415

    try:
        router = offline_router(scorer, thresholds=_parse_thresholds(thresholds))
        config = {"configurable": {"complexity": hint}} if hint else None
        decision = router.explain(prompt, config=config)  # type: ignore[arg-type]
    except GlobalAPIError as exc:
        raise click.UsageError(str(exc)) from exc
    render_decision(console, decision, list(router.tiers))


@main.command()
@click.argument("prompts_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--input-tokens", default="100M", show_default=True, callback=_token_count,
              help="Input tokens a month (100M, 250k, 1.5B...).")  # fmt: skip
@click.option("--output-tokens", default="30M", show_default=True, callback=_token_count,
              help="Output tokens a month.")  # fmt: skip
@_SCORER_OPTION
@_THRESHOLDS_OPTION
@click.option("--target-mix", default=None, metavar="TIER=SHARE,...",
              help="Calibrate cut points on the file to hit this mix, "
                   "e.g. economy=0.5,flash=0.4,pro=0.1.")  # fmt: skip
@click.option("--catalog", "catalog_path", type=click.Path(dir_okay=False), default=None,
              help="TOML/JSON file of price overrides.")  # fmt: skip
def plan(  # noqa: PLR0917 - click passes every option positionally
    prompts_file: str,
    input_tokens: int,
    output_tokens: int,
    scorer: str,
    thresholds: str | None,
    target_mix: str | None,
    catalog_path: str | None,
) -> None:
    """Route every prompt of PROMPTS_FILE offline; show the tier mix and the monthly spend.

    PROMPTS_FILE is JSON Lines ({"prompt": ...} or {"messages": [...]}) or plain text with one
    prompt per line. No key, no network: nothing is sent anywhere.
    """
    from langchain_globalapi.routing._render import render_plan  # noqa: PLC0415
    from langchain_globalapi.routing.plan import (  # noqa: PLC0415
        load_prompts,
        offline_router,
        plan_routes,
    )

    try:
        catalog = _catalog(catalog_path)
        prompts = load_prompts(prompts_file)
        router = offline_router(scorer, thresholds=_parse_thresholds(thresholds), catalog=catalog)
        mix = _parse_target_mix(target_mix)
        if mix is not None:
            router.calibrate([p.model_input for p in prompts], mix)
        result = plan_routes(router, prompts)
        spend = result.spend(input_tokens, output_tokens, catalog=catalog)
    except GlobalAPIError as exc:
        raise click.UsageError(str(exc)) from exc
    how = f"calibrated to {target_mix}" if mix else f"{scorer} scorer"
    name = os.path.basename(prompts_file)
    render_plan(console, result, title=f"{name}: {len(prompts)} prompts, {how}")
    print_estimate(
        spend,
        catalog,
        title=f"Monthly spend at {_tokens(Decimal(input_tokens))} in / "
        f"{_tokens(Decimal(output_tokens))} out tokens",
    )


@main.command()
@click.argument("golden", type=click.Path(exists=True, dir_okay=False))
@click.option("--model", "models", multiple=True, required=True,
              help="Model id to benchmark; repeat for several.")  # fmt: skip
@click.option("--base-url", envvar="GLOBAL_API_BASE", default=None,
              help="OpenAI-compatible endpoint (default: the Global API gateway).")  # fmt: skip
@click.option("--api-key", envvar="GLOBAL_API_KEY", default=None,
              help="API key (default: $GLOBAL_API_KEY).")  # fmt: skip
@click.option("--resume", "results_path", type=click.Path(dir_okay=False), default=None,
              help="JSONL results file, written as results arrive; rerun to resume.")  # fmt: skip
@click.option("--report", "report_format", type=click.Choice(["table", "md", "csv", "json"]),
              default="table", show_default=True, help="Report format.")  # fmt: skip
@click.option("--output", "-o", type=click.Path(dir_okay=False), default=None,
              help="Write the md/csv/json report here instead of stdout.")  # fmt: skip
@click.option("--plot", type=click.Path(dir_okay=False), default=None,
              help="Write a cost-vs-quality Pareto plot (PNG; needs the bench extra).")  # fmt: skip
@click.option("--concurrency", default=4, show_default=True, help="Calls in flight at once.")
@click.option("--rate", "requests_per_s", type=float, default=None,
              help="Requests per second across all models (default: unlimited).")  # fmt: skip
@click.option("--judge", default=None,
              help="Judge model: scores free_text items pairwise, in both orders.")  # fmt: skip
@click.option("--reference", default=None,
              help="Model to compare the others with (quality delta, cost saved).")  # fmt: skip
@click.option("--limit", type=int, default=None, help="Only the first N items.")
@click.option("--progress/--no-progress", default=True, help="Show a progress bar.")
def bench(**options: Any) -> None:
    """Benchmark models on a golden set (JSONL): quality, cost, latency, with resume."""
    from langchain_globalapi.bench._command import run_bench_command  # noqa: PLC0415

    try:
        # The options arrive by name; `run_bench_command` declares and types each one.
        run_bench_command(console=console, **options)
    except GlobalAPIError as exc:
        raise click.UsageError(str(exc)) from exc


main.add_command(dashboard)
main.add_command(report)

if __name__ == "__main__":  # pragma: no cover
    main()
