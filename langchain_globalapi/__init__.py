"""LangChain integration for Global API: route, cache and fall back to cut LLM spend.

Everything users need is importable from the package root.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from langchain_globalapi._lazy import lazy_exports
from langchain_globalapi._version import __version__

if TYPE_CHECKING:
    from langchain_globalapi.bench import GoldenSet, run_benchmark
    from langchain_globalapi.budgets import Budget, BudgetCheck, SpendLimit
    from langchain_globalapi.caching import (
        CachedChatModel,
        CacheStats,
        ExactCache,
        InMemoryStore,
        LexicalGuard,
        LLMVerifier,
        RedisStore,
        SemanticCache,
        SQLiteStore,
    )
    from langchain_globalapi.catalog import DEFAULT_TIERS, REFERENCE_MODEL, Catalog, ModelInfo
    from langchain_globalapi.chat_models import ChatGlobalAPI
    from langchain_globalapi.costs import (
        CallCost,
        CostTracker,
        get_globalapi_callback,
        price_message,
    )
    from langchain_globalapi.embeddings import GlobalAPIEmbeddings
    from langchain_globalapi.errors import (
        AllModelsFailedError,
        AllModelsRateLimitedError,
        BudgetExceededError,
        CacheConfigError,
        CatalogError,
        GlobalAPIError,
        GoldenSetError,
        MidStreamError,
        MissingAPIKeyError,
        ModelNotFoundError,
        NoCapableTierError,
        RoutingConfigError,
    )
    from langchain_globalapi.estimate import SpendEstimate, estimate_spend
    from langchain_globalapi.fallbacks import Cooldowns, FallbackChatModel, RetryAfter, RetryPolicy
    from langchain_globalapi.routing import (
        ComplexityScorer,
        HeuristicScorer,
        LearnedScorer,
        LengthScorer,
        RoutingDecision,
        TieredRouterRunnable,
    )
    from langchain_globalapi.tripwire import QualityTripwire, TripwireAlarm, TripwireStats

# Public name -> the submodule that defines it, imported on first use (see `_lazy.py`).
_EXPORTS: dict[str, str] = {
    "GoldenSet": "bench",
    "run_benchmark": "bench",
    "Budget": "budgets",
    "BudgetCheck": "budgets",
    "SpendLimit": "budgets",
    "CachedChatModel": "caching",
    "CacheStats": "caching",
    "ExactCache": "caching",
    "InMemoryStore": "caching",
    "LexicalGuard": "caching",
    "LLMVerifier": "caching",
    "RedisStore": "caching",
    "SemanticCache": "caching",
    "SQLiteStore": "caching",
    "DEFAULT_TIERS": "catalog",
    "REFERENCE_MODEL": "catalog",
    "Catalog": "catalog",
    "ModelInfo": "catalog",
    "ChatGlobalAPI": "chat_models",
    "CallCost": "costs",
    "CostTracker": "costs",
    "get_globalapi_callback": "costs",
    "price_message": "costs",
    "GlobalAPIEmbeddings": "embeddings",
    "AllModelsFailedError": "errors",
    "AllModelsRateLimitedError": "errors",
    "BudgetExceededError": "errors",
    "CacheConfigError": "errors",
    "CatalogError": "errors",
    "GlobalAPIError": "errors",
    "GoldenSetError": "errors",
    "MidStreamError": "errors",
    "MissingAPIKeyError": "errors",
    "ModelNotFoundError": "errors",
    "NoCapableTierError": "errors",
    "RoutingConfigError": "errors",
    "SpendEstimate": "estimate",
    "estimate_spend": "estimate",
    "Cooldowns": "fallbacks",
    "FallbackChatModel": "fallbacks",
    "RetryAfter": "fallbacks",
    "RetryPolicy": "fallbacks",
    "ComplexityScorer": "routing",
    "HeuristicScorer": "routing",
    "LearnedScorer": "routing",
    "LengthScorer": "routing",
    "RoutingDecision": "routing",
    "TieredRouterRunnable": "routing",
    "QualityTripwire": "tripwire",
    "TripwireAlarm": "tripwire",
    "TripwireStats": "tripwire",
}

__all__ = [
    "DEFAULT_TIERS",
    "REFERENCE_MODEL",
    "AllModelsFailedError",
    "AllModelsRateLimitedError",
    "Budget",
    "BudgetCheck",
    "BudgetExceededError",
    "CacheConfigError",
    "CacheStats",
    "CachedChatModel",
    "CallCost",
    "Catalog",
    "CatalogError",
    "ChatGlobalAPI",
    "ComplexityScorer",
    "Cooldowns",
    "CostTracker",
    "ExactCache",
    "FallbackChatModel",
    "GlobalAPIEmbeddings",
    "GlobalAPIError",
    "GoldenSet",
    "GoldenSetError",
    "HeuristicScorer",
    "InMemoryStore",
    "LLMVerifier",
    "LearnedScorer",
    "LengthScorer",
    "LexicalGuard",
    "MidStreamError",
    "MissingAPIKeyError",
    "ModelInfo",
    "ModelNotFoundError",
    "NoCapableTierError",
    "QualityTripwire",
    "RedisStore",
    "RetryAfter",
    "RetryPolicy",
    "RoutingConfigError",
    "RoutingDecision",
    "SQLiteStore",
    "SemanticCache",
    "SpendEstimate",
    "SpendLimit",
    "TieredRouterRunnable",
    "TripwireAlarm",
    "TripwireStats",
    "__version__",
    "estimate_spend",
    "get_globalapi_callback",
    "price_message",
    "run_benchmark",
]

if not TYPE_CHECKING:  # type checkers read the imports above; an unknown name stays an error
    __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, __all__)
