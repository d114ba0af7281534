"""Helpers shared by the billing tests: the compositions, and what the server says was used.

The truth a bill is checked against comes from the server side only: `served(server)` rebuilds,
from each request the FakeOpenAIServer answered, the usage it reported (the server's replies
are a pure function of the request) and prices it with `Catalog.cost` directly, never through
the billing code under test.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessageChunk, BaseMessage

from langchain_globalapi import (
    CachedChatModel,
    Catalog,
    ChatGlobalAPI,
    ExactCache,
    FallbackChatModel,
    TieredRouterRunnable,
)
from langchain_globalapi.routing import HeuristicScorer
from langchain_globalapi.testing import FakeOpenAIServer
from langchain_globalapi.testing._replies import build_reply

FLASH = "deepseek-ai/DeepSeek-V4-Flash"
PRO = "deepseek-ai/DeepSeek-V4-Pro"
ECONOMY = "GA-Economy"
GPT4O = "gpt-4o"
PROMPT = "What is the capital of France?"
CHAT_PATH = "/v1/chat/completions"


def model(server: FakeOpenAIServer, name: str = FLASH, **kwargs: Any) -> ChatGlobalAPI:
    """A ChatGlobalAPI on the fake server with SDK retries off (one call: one request)."""
    return ChatGlobalAPI(model=name, api_key="k", base_url=server.base_url, max_retries=0, **kwargs)


def router(tiers: dict[str, Any], **kwargs: Any) -> TieredRouterRunnable:
    """A router that sends every short prompt to its first tier (0.99 is never reached)."""
    cuts = [0.99 + 0.001 * i for i in range(len(tiers) - 1)]
    return TieredRouterRunnable(tiers=tiers, scorer=HeuristicScorer(), thresholds=cuts, **kwargs)


# Each composition answers a short prompt with FLASH first; the nested ones go two levels deep.
COMPOSITIONS: dict[str, Callable[[FakeOpenAIServer], BaseChatModel]] = {
    "plain": model,
    "fallback": lambda s: FallbackChatModel([model(s), model(s, PRO)]),
    "router": lambda s: router({"flash": model(s), "pro": model(s, PRO)}),
    "cached_router": lambda s: CachedChatModel(
        router({"flash": model(s), "pro": model(s, PRO)}), cache=ExactCache()
    ),
    "cached_fallback": lambda s: CachedChatModel(
        FallbackChatModel([model(s), model(s, PRO)]), cache=ExactCache()
    ),
    "router_of_fallbacks": lambda s: router(
        {
            "flash": FallbackChatModel([model(s), model(s, PRO)]),
            "pro": FallbackChatModel([model(s, PRO), model(s, GPT4O)]),
        }
    ),
    "fallback_of_routers": lambda s: FallbackChatModel(
        [router({"flash": model(s), "pro": model(s, PRO)}), model(s, GPT4O)]
    ),
    "router_of_caches": lambda s: router(
        {
            "flash": CachedChatModel(model(s), cache=ExactCache()),
            "pro": CachedChatModel(model(s, PRO), cache=ExactCache()),
        }
    ),
    "stack": lambda s: CachedChatModel(
        router(
            {
                "flash": FallbackChatModel([model(s), model(s, PRO)]),
                "pro": FallbackChatModel([model(s, PRO), model(s, GPT4O)]),
            }
        ),
        cache=ExactCache(),
    ),
}
WRAPPERS = [name for name in COMPOSITIONS if name != "plain"]


@dataclass(frozen=True)
class Served:
    """What the server answered: calls, tokens, catalog price, and each call's model and cost."""

    calls: int
    input_tokens: int
    output_tokens: int
    usd: Decimal
    models: tuple[str, ...]
    costs: tuple[Decimal, ...]

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens


def served(
    server: FakeOpenAIServer,
    catalog: Catalog | None = None,
    *,
    replies: dict[str, str] | None = None,
) -> Served:
    """The chat calls the server answered in full, with the usage it reported, priced.

    `replies`: the fixed texts given to `server.set_reply`, by model.
    """
    catalog = catalog or Catalog.default()
    calls = input_tokens = output_tokens = 0
    usd = Decimal(0)
    models: list[str] = []
    costs: list[Decimal] = []
    for request in server.requests:
        if request.path != CHAT_PATH or request.fault is not None:
            continue
        name = str(request.model)
        custom = (replies or {}).get(name)
        reply = build_reply(request.json, custom=custom, reasoning=None, next_call_id=lambda: "c")
        cost = catalog.cost(
            name, input_tokens=reply.prompt_tokens, output_tokens=reply.completion_tokens
        )
        assert cost is not None, f"{name} is not priced in the catalog"
        calls += 1
        input_tokens += reply.prompt_tokens
        output_tokens += reply.completion_tokens
        usd += cost
        models.append(name)
        costs.append(cost)
    return Served(calls, input_tokens, output_tokens, usd, tuple(models), tuple(costs))


def chat_requests(server: FakeOpenAIServer) -> int:
    """Chat completion requests the server received, faulted ones included."""
    return sum(1 for request in server.requests if request.path == CHAT_PATH)


def merge(chunks: list[BaseMessage]) -> BaseMessage:
    """A stream's chunks as one message."""
    assert chunks, "the stream produced no chunk"
    merged = chunks[0]
    for chunk in chunks[1:]:
        assert isinstance(merged, AIMessageChunk)
        merged = merged + chunk  # type: ignore[operator]
    return merged
