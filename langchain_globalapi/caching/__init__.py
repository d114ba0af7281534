"""Caching: exact and semantic caches, their stores, and the streaming-aware cache wrapper.

Example:
    >>> from langchain_globalapi.caching import ExactCache, InMemoryStore
    >>> ExactCache(InMemoryStore()).stats.hits
    0
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from langchain_globalapi._lazy import lazy_exports

if TYPE_CHECKING:
    from langchain_globalapi.caching._audit import CacheAuditor, SemanticHit
    from langchain_globalapi.caching.base import CacheStats, CacheStore
    from langchain_globalapi.caching.chat_model import CachedChatModel
    from langchain_globalapi.caching.exact import CacheHit, ExactCache
    from langchain_globalapi.caching.guard import LexicalGuard
    from langchain_globalapi.caching.memory import InMemoryStore
    from langchain_globalapi.caching.redis_store import RedisStore
    from langchain_globalapi.caching.semantic import DEFAULT_SIMILARITY_THRESHOLD, SemanticCache
    from langchain_globalapi.caching.sqlite import SQLiteStore
    from langchain_globalapi.caching.verifier import AsyncCacheVerifier, CacheVerifier, LLMVerifier

# Public name -> the submodule that defines it, imported on first use (see `_lazy.py`).
_EXPORTS: dict[str, str] = {
    "CacheAuditor": "_audit",
    "SemanticHit": "_audit",
    "CacheStats": "base",
    "CacheStore": "base",
    "CachedChatModel": "chat_model",
    "CacheHit": "exact",
    "ExactCache": "exact",
    "LexicalGuard": "guard",
    "InMemoryStore": "memory",
    "RedisStore": "redis_store",
    "DEFAULT_SIMILARITY_THRESHOLD": "semantic",
    "SemanticCache": "semantic",
    "SQLiteStore": "sqlite",
    "AsyncCacheVerifier": "verifier",
    "CacheVerifier": "verifier",
    "LLMVerifier": "verifier",
}

__all__ = [
    "DEFAULT_SIMILARITY_THRESHOLD",
    "AsyncCacheVerifier",
    "CacheAuditor",
    "CacheHit",
    "CacheStats",
    "CacheStore",
    "CacheVerifier",
    "CachedChatModel",
    "ExactCache",
    "InMemoryStore",
    "LLMVerifier",
    "LexicalGuard",
    "RedisStore",
    "SQLiteStore",
    "SemanticCache",
    "SemanticHit",
]

if not TYPE_CHECKING:  # type checkers read the imports above; an unknown name stays an error
    __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, __all__)
