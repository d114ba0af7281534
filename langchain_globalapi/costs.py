"""Cost accounting: price each model call, sum spend per model, and measure the savings.

`CostTracker` is a LangChain callback handler. Attach it to any chain (or use
`get_globalapi_callback()`) and it prices every chat-model call from its
`usage_metadata` against the `Catalog`, in `Decimal` USD, beside what the same tokens
would have cost on a reference model (GPT-4o by default).

Three things LangChain's own usage callbacks get wrong are handled here:

- A cache hit (ours, stamped `response_metadata["cache"]["hit"]`, or LangChain's, which
  sets `usage_metadata["total_cost"] = 0`) costs $0 and is counted as saved, not billed.
- Wrappers (router, fallback, cache, or anything else that calls a chat model inside a
  chat model) are not counted twice: a run is billed only when no chat-model run below
  it already was.
- A model missing from the catalog is reported as unpriced (cost `None` and one
  warning), never as $0.

Example:
    >>> from langchain_globalapi import ChatGlobalAPI, get_globalapi_callback
    >>> from langchain_globalapi.testing import FakeOpenAIServer
    >>> with FakeOpenAIServer() as server, get_globalapi_callback() as cb:
    ...     llm = ChatGlobalAPI(api_key="k", base_url=server.base_url)
    ...     _ = llm.invoke("Hello")
    ...     cb.calls, cb.total_cost_usd > 0
    (1, True)
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, LLMResult
from langchain_core.tracers.context import register_configure_hook

from langchain_globalapi.catalog import Catalog

if TYPE_CHECKING:
    from langchain_globalapi.budgets import Budget

__all__ = [
    "BilledCall",
    "CallCost",
    "CostTracker",
    "ModelSpend",
    "get_globalapi_callback",
    "price_message",
    "price_usage",
]

_ZERO = Decimal(0)
_warned_unpriced: set[str] = set()
_warned_lock = threading.Lock()


def _warn_unpriced(model: str) -> None:
    with _warned_lock:
        if model in _warned_unpriced:
            return
        _warned_unpriced.add(model)
    warnings.warn(
        f"model {model!r} is not in the price catalog, so its calls are reported with cost "
        "None; add it with Catalog.with_overrides({...}) to price it",
        stacklevel=3,
    )


@dataclass(frozen=True)
class CallCost:
    """The price of one call: what it cost, and what the reference model would have cost.

    `usd` is `None` when the model is not in the catalog. A cache hit has `usd == 0` and
    `saved_by_cache_usd` set to what the call would have cost.
    """

    model: str
    input_tokens: int
    output_tokens: int
    cached_input_tokens: int
    usd: Decimal | None
    reference_usd: Decimal | None
    cache_hit: bool = False
    saved_by_cache_usd: Decimal = _ZERO

    def as_metadata(self) -> dict[str, Any]:
        """The `response_metadata["cost"]` form: amounts as exact decimal strings."""
        return {
            "model": self.model,
            "usd": None if self.usd is None else str(self.usd),
            "reference_usd": None if self.reference_usd is None else str(self.reference_usd),
            "cache_hit": self.cache_hit,
        }


@dataclass(frozen=True)
class BilledCall:
    """One model call as billed, exactly once, by the billing core: the event every sink sees.

    The cost tracker sums these, budgets settle their reservations with them, and a usage
    ledger appends them. A failed attempt (`error` set) is an event too: it carries the
    error kind and, when the server had streamed part of an answer before failing, the
    estimated cost of that part (`estimated=True`).

    Attributes:
        call_id: The call's billing id (the leaf model's stamp; a cache hit gets its own).
        run_id: The LangChain run of the model that made the call.
        started_at: Seconds since the epoch when the call started.
        latency_ms: From start to end (or to the failure).
        model: The model that answered (or was tried).
        tier: The router tier the call was made for, if routed.
        task: The `task` of the call's metadata, if any.
        request_id: The `request_id` of the call's metadata, if any.
        cost: What the call cost; `None` for a failure with nothing received.
        error: The failure kind (`"rate_limit"`, `"server_error"`, ...) or `None`.
        estimated: Usage estimated from text (a stream that ended early), not reported.
        attempt: The fallback attempt number (1 when not under a fallback chain).
        routing_score: The router's score for the request, if routed.
        cascade: `"cheap"` for a cascade's first answer, `"escalated"` for its second.
        shadow: A tripwire's re-check on the reference model.
    """

    call_id: str
    run_id: str
    started_at: float
    latency_ms: float
    model: str
    tier: str | None = None
    task: str | None = None
    request_id: str | None = None
    cost: CallCost | None = None
    error: str | None = None
    estimated: bool = False
    attempt: int = 1
    routing_score: float | None = None
    cascade: str | None = None
    shadow: bool = False

    @property
    def cache_hit(self) -> bool:
        """Answered from a cache at $0."""
        return self.cost is not None and self.cost.cache_hit


def _is_cache_hit(message: BaseMessage) -> bool:
    cache = message.response_metadata.get("cache")
    if isinstance(cache, Mapping) and cache.get("hit") is True:
        return True
    usage = getattr(message, "usage_metadata", None) or {}
    # langchain-core marks its own cache hits this way (_convert_cached_generations).
    return usage.get("total_cost") == 0


def _model_name(message: BaseMessage) -> str | None:
    meta = message.response_metadata
    name = meta.get("model_name") or meta.get("model")
    return str(name) if name else None


def price_message(
    message: BaseMessage, catalog: Catalog | None = None, *, reference_model: str | None = None
) -> CallCost | None:
    """Price one model answer from its `usage_metadata`; `None` if it reports no usage.

    Example:
        >>> from langchain_core.messages import AIMessage
        >>> msg = AIMessage(
        ...     content="hi",
        ...     usage_metadata={"input_tokens": 1000, "output_tokens": 100, "total_tokens": 1100},
        ...     response_metadata={"model_name": "deepseek-ai/DeepSeek-V4-Flash"},
        ... )
        >>> price_message(msg).usd
        Decimal('0.00038')
    """
    usage = getattr(message, "usage_metadata", None)
    model = _model_name(message)
    if not usage or not model:
        return None
    return price_usage(
        usage, model, catalog, reference_model=reference_model, cache_hit=_is_cache_hit(message)
    )


def price_usage(
    usage: Mapping[str, Any],
    model: str,
    catalog: Catalog | None = None,
    *,
    reference_model: str | None = None,
    cache_hit: bool = False,
) -> CallCost:
    """Price `usage_metadata` reported by `model` (for callers that hold no finished message).

    Example:
        >>> price_usage({"input_tokens": 1000, "output_tokens": 100}, "gpt-4o").usd
        Decimal('0.0035')
    """
    catalog = catalog or Catalog.default()
    reference = reference_model or catalog.reference_model
    input_tokens = int(usage.get("input_tokens", 0))
    output_tokens = int(usage.get("output_tokens", 0))
    cached = int((usage.get("input_token_details") or {}).get("cache_read", 0) or 0)
    full = catalog.cost(
        model, input_tokens=input_tokens, output_tokens=output_tokens, cached_input_tokens=cached
    )
    reference_usd = catalog.cost(reference, input_tokens=input_tokens, output_tokens=output_tokens)
    if full is None:
        _warn_unpriced(model)
    if cache_hit:
        return CallCost(
            model, input_tokens, output_tokens, cached, _ZERO, reference_usd,
            cache_hit=True, saved_by_cache_usd=full or _ZERO,
        )  # fmt: skip
    return CallCost(model, input_tokens, output_tokens, cached, full, reference_usd)


@dataclass
class ModelSpend:
    """Running totals for one model."""

    calls: int = 0
    cache_hits: int = 0
    unpriced_calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cached_input_tokens: int = 0
    cost_usd: Decimal = _ZERO
    reference_usd: Decimal = _ZERO
    saved_by_cache_usd: Decimal = _ZERO

    def add(self, call: CallCost) -> None:
        """Fold one priced call into the totals."""
        self.calls += 1
        self.cache_hits += call.cache_hit
        self.input_tokens += call.input_tokens
        self.output_tokens += call.output_tokens
        self.cached_input_tokens += call.cached_input_tokens
        if call.usd is None:
            self.unpriced_calls += 1
        else:
            self.cost_usd += call.usd
        self.reference_usd += call.reference_usd or _ZERO
        self.saved_by_cache_usd += call.saved_by_cache_usd


@dataclass
class _Run:
    parent: UUID | None
    tier: str | None
    delegated: bool = False


class CostTracker(BaseCallbackHandler):
    """Callback handler that sums calls, tokens and USD per model, and the savings.

    Savings are measured against a counterfactual: what the same tokens would have cost
    on `reference_model` (the catalog's, GPT-4o by default). With a `budget`, every
    priced call is also recorded there.

    Example:
        >>> from langchain_globalapi import ChatGlobalAPI, CostTracker
        >>> from langchain_globalapi.testing import FakeOpenAIServer
        >>> tracker = CostTracker()
        >>> with FakeOpenAIServer() as server:
        ...     llm = ChatGlobalAPI(api_key="k", base_url=server.base_url)
        ...     _ = llm.invoke("Hello", config={"callbacks": [tracker]})
        >>> tracker.calls, tracker.savings_usd > 0
        (1, True)
    """

    # Sync handlers run inline under async code: the lock keeps the totals consistent.
    run_inline = True

    def __init__(
        self,
        catalog: Catalog | None = None,
        *,
        reference_model: str | None = None,
        budget: Budget | None = None,
    ) -> None:
        self.catalog = catalog or Catalog.default()
        self.reference_model = reference_model
        self.budget = budget
        self.per_model: dict[str, ModelSpend] = {}
        self._runs: dict[UUID, _Run] = {}
        self._lock = threading.Lock()

    def on_chat_model_start(
        self,
        serialized: dict[str, Any],
        messages: list[list[BaseMessage]],
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        """Remember the run's parent so wrappers are not billed twice."""
        tier = (metadata or {}).get("globalapi_tier")
        with self._lock:
            self._runs[run_id] = _Run(parent_run_id, tier if isinstance(tier, str) else None)

    def on_chain_start(
        self,
        serialized: dict[str, Any] | None,
        inputs: Any,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        **kwargs: Any,
    ) -> None:
        """Link chain runs too, so a wrapper that calls its model through a chain is seen."""
        with self._lock:
            self._runs[run_id] = _Run(parent_run_id, None)

    def on_chain_end(self, outputs: Any, *, run_id: UUID, **kwargs: Any) -> None:
        """Forget a finished chain run."""
        with self._lock:
            self._runs.pop(run_id, None)

    def on_chain_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        """Forget a failed chain run."""
        with self._lock:
            self._runs.pop(run_id, None)

    def on_llm_end(
        self,
        response: LLMResult,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        **kwargs: Any,
    ) -> None:
        """Price the generations of a finished chat-model run."""
        with self._lock:
            run = self._runs.pop(run_id, None) or _Run(parent_run_id, None)
        calls = [
            call
            for generations in response.generations
            for generation in generations
            if isinstance(generation, ChatGeneration)
            and isinstance(generation.message, AIMessage)
            and (call := self._price(generation.message)) is not None
        ]
        if run.delegated and not any(call.cache_hit for call in calls):
            return  # a chat model below this one was billed already
        if calls:
            self._mark_ancestors(run.parent)
        for call in calls:
            self._record(call, run.tier)

    def on_llm_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        """Forget a failed run: failed attempts are not billed."""
        with self._lock:
            self._runs.pop(run_id, None)

    def _price(self, message: AIMessage) -> CallCost | None:
        return price_message(message, self.catalog, reference_model=self.reference_model)

    def _mark_ancestors(self, parent: UUID | None) -> None:
        with self._lock:
            while parent is not None and parent in self._runs:
                self._runs[parent].delegated = True
                parent = self._runs[parent].parent

    def _record(self, call: CallCost, tier: str | None) -> None:
        with self._lock:
            self.per_model.setdefault(call.model, ModelSpend()).add(call)
        if self.budget is not None and call.usd:
            self.budget.record(
                call.usd, model=call.model, tier=tier or self.catalog.tier_of(call.model)
            )

    def record(self, message: AIMessage) -> CallCost | None:
        """Price and add one answer by hand (for code outside LangChain callbacks)."""
        call = self._price(message)
        if call is not None:
            self._record(call, None)
        return call

    def _sum(self, attribute: str) -> Any:
        with self._lock:
            return sum((getattr(spend, attribute) for spend in self.per_model.values()), start=0)

    @property
    def calls(self) -> int:
        """Model calls seen, cache hits included."""
        return int(self._sum("calls"))

    @property
    def cache_hits(self) -> int:
        """Calls answered from a cache, at $0."""
        return int(self._sum("cache_hits"))

    @property
    def input_tokens(self) -> int:
        """Input tokens over all calls."""
        return int(self._sum("input_tokens"))

    @property
    def output_tokens(self) -> int:
        """Output tokens over all calls."""
        return int(self._sum("output_tokens"))

    @property
    def total_cost_usd(self) -> Decimal:
        """What the priced calls cost (unpriced calls are counted in `unpriced_calls`)."""
        return Decimal(self._sum("cost_usd"))

    @property
    def unpriced_calls(self) -> int:
        """Calls on models missing from the catalog."""
        return int(self._sum("unpriced_calls"))

    @property
    def reference_cost_usd(self) -> Decimal:
        """What the same tokens would have cost on the reference model."""
        return Decimal(self._sum("reference_usd"))

    @property
    def saved_by_cache_usd(self) -> Decimal:
        """What the cache hits would have cost on the models that answered them."""
        return Decimal(self._sum("saved_by_cache_usd"))

    @property
    def savings_usd(self) -> Decimal:
        """Reference cost minus actual cost."""
        return self.reference_cost_usd - self.total_cost_usd

    @property
    def savings_pct(self) -> float | None:
        """Savings as a percentage of the reference cost (`None` before any priced call)."""
        reference = self.reference_cost_usd
        if reference == 0:
            return None
        return float(self.savings_usd / reference * 100)

    def reset(self) -> None:
        """Forget every total."""
        with self._lock:
            self.per_model.clear()
            self._runs.clear()

    def summary(self) -> dict[str, Any]:
        """Totals and per-model spend as a JSON-ready dict (amounts as decimal strings)."""
        with self._lock:
            models = {
                name: {
                    "calls": s.calls,
                    "cache_hits": s.cache_hits,
                    "input_tokens": s.input_tokens,
                    "output_tokens": s.output_tokens,
                    "cost_usd": str(s.cost_usd),
                    "reference_usd": str(s.reference_usd),
                }
                for name, s in self.per_model.items()
            }
        pct = self.savings_pct
        return {
            "calls": self.calls,
            "cache_hits": self.cache_hits,
            "unpriced_calls": self.unpriced_calls,
            "total_cost_usd": str(self.total_cost_usd),
            "reference_cost_usd": str(self.reference_cost_usd),
            "savings_usd": str(self.savings_usd),
            "savings_pct": None if pct is None else round(pct, 2),
            "saved_by_cache_usd": str(self.saved_by_cache_usd),
            "models": models,
        }

    def __str__(self) -> str:
        pct = self.savings_pct
        saved = "n/a" if pct is None else f"{pct:.1f}%"
        return (
            f"Calls: {self.calls} (cache hits: {self.cache_hits})\n"
            f"Tokens: {self.input_tokens} in, {self.output_tokens} out\n"
            f"Cost: ${self.total_cost_usd:.6f}\n"
            f"Reference ({self.reference_model or self.catalog.reference_model}): "
            f"${self.reference_cost_usd:.6f}\n"
            f"Saved: ${self.savings_usd:.6f} ({saved})"
        )


_tracker_var: ContextVar[CostTracker | None] = ContextVar("globalapi_cost_tracker", default=None)
register_configure_hook(_tracker_var, inheritable=True)


@contextmanager
def get_globalapi_callback(
    catalog: Catalog | None = None,
    *,
    reference_model: str | None = None,
    budget: Budget | None = None,
) -> Iterator[CostTracker]:
    """Track the cost of every chat-model call inside the `with` block, like `get_openai_callback`.

    Works for sync, async, streaming and concurrent calls in the same context.

    Example:
        >>> from langchain_globalapi import ChatGlobalAPI, get_globalapi_callback
        >>> from langchain_globalapi.testing import FakeOpenAIServer
        >>> with FakeOpenAIServer() as server, get_globalapi_callback() as cb:
        ...     llm = ChatGlobalAPI(api_key="k", base_url=server.base_url)
        ...     _ = llm.invoke("Hello")
        ...     _ = "".join(chunk.text for chunk in llm.stream("Hello"))
        >>> cb.calls
        2
    """
    tracker = CostTracker(catalog, reference_model=reference_model, budget=budget)
    token = _tracker_var.set(tracker)
    try:
        yield tracker
    finally:
        _tracker_var.reset(token)
