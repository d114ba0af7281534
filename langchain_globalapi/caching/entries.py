"""What a cached answer is: its stored form, how a hit or miss is stamped, what is cacheable.

Entries are JSON holding LangChain's own serialization of the generations
(`langchain_core.load.dumps`, revived with `loads(allowed_objects="core")`), so tool calls,
usage and metadata round-trip and nothing outside langchain-core can be revived from a
cache. An entry that does not decode (corrupted, foreign, from another version) is a miss.

Example:
    >>> from langchain_core.messages import AIMessage
    >>> from langchain_core.outputs import ChatGeneration
    >>> entry = CacheEntry([ChatGeneration(message=AIMessage("Paris"))], question="capital?")
    >>> CacheEntry.decode(entry.encode()).generations[0].text
    'Paris'
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from langchain_core._api.beta_decorator import suppress_langchain_beta_warning
from langchain_core.load import dumps, loads
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, Generation

from langchain_globalapi._billing import CALL_ID_KEY, new_call_id
from langchain_globalapi._pricing import price_message
from langchain_globalapi._runs import as_wrapper_message, as_wrapper_metadata
from langchain_globalapi.caching.base import CACHE_VERSION
from langchain_globalapi.catalog import Catalog

__all__ = [
    "CacheEntry",
    "CacheKind",
    "cache_metadata",
    "is_cacheable",
    "stamp_hit",
    "stamp_miss",
]

CacheKind = Literal["exact", "semantic"]


@dataclass
class CacheEntry:
    """One cached answer: the generations, the question that produced them, and its worth."""

    generations: list[Generation]
    question: str | None = None
    created_at: float = field(default_factory=time.time)
    tokens: int = 0
    usd: str | None = None

    def encode(self) -> bytes:
        """The stored bytes."""
        return json.dumps(
            {
                "v": CACHE_VERSION,
                "generations": dumps(self.generations),
                "question": self.question,
                "created_at": self.created_at,
                "tokens": self.tokens,
                "usd": self.usd,
            },
            separators=(",", ":"),
        ).encode("utf-8")

    @classmethod
    def decode(cls, raw: bytes) -> CacheEntry:
        """Revive stored bytes; raises `ValueError` if they are not a valid entry."""
        try:
            return cls._decode(raw)
        except Exception as error:  # json, unicode, KeyError, langchain's loader: "unreadable"
            msg = f"unreadable cache entry: {error}"
            raise ValueError(msg) from error

    @classmethod
    def _decode(cls, raw: bytes) -> CacheEntry:
        data = json.loads(raw)
        if not isinstance(data, dict) or data.get("v") != CACHE_VERSION:
            msg = "not an entry of this cache version"
            raise ValueError(msg)
        with suppress_langchain_beta_warning():
            generations = loads(data["generations"], allowed_objects="core")
        if not isinstance(generations, list) or not all(
            isinstance(generation, Generation) for generation in generations
        ):
            msg = "entry does not hold a list of generations"
            raise ValueError(msg)
        return cls(
            generations=generations,
            question=data.get("question"),
            created_at=float(data.get("created_at", 0.0)),
            tokens=int(data.get("tokens", 0)),
            usd=data.get("usd"),
        )

    @classmethod
    def of(
        cls,
        generations: Sequence[Generation],
        *,
        question: str | None = None,
        catalog: Catalog | None = None,
    ) -> CacheEntry:
        """An entry for fresh generations, priced now so every hit knows what it saved."""
        stored = [_without_ids(generation) for generation in generations]
        tokens = 0
        usd: Decimal | None = None
        for generation in stored:
            message = getattr(generation, "message", None)
            if not isinstance(message, AIMessage):
                continue
            usage = message.usage_metadata
            tokens += int(usage.get("total_tokens", 0)) if usage else 0
            call = price_message(message, catalog)
            if call is not None and call.usd is not None:
                usd = (usd or Decimal(0)) + call.usd
        return cls(stored, question=question, tokens=tokens, usd=None if usd is None else str(usd))

    @property
    def saved_usd(self) -> Decimal | None:
        """What serving this entry again saves, or `None` when the model is unpriced."""
        return None if self.usd is None else Decimal(self.usd)


def _without_ids(generation: Generation) -> Generation:
    # A replay gets the new run's id; a stored id would make every hit look like one message.
    if isinstance(generation, ChatGeneration) and generation.message.id is not None:
        return generation.model_copy(
            update={"message": generation.message.model_copy(update={"id": None})}
        )
    return generation


def cache_metadata(
    *, hit: bool, kind: CacheKind, similarity: float | None = None, saved_usd: Decimal | None = None
) -> dict[str, Any]:
    """The `response_metadata["cache"]` dict (money as a decimal string)."""
    return {
        "hit": hit,
        "kind": kind,
        "similarity": similarity,
        "saved_usd": None if saved_usd is None else str(saved_usd),
    }


def _own_copy(message: BaseMessage, metadata: dict[str, Any]) -> BaseMessage:
    """A copy with its own top-level containers: cached entries are reused across hits.

    One level deep, like LangChain's own cache hits (which share even that): a deep copy
    would cost more than the rest of a hit.
    """
    updates: dict[str, Any] = {"response_metadata": metadata}
    if message.additional_kwargs:
        updates["additional_kwargs"] = dict(message.additional_kwargs)
    if isinstance(message.content, list):
        updates["content"] = list(message.content)
    if isinstance(message, AIMessage):
        if message.usage_metadata:
            updates["usage_metadata"] = message.usage_metadata.copy()
        if message.tool_calls:
            updates["tool_calls"] = [call.copy() for call in message.tool_calls]
    return message.model_copy(update=updates)


def stamp_hit(
    generations: Sequence[Generation],
    *,
    kind: CacheKind,
    similarity: float | None,
    saved_usd: Decimal | None,
) -> list[Generation]:
    """Copies of cached generations marked as a hit.

    The answering model's name moves to `response_metadata["model"]` (see
    `as_wrapper_metadata`), so LangChain's usage handler does not bill a hit as a new call,
    while `usage_metadata` keeps the original counts so the cost tracker prices the saving.
    """
    stamped: list[Generation] = []
    hit_id = new_call_id()  # a hit is a call of its own, billed once at $0
    for generation in generations:
        if not isinstance(generation, ChatGeneration):
            stamped.append(generation.model_copy(deep=True))
            continue
        message = generation.message
        metadata = as_wrapper_metadata(message.response_metadata)
        cost = metadata.get("cost")
        if isinstance(cost, Mapping):
            metadata["cost"] = {**cost, "usd": "0", "cache_hit": True}
        metadata["cache"] = cache_metadata(
            hit=True, kind=kind, similarity=similarity, saved_usd=saved_usd
        )
        metadata[CALL_ID_KEY] = hit_id
        stamped.append(generation.model_copy(update={"message": _own_copy(message, metadata)}))
    return stamped


def stamp_miss(message: BaseMessage, kind: CacheKind) -> BaseMessage:
    """A copy of a fresh answer marked as a miss (and hidden from usage double counting)."""
    return as_wrapper_message(message, cache=cache_metadata(hit=False, kind=kind))


def is_cacheable(generations: Sequence[Generation]) -> bool:
    """False for empty or truncated answers (`finish_reason == "length"`)."""
    if not generations:
        return False
    for generation in generations:
        info: dict[str, Any] = dict(generation.generation_info or {})
        message = getattr(generation, "message", None)
        if isinstance(message, BaseMessage):
            info.update(message.response_metadata)
        if info.get("finish_reason") == "length" or info.get("stop_reason") == "max_tokens":
            return False
    return True
