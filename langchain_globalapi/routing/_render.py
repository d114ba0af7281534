"""Terminal rendering of routing decisions and plans for `globalapi route` and `globalapi plan`.

Tables are sized for an 80-column terminal: prompts are cut to one line, numbers are short.
"""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from langchain_globalapi.routing._decision import RoutingDecision
from langchain_globalapi.routing.plan import RoutingPlan

__all__ = ["render_decision", "render_plan"]

_TIER_STYLES = ("green", "cyan", "magenta", "yellow", "red")


def _style(tiers: tuple[str, ...] | list[str], tier: str) -> str:
    index = list(tiers).index(tier) if tier in tiers else 0
    return _TIER_STYLES[min(index, len(_TIER_STYLES) - 1)]


def _cuts(thresholds: tuple[float, ...]) -> str:
    return " / ".join(f"{cut:.3g}" for cut in thresholds) or "none"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def render_decision(console: Console, decision: RoutingDecision, tiers: list[str]) -> None:
    """Print one decision: the tier, the model, the score against the cuts, and the signals."""
    tier = f"[bold {_style(tiers, decision.tier)}]{decision.tier}[/]"
    console.print(f"tier:       {tier}  ({decision.model or 'unknown model'})")
    score = "not scored (hint)" if decision.score is None else f"{decision.score:.3f}"
    order = " < ".join(tiers)
    console.print(f"score:      {score}   cut points {_cuts(decision.thresholds)} ({order})")
    if decision.hint is not None:
        console.print(f"hint:       {decision.hint}")
    console.print(f"reason:     {decision.reason}")
    console.print(f"overhead:   {decision.overhead_ms:.2f} ms")
    if decision.signals:
        shown = ", ".join(
            f"{name}={value:g}" for name, value in decision.signals.items() if name != "logit"
        )
        console.print(f"signals:    {shown}", overflow="fold")


def render_plan(console: Console, plan: RoutingPlan, *, title: str) -> None:
    """Print every decision (tier, score, prompt) and then the tier mix."""
    table = Table(title=title, title_justify="left", expand=False, pad_edge=False)
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("tier", no_wrap=True)
    table.add_column("score", justify="right", no_wrap=True)
    table.add_column("prompt", no_wrap=True, overflow="ellipsis", max_width=56)
    for number, (prompt, decision) in enumerate(zip(plan.prompts, plan.decisions, strict=True), 1):
        score = "hint" if decision.score is None else f"{decision.score:.2f}"
        style = _style(plan.tiers, decision.tier)
        moved = "*" if decision.scored_tier not in (None, decision.tier) else ""
        table.add_row(
            str(number), f"[{style}]{decision.tier}{moved}[/]", score, _one_line(prompt.text)
        )
    console.print(table)
    if any(d.scored_tier not in (None, d.tier) for d in plan.decisions):
        console.print("[dim]* moved from its scored tier by a check (context window, tools)[/]")
    mix = Table(title="Tier mix", title_justify="left")
    mix.add_column("tier", no_wrap=True)
    mix.add_column("model", no_wrap=True)
    mix.add_column("prompts", justify="right")
    mix.add_column("share", justify="right")
    counts, shares = plan.counts(), plan.mix()
    for tier in plan.tiers:
        mix.add_row(
            f"[{_style(plan.tiers, tier)}]{tier}[/]",
            plan.models[tier] or "",
            str(counts[tier]),
            f"{shares[tier] * 100:.0f}%",
        )
    console.print(mix)
    console.print(f"[dim]cut points {_cuts(plan.thresholds)}[/]")
