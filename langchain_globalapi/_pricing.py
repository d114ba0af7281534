"""Pricing: what one model call cost, from its reported usage and the price catalog.

This is the one place money is computed. `price_usage` turns `usage_metadata` into a
`CallCost` (Decimal USD, beside the same tokens on the reference model); leaf models stamp
it on their answers, the billing core bills with it, and wrappers only read it.

Example:
    >>> price_usage({"input_tokens": 1000, "output_tokens": 100}, "gpt-4o").usd
    Decimal('0.0035')
"""

from __future__ import annotations

import math
import threading
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from langchain_core.messages import BaseMessage

from langchain_globalapi.catalog import Catalog

__all__ = ["BilledCall", "CallCost", "model_name_of", "price_message", "price_usage"]

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
    reasoning_tokens: int = 0

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
        shadow: A tripwire's re-check (on the reference model, or a cache audit's re-ask).
        audit: What a shadow call audits: `"semantic_cache"` for a re-asked semantic cache
            hit (`None` for the tripwire's re-checks of answers and for all other calls).
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
    audit: str | None = None

    @property
    def cache_hit(self) -> bool:
        """Answered from a cache at $0."""
        return self.cost is not None and self.cost.cache_hit


def is_our_cache_hit(message: BaseMessage) -> bool:
    """Whether one of this package's caches answered (`response_metadata["cache"]["hit"]`)."""
    cache = message.response_metadata.get("cache")
    return isinstance(cache, Mapping) and cache.get("hit") is True


def is_langchain_cache_hit(message: BaseMessage) -> bool:
    """Whether LangChain's own cache (`set_llm_cache`) answered.

    langchain-core marks its hits with `usage_metadata["total_cost"] == 0`
    (`_convert_cached_generations`); a hit of ours keeps the original usage, and wins when an
    entry of ours was itself stored from a LangChain hit.
    """
    usage = getattr(message, "usage_metadata", None) or {}
    return usage.get("total_cost") == 0 and not is_our_cache_hit(message)


def is_cache_hit(message: BaseMessage) -> bool:
    """Whether a cache, ours or LangChain's, answered: the call cost $0.

    Example:
        >>> from langchain_core.messages import AIMessage
        >>> is_cache_hit(AIMessage("x", response_metadata={"cache": {"hit": True}}))
        True
    """
    return is_our_cache_hit(message) or is_langchain_cache_hit(message)


def model_name_of(message: BaseMessage) -> str | None:
    """The model that answered `message` (`model_name`, or `model` on a wrapper's copy)."""
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
    model = model_name_of(message)
    if not usage or not model:
        return None
    return price_usage(
        usage, model, catalog, reference_model=reference_model, cache_hit=is_cache_hit(message)
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
    input_tokens = _count(usage.get("input_tokens"))
    output_tokens = _count(usage.get("output_tokens"))
    cached = _count(_details(usage, "input_token_details").get("cache_read"))
    reasoning = _count(_details(usage, "output_token_details").get("reasoning"))
    full = catalog.cost(
        model, input_tokens=input_tokens, output_tokens=output_tokens, cached_input_tokens=cached
    )
    reference_usd = catalog.cost(reference, input_tokens=input_tokens, output_tokens=output_tokens)
    if full is None:
        _warn_unpriced(model)
    if cache_hit:
        return CallCost(
            model, input_tokens, output_tokens, cached, _ZERO, reference_usd,
            cache_hit=True, saved_by_cache_usd=full or _ZERO, reasoning_tokens=reasoning,
        )  # fmt: skip
    return CallCost(
        model, input_tokens, output_tokens, cached, full, reference_usd, reasoning_tokens=reasoning
    )


def _count(value: Any) -> int:
    # Usage comes from providers and caches: a missing, negative or non-numeric count is 0.
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0
    return max(int(value), 0) if math.isfinite(value) and abs(value) < 1e15 else 0


def _details(usage: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    details = usage.get(key)
    return details if isinstance(details, Mapping) else {}
