"""`globalapi plan`: route a file of prompts offline; the tier mix and the monthly spend."""

from __future__ import annotations

import os
from decimal import Decimal

import click

from langchain_globalapi.cli._common import (
    OUTCOMES_OPTION,
    ROUTER_CONFIG_OPTION,
    SCORER_OPTION,
    TASK_OPTION,
    THRESHOLDS_OPTION,
    apply_outcomes,
    catalog_option,
    console,
    emit_json,
    guarded,
    json_option,
    load_catalog,
    parse_pairs,
    render_learned,
    resolve_thresholds,
    token_option,
)

__all__ = ["plan"]


@click.command(short_help="Route a prompts file offline: tier and why per prompt, the spend.")
@click.argument("prompts_file", type=click.Path(exists=True, dir_okay=False))
@token_option("--input-tokens", "100M", "Input tokens a month (100M, 250k, 1.5B...).")
@token_option("--output-tokens", "30M", "Output tokens a month.")
@SCORER_OPTION
@THRESHOLDS_OPTION
@ROUTER_CONFIG_OPTION
@click.option("--target-mix", default=None, metavar="TIER=SHARE,...",
              help="Calibrate cut points on the file to hit this mix, "
                   "e.g. economy=0.5,flash=0.4,pro=0.1.")  # fmt: skip
@OUTCOMES_OPTION
@TASK_OPTION
@catalog_option
@json_option
@guarded
def plan(  # noqa: PLR0917 - click passes every option positionally
    prompts_file: str,
    input_tokens: int,
    output_tokens: int,
    scorer: str,
    thresholds: str | None,
    router_config: str | None,
    target_mix: str | None,
    outcomes: str | None,
    task: str | None,
    catalog_path: str | None,
    as_json: bool,
) -> None:
    """Route every prompt of PROMPTS_FILE offline; show the tier mix and the monthly spend.

    Each prompt's tier, score and why (the router's reason). PROMPTS_FILE is JSON Lines
    ({"prompt": ...} or {"messages": [...]}) or plain text with one prompt per line. No key,
    no network: nothing is sent anywhere.
    """
    from langchain_globalapi.routing.plan import load_prompts, offline_router, plan_routes  # noqa: PLC0415

    catalog = load_catalog(catalog_path)
    prompts = load_prompts(prompts_file)
    cuts = resolve_thresholds(thresholds, router_config)
    router = offline_router(scorer, thresholds=cuts, catalog=catalog)
    learned = apply_outcomes(router, outcomes)
    mix = parse_pairs(target_mix, "--target-mix")
    if mix is not None:
        router.calibrate([p.model_input for p in prompts], mix)
    result = plan_routes(router, prompts, task=task)
    spend = result.spend(input_tokens, output_tokens, catalog=catalog)
    if as_json:
        from langchain_globalapi.cli.estimate import estimate_data  # noqa: PLC0415

        counts, shares = result.counts(), result.mix()
        emit_json({
            "file": prompts_file,
            "scorer": scorer,
            "calibrated_to": mix,
            "thresholds": list(result.thresholds),
            "prompts": [
                {"prompt": p.text, "tier": d.tier, "model": d.model, "score": d.score,
                 "reason": d.reason}
                for p, d in zip(result.prompts, result.decisions, strict=True)
            ],
            "mix": {t: {"model": result.models[t], "prompts": counts[t], "share": shares[t]}
                    for t in result.tiers},
            "spend": estimate_data(spend, catalog),
            "learned": learned,
        })  # fmt: skip
        return
    from langchain_globalapi.cli._render import render_estimate, render_plan, tokens  # noqa: PLC0415

    out = console()
    how = f"calibrated to {target_mix}" if mix else f"{scorer} scorer"
    name = os.path.basename(prompts_file)
    render_plan(out, result, title=f"{name}: {len(prompts)} prompts, {how}")
    volume = f"{tokens(Decimal(input_tokens))} in / {tokens(Decimal(output_tokens))} out"
    render_estimate(out, spend, catalog, title=f"Monthly spend at {volume} tokens")
    render_learned(learned)
