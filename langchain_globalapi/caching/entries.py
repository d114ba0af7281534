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
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
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
    "BadEntryError",
    "CacheEntry",
    "CacheKind",
    "cache_metadata",
    "is_cacheable",
    "stamp_hit",
    "stamp_miss",
]

CacheKind = Literal["exact", "semantic"]

_USAGE_COUNTS = ("input_tokens", "output_tokens", "total_tokens")


class BadEntryError(ValueError):
    """A stored entry that cannot be trusted; `kind` groups the reason for once-per-kind logs."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass
class CacheEntry:
    """One cached answer: the generations, the question that produced them, and its worth.

    `key` is the key it was written under and `scope` its semantic scope: an entry read
    under another key or scope (copied, tampered, or a hash collision) is never served.
    """

    generations: list[Generation]
    question: str | None = None
    created_at: float = field(default_factory=time.time)
    tokens: int = 0
    usd: str | None = None
    key: str | None = None
    scope: str | None = None

    def encode(self) -> bytes:
        """The stored bytes."""
        return json.dumps(
            {
                "v": CACHE_VERSION,
                "key": self.key,
                "scope": self.scope,
                "generations": dumps(self.generations),
                "question": self.question,
                "created_at": self.created_at,
                "tokens": self.tokens,
                "usd": self.usd,
            },
            separators=(",", ":"),
        ).encode("utf-8")

    @classmethod
    def decode(cls, raw: bytes, *, key: str | None = None) -> CacheEntry:
        """Revive stored bytes; `BadEntryError` (a `ValueError`) unless they are a sound entry.

        With `key`, the entry must have been written under that key. Every value is
        checked, not only the JSON: generations (non-empty; chat generations hold an AI
        message with well-formed usage), counts and the saved cost.
        """
        try:
            data = json.loads(raw)
        except ValueError as error:  # JSON and UTF-8 errors alike
            raise BadEntryError("unreadable", f"unreadable cache entry: {error}") from error
        if not isinstance(data, dict) or data.get("v") != CACHE_VERSION:
            raise BadEntryError("version", "not an entry of this cache version")
        if key is not None and data.get("key") != key:
            msg = "entry was written under another key (copied or tampered with): not served"
            raise BadEntryError("key", msg)
        serialized = data.get("generations")
        if not isinstance(serialized, str):
            raise BadEntryError("generations", "entry holds no serialized generations")
        try:
            with suppress_langchain_beta_warning():
                generations = loads(serialized, allowed_objects="core")
        except Exception as error:  # langchain's loader, pydantic: "unreadable"
            raise BadEntryError("unreadable", f"unreadable cache entry: {error}") from error
        return cls(
            generations=_checked_generations(generations),
            question=_optional_text(data.get("question"), "question"),
            created_at=_finite(data.get("created_at", 0.0), "created_at"),
            tokens=_count(data.get("tokens", 0), "tokens"),
            usd=_usd(data.get("usd")),
            key=_optional_text(data.get("key"), "key"),
            scope=_optional_text(data.get("scope"), "scope"),
        )

    @property
    def is_chat(self) -> bool:
        """Whether the entry holds chat generations (else plain LLM generations)."""
        return isinstance(self.generations[0], ChatGeneration)

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


def _checked_generations(generations: object) -> list[Generation]:
    if not isinstance(generations, list) or not generations:
        raise BadEntryError("generations", "entry holds no generations")
    if not all(isinstance(generation, Generation) for generation in generations):
        raise BadEntryError("generations", "entry does not hold a list of generations")
    chat = [isinstance(generation, ChatGeneration) for generation in generations]
    if any(chat) and not all(chat):
        raise BadEntryError("generations", "entry mixes chat and plain generations")
    for generation in generations:
        if isinstance(generation, ChatGeneration):
            _check_message(generation.message)
    return generations


def _check_message(message: BaseMessage) -> None:
    if not isinstance(message, AIMessage):
        msg = f"entry holds a {type(message).__name__}, not an AI answer"
        raise BadEntryError("role", msg)
    usage = message.usage_metadata
    if usage is None:
        return
    counts: list[tuple[str, object]] = [(name, usage.get(name)) for name in _USAGE_COUNTS]
    for details in ("input_token_details", "output_token_details"):
        nested = usage.get(details) or {}
        if not isinstance(nested, Mapping):
            raise BadEntryError("usage", f"entry usage_metadata.{details} is not a mapping")
        counts += [(f"{details}.{name}", value) for name, value in nested.items()]
    for name, value in counts:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            msg = f"entry usage_metadata.{name} is {value!r}, not a token count"
            raise BadEntryError("usage", msg)


def _optional_text(value: object, name: str) -> str | None:
    if value is not None and not isinstance(value, str):
        raise BadEntryError("fields", f"entry {name} is {value!r}, not text")
    return value


def _finite(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise BadEntryError("fields", f"entry {name} is {value!r}, not a finite number")
    return float(value)


def _count(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise BadEntryError("fields", f"entry {name} is {value!r}, not a count")
    return value


def _usd(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            amount = Decimal(value)
        except InvalidOperation:
            amount = Decimal("NaN")
        if amount.is_finite() and amount >= 0:
            return value
    raise BadEntryError("cost", f"entry saved cost {value!r} is not a USD amount")


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
