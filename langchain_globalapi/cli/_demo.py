"""The scenario behind `globalapi demo`: a few scripted requests through the whole stack.

`CachedChatModel` -> `TieredRouterRunnable` (economy | flash, falling back to pro | pro) ->
`ChatGlobalAPI`, with a `QualityTripwire` re-asking the answers of GPT-4o in the background
and `get_globalapi_callback()` adding up the cost. Against the local demo endpoint
(`FakeOpenAIServer`: canned answers, one injected 429 on flash) every figure is the same on
every run; against the gateway, the answers and token counts are real.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from langchain_core.messages import BaseMessage

from langchain_globalapi.caching import CachedChatModel, ExactCache
from langchain_globalapi.catalog import DEFAULT_TIERS, REFERENCE_MODEL
from langchain_globalapi.chat_models import ChatGlobalAPI
from langchain_globalapi.costs import CostTracker, get_globalapi_callback
from langchain_globalapi.fallbacks import FallbackChatModel
from langchain_globalapi.routing import TieredRouterRunnable
from langchain_globalapi.testing import FakeOpenAIServer, Fault
from langchain_globalapi.tripwire import QualityTripwire, TripwireStats

__all__ = ["SCRIPT", "DemoRun", "Request", "Turn", "demo_endpoint", "run_demo"]

FLASH, PRO = DEFAULT_TIERS["flash"], DEFAULT_TIERS["pro"]


@dataclass(frozen=True)
class Request:
    """One scripted request: what the user asks, an optional routing hint, a canned answer."""

    prompt: str
    canned: str
    hint: str | None = None
    reference_canned: str | None = None  # GPT-4o's canned answer when it differs


SCRIPT: tuple[Request, ...] = (
    Request("What is the capital of Portugal?", "Lisbon is the capital of Portugal."),
    Request("What is the capital of Portugal?", "Lisbon is the capital of Portugal."),
    Request(
        "Extract the order number and the total as JSON: "
        "'Order #4512, total $37.20, shipped May 3.'",
        '{"order_number": "4512", "total": 37.20}',
    ),
    Request(
        "Summarise in two sentences: Our Q3 revenue rose 12% on strong enterprise demand, "
        "while churn fell to 2.1% after the pricing change.",
        "Q3 revenue grew 12% on enterprise demand. Churn fell to 2.1% after the new pricing.",
        reference_canned="Strong enterprise sales lifted third-quarter revenue by 12 percent. "
        "Customer losses dropped to 2.1 percent once prices changed.",
    ),
    Request(
        "Plan a zero-downtime rollout of a database schema change.",
        "1. Add the new column. 2. Dual-write. 3. Backfill. 4. Switch reads. "
        "5. Drop the old column.",
        hint="high",
    ),
)


@dataclass(frozen=True)
class Turn:
    """What happened to one request, read from the answer's `response_metadata`."""

    request: Request
    answer: str
    metadata: Mapping[str, Any]

    @property
    def cache_hit(self) -> bool:
        """Whether the cache answered (no model was called)."""
        return bool((self.metadata.get("cache") or {}).get("hit"))

    @property
    def routing(self) -> Mapping[str, Any]:
        """The router's decision (tier, model, score, reason)."""
        return self.metadata.get("routing") or {}

    @property
    def failed_attempts(self) -> list[Mapping[str, Any]]:
        """The fallback chain's attempts that failed before one answered."""
        attempts = (self.metadata.get("fallback") or {}).get("attempts") or []
        return [a for a in attempts if a.get("error")]

    @property
    def cost(self) -> Mapping[str, Any]:
        """`usd` and `reference_usd` (what GPT-4o would have cost), as decimal strings."""
        return self.metadata.get("cost") or {}

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready facts of this turn."""
        return {
            "prompt": self.request.prompt,
            "hint": self.request.hint,
            "answer": self.answer,
            "cache_hit": self.cache_hit,
            "saved_usd": (self.metadata.get("cache") or {}).get("saved_usd"),
            "tier": self.routing.get("tier"),
            "score": self.routing.get("score"),
            "reason": self.routing.get("reason"),
            "fallback": [
                {"model": a.get("model"), "error": a.get("error"), "status": a.get("status")}
                for a in self.failed_attempts
            ],
            "answered_by": self.metadata.get("model"),
            "usd": self.cost.get("usd"),
            "reference_usd": self.cost.get("reference_usd"),
        }


@dataclass
class DemoRun:
    """The outcome: each turn, the tripwire's stats and the cost tracker."""

    endpoint: str
    demo: bool
    turns: list[Turn] = field(default_factory=list)
    tripwire: TripwireStats | None = None
    tracker: CostTracker | None = None

    @property
    def spent_usd(self) -> Decimal:
        """What the scripted requests cost (the tripwire's shadow calls not included)."""
        return sum((Decimal(t.cost.get("usd") or 0) for t in self.turns), Decimal(0))

    @property
    def reference_usd(self) -> Decimal:
        """What the same requests would have cost on GPT-4o, with no cache."""
        return sum((Decimal(t.cost.get("reference_usd") or 0) for t in self.turns), Decimal(0))


def _canned(request_json: dict[str, Any], *, reference: bool) -> str:
    messages = request_json.get("messages") or [{}]
    asked = str(messages[-1].get("content", ""))
    for request in SCRIPT:
        if request.prompt == asked:
            if reference and request.reference_canned:
                return request.reference_canned
            return request.canned
    return f"(demo endpoint: canned answer) {asked[:60]}"


@contextmanager
def demo_endpoint() -> Iterator[FakeOpenAIServer]:
    """The local demo endpoint: canned answers, and one 429 on flash's first call."""
    with FakeOpenAIServer() as server:
        server.set_reply("*", lambda request: _canned(request, reference=False))
        server.set_reply(REFERENCE_MODEL, lambda request: _canned(request, reference=True))
        server.inject(FLASH, Fault.rate_limit(retry_after_s=30))
        yield server


def run_demo(*, base_url: str, api_key: str, demo: bool) -> DemoRun:
    """Send `SCRIPT` through cache -> router -> fallback -> ChatGlobalAPI; wait for the tripwire.

    Example:
        >>> with demo_endpoint() as server:
        ...     run = run_demo(base_url=server.base_url, api_key="demo", demo=True)
        >>> [turn.cache_hit for turn in run.turns]
        [False, True, False, False, False]
    """

    def chat(model: str) -> ChatGlobalAPI:
        return ChatGlobalAPI(model=model, api_key=api_key, base_url=base_url, max_retries=1)

    # Every answer is re-asked here so the demo shows it; in production, 1%.
    tripwire = QualityTripwire(chat(REFERENCE_MODEL), sample_rate=1.0)
    router = TieredRouterRunnable(
        tiers={
            "economy": chat(DEFAULT_TIERS["economy"]),
            "flash": FallbackChatModel([chat(FLASH), chat(PRO)]),
            "pro": chat(PRO),
        },
        tripwire=tripwire,
    )
    model = CachedChatModel(router, cache=ExactCache())
    run = DemoRun(endpoint=base_url, demo=demo)
    try:
        with get_globalapi_callback() as tracker:
            for number, request in enumerate(SCRIPT):
                config: dict[str, Any] = {"metadata": {"request_id": f"demo-{number}"}}
                if request.hint:
                    config["configurable"] = {"complexity": request.hint}
                answer: BaseMessage = model.invoke(request.prompt, config=config)  # type: ignore[arg-type]
                run.turns.append(Turn(request, str(answer.text), dict(answer.response_metadata)))
                # The router learns from each verdict: wait for it, so the next turn's score
                # (and the demo's output) does not depend on the background thread's timing.
                tripwire.drain()
    finally:
        tripwire.close()
    run.tripwire = tripwire.stats()
    run.tracker = tracker
    return run
