"""`globalapi route`: which tier one prompt would go to, and why (offline)."""

from __future__ import annotations

import click

from langchain_globalapi.cli._common import (
    OUTCOMES_OPTION,
    ROUTER_CONFIG_OPTION,
    SCORER_OPTION,
    TASK_OPTION,
    THRESHOLDS_OPTION,
    apply_outcomes,
    console,
    emit_json,
    guarded,
    json_option,
    render_learned,
    resolve_thresholds,
)

__all__ = ["route"]


@click.command(short_help="Which tier one prompt would go to, and why (offline).")
@click.argument("prompt")
@SCORER_OPTION
@THRESHOLDS_OPTION
@ROUTER_CONFIG_OPTION
@click.option("--hint", default=None, help="Complexity hint: low, high, auto or a tier name.")
@OUTCOMES_OPTION
@TASK_OPTION
@json_option
@guarded
def route(  # noqa: PLR0917 - click passes every option positionally
    prompt: str,
    scorer: str,
    thresholds: str | None,
    router_config: str | None,
    hint: str | None,
    outcomes: str | None,
    task: str | None,
    as_json: bool,
) -> None:
    """Show which tier PROMPT would go to, and why (no key, no network).

    With --outcomes, the router first loads what it learned from outcomes, and the table of
    what was learned per task follows the decision.
    """
    from langchain_globalapi.routing.plan import offline_router  # noqa: PLC0415

    router = offline_router(scorer, thresholds=resolve_thresholds(thresholds, router_config))
    learned = apply_outcomes(router, outcomes)
    configurable = {key: value for key, value in (("complexity", hint), ("task", task)) if value}
    config = {"configurable": configurable} if configurable else None
    decision = router.explain(prompt, config=config)  # type: ignore[arg-type]
    if as_json:
        emit_json({"tiers": list(router.tiers), **decision.as_metadata(), "learned": learned})
        return
    from langchain_globalapi.cli._render import render_decision  # noqa: PLC0415

    render_decision(console(), decision, list(router.tiers))
    render_learned(learned)
