"""LangChain integration for Global API: route, cache and fall back to cut LLM spend.

Everything users need is importable from the package root.
"""

from langchain_globalapi._version import __version__
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
from langchain_globalapi.costs import CallCost, CostTracker, get_globalapi_callback, price_message
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
from langchain_globalapi.tripwire import QualityTripwire, TripwireAlarm

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
    "__version__",
    "estimate_spend",
    "get_globalapi_callback",
    "price_message",
    "run_benchmark",
]
