"""The offline routing plan: score a file of prompts, decide each tier, price the realized mix.

This is the router's main job before any traffic flows: with no key and no network, it reads
a prompts file (JSON Lines with a `"prompt"` or `"messages"` field, or plain text with one
prompt per line), asks a router built from the catalog's tiers where each prompt would go,
and prices the realized tier mix at a monthly token volume against GPT-4o with the same math
as `estimate_spend`. `globalapi plan FILE` prints it.

Example:
    >>> router = offline_router("heuristic")
    >>> plan = plan_routes(router, [Prompt("What is 2 + 2?", "What is 2 + 2?")])
    >>> plan.mix()
    {'economy': 1.0, 'flash': 0.0, 'pro': 0.0}
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from langchain_core.language_models import LanguageModelInput

from langchain_globalapi._files import at_line, jsonl_lines, located, parse_json
from langchain_globalapi.catalog import Catalog
from langchain_globalapi.errors import PromptFileError, RoutingConfigError
from langchain_globalapi.estimate import SpendEstimate, estimate_spend
from langchain_globalapi.routing._decision import RoutingDecision
from langchain_globalapi.routing._tiers import tier_model_name
from langchain_globalapi.routing.heuristic import HeuristicScorer
from langchain_globalapi.routing.router import TieredRouterRunnable
from langchain_globalapi.routing.scorers import ComplexityScorer, LengthScorer

__all__ = [
    "SCORERS",
    "Prompt",
    "RoutingPlan",
    "load_prompts",
    "offline_router",
    "plan_routes",
    "scorer_named",
]

SCORERS = ("learned", "heuristic", "length")
# Never contacted: the plan only scores. A closed loopback port keeps any mistake local.
_OFFLINE_BASE_URL = "http://127.0.0.1:9/v1"


@dataclass(frozen=True)
class Prompt:
    """One request of a prompts file: a short text to show and the input a chat model takes."""

    text: str
    model_input: LanguageModelInput


def _from_record(record: Any, where: str) -> Prompt:
    if not isinstance(record, dict):
        msg = f"{where}: expected a JSON object with 'prompt' or 'messages', got {record!r:.60}"
        raise PromptFileError(msg)
    messages = record.get("messages")
    if isinstance(messages, list) and messages:
        for index, message in enumerate(messages):
            if not isinstance(message, dict) or not isinstance(message.get("role"), str):
                msg = f'{where}: messages[{index}] must be {{"role": ..., "content": ...}}'
                raise PromptFileError(msg)
        last_user = [m for m in messages if isinstance(m, dict) and m.get("role") == "user"]
        shown = last_user[-1].get("content") if last_user else messages[-1]
        return Prompt(str(shown), messages)
    prompt = record.get("prompt")
    if isinstance(prompt, str) and prompt:
        return Prompt(prompt, prompt)
    msg = f"{where}: a record needs a non-empty 'prompt' string or a 'messages' list"
    raise PromptFileError(msg)


def load_prompts(path: str | Path) -> list[Prompt]:
    """Read a prompts file: JSON Lines (`{"prompt": ...}` or `{"messages": [...]}`) or text.

    A file is read as JSON Lines when its suffix is `.jsonl`/`.json` or its first non-blank
    line starts with `{`; otherwise every non-blank line is one prompt.

    Raises:
        PromptFileError: The file cannot be read, a JSON line is malformed, or it holds no prompt.
    """
    file = Path(path)
    fail = located(PromptFileError, file)
    numbered = [(n, line.strip()) for n, line in jsonl_lines(file, fail, what="prompts file")]
    as_json = file.suffix in {".jsonl", ".json"} or (bool(numbered) and numbered[0][1][0] == "{")
    prompts: list[Prompt] = []
    for number, line in numbered:
        if not as_json:
            prompts.append(Prompt(line, line))
            continue
        record = parse_json(line, at_line(fail, number))
        prompts.append(_from_record(record, f"{file}:{number}"))
    if not prompts:
        msg = f"{file} holds no prompts: write one JSON object or one line of text per prompt"
        raise PromptFileError(msg)
    return prompts


def scorer_named(name: str) -> ComplexityScorer:
    """The scorer for a CLI name: `learned`, `heuristic` or `length`."""
    if name == "learned":
        from langchain_globalapi.routing.learned import LearnedScorer  # noqa: PLC0415

        return LearnedScorer.load_default()
    if name == "heuristic":
        return HeuristicScorer()
    if name == "length":
        return LengthScorer()
    msg = f"unknown scorer {name!r}: use one of {', '.join(SCORERS)}"
    raise RoutingConfigError(msg)


def offline_router(
    scorer: str | ComplexityScorer = "learned",
    *,
    thresholds: Sequence[float] | None = None,
    catalog: Catalog | None = None,
) -> TieredRouterRunnable:
    """A router over the catalog's tiers that can decide and explain, but never calls a model."""
    return TieredRouterRunnable.from_defaults(
        api_key="offline-plan",
        base_url=_OFFLINE_BASE_URL,
        catalog=catalog,
        scorer=scorer_named(scorer) if isinstance(scorer, str) else scorer,
        thresholds=thresholds,
    )


@dataclass(frozen=True)
class RoutingPlan:
    """Where each prompt of a file would go, and the tier mix that makes."""

    tiers: tuple[str, ...]
    models: Mapping[str, str | None]
    prompts: tuple[Prompt, ...]
    decisions: tuple[RoutingDecision, ...]
    thresholds: tuple[float, ...]

    def counts(self) -> dict[str, int]:
        """Prompts per tier, every tier listed (cheapest first)."""
        counter = Counter(decision.tier for decision in self.decisions)
        return {tier: counter.get(tier, 0) for tier in self.tiers}

    def mix(self) -> dict[str, float]:
        """Share of prompts per tier."""
        total = max(len(self.decisions), 1)
        return {tier: count / total for tier, count in self.counts().items()}

    def spend(
        self,
        input_tokens: int | str,
        output_tokens: int | str,
        *,
        catalog: Catalog | None = None,
        baseline: str | None = None,
    ) -> SpendEstimate:
        """Monthly spend if traffic split like this plan, against the baseline (GPT-4o).

        Every prompt counts once (the file is a sample of requests, not of tokens).
        """
        total = len(self.decisions)
        shares: dict[str, Decimal] = {}
        for tier, count in self.counts().items():
            model = self.models[tier] or tier
            if count:
                shares[model] = shares.get(model, Decimal(0)) + Decimal(count) / Decimal(total)
        return estimate_spend(
            input_tokens, output_tokens, shares, baseline=baseline, catalog=catalog
        )


def plan_routes(
    router: TieredRouterRunnable, prompts: Iterable[Prompt], *, task: str | None = None
) -> RoutingPlan:
    """Decide every prompt with `router.explain` (no model is called), tagged with `task`."""
    items = tuple(prompts)
    config: Any = {"configurable": {"task": task}} if task else None
    decisions = tuple(router.explain(prompt.model_input, config=config) for prompt in items)
    return RoutingPlan(
        tiers=tuple(router.tiers),
        models={name: tier_model_name(model) for name, model in router.tiers.items()},
        prompts=items,
        decisions=decisions,
        thresholds=tuple(router.thresholds or ()),
    )
