"""`globalapi estimate`: the article's spreadsheet, monthly spend of a mix against GPT-4o."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from langchain_globalapi.cli._common import (
    catalog_option,
    console,
    emit_json,
    guarded,
    json_option,
    load_catalog,
    token_option,
)

if TYPE_CHECKING:
    from langchain_globalapi.catalog import Catalog
    from langchain_globalapi.estimate import SpendEstimate, SpendLine

__all__ = ["estimate", "estimate_data"]


def _parse_mix(pairs: tuple[str, ...]) -> dict[str, str] | None:
    if not pairs:
        return None
    mix: dict[str, str] = {}
    for pair in pairs:
        name, sep, share = pair.rpartition("=")
        if not sep or not name:
            msg = f"--mix takes NAME=SHARE (e.g. flash=0.9), got {pair!r}"
            raise click.BadParameter(msg, param_hint="--mix")
        mix[name] = share
    return mix


def _line_data(line: SpendLine, catalog: Catalog) -> dict[str, Any]:
    info = catalog.get(line.model)
    return {
        "model": line.model,
        "name": info.display_name if info is not None and info.display_name else line.model,
        "share": float(line.share),
        "input_tokens": int(line.input_tokens),
        "output_tokens": int(line.output_tokens),
        "input_usd": line.input_usd,
        "output_usd": line.output_usd,
        "total_usd": line.total_usd,
    }


def estimate_data(result: SpendEstimate, catalog: Catalog) -> dict[str, Any]:
    """An estimate as JSON-ready data (money as exact decimal strings once emitted)."""
    return {
        "input_tokens": result.input_tokens,
        "output_tokens": result.output_tokens,
        "lines": [_line_data(line, catalog) for line in result.lines],
        "total_usd": result.total_usd,
        "baseline": _line_data(result.baseline, catalog),
        "baseline_usd": result.baseline_usd,
        "saving_usd": result.saving_usd,
        "saving_pct": round(result.saving_pct, 4),
    }


@click.command(short_help="Monthly spend of a token volume and model mix, against GPT-4o.")
@token_option("--input-tokens", "100M", "Input tokens a month (100M, 250k, 1.5B...).")
@token_option("--output-tokens", "30M", "Output tokens a month.")
@click.option("--mix", "mix_pairs", multiple=True, metavar="NAME=SHARE",
              help="Share per tier or model id; repeat. Default: flash=0.9 pro=0.1.")  # fmt: skip
@click.option("--baseline", default=None, help="Model to compare against (default: gpt-4o).")
@catalog_option
@json_option
@guarded
def estimate(  # noqa: PLR0917 - click passes every option positionally
    input_tokens: int,
    output_tokens: int,
    mix_pairs: tuple[str, ...],
    baseline: str | None,
    catalog_path: str | None,
    as_json: bool,
) -> None:
    """Estimate monthly spend for a token volume and model mix, against GPT-4o.

    No key, no network. Example: globalapi estimate --mix economy=0.5 --mix flash=0.5
    """
    from langchain_globalapi.estimate import estimate_spend  # noqa: PLC0415

    catalog = load_catalog(catalog_path)
    result = estimate_spend(
        input_tokens, output_tokens, _parse_mix(mix_pairs), baseline=baseline, catalog=catalog
    )
    if as_json:
        emit_json(estimate_data(result, catalog))
        return
    from langchain_globalapi.cli._render import render_estimate  # noqa: PLC0415

    render_estimate(console(), result, catalog)
