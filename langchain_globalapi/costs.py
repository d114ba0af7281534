"""Cost accounting: sum what every model call cost, per model, and measure the savings.

`CostTracker` is a LangChain callback handler built on the billing core
(`langchain_globalapi._billing`): attach it to any chain (or use `get_globalapi_callback()`)
and every provider call below it is priced once, in `Decimal` USD, beside what the same
tokens would have cost on a reference model (GPT-4o by default), however the router,
fallback and cache wrappers, `bind_tools`, `with_structured_output` or `create_agent`
nest the runs.

What LangChain's own usage callbacks get wrong is handled here:

- A call is billed once by its billing key, not once per run that passes it on.
- A cache hit (ours, or LangChain's `set_llm_cache`) costs $0 and is counted as saved.
- A stream that ends early is billed from the usage it received, or estimated from the
  prompt and the delivered text and counted in `estimated_calls`, never silently $0.
- A model missing from the catalog is reported as unpriced (cost `None` and one
  warning), never as $0.

It also answers to the names of LangChain's `get_openai_callback()` (`total_cost`,
`total_tokens`, `prompt_tokens`, `completion_tokens`, `successful_requests`) and prints
like it.

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

import logging
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable
from uuid import uuid4

from langchain_core.messages import AIMessage
from langchain_core.tracers.context import register_configure_hook

from langchain_globalapi._billing import BillingHandler, bill_key
from langchain_globalapi._pricing import (
    BilledCall,
    CallCost,
    model_name_of,
    price_message,
    price_usage,
)
from langchain_globalapi.catalog import Catalog

if TYPE_CHECKING:
    from langchain_globalapi.budgets import Budget

__all__ = [
    "BilledCall",
    "BillingSink",
    "CallCost",
    "CostTracker",
    "ModelSpend",
    "get_globalapi_callback",
    "model_name_of",
    "price_message",
    "price_usage",
]

logger = logging.getLogger("langchain_globalapi.costs")

_ZERO = Decimal(0)


@runtime_checkable
class BillingSink(Protocol):
    """Receives each billed call once (a usage ledger, a metrics exporter); must not block."""

    def on_billed(self, call: BilledCall) -> None:
        """Take one billed call or failed attempt."""
        ...


@dataclass
class ModelSpend:
    """Running totals for one model."""

    calls: int = 0
    cache_hits: int = 0
    unpriced_calls: int = 0
    estimated_calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cached_input_tokens: int = 0
    reasoning_tokens: int = 0
    cost_usd: Decimal = _ZERO
    reference_usd: Decimal = _ZERO
    saved_by_cache_usd: Decimal = _ZERO

    def add(self, call: CallCost, *, estimated: bool = False) -> None:
        """Fold one priced call into the totals."""
        self.calls += 1
        self.cache_hits += call.cache_hit
        self.estimated_calls += estimated
        self.input_tokens += call.input_tokens
        self.output_tokens += call.output_tokens
        self.cached_input_tokens += call.cached_input_tokens
        self.reasoning_tokens += call.reasoning_tokens
        if call.usd is None:
            self.unpriced_calls += 1
        else:
            self.cost_usd += call.usd
        self.reference_usd += call.reference_usd or _ZERO
        self.saved_by_cache_usd += call.saved_by_cache_usd


class CostTracker(BillingHandler):
    """Callback handler that sums calls, tokens and USD per model, and the savings.

    Savings are measured against a counterfactual: what the same tokens would have cost
    on `reference_model` (the catalog's, GPT-4o by default).

    Args:
        catalog: Prices (default: the built-in catalog).
        reference_model: The counterfactual model.
        budget: Spend limits: each model call reserves its worst case before it is sent
            (a hard limit that cannot take it raises `BudgetExceededError`, and no request
            is made) and settles to what it cost when it ends.
        sinks: Also receive every billed call (e.g. a usage ledger's `on_billed`).

    Example:
        >>> from langchain_globalapi import ChatGlobalAPI, CostTracker
        >>> from langchain_globalapi.testing import FakeOpenAIServer
        >>> tracker = CostTracker()
        >>> with FakeOpenAIServer() as server:
        ...     llm = ChatGlobalAPI(api_key="k", base_url=server.base_url)
        ...     _ = llm.invoke("Hello", config={"callbacks": [tracker]})
        >>> tracker.calls, tracker.successful_requests, tracker.savings_usd > 0
        (1, 1, True)
    """

    def __init__(
        self,
        catalog: Catalog | None = None,
        *,
        reference_model: str | None = None,
        budget: Budget | None = None,
        sinks: Sequence[BillingSink] = (),
    ) -> None:
        super().__init__(catalog, reference_model=reference_model, budget=budget)
        self.sinks = list(sinks)
        self.per_model: dict[str, ModelSpend] = {}
        self.failures: Counter[str] = Counter()
        """Failed attempts by kind (`rate_limit`, `server_error`, `stopped`, ...)."""
        self._partial_calls = 0

    # --- receiving bills --------------------------------------------------------------

    def on_billed(self, call: BilledCall) -> None:
        """Fold a billed call into the totals and pass it to the sinks."""
        with self._lock:
            if call.error is not None:
                self.failures[call.error] += 1
            if call.cost is not None:
                self.per_model.setdefault(call.model, ModelSpend()).add(
                    call.cost, estimated=call.estimated
                )
                self._partial_calls += call.error is not None
        for sink in self.sinks:
            try:
                sink.on_billed(call)
            except Exception:
                logger.exception("billing sink %r failed; the call was billed anyway", sink)

    def record(self, message: AIMessage) -> CallCost | None:
        """Price and add one answer by hand (for code outside LangChain callbacks).

        An answer that was already billed (the same billing key) is not added again.
        """
        call = price_message(message, self.catalog, reference_model=self.reference_model)
        if call is None:
            return None
        if self._first_time(bill_key(message, uuid4(), wrapper=False) or ""):
            self.on_billed(
                BilledCall(
                    call_id=message.id or "manual",
                    run_id="",
                    started_at=0.0,
                    latency_ms=0.0,
                    model=call.model,
                    cost=call,
                )
            )
        return call

    # --- totals -------------------------------------------------------------------------

    def _sum(self, attribute: str) -> Any:
        with self._lock:
            return sum((getattr(spend, attribute) for spend in self.per_model.values()), start=0)

    @property
    def calls(self) -> int:
        """Model calls billed, cache hits and calls cut short included."""
        return int(self._sum("calls"))

    @property
    def successful_requests(self) -> int:
        """Calls that completed (as `get_openai_callback` counts them), cache hits included."""
        with self._lock:
            partial = self._partial_calls
        return self.calls - partial

    @property
    def cache_hits(self) -> int:
        """Calls answered from a cache, at $0."""
        return int(self._sum("cache_hits"))

    @property
    def estimated_calls(self) -> int:
        """Calls whose usage was estimated (a stream cut short, a model reporting none)."""
        return int(self._sum("estimated_calls"))

    @property
    def failed_attempts(self) -> int:
        """Failed model calls (fallback attempts, refusals, streams stopped early)."""
        with self._lock:
            return sum(self.failures.values())

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

    # --- the names of get_openai_callback() -----------------------------------------------

    @property
    def total_cost(self) -> float:
        """`total_cost_usd` as a float, as `get_openai_callback()` reports it."""
        return float(self.total_cost_usd)

    @property
    def prompt_tokens(self) -> int:
        """Input tokens (`get_openai_callback()`'s name)."""
        return self.input_tokens

    @property
    def completion_tokens(self) -> int:
        """Output tokens (`get_openai_callback()`'s name)."""
        return self.output_tokens

    @property
    def total_tokens(self) -> int:
        """Input plus output tokens."""
        return self.input_tokens + self.output_tokens

    @property
    def prompt_tokens_cached(self) -> int:
        """Input tokens served from the provider's prompt cache."""
        return int(self._sum("cached_input_tokens"))

    @property
    def reasoning_tokens(self) -> int:
        """Output tokens spent on reasoning, where the provider reports them."""
        return int(self._sum("reasoning_tokens"))

    # --- reporting ------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget every total."""
        with self._lock:
            self.per_model.clear()
            self.failures.clear()
            self._partial_calls = 0

    def summary(self) -> dict[str, Any]:
        """Totals and per-model spend as a JSON-ready dict (amounts as decimal strings)."""
        with self._lock:
            models = {
                name: {
                    "calls": s.calls,
                    "cache_hits": s.cache_hits,
                    "estimated_calls": s.estimated_calls,
                    "input_tokens": s.input_tokens,
                    "output_tokens": s.output_tokens,
                    "cost_usd": str(s.cost_usd),
                    "reference_usd": str(s.reference_usd),
                }
                for name, s in self.per_model.items()
            }
            failures = dict(self.failures)
        pct = self.savings_pct
        return {
            "calls": self.calls,
            "successful_requests": self.successful_requests,
            "cache_hits": self.cache_hits,
            "estimated_calls": self.estimated_calls,
            "unpriced_calls": self.unpriced_calls,
            "failed_attempts": failures,
            "total_cost_usd": str(self.total_cost_usd),
            "reference_cost_usd": str(self.reference_cost_usd),
            "savings_usd": str(self.savings_usd),
            "savings_pct": None if pct is None else round(pct, 2),
            "saved_by_cache_usd": str(self.saved_by_cache_usd),
            "models": models,
        }

    def __repr__(self) -> str:
        return (
            f"CostTracker(calls={self.calls}, total_cost_usd={self.total_cost_usd}, "
            f"reference_cost_usd={self.reference_cost_usd})"
        )

    def __str__(self) -> str:
        pct = self.savings_pct
        saved = "n/a" if pct is None else f"{pct:.1f}%"
        reference = self.reference_model or self.catalog.reference_model
        lines = [
            f"Tokens Used: {self.total_tokens}",
            f"\tPrompt Tokens: {self.prompt_tokens}",
            f"\t\tPrompt Tokens Cached: {self.prompt_tokens_cached}",
            f"\tCompletion Tokens: {self.completion_tokens}",
            f"\t\tReasoning Tokens: {self.reasoning_tokens}",
            f"Successful Requests: {self.successful_requests}",
            f"Total Cost (USD): ${self.total_cost_usd:.6f}",
            f"Cache Hits: {self.cache_hits} (saved ${self.saved_by_cache_usd:.6f})",
            f"Reference Cost (USD, {reference}): ${self.reference_cost_usd:.6f}",
            f"Saved (USD): ${self.savings_usd:.6f} ({saved})",
        ]
        if self.estimated_calls:
            lines.append(f"Estimated Calls: {self.estimated_calls} (usage not reported)")
        if self.unpriced_calls:
            lines.append(f"Unpriced Calls: {self.unpriced_calls} (models not in the catalog)")
        return "\n".join(lines)


_tracker_var: ContextVar[CostTracker | None] = ContextVar("globalapi_cost_tracker", default=None)
register_configure_hook(_tracker_var, inheritable=True)


@contextmanager
def get_globalapi_callback(
    catalog: Catalog | None = None,
    *,
    reference_model: str | None = None,
    budget: Budget | None = None,
    ledger: BillingSink | None = None,
) -> Iterator[CostTracker]:
    """Track the cost of every chat-model call inside the `with` block, like `get_openai_callback`.

    Works for sync, async, streaming and concurrent calls in the same context. With a
    `budget`, its hard limits are enforced on every call in the block; with a `ledger`,
    every billed call is also appended to it.

    Example:
        >>> from langchain_globalapi import ChatGlobalAPI, get_globalapi_callback
        >>> from langchain_globalapi.testing import FakeOpenAIServer
        >>> with FakeOpenAIServer() as server, get_globalapi_callback() as cb:
        ...     llm = ChatGlobalAPI(api_key="k", base_url=server.base_url)
        ...     _ = llm.invoke("Hello")
        ...     _ = "".join(chunk.text for chunk in llm.stream("Hello"))
        >>> cb.calls, cb.successful_requests
        (2, 2)
    """
    sinks = [ledger] if ledger is not None else []
    tracker = CostTracker(catalog, reference_model=reference_model, budget=budget, sinks=sinks)
    token = _tracker_var.set(tracker)
    try:
        yield tracker
    finally:
        _tracker_var.reset(token)
