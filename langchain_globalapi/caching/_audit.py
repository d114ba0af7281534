"""The hand-off from `CachedChatModel` to a cache auditor: one semantic hit and how to re-ask it.

A semantic hit answers a question with the answer to another one, which the lexical guard
judged close enough. An auditor (the `QualityTripwire`) checks a sample of these: it re-asks
the wrapped model the question actually asked, in the background, and compares the fresh
answer with the served one. The wrapper builds a `SemanticHit` for every semantic hit (never
for an exact hit or a single-flight share, which answer the very same question) and gives it
to the auditor through `hand_off`, which never raises: auditing must not cost the user the
answer, and an auditor only enqueues.

Example:
    >>> from langchain_core.messages import AIMessage, HumanMessage
    >>> from langchain_core.embeddings import DeterministicFakeEmbedding
    >>> from langchain_globalapi.caching.semantic import SemanticCache
    >>> class Auditor:
    ...     def audit_cache_hit(self, hit):
    ...         print(hit.question, "~", hit.cached_question, hit.similarity)
    ...         return True
    >>> hit = SemanticHit(
    ...     messages=(HumanMessage("how do i reset my password"),), answer=AIMessage("..."),
    ...     similarity=0.97, cache=SemanticCache(DeterministicFakeEmbedding(size=8)),
    ...     scope="3f2a", cached_question="How do I reset my password?", model="flash",
    ...     request_id="r1", task=None, reask=lambda config: AIMessage("..."),
    ... )
    >>> hand_off(Auditor(), hit)
    how do i reset my password ~ How do I reset my password? 0.97
    >>> isinstance(Auditor(), CacheAuditor)
    True
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage
from langchain_core.outputs import ChatGeneration
from langchain_core.runnables import RunnableConfig

from langchain_globalapi._runs import HINT_KEY, TASK_KEY, model_id_of

if TYPE_CHECKING:
    from langchain_globalapi.caching.exact import CacheHit
    from langchain_globalapi.caching.semantic import SemanticCache

__all__ = ["CacheAuditor", "SemanticHit", "hand_off", "semantic_hit"]

logger = logging.getLogger("langchain_globalapi.caching")

#: Run metadata the re-ask keeps, so it is routed as the original call would have been.
#: (`thread_id` is left out: a re-ask must not raise a conversation's tier floor.)
_FORWARDED = (HINT_KEY, TASK_KEY)
_REQUEST_ID_KEY = "request_id"
_TRIPWIRE_TASK_KEY = "tripwire_task"


@dataclass(frozen=True)
class SemanticHit:
    """A semantic cache hit as an auditor sees it.

    Attributes:
        messages: The request, as asked.
        answer: The cached answer that was served (a copy stamped as a hit).
        similarity: Cosine similarity of the asked question to the cached one.
        cache: The `SemanticCache` that served it (the auditor may tighten it).
        scope: The semantic scope searched (model, parameters, system prompt, earlier turns).
        cached_question: The question the served answer was written for.
        model: The id of the model that re-asks (for the auditor's budget), if it has one.
        request_id: The caller's `request_id` from the run metadata, if any.
        task: The caller's `tripwire_task` or `task`, if any (picks the agreement scorer).
        reask: Asks the wrapped model the same request, bypassing the cache, under the
            given config (the auditor's callbacks and metadata); blocks until answered.
    """

    messages: tuple[BaseMessage, ...]
    answer: BaseMessage
    similarity: float
    cache: SemanticCache
    scope: str
    cached_question: str | None
    model: str | None
    request_id: str | None
    task: str | None
    reask: Callable[[RunnableConfig], BaseMessage]

    @property
    def question(self) -> str:
        """The last user message: the question that was actually asked."""
        return str(self.messages[-1].text) if self.messages else ""


@runtime_checkable
class CacheAuditor(Protocol):
    """Audits semantic cache hits, e.g. a `QualityTripwire`; must not block."""

    def audit_cache_hit(self, hit: SemanticHit) -> bool:
        """Consider one semantic hit; return whether it was queued for a re-ask."""
        ...


def semantic_hit(
    model: BaseChatModel,
    cache: SemanticCache,
    hit: CacheHit,
    *,
    messages: Sequence[BaseMessage],
    stop: list[str] | None,
    kwargs: Mapping[str, Any],
    metadata: Mapping[str, Any],
) -> SemanticHit | None:
    """What an auditor needs to know about `hit`; `None` unless it is a semantic hit."""
    if hit.kind != "semantic" or hit.scope is None or hit.similarity is None:
        return None
    first = hit.generations[0] if hit.generations else None
    if not isinstance(first, ChatGeneration):
        return None
    asked = tuple(messages)
    forwarded = {key: metadata[key] for key in _FORWARDED if metadata.get(key) is not None}
    call_kwargs = dict(kwargs)

    def reask(config: RunnableConfig) -> BaseMessage:
        merged: RunnableConfig = {
            **config,
            "metadata": {**forwarded, **(config.get("metadata") or {})},
        }
        return model.invoke(list(asked), config=merged, stop=stop, **call_kwargs)

    request_id = metadata.get(_REQUEST_ID_KEY)
    task = metadata.get(_TRIPWIRE_TASK_KEY) or metadata.get(TASK_KEY)
    return SemanticHit(
        messages=asked,
        answer=first.message,
        similarity=float(hit.similarity),
        cache=cache,
        scope=hit.scope,
        cached_question=hit.cached_question,
        model=model_id_of(model),
        request_id=str(request_id) if request_id else None,
        task=str(task) if task else None,
        reask=reask,
    )


def hand_off(auditor: CacheAuditor, hit: SemanticHit) -> None:
    """Give `hit` to `auditor`; log and carry on if it raises."""
    try:
        auditor.audit_cache_hit(hit)
    except Exception:
        # Monitoring must never cost the user the answer the cache already has.
        logger.exception("%s.audit_cache_hit failed; the hit was served", type(auditor).__name__)
