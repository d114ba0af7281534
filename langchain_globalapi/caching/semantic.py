"""`SemanticCache`: answer a reworded question from the cache, only where that is safe.

Opt-in, on top of the exact cache (an exact hit is always tried first). Three rules keep
wrong answers out, each one a measured failure of the popular semantic caches:

1. Only the last user message is embedded. Embedding the whole serialized prompt makes
   every question behind one system prompt look alike.
2. Candidates come only from the entry's *scope*: the hash of the model, its parameters,
   tools, the system prompt and every earlier turn. Nothing is post-filtered after a top-1.
3. A candidate above the similarity threshold must also pass the `LexicalGuard`:
   numbers, negations, quoted strings, names and word order must agree.

Optionally (`verifier=`, e.g. `LLMVerifier`), the best candidate that passed both is
checked once more, and served only if the verifier says yes. Semantic hits are stamped
`response_metadata["cache"]["verified"]`: True when a verifier approved, False without one.

A `QualityTripwire` attached to the `CachedChatModel` (`tripwire=`) audits a sample of
semantic hits and tightens the cache when they prove wrong too often, through two small
levers that anyone may pull: `raise_threshold(step, cap=...)` and `disable_scope(scope)`
(semantic hits off for one scope; exact hits are still served). Both live in this process
only: another process sharing the store keeps its own threshold and scopes, and a restart
starts from the constructor's settings again.

Example:
    >>> from langchain_globalapi import ChatGlobalAPI, CachedChatModel, GlobalAPIEmbeddings
    >>> from langchain_globalapi.testing import FakeOpenAIServer
    >>> with FakeOpenAIServer() as server:
    ...     cache = SemanticCache(
    ...         GlobalAPIEmbeddings(api_key="k", base_url=server.base_url), threshold=0.8
    ...     )
    ...     llm = CachedChatModel(
    ...         ChatGlobalAPI(api_key="k", base_url=server.base_url, temperature=0), cache=cache
    ...     )
    ...     _ = llm.invoke("How do I reset my password?")
    ...     reworded = llm.invoke("how do i reset my password")
    ...     negated = llm.invoke("How do I not reset my password?")
    >>> reworded.response_metadata["cache"]["kind"], reworded.response_metadata["cache"]["hit"]
    ('semantic', True)
    >>> negated.response_metadata["cache"]["hit"]
    False
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence

from langchain_core._api.beta_decorator import suppress_langchain_beta_warning
from langchain_core.embeddings import Embeddings
from langchain_core.load import loads
from langchain_core.messages import BaseMessage, HumanMessage
from langchain_core.outputs import ChatGeneration, Generation

from langchain_globalapi._validate import positive_int, probability
from langchain_globalapi.caching.base import CacheStore, Vector, scope_key
from langchain_globalapi.caching.entries import CacheEntry
from langchain_globalapi.caching.exact import CacheHit, ExactCache
from langchain_globalapi.caching.guard import LexicalGuard
from langchain_globalapi.caching.identity import normalized_prompt
from langchain_globalapi.caching.vectors import as_unit_vector
from langchain_globalapi.caching.verifier import AsyncCacheVerifier, CacheVerifier
from langchain_globalapi.catalog import Catalog
from langchain_globalapi.errors import CacheConfigError

__all__ = ["DEFAULT_SIMILARITY_THRESHOLD", "SemanticCache"]

#: Cosine similarity a candidate needs (all-MiniLM-L6-v2; see BENCHMARKS.md "## Cache").
DEFAULT_SIMILARITY_THRESHOLD = 0.85
_EMBEDDING_MEMO = 256

logger = logging.getLogger("langchain_globalapi.caching")


class SemanticCache(ExactCache):
    """An exact cache that also answers close rewordings of a cached question.

    Args:
        embeddings: Any LangChain `Embeddings` (`GlobalAPIEmbeddings` for the gateway).
        store: `InMemoryStore()` (default), `SQLiteStore(path)` or `RedisStore(url)`.
        threshold: Cosine similarity in [0, 1] a cached question needs; 1 is exact only.
        guard: The lexical guard; `None` disables it (not recommended: see the module doc).
        candidates: How many nearest questions are checked against the guard.
        verifier: Optional last check on the best candidate, `(question, cached_question)
            -> bool` (an `averify` method is awaited on the async path); `LLMVerifier`
            asks a chat model. False or an error refuses the hit (logged), never the call.
        namespace, ttl_s, cache_sampled, catalog: as for `ExactCache`.

    Raises:
        CacheConfigError: `threshold` not a finite number in [0, 1], `candidates` not an
            integer >= 1, or `ttl_s` not None or a finite number > 0.

    The threshold may change while the cache serves (`raise_threshold`, or assigning
    `cache.threshold`), and semantic hits can be turned off per scope (`disable_scope`):
    each lookup reads both once, so a lookup sees the old setting or the new one, never
    half of each. Neither is stored: they last as long as this object.

    Example:
        >>> from langchain_core.embeddings import DeterministicFakeEmbedding
        >>> cache = SemanticCache(DeterministicFakeEmbedding(size=8), threshold=0.9)
        >>> cache.threshold
        0.9
        >>> cache.raise_threshold(0.05, cap=0.92)
        0.92
        >>> cache.disable_scope("3f2a"), cache.disabled_scopes
        (True, frozenset({'3f2a'}))
    """

    kind = "semantic"

    def __init__(
        self,
        embeddings: Embeddings,
        store: CacheStore | None = None,
        *,
        threshold: float = DEFAULT_SIMILARITY_THRESHOLD,
        guard: LexicalGuard | None = None,
        candidates: int = 4,
        verifier: CacheVerifier | None = None,
        namespace: str = "",
        ttl_s: float | None = None,
        cache_sampled: bool = False,
        catalog: Catalog | None = None,
    ) -> None:
        threshold = probability("SemanticCache", "threshold", threshold, error=CacheConfigError)
        candidates = positive_int("SemanticCache", "candidates", candidates, error=CacheConfigError)
        super().__init__(
            store, namespace=namespace, ttl_s=ttl_s, cache_sampled=cache_sampled, catalog=catalog
        )
        self.embeddings = embeddings
        self._threshold = threshold
        self._disabled: frozenset[str] = frozenset()
        self._policy_lock = threading.Lock()
        self.guard = guard if guard is not None else LexicalGuard()
        self.candidates = candidates
        self.verifier = verifier
        # A miss embeds the question, and the store that follows reuses the vector.
        self._memo: OrderedDict[str, Vector] = OrderedDict()
        self._memo_lock = threading.Lock()

    # --- the levers a cache audit pulls -----------------------------------------------------

    @property
    def threshold(self) -> float:
        """Cosine similarity in [0, 1] a cached question needs to be served."""
        return self._threshold

    @threshold.setter
    def threshold(self, value: float) -> None:
        checked = probability("SemanticCache", "threshold", value, error=CacheConfigError)
        with self._policy_lock:
            self._threshold = checked

    def raise_threshold(self, step: float, *, cap: float = 1.0) -> float:
        """Raise the threshold by `step`, never above `cap` and never down; returns it.

        Atomic: concurrent raises each count (two raises of 0.05 from 0.85 give 0.95).
        A threshold already at or above `cap` is left as it is.

        Raises:
            CacheConfigError: `step` or `cap` not a finite number in [0, 1].
        """
        step = probability("SemanticCache", "step", step, error=CacheConfigError)
        cap = probability("SemanticCache", "cap", cap, error=CacheConfigError)
        with self._policy_lock:
            before = self._threshold
            if before < cap:
                # Rounded so that repeated steps land on the figures people expect (0.95).
                self._threshold = min(round(before + step, 9), cap)
            raised = self._threshold
        if raised != before:
            logger.warning(
                "semantic cache %r: similarity threshold raised %.3f -> %.3f", self, before, raised
            )
        return raised

    def disable_scope(self, scope: str) -> bool:
        """Serve no semantic hits in `scope` (exact hits still are); False if it already was."""
        with self._policy_lock:
            if scope in self._disabled:
                return False
            self._disabled = self._disabled | {scope}
        logger.warning("semantic cache %r: semantic hits off for scope %s", self, scope[:12])
        return True

    def enable_scope(self, scope: str) -> bool:
        """Serve semantic hits in `scope` again; False if they were not off."""
        with self._policy_lock:
            if scope not in self._disabled:
                return False
            self._disabled = self._disabled - {scope}
        logger.warning("semantic cache %r: semantic hits back on for scope %s", self, scope[:12])
        return True

    @property
    def disabled_scopes(self) -> frozenset[str]:
        """The scopes where semantic hits are off (in this process)."""
        return self._disabled

    # --- the question and its scope -------------------------------------------------------

    def _question(
        self, prompt: str, llm_string: str, messages: Sequence[BaseMessage] | None
    ) -> tuple[str, str] | None:
        """(last user question, scope) or `None` when the request has no final user turn."""
        asked = self._last_turn(prompt, messages)
        if asked is None:
            return None
        question, earlier = asked
        return question, scope_key(self.namespace, llm_string, normalized_prompt(earlier))

    def _last_turn(
        self, prompt: str, messages: Sequence[BaseMessage] | None
    ) -> tuple[str, list[BaseMessage]] | None:
        """(last user question, the turns before it), read from `prompt` without `messages`."""
        if messages is None:
            try:
                with suppress_langchain_beta_warning():
                    revived = loads(prompt, allowed_objects="core")
            except Exception:
                return None
            if not isinstance(revived, list) or not all(
                isinstance(message, BaseMessage) for message in revived
            ):
                return None
            messages = revived
        if not messages or not isinstance(messages[-1], HumanMessage):
            return None
        question = messages[-1].text.strip()
        return (question, list(messages[:-1])) if question else None

    def _remember(self, question: str, vector: Vector) -> Vector:
        with self._memo_lock:
            self._memo[question] = vector
            self._memo.move_to_end(question)
            while len(self._memo) > _EMBEDDING_MEMO:
                self._memo.popitem(last=False)
        return vector

    def _recall(self, question: str) -> Vector | None:
        with self._memo_lock:
            return self._memo.get(question)

    def _embed(self, question: str) -> Vector | None:
        vector = self._recall(question)
        if vector is not None:
            return vector
        try:
            return self._remember(question, as_unit_vector(self.embeddings.embed_query(question)))
        except Exception as error:
            self._warn("embedding", error)
            return None

    async def _aembed(self, question: str) -> Vector | None:
        vector = self._recall(question)
        if vector is not None:
            return vector
        try:
            vector = as_unit_vector(await self.embeddings.aembed_query(question))
        except Exception as error:
            self._warn("embedding", error)
            return None
        return self._remember(question, vector)

    def _guarded(
        self, question: str, candidates: list[tuple[str, float]], entries: list[CacheEntry | None]
    ) -> tuple[CacheEntry, str, float] | None:
        """The nearest candidate the guard allows: (entry, its question, similarity)."""
        for (_, similarity), entry in zip(candidates, entries, strict=True):
            cached = None if entry is None else entry.question
            if entry is not None and cached is not None and self.guard.allows(question, cached):
                return entry, cached, similarity
        return None

    def _stamped(
        self, entry: CacheEntry, similarity: float, scope: str, *, verified: bool
    ) -> CacheHit:
        hit = self._hit(entry, "semantic", similarity)
        for generation in hit.generations:
            if isinstance(generation, ChatGeneration):  # each hit owns its message copy
                generation.message.response_metadata["cache"]["verified"] = verified
        return dataclasses.replace(hit, scope=scope, cached_question=entry.question)

    def _refused(self, question: str, cached: str, verdict: object) -> bool:
        if verdict is True:
            return False
        # A verifier is a judgment call, not a failure: log, and the caller misses.
        logger.info("cache verifier refused %r for cached %r", question, cached)
        return True

    def _best(
        self,
        question: str,
        scope: str,
        candidates: list[tuple[str, float]],
        entries: list[CacheEntry | None],
    ) -> CacheHit | None:
        chosen = self._guarded(question, candidates, entries)
        if chosen is None:
            return None
        entry, cached, similarity = chosen
        if self.verifier is None:
            return self._stamped(entry, similarity, scope, verified=False)
        try:
            verdict = self.verifier(question, cached)
        except Exception as error:
            self._warn("verification", error)
            return None
        if self._refused(question, cached, verdict):
            return None
        return self._stamped(entry, similarity, scope, verified=True)

    async def _abest(
        self,
        question: str,
        scope: str,
        candidates: list[tuple[str, float]],
        entries: list[CacheEntry | None],
    ) -> CacheHit | None:
        chosen = self._guarded(question, candidates, entries)
        if chosen is None:
            return None
        entry, cached, similarity = chosen
        verifier = self.verifier
        if verifier is None:
            return self._stamped(entry, similarity, scope, verified=False)
        try:
            if isinstance(verifier, AsyncCacheVerifier):
                verdict = await verifier.averify(question, cached)
            else:
                verdict = await asyncio.to_thread(verifier, question, cached)
        except Exception as error:
            self._warn("verification", error)
            return None
        if self._refused(question, cached, verdict):
            return None
        return self._stamped(entry, similarity, scope, verified=True)

    def _above_threshold(self, found: list[tuple[str, float]]) -> list[tuple[str, float]]:
        threshold = self._threshold  # read once: a concurrent raise applies to the next lookup
        return [(key, similarity) for key, similarity in found if similarity >= threshold]

    def _servable(self, asked: tuple[str, str] | None) -> tuple[str, str] | None:
        """(question, scope) unless there is no question or the scope's semantic hits are off."""
        if asked is None or asked[1] in self._disabled:
            return None
        return asked

    # --- hooks of ExactCache -------------------------------------------------------------------

    def _entry(
        self,
        generations: Sequence[Generation],
        prompt: str,
        llm_string: str,
        messages: Sequence[BaseMessage] | None,
    ) -> CacheEntry:
        entry = super()._entry(generations, prompt, llm_string, messages)
        asked = self._question(prompt, llm_string, messages)
        if asked is not None:
            entry.question, entry.scope = asked
        return entry

    def _find_similar(
        self, prompt: str, llm_string: str, messages: Sequence[BaseMessage] | None
    ) -> CacheHit | None:
        asked = self._servable(self._question(prompt, llm_string, messages))
        if asked is None:
            return None
        question, scope = asked
        vector = self._embed(question)
        if vector is None:
            return None
        try:
            found = self._above_threshold(self.store.search(scope, vector, self.candidates))
            entries = [
                self._decode(self.store.get(key), key, chat=True, scope=scope) for key, _ in found
            ]
        except Exception as error:
            self._warn("semantic lookup", error)
            return None
        return self._best(question, scope, found, entries)

    async def _afind_similar(
        self, prompt: str, llm_string: str, messages: Sequence[BaseMessage] | None
    ) -> CacheHit | None:
        asked = self._servable(self._question(prompt, llm_string, messages))
        if asked is None:
            return None
        question, scope = asked
        vector = await self._aembed(question)
        if vector is None:
            return None
        try:
            found = self._above_threshold(await self.store.asearch(scope, vector, self.candidates))
            entries = [
                self._decode(await self.store.aget(key), key, chat=True, scope=scope)
                for key, _ in found
            ]
        except Exception as error:
            self._warn("semantic lookup", error)
            return None
        return await self._abest(question, scope, found, entries)

    def _index(
        self, key: str, prompt: str, llm_string: str, messages: Sequence[BaseMessage] | None
    ) -> None:
        asked = self._question(prompt, llm_string, messages)
        if asked is None:
            return
        vector = self._embed(asked[0])
        if vector is not None:
            self.store.add_vector(asked[1], key, vector, self.ttl_s)

    async def _aindex(
        self, key: str, prompt: str, llm_string: str, messages: Sequence[BaseMessage] | None
    ) -> None:
        asked = self._question(prompt, llm_string, messages)
        if asked is None:
            return
        vector = await self._aembed(asked[0])
        if vector is not None:
            await self.store.aadd_vector(asked[1], key, vector, self.ttl_s)
