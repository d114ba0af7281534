"""How the commands' results look in a terminal: rich tables sized for 80 columns.

Tables use a light box (rules under the header, none between columns) and short numbers;
long text (prompts, model ids) is cut with an ellipsis rather than widening the table.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal

from rich import box
from rich.console import Console
from rich.table import Table

from langchain_globalapi.catalog import Catalog
from langchain_globalapi.cli._common import usd
from langchain_globalapi.estimate import SpendEstimate
from langchain_globalapi.routing._decision import RoutingDecision
from langchain_globalapi.routing.plan import RoutingPlan

__all__ = [
    "new_table",
    "render_catalog",
    "render_decision",
    "render_estimate",
    "render_plan",
    "short_reason",
    "tokens",
]

_TIER_STYLES = ("green", "cyan", "magenta", "yellow", "red")
_WHY_WIDTH = 20


def new_table(title: str | None = None) -> Table:
    """A table in the commands' style: light rules, title on the left, no outer padding."""
    return Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, show_edge=False)


def tokens(count: Decimal | int) -> str:
    """`100M`, `1.5B`, `250k`."""
    value = Decimal(count)
    for unit, size in (("B", 10**9), ("M", 10**6), ("k", 10**3)):
        if value >= size:
            return f"{value / size:,.1f}{unit}".replace(".0" + unit, unit)
    return f"{value:,.0f}"


def _name(model_id: str, catalog: Catalog) -> str:
    info = catalog.get(model_id)
    return info.display_name if info is not None and info.display_name else model_id


def _style(tiers: Sequence[str], tier: str) -> str:
    index = list(tiers).index(tier) if tier in tiers else 0
    return _TIER_STYLES[min(index, len(_TIER_STYLES) - 1)]


def _cuts(thresholds: Iterable[float]) -> str:
    return " / ".join(f"{cut:.3g}" for cut in thresholds) or "none"


def short_reason(decision: RoutingDecision) -> str:
    """The decision's reason without the score it restates (`score 0.06: score < 0.2`).

    Example:
        >>> short_reason(RoutingDecision("economy", None, 0.06, reason="score 0.06: score < 0.2"))
        'score < 0.2'
    """
    reason = decision.reason
    if decision.score is not None and reason.startswith("score "):
        head, sep, rest = reason.partition(": ")
        if sep and " " not in head[len("score ") :]:
            return rest
    return reason


def render_estimate(
    console: Console, estimate: SpendEstimate, catalog: Catalog, *, title: str = "Monthly spend"
) -> None:
    """Each model's share and cost, the mix total, the baseline alone, and the saving."""
    table = new_table(title)
    table.add_column("model", no_wrap=True, overflow="ellipsis", max_width=24)
    for column in ("share", "tokens in/out", "input", "output", "total"):
        table.add_column(column, justify="right", no_wrap=True)
    for line in estimate.lines:
        table.add_row(
            _name(line.model, catalog),
            f"{line.share * 100:.1f}%",
            f"{tokens(line.input_tokens)} / {tokens(line.output_tokens)}",
            usd(line.input_usd),
            usd(line.output_usd),
            usd(line.total_usd),
        )
    table.add_section()
    table.add_row("mix total", "100%", "", "", "", usd(estimate.total_usd), style="bold")
    base = estimate.baseline
    table.add_row(
        f"{_name(base.model, catalog)} alone", "", "", usd(base.input_usd), usd(base.output_usd),
        usd(estimate.baseline_usd),
    )  # fmt: skip
    console.print(table)
    console.print(
        f"Saving: [bold green]{usd(estimate.saving_usd)}[/] a month "
        f"([bold green]{estimate.saving_pct:.0f}%[/] less than {_name(base.model, catalog)})"
    )


def render_catalog(console: Console, catalog: Catalog) -> None:
    """The price catalog: $ per million tokens, tier and context window per model."""
    table = new_table("Price catalog ($ per million tokens)")
    table.add_column("model", no_wrap=True, overflow="ellipsis", max_width=36)
    table.add_column("role", no_wrap=True)
    for column in ("input", "cached", "output", "context"):
        table.add_column(column, justify="right", no_wrap=True)
    for info in catalog:
        role = catalog.tier_of(info.id) or (
            "reference" if info.id == catalog.reference_model else ""
        )
        table.add_row(
            info.id,
            role,
            f"{info.input_per_mtok}",
            "" if info.cached_input_per_mtok is None else f"{info.cached_input_per_mtok}",
            f"{info.output_per_mtok}",
            "" if info.context_window is None else f"{info.context_window:,}",
        )
    console.print(table)


def render_decision(console: Console, decision: RoutingDecision, tiers: Sequence[str]) -> None:
    """One decision: the tier, the model, the score against the cuts, why, and the signals."""
    tier = f"[bold {_style(tiers, decision.tier)}]{decision.tier}[/]"
    console.print(f"tier:       {tier}  ({decision.model or 'unknown model'})")
    score = "not scored (hint)" if decision.score is None else f"{decision.score:.3f}"
    order = " < ".join(tiers)
    console.print(f"score:      {score}   cut points {_cuts(decision.thresholds)} ({order})")
    if decision.hint is not None:
        console.print(f"hint:       {decision.hint}")
    console.print(f"reason:     {decision.reason}", overflow="fold")
    console.print(f"overhead:   {decision.overhead_ms:.2f} ms")
    if decision.signals:
        shown = ", ".join(
            f"{name}={value:.3g}" for name, value in decision.signals.items() if name != "logit"
        )
        console.print(f"signals:    {shown}", overflow="fold")


def _one_line(text: str) -> str:
    return " ".join(text.split())


def render_plan(console: Console, plan: RoutingPlan, *, title: str) -> None:
    """Every decision (tier, score, why, prompt), then the tier mix."""
    table = new_table(title)
    # A no-wrap column wider than the terminal makes rich drop the others: give the prompt
    # what the other columns leave (3 characters of padding and rule between columns).
    tier_width = max(map(len, plan.tiers), default=4) + 1
    fixed = len(str(len(plan.prompts))) + tier_width + 5 + _WHY_WIDTH + 4 * 3 + 2
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("tier", no_wrap=True, min_width=tier_width)
    table.add_column("score", justify="right", no_wrap=True)
    table.add_column("why", max_width=_WHY_WIDTH)
    table.add_column(
        "prompt", no_wrap=True, overflow="ellipsis", max_width=max(console.width - fixed, 12)
    )
    for number, (prompt, decision) in enumerate(zip(plan.prompts, plan.decisions, strict=True), 1):
        score = "hint" if decision.score is None else f"{decision.score:.2f}"
        style = _style(plan.tiers, decision.tier)
        moved = "*" if decision.scored_tier not in (None, decision.tier) else ""
        table.add_row(
            str(number),
            f"[{style}]{decision.tier}{moved}[/]",
            score,
            short_reason(decision),
            _one_line(prompt.text),
        )
    console.print(table)
    if any(d.scored_tier not in (None, d.tier) for d in plan.decisions):
        console.print("[dim]* moved from its scored tier by a check (context window, tools)[/]")
    mix = new_table("Tier mix")
    mix.add_column("tier", no_wrap=True)
    mix.add_column("model", no_wrap=True, overflow="ellipsis", max_width=40)
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
