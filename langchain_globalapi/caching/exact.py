"""`ExactCache`: answer a repeated prompt for $0, as a LangChain `BaseCache` or in a wrapper.

The key hashes the namespace (tenant), the model's identity and every parameter LangChain
puts in its `llm_string` (model, temperature, tools, tool choice, response format, stop,
max tokens...), and the normalized messages. Store failures and unreadable entries are
logged and treated as misses: a cache never fails the user's call.

Example:
    >>> from langchain_core.globals import set_llm_cache
    >>> from langchain_globalapi import ChatGlobalAPI, ExactCache
    >>> from langchain_globalapi.testing import FakeOpenAIServer
    >>> cache = ExactCache()
    >>> with FakeOpenAIServer() as server:
    ...     llm = ChatGlobalAPI(api_key="k", base_url=server.base_url, temperature=0, cache=cache)
    ...     first, second = llm.invoke("Hi"), llm.invoke("Hi")
    ...     len(server.requests)
    1
    >>> second.response_metadata["cache"]["hit"], cache.stats.hits
    (True, 1)
"""

from __future__ import annotations

import functools
import re
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from langchain_core.caches import RETURN_VAL_TYPE, BaseCache
from langchain_core.messages import BaseMessage
from langchain_core.outputs import Generation

from langchain_globalapi._validate import optional_seconds
from langchain_globalapi.caching._faults import FaultLog
from langchain_globalapi.caching.base import CacheStats, CacheStore, exact_key
from langchain_globalapi.caching.entries import (
    BadEntryError,
    CacheEntry,
    CacheKind,
    is_cacheable,
    stamp_hit,
)
from langchain_globalapi.caching.memory import InMemoryStore
from langchain_globalapi.catalog import Catalog
from langchain_globalapi.errors import CacheConfigError

__all__ = ["CacheHit", "ExactCache"]

_DECODED_ENTRIES = 1024

# `temperature` as LangChain writes it in an llm_string: a Python tuple or a JSON pair.
_TEMPERATURE = re.compile(r"""['"]temperature['"]\s*[,:]\s*(-?[0-9.]+(?:[eE][-+]?\d+)?)""")


@functools.lru_cache(maxsize=1024)
def _is_greedy(llm_string: str) -> bool:
    # Any temperature above 0 (the model's or a call's override) makes a call sampled.
    return all(float(value) <= 0 for value in _TEMPERATURE.findall(llm_string))


def _is_chat(prompt: str, messages: Sequence[BaseMessage] | None) -> bool:
    # A chat model's prompt is its messages serialized by LangChain (`dumps`); an LLM's is
    # plain text. A chat request must never be answered with a plain generation.
    return messages is not None or prompt.startswith('[{"lc":')


@dataclass(frozen=True)
class CacheHit:
    """A cache answer: the stamped generations and how they were found.

    A semantic hit also names its `scope` and the `cached_question` it was answered for.
    """

    generations: list[Generation]
    kind: CacheKind
    similarity: float | None
    saved_usd: Decimal | None
    tokens: int
    scope: str | None = None
    cached_question: str | None = None


@dataclass(frozen=True)
class _Write:
    key: str
    payload: bytes


class ExactCache(BaseCache):
    """Serve a byte-identical request (same tenant, model, parameters, messages) from a store.

    Use it as LangChain's cache (`set_llm_cache(cache)` or `ChatGlobalAPI(cache=cache)`),
    or wrap any chat model with `CachedChatModel(model, cache=cache)` to cache streams too.

    Args:
        store: Where entries live: `InMemoryStore()` (default), `SQLiteStore(path)` to
            survive restarts and share across processes, `RedisStore(url)` across hosts.
        namespace: Tenant or app name; entries of one namespace never answer another.
        ttl_s: Seconds an entry lives, a finite number > 0; `None` keeps it until evicted
            or cleared.
        cache_sampled: Also cache calls with `temperature > 0`. Off by default: a sampled
            answer is one draw, and replaying it removes the variety the caller asked for.
            An unset temperature counts as cacheable.
        catalog: Prices used to report what a hit saved (the built-in catalog by default).

    Example:
        >>> cache = ExactCache(namespace="tenant-a", ttl_s=3600)
        >>> cache.lookup("prompt", "llm") is None
        True
        >>> cache.update("prompt", "llm", [Generation(text="answer")])
        >>> cache.lookup("prompt", "llm")[0].text
        'answer'
    """

    kind: CacheKind = "exact"

    def __init__(
        self,
        store: CacheStore | None = None,
        *,
        namespace: str = "",
        ttl_s: float | None = None,
        cache_sampled: bool = False,
        catalog: Catalog | None = None,
    ) -> None:
        self.ttl_s = optional_seconds(type(self).__name__, "ttl_s", ttl_s, error=CacheConfigError)
        self.store = store if store is not None else InMemoryStore()
        self.namespace = namespace
        self.cache_sampled = cache_sampled
        self.catalog = catalog
        self.stats = CacheStats()
        self.faults = FaultLog(type(self).__name__)
        # Reviving an entry with LangChain's loader costs more than the rest of a hit;
        # entries whose bytes are unchanged since the last read are reused instead.
        self._decoded: OrderedDict[str, tuple[bytes, CacheEntry]] = OrderedDict()
        self._decoded_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(store={self.store!r}, namespace={self.namespace!r})"

    # --- policy ----------------------------------------------------------------------------

    def accepts(self, llm_string: str) -> bool:
        """Whether calls with these parameters may be cached (sampling temperature gate)."""
        return self.cache_sampled or _is_greedy(llm_string)

    def _warn(self, action: str, error: BaseException) -> None:
        """A store (or embeddings, or verifier) call failed: count it, warn once per kind."""
        self.stats.record_error()
        message = (
            f"cache {action} failed on {self.store!r}, treating it as a miss: "
            f"{type(error).__name__}: {error}"
        )
        self.faults.report(f"{action}:{type(error).__name__}", message, transient=True)

    def _distrust(self, key: str, error: BadEntryError) -> None:
        """A stored entry is unsound: count it, warn once per kind, and miss."""
        self.stats.record_error()
        message = f"cache entry {key[:12]} ignored, treating it as a miss: {error}"
        self.faults.report(f"entry:{error.kind}", message)

    def _decode(
        self, raw: bytes | None, key: str, *, chat: bool = False, scope: str | None = None
    ) -> CacheEntry | None:
        """The entry stored under `key` if it is sound (and, with `chat`, a chat answer)."""
        if raw is None:
            return None
        entry = self._revive(raw, key)
        if entry is None:
            return None
        if chat and not entry.is_chat:
            msg = "entry holds plain generations, not a chat answer"
            self._distrust(key, BadEntryError("generations", msg))
            return None
        if scope is not None and entry.scope != scope:
            msg = "entry belongs to another semantic scope: not served"
            self._distrust(key, BadEntryError("scope", msg))
            return None
        return entry

    def _revive(self, raw: bytes, key: str) -> CacheEntry | None:
        with self._decoded_lock:
            known = self._decoded.get(key)
            if known is not None and known[0] == raw:
                self._decoded.move_to_end(key)
                return known[1]
        try:
            entry = CacheEntry.decode(raw, key=key)
        except BadEntryError as error:
            self._distrust(key, error)
            return None
        with self._decoded_lock:
            self._decoded[key] = (raw, entry)
            if len(self._decoded) > _DECODED_ENTRIES:
                self._decoded.popitem(last=False)
        return entry

    def _hit(self, entry: CacheEntry, kind: CacheKind, similarity: float | None = None) -> CacheHit:
        saved = entry.saved_usd
        self.stats.record_hit(tokens=entry.tokens, usd=saved, kind=kind)
        generations = stamp_hit(
            entry.generations, kind=kind, similarity=similarity, saved_usd=saved
        )
        return CacheHit(generations, kind, similarity, saved, entry.tokens)

    # --- the rich API (CachedChatModel uses it) ------------------------------------------------

    def find(
        self, prompt: str, llm_string: str, *, messages: Sequence[BaseMessage] | None = None
    ) -> CacheHit | None:
        """Look a request up; `None` on a miss (or when the store fails)."""
        key = self._key_if_accepted(prompt, llm_string)
        if key is None:
            return None
        try:
            raw = self.store.get(key)
            self.faults.recovered()
        except Exception as error:
            self._warn("lookup", error)
            raw = None
        exact = self._exact_hit(raw, key, chat=_is_chat(prompt, messages))
        if exact is not None:
            return exact
        return self._counted(self._find_similar(prompt, llm_string, messages))

    async def afind(
        self, prompt: str, llm_string: str, *, messages: Sequence[BaseMessage] | None = None
    ) -> CacheHit | None:
        """Async `find`."""
        key = self._key_if_accepted(prompt, llm_string)
        if key is None:
            return None
        try:
            raw = await self.store.aget(key)
            self.faults.recovered()
        except Exception as error:
            self._warn("lookup", error)
            raw = None
        exact = self._exact_hit(raw, key, chat=_is_chat(prompt, messages))
        if exact is not None:
            return exact
        return self._counted(await self._afind_similar(prompt, llm_string, messages))

    def put(
        self,
        prompt: str,
        llm_string: str,
        generations: Sequence[Generation],
        *,
        messages: Sequence[BaseMessage] | None = None,
    ) -> bool:
        """Store a fresh answer; returns whether it was stored."""
        write = self._prepared_write(prompt, llm_string, generations, messages)
        if write is None:
            return False
        try:
            self.store.set(write.key, write.payload, self.ttl_s)
            self.faults.recovered()
            self._index(write.key, prompt, llm_string, messages)
        except Exception as error:
            self._warn("write", error)
            return False
        return True

    async def aput(
        self,
        prompt: str,
        llm_string: str,
        generations: Sequence[Generation],
        *,
        messages: Sequence[BaseMessage] | None = None,
    ) -> bool:
        """Async `put`."""
        write = self._prepared_write(prompt, llm_string, generations, messages)
        if write is None:
            return False
        try:
            await self.store.aset(write.key, write.payload, self.ttl_s)
            self.faults.recovered()
            await self._aindex(write.key, prompt, llm_string, messages)
        except Exception as error:
            self._warn("write", error)
            return False
        return True

    # --- what sync and async share: all but the store calls --------------------------------------

    def _key_if_accepted(self, prompt: str, llm_string: str) -> str | None:
        """The entry's key, or `None` when calls with these parameters are never cached."""
        if not self.accepts(llm_string):
            return None
        return exact_key(self.namespace, llm_string, prompt)

    def _exact_hit(self, raw: bytes | None, key: str, *, chat: bool) -> CacheHit | None:
        entry = self._decode(raw, key, chat=chat)
        return None if entry is None else self._hit(entry, "exact")

    def _counted(self, similar: CacheHit | None) -> CacheHit | None:
        if similar is None:
            self.stats.record_miss()
        return similar

    def _prepared_write(
        self,
        prompt: str,
        llm_string: str,
        generations: Sequence[Generation],
        messages: Sequence[BaseMessage] | None,
    ) -> _Write | None:
        """The key and encoded entry to store, or `None` when this answer is not cached."""
        if not is_cacheable(generations):
            return None
        key = self._key_if_accepted(prompt, llm_string)
        if key is None:
            return None
        try:
            entry = self._entry(generations, prompt, llm_string, messages)
            entry.key = key
            return _Write(key, entry.encode())
        except Exception as error:
            self._warn("write", error)
            return None

    # --- hooks for the semantic tier -------------------------------------------------------------

    def _entry(
        self,
        generations: Sequence[Generation],
        prompt: str,
        llm_string: str,
        messages: Sequence[BaseMessage] | None,
    ) -> CacheEntry:
        return CacheEntry.of(generations, catalog=self.catalog)

    def _find_similar(
        self, prompt: str, llm_string: str, messages: Sequence[BaseMessage] | None
    ) -> CacheHit | None:
        return None

    async def _afind_similar(
        self, prompt: str, llm_string: str, messages: Sequence[BaseMessage] | None
    ) -> CacheHit | None:
        return None

    def _index(
        self, key: str, prompt: str, llm_string: str, messages: Sequence[BaseMessage] | None
    ) -> None:
        return None

    async def _aindex(
        self, key: str, prompt: str, llm_string: str, messages: Sequence[BaseMessage] | None
    ) -> None:
        return None

    # --- LangChain's BaseCache ---------------------------------------------------------------

    def lookup(self, prompt: str, llm_string: str) -> RETURN_VAL_TYPE | None:
        """LangChain's lookup: the cached generations (stamped as a hit) or `None`."""
        hit = self.find(prompt, llm_string)
        return None if hit is None else hit.generations

    def update(self, prompt: str, llm_string: str, return_val: RETURN_VAL_TYPE) -> None:
        """LangChain's update: store generations unless truncated or sampled."""
        self.put(prompt, llm_string, list(return_val))

    def clear(self, **kwargs: Any) -> None:
        """Delete every entry in the store."""
        self.store.clear()
        with self._decoded_lock:
            self._decoded.clear()

    async def alookup(self, prompt: str, llm_string: str) -> RETURN_VAL_TYPE | None:
        """Async `lookup`."""
        hit = await self.afind(prompt, llm_string)
        return None if hit is None else hit.generations

    async def aupdate(self, prompt: str, llm_string: str, return_val: RETURN_VAL_TYPE) -> None:
        """Async `update`."""
        await self.aput(prompt, llm_string, list(return_val))

    async def aclear(self, **kwargs: Any) -> None:
        """Async `clear`."""
        await self.store.aclear()
        with self._decoded_lock:
            self._decoded.clear()
