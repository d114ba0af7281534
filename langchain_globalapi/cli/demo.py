"""`globalapi demo`: the whole stack on a short scripted conversation, explained as it runs.

Without GLOBAL_API_KEY (or with `--offline`) it starts a local demo endpoint on loopback
that says what it is: canned answers and one injected rate limit, priced with the real
catalog. With a key it talks to the gateway (or GLOBAL_API_BASE).
"""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING, Any

import click

from langchain_globalapi.cli._common import emit_json, endpoint_options, guarded, json_option, usd

if TYPE_CHECKING:
    from langchain_globalapi.cli._demo import DemoRun, Turn

__all__ = ["demo", "demo_lines"]

_WIDTH = 80
_LABEL = 12  # "    fallback" and friends, then the text


def _clip(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _field(label: str, text: str) -> list[str]:
    lines = textwrap.wrap(" ".join(text.split()), _WIDTH - _LABEL - 1) or [""]
    return [f"    {label:<{_LABEL - 4}} {lines[0]}"] + [" " * (_LABEL + 1) + x for x in lines[1:]]


def _short(model: str | None) -> str:
    return (model or "?").rsplit("/", 1)[-1]


def _turn_lines(number: int, turn: Turn) -> list[str]:
    hint = f"  [hint: {turn.request.hint}]" if turn.request.hint else ""
    lines = [f"[{number}] " + _clip(turn.request.prompt, _WIDTH - 5 - len(hint)) + hint]
    if turn.cache_hit:
        saved = (turn.metadata.get("cache") or {}).get("saved_usd")
        lines += _field("cache", f"exact hit: no model called, $0 (saved {usd(saved)})")
    else:
        routing = turn.routing
        lines += _field(
            "route", f"{routing.get('tier')} -> {_short(routing.get('model'))} "
            f"({routing.get('reason')})",
        )  # fmt: skip
        for attempt in turn.failed_attempts:
            error = str(attempt["error"])
            why = "rate limited" if error == "rate_limit" else error.replace("_", " ")
            status = f" (HTTP {attempt['status']})" if attempt.get("status") else ""
            lines += _field(
                "fallback", f"{_short(attempt.get('model'))} {why}{status}, "
                f"{_short(turn.metadata.get('model'))} answered",
            )  # fmt: skip
    lines += _field("answer", turn.answer)
    if not turn.cache_hit:
        cost = turn.cost
        lines += _field(
            "cost", f"{usd(cost.get('usd'))} (GPT-4o: {usd(cost.get('reference_usd'))})"
        )
    return lines


def _cost_lines(run: DemoRun) -> list[str]:
    tracker = run.tracker
    assert tracker is not None
    lines = [
        f"Cost tracker: {tracker.calls} calls ({tracker.cache_hits} from the cache), "
        f"{usd(tracker.total_cost_usd)} in all"
    ]
    for model, spend in sorted(tracker.per_model.items()):
        role = "  (tripwire)" if model == tracker.catalog.reference_model else ""
        lines.append(
            f"  {_clip(model, 34):<34} {spend.calls:>2} calls  {usd(spend.cost_usd):>12}{role}"
        )
    saving = run.reference_usd - run.spent_usd
    pct = f" ({saving / run.reference_usd:.0%} less)" if run.reference_usd else ""
    lines.append(
        f"The {len(run.turns)} requests cost {usd(run.spent_usd)}; on GPT-4o alone, "
        f"{usd(run.reference_usd)}{pct}."
    )
    return lines


def demo_lines(run: DemoRun) -> list[str]:
    """The demo's report, every line at most 80 characters."""
    where = (
        f"LOCAL DEMO ENDPOINT at {run.endpoint}: canned answers, one injected rate "
        "limit, real catalog prices. Export GLOBAL_API_KEY to use Global API."
        if run.demo
        else f"{run.endpoint} (real models, real cost)"
    )
    lines = [
        "globalapi demo: one conversation through the whole stack",
        "  CachedChatModel -> TieredRouterRunnable -> FallbackChatModel -> ChatGlobalAPI,",
        "  a QualityTripwire re-asking gpt-4o, and a cost tracker around it all",
        *textwrap.wrap("endpoint: " + where, _WIDTH, subsequent_indent="  "),
        "",
    ]
    for number, turn in enumerate(run.turns, 1):
        lines += _turn_lines(number, turn)
    stats = run.tripwire
    assert stats is not None
    lines += ["", "Tripwire (the demo re-asks every answer of gpt-4o; production: 1%):"]
    lines += ["  " + line for line in str(stats).splitlines()]
    lines += ["", *_cost_lines(run)]
    return [_clip(line, _WIDTH) if len(line) > _WIDTH else line for line in lines]


def _json(run: DemoRun) -> dict[str, Any]:
    tracker, stats = run.tracker, run.tripwire
    assert tracker is not None
    assert stats is not None
    return {
        "endpoint": {"base_url": run.endpoint, "demo": run.demo},
        "turns": [turn.as_dict() for turn in run.turns],
        "tripwire": stats.as_dict(),
        "cost": {
            "calls": tracker.calls,
            "cache_hits": tracker.cache_hits,
            "total_usd": tracker.total_cost_usd,
            "per_model": {
                m: {"calls": s.calls, "usd": s.cost_usd}
                for m, s in sorted(tracker.per_model.items())
            },
            "requests_usd": run.spent_usd,
            "requests_on_gpt4o_usd": run.reference_usd,
        },
    }


@click.command(short_help="The whole stack on a scripted conversation (no key needed).")
@click.option("--offline", is_flag=True,
              help="Use the local demo endpoint even when GLOBAL_API_KEY is set.")  # fmt: skip
@endpoint_options
@json_option
@guarded
def demo(offline: bool, base_url: str | None, api_key: str | None, as_json: bool) -> None:
    """Run the whole stack on a short scripted conversation and explain what happened.

    Shows routing decisions, a cache hit, a fallback after a rate limit, the quality
    tripwire and the cost report. No key needed: without GLOBAL_API_KEY it starts a local
    demo endpoint (canned answers, one injected rate limit) on 127.0.0.1.
    """
    from langchain_globalapi.cli._demo import demo_endpoint, run_demo  # noqa: PLC0415

    if api_key and not offline:
        from langchain_globalapi.chat_models import DEFAULT_BASE_URL  # noqa: PLC0415

        run = run_demo(base_url=base_url or DEFAULT_BASE_URL, api_key=api_key, demo=False)
    else:
        with demo_endpoint() as server:
            run = run_demo(base_url=server.base_url, api_key="demo", demo=True)
    if as_json:
        emit_json(_json(run))
        return
    for line in demo_lines(run):
        click.echo(line)
