"""`globalapi route`: which tier one prompt would go to, and why (offline)."""

from __future__ import annotations

import click

from langchain_globalapi.cli._common import (
    ROUTER_CONFIG_OPTION,
    SCORER_OPTION,
    THRESHOLDS_OPTION,
    console,
    emit_json,
    guarded,
    json_option,
    resolve_thresholds,
)

__all__ = ["route"]


@click.command(short_help="Which tier one prompt would go to, and why (offline).")
@click.argument("prompt")
@SCORER_OPTION
@THRESHOLDS_OPTION
@ROUTER_CONFIG_OPTION
@click.option("--hint", default=None, help="Complexity hint: low, high, auto or a tier name.")
@json_option
@guarded
def route(  # noqa: PLR0917 - click passes every option positionally
    prompt: str,
    scorer: str,
    thresholds: str | None,
    router_config: str | None,
    hint: str | None,
    as_json: bool,
) -> None:
    """Show which tier PROMPT would go to, and why (no key, no network)."""
    from langchain_globalapi.routing.plan import offline_router  # noqa: PLC0415

    router = offline_router(scorer, thresholds=resolve_thresholds(thresholds, router_config))
    config = {"configurable": {"complexity": hint}} if hint else None
    decision = router.explain(prompt, config=config)  # type: ignore[arg-type]
    if as_json:
        emit_json({"tiers": list(router.tiers), **decision.as_metadata()})
        return
    from langchain_globalapi.cli._render import render_decision  # noqa: PLC0415

    render_decision(console(), decision, list(router.tiers))
