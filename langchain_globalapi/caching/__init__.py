"""Caching: exact and semantic caches, their stores, and the streaming-aware cache wrapper.

Example:
    >>> from langchain_globalapi.caching import ExactCache, InMemoryStore
    >>> ExactCache(InMemoryStore()).stats.hits
    0
"""

from langchain_globalapi.caching.base import CacheStats, CacheStore
from langchain_globalapi.caching.chat_model import CachedChatModel
from langchain_globalapi.caching.exact import CacheHit, ExactCache
from langchain_globalapi.caching.guard import LexicalGuard
from langchain_globalapi.caching.memory import InMemoryStore
from langchain_globalapi.caching.redis_store import RedisStore
from langchain_globalapi.caching.semantic import DEFAULT_SIMILARITY_THRESHOLD, SemanticCache
from langchain_globalapi.caching.sqlite import SQLiteStore
from langchain_globalapi.caching.verifier import AsyncCacheVerifier, CacheVerifier, LLMVerifier

__all__ = [
    "DEFAULT_SIMILARITY_THRESHOLD",
    "AsyncCacheVerifier",
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
]
