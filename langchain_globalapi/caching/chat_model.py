"""`CachedChatModel`: put an exact or semantic cache in front of any chat model, streams included.

A hit is answered before the wrapped model (a router, a fallback chain, a plain model)
is touched: no routing, no call, no rate limiting. `stream`/`astream` replay a hit as
chunks; on a miss the wrapped model's stream is passed through as it arrives and stored
only once it finishes cleanly (never on an error, an early stop, or a truncated answer).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from decimal import Decimal
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LangSmithParams, LanguageModelInput
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.messages.utils import message_chunk_to_message
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult, Generation
from langchain_core.runnables import Runnable, RunnableBinding, RunnableSequence
from langchain_core.tools import BaseTool
from pydantic import ConfigDict, Field, PrivateAttr, field_validator

from langchain_globalapi._pricing import price_message
from langchain_globalapi._runs import HINT_KEY, as_wrapper_metadata, run_metadata
from langchain_globalapi._streams import aclose_stream, close_stream
from langchain_globalapi._validate import seconds
from langchain_globalapi._wrapper import WrapperChatModel
from langchain_globalapi.caching._audit import CacheAuditor, hand_off, semantic_hit
from langchain_globalapi.caching._single_flight import Flight, Flights
from langchain_globalapi.caching.entries import CacheKind, cache_metadata, stamp_hit, stamp_miss
from langchain_globalapi.caching.exact import CacheHit, ExactCache
from langchain_globalapi.caching.identity import call_llm_string, identity_json, normalized_prompt
from langchain_globalapi.caching.replay import replay_chunks
from langchain_globalapi.caching.semantic import SemanticCache
from langchain_globalapi.errors import CacheConfigError, SettingError

__all__ = ["CachedChatModel"]

Answer = Sequence[Generation]  # what a flight's leader hands its followers


class CachedChatModel(WrapperChatModel):
    """A chat model that answers repeats from a cache and calls `model` only on a miss.

    Every answer carries `response_metadata["cache"] = {"hit", "kind", "similarity",
    "saved_usd"}`. The key covers the cache's namespace, the wrapped model's identity
    (class, model id, base URL, parameters, nested models) and each call's parameters
    (tools, tool choice, response format, stop, max tokens...), so a hit for another
    model, parameter set or tenant cannot happen.

    Args:
        model: Any chat model: `ChatGlobalAPI`, a router, a fallback chain...
        cache: An `ExactCache` or `SemanticCache` (any store); kept as `response_cache`
            (`cache` is LangChain's own field, which a wrapper leaves off).
        budget: Spend limits enforced on every model call behind the cache.
        ledger: A usage ledger fed every call, cache hits included.
        tripwire: A `QualityTripwire` (or any `CacheAuditor`) handed every semantic hit:
            it re-asks a sample in the background and tightens the cache when they
            disagree too often. Needs a `SemanticCache`; may be the router's tripwire too.

    Example:
        >>> from langchain_globalapi import CachedChatModel, ChatGlobalAPI, ExactCache
        >>> from langchain_globalapi.testing import FakeOpenAIServer
        >>> with FakeOpenAIServer() as server:
        ...     llm = CachedChatModel(
        ...         ChatGlobalAPI(api_key="k", base_url=server.base_url, temperature=0),
        ...         cache=ExactCache(),
        ...     )
        ...     first = llm.invoke("What is 2 + 2?")
        ...     streamed = list(llm.stream("What is 2 + 2?"))
        ...     len(server.requests)
        1
        >>> first.response_metadata["cache"]["hit"], streamed[-1].response_metadata["cache"]["hit"]
        (False, True)
        >>> "".join(chunk.text for chunk in streamed) == first.text
        True
    """

    model: BaseChatModel
    """The wrapped chat model, called on a miss."""
    response_cache: ExactCache
    """The cache (an `ExactCache` or `SemanticCache`)."""
    single_flight: bool = True
    """Send identical requests in flight at the same time once; the others share the answer."""
    single_flight_wait_s: float = 120.0
    """How long a request waits for an identical one in flight before calling on its own."""
    tripwire: CacheAuditor | None = Field(default=None, exclude=True)
    """Audits a sample of semantic hits (a `QualityTripwire`); exact hits are never audited."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    _flights: Flights[Answer] = PrivateAttr(default_factory=Flights)
    _identity: str | None = PrivateAttr(default=None)
    _plain_llm_string: str | None = PrivateAttr(default=None)
    _plain_ls_params: LangSmithParams | None = PrivateAttr(default=None)

    def __init__(self, model: BaseChatModel | None = None, **kwargs: Any) -> None:
        if model is not None:
            kwargs["model"] = model
        if isinstance(kwargs.get("model"), RunnableBinding):
            msg = (
                "CachedChatModel wraps a chat model, not a binding: bind tools (or other "
                "arguments) on the cached model instead, e.g. "
                "CachedChatModel(model, cache=...).bind_tools([...]); the cache keys on them"
            )
            raise CacheConfigError(msg)
        if isinstance(kwargs.get("cache"), ExactCache):
            kwargs["response_cache"] = kwargs.pop("cache")
        elif "response_cache" not in kwargs:
            msg = (
                "CachedChatModel needs a cache: CachedChatModel(model, cache=ExactCache()) or "
                f"cache=SemanticCache(...), got cache={kwargs.get('cache')!r}"
            )
            raise CacheConfigError(msg)
        cache = kwargs["response_cache"]
        if kwargs.get("tripwire") is not None and not isinstance(cache, SemanticCache):
            msg = (
                "CachedChatModel: tripwire= audits semantic hits, and an "
                f"{type(cache).__name__} serves none: use a SemanticCache or drop tripwire="
            )
            raise CacheConfigError(msg)
        super().__init__(**kwargs)

    @field_validator("single_flight_wait_s", mode="before")
    @classmethod
    def _wait_is_seconds(cls, value: object) -> float:
        return seconds("CachedChatModel", "single_flight_wait_s", value, error=SettingError)

    def inner_models(self) -> list[Runnable[LanguageModelInput, BaseMessage]]:
        """The wrapped model."""
        return [self.model]

    def with_inner_models(
        self, models: Sequence[Runnable[LanguageModelInput, BaseMessage]]
    ) -> CachedChatModel:
        """The same cache in front of another model."""
        (model,) = models
        return self._rewrap(model)  # type: ignore[return-value]

    @property
    def _llm_type(self) -> str:
        return "globalapi-cached-chat-model"

    @property
    def _wrapper_params(self) -> dict[str, Any]:
        return {"cache": self.response_cache.kind}

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        # Traces of a hit still name the model whose answer was replayed. Memoized for
        # plain calls: it runs on every hit and costs as much as the cache lookup.
        if stop is not None or kwargs:
            return self.model._get_ls_params(stop=stop, **kwargs)
        if self._plain_ls_params is None:
            self._plain_ls_params = self.model._get_ls_params()
        return LangSmithParams(**self._plain_ls_params)

    # --- keys ------------------------------------------------------------------------------

    def _key(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None,
        kwargs: dict[str, Any],
        run_manager: CallbackManagerForLLMRun | AsyncCallbackManagerForLLMRun | None,
    ) -> tuple[str, str]:
        if self._identity is None or self._plain_llm_string is None:
            # Computed once: walking a model's fields costs more than the whole hit path.
            self._identity = identity_json(self.model)
            self._plain_llm_string = call_llm_string(self._identity, None, {})
        if stop is None and not kwargs:
            llm_string = self._plain_llm_string
        else:
            llm_string = call_llm_string(self._identity, stop, kwargs)
        # An explicit routing hint picks the model that answers, so it is part of the key:
        # a call forced to the strong tier must not get the economy tier's cached answer.
        hint = run_metadata(run_manager).get(HINT_KEY)
        if hint is not None and hint != "auto":
            llm_string = f"{llm_string}---{HINT_KEY}={hint}"
        return normalized_prompt(messages), llm_string

    def _miss(self, message: BaseMessage) -> ChatResult:
        return ChatResult(
            generations=[ChatGeneration(message=stamp_miss(message, self.response_cache.kind))]
        )

    def _served(
        self,
        hit: CacheHit,
        run_manager: CallbackManagerForLLMRun | AsyncCallbackManagerForLLMRun | None,
    ) -> CacheHit:
        """A hit on its way out: billed into this wrapper's own ledger, if it has one."""
        self._bill_own_answers(hit.generations, run_manager)
        return hit

    # --- single flight -----------------------------------------------------------------------

    def _join(self, prompt: str, llm_string: str) -> tuple[str, Flight[Answer] | None, bool]:
        """The flight key, the flight, and whether this call leads it (or runs alone)."""
        key = f"{llm_string}\x00{prompt}"
        if not self.single_flight:
            return key, None, True
        flight, leads = self._flights.join(key)
        return key, flight, leads

    def _land(
        self, key: str, flight: Flight[Answer] | None, leads: bool, result: Answer | None
    ) -> None:
        if leads and flight is not None:
            self._flights.finish(key, flight, result)

    def _shared_hit(self, generations: Answer) -> CacheHit:
        """The leader's answer served to a follower: a cache hit of its own, at $0."""
        saved = None
        for generation in generations:
            message = getattr(generation, "message", None)
            call = price_message(message, self.catalog) if isinstance(message, AIMessage) else None
            if call is not None and call.usd is not None:
                saved = (saved or Decimal(0)) + call.usd
        kind = self.response_cache.kind
        stamped = stamp_hit(generations, kind=kind, similarity=None, saved_usd=saved)
        for generation in stamped:
            message = getattr(generation, "message", None)
            if isinstance(message, BaseMessage):
                message.response_metadata["cache"]["single_flight"] = True
        return CacheHit(list(stamped), kind, None, saved, 0)

    def _audit(
        self,
        hit: CacheHit,
        messages: list[BaseMessage],
        stop: list[str] | None,
        kwargs: dict[str, Any],
        run_manager: CallbackManagerForLLMRun | AsyncCallbackManagerForLLMRun | None,
    ) -> None:
        """Hand a semantic hit to the tripwire (which only enqueues); exact hits are skipped."""
        cache = self.response_cache
        if self.tripwire is None or hit.kind != "semantic" or not isinstance(cache, SemanticCache):
            return
        metadata = run_metadata(run_manager)
        found = semantic_hit(
            self.model, cache, hit, messages=messages, stop=stop, kwargs=kwargs, metadata=metadata
        )
        if found is not None:
            hand_off(self.tripwire, found)

    # --- invoke ------------------------------------------------------------------------------

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        self._check_input(messages)
        prompt, llm_string = self._key(messages, stop, kwargs, run_manager)
        hit = self.response_cache.find(prompt, llm_string, messages=messages)
        if hit is not None:
            self._audit(hit, messages, stop, kwargs, run_manager)
            return ChatResult(generations=self._served(hit, run_manager).generations)
        key, flight, leads = self._join(prompt, llm_string)
        if not leads and flight is not None:
            shared = flight.wait(self.single_flight_wait_s)
            if shared is not None:
                served = self._served(self._shared_hit(shared), run_manager)
                return ChatResult(generations=served.generations)
        result: Answer | None = None
        try:
            config = self._child_config(run_manager)
            message = self.model.invoke(messages, config=config, stop=stop, **kwargs)
            answer = self._miss(message)
            self.response_cache.put(prompt, llm_string, answer.generations, messages=messages)
            result = answer.generations
        finally:
            self._land(key, flight, leads, result)
        return answer

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        self._check_input(messages)
        prompt, llm_string = self._key(messages, stop, kwargs, run_manager)
        hit = await self.response_cache.afind(prompt, llm_string, messages=messages)
        if hit is not None:
            self._audit(hit, messages, stop, kwargs, run_manager)
            return ChatResult(generations=self._served(hit, run_manager).generations)
        key, flight, leads = self._join(prompt, llm_string)
        if not leads and flight is not None:
            shared = await flight.await_result(self.single_flight_wait_s)
            if shared is not None:
                served = self._served(self._shared_hit(shared), run_manager)
                return ChatResult(generations=served.generations)
        result: Answer | None = None
        try:
            config = self._child_config(run_manager, is_async=True)
            message = await self.model.ainvoke(messages, config=config, stop=stop, **kwargs)
            answer = self._miss(message)
            await self.response_cache.aput(
                prompt, llm_string, answer.generations, messages=messages
            )
            result = answer.generations
        finally:
            self._land(key, flight, leads, result)
        return answer

    # --- stream ------------------------------------------------------------------------------

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        self._check_input(messages)
        prompt, llm_string = self._key(messages, stop, kwargs, run_manager)
        hit = self.response_cache.find(prompt, llm_string, messages=messages)
        if hit is not None:
            self._audit(hit, messages, stop, kwargs, run_manager)
            yield from _replay(self._served(hit, run_manager))
            return
        key, flight, leads = self._join(prompt, llm_string)
        if not leads and flight is not None:
            shared = flight.wait(self.single_flight_wait_s)
            if shared is not None:
                yield from _replay(self._served(self._shared_hit(shared), run_manager))
                return
        result: Answer | None = None
        try:
            total: AIMessageChunk | None = None
            pending: ChatGenerationChunk | None = None
            config = self._child_config(run_manager)
            inner = self.model.stream(messages, config=config, stop=stop, **kwargs)
            try:
                for chunk in inner:
                    # One chunk is held back so the miss stamp can ride on the last one.
                    if pending is not None:
                        yield pending
                    pending, total = _tee(chunk, total)
            finally:
                close_stream(inner)  # a consumer that stopped early ends the call now
            if pending is None or total is None:
                return
            yield self._stamp_last(pending)
            generations = [ChatGeneration(message=_finished(total, self.response_cache.kind))]
            self.response_cache.put(prompt, llm_string, generations, messages=messages)
            result = list(generations)
        finally:
            self._land(key, flight, leads, result)

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        self._check_input(messages)
        prompt, llm_string = self._key(messages, stop, kwargs, run_manager)
        hit = await self.response_cache.afind(prompt, llm_string, messages=messages)
        if hit is not None:
            self._audit(hit, messages, stop, kwargs, run_manager)
            for replayed in _replay(self._served(hit, run_manager)):
                yield replayed
            return
        key, flight, leads = self._join(prompt, llm_string)
        if not leads and flight is not None:
            shared = await flight.await_result(self.single_flight_wait_s)
            if shared is not None:
                for replayed in _replay(self._served(self._shared_hit(shared), run_manager)):
                    yield replayed
                return
        result: Answer | None = None
        try:
            total: AIMessageChunk | None = None
            pending: ChatGenerationChunk | None = None
            config = self._child_config(run_manager, is_async=True)
            inner = self.model.astream(messages, config=config, stop=stop, **kwargs)
            try:
                async for chunk in inner:
                    if pending is not None:
                        yield pending
                    pending, total = _tee(chunk, total)
            finally:
                await aclose_stream(inner)
            if pending is None or total is None:
                return
            yield self._stamp_last(pending)
            generations = [ChatGeneration(message=_finished(total, self.response_cache.kind))]
            await self.response_cache.aput(prompt, llm_string, generations, messages=messages)
            result = list(generations)
        finally:
            self._land(key, flight, leads, result)

    def _stamp_last(self, pending: ChatGenerationChunk) -> ChatGenerationChunk:
        pending.message.response_metadata = {
            **pending.message.response_metadata,
            "cache": cache_metadata(hit=False, kind=self.response_cache.kind),
        }
        return pending

    # --- tools and structured output ------------------------------------------------------------

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: str | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Bind tools the way the wrapped model formats them; the cache stays in front."""
        return self._rewrap(self.model.bind_tools(tools, tool_choice=tool_choice, **kwargs))

    def with_structured_output(
        self, schema: dict[str, Any] | type, *, include_raw: bool = False, **kwargs: Any
    ) -> Runnable[LanguageModelInput, Any]:
        """The wrapped model's structured output, with its model call served through the cache.

        Note: a cached `additional_kwargs["parsed"]` comes back as a dict (LangChain's
        serializer keeps no pydantic classes); the output parser re-validates it.
        """
        inner = self.model.with_structured_output(schema, include_raw=include_raw, **kwargs)
        if isinstance(inner, RunnableSequence):
            first = inner.first
            if isinstance(first, BaseChatModel | RunnableBinding):
                rewrapped = self._rewrap(first)
                return RunnableSequence(rewrapped, *inner.middle, inner.last)
        # A shape we cannot see into: build it on this model, which forwards bind_tools.
        return super().with_structured_output(schema, include_raw=include_raw, **kwargs)

    def _rewrap(self, runnable: Runnable[Any, Any]) -> Runnable[LanguageModelInput, AIMessage]:
        """Put this cache in front of what the wrapped model's bind_* returned."""
        if isinstance(runnable, BaseChatModel):
            return self._around(runnable)
        if isinstance(runnable, RunnableBinding) and isinstance(runnable.bound, BaseChatModel):
            wrapper = self._around(runnable.bound)
            return wrapper.bind(**runnable.kwargs).with_config(runnable.config)
        msg = (
            f"{type(self.model).__name__}.bind_tools returned a {type(runnable).__name__}, "
            "which CachedChatModel cannot put a cache in front of; wrap the bound model instead"
        )
        raise TypeError(msg)

    def _around(self, model: BaseChatModel) -> CachedChatModel:
        if model is self.model:
            return self
        # Same cache, budget and ledger; the key's identity is computed for the new model.
        copy = self.model_copy(update={"model": model})
        copy._identity = copy._plain_llm_string = None
        copy._plain_ls_params = None
        copy._billing = self._billing
        copy._flights = self._flights
        return copy


def _tee(
    chunk: BaseMessage, total: AIMessageChunk | None
) -> tuple[ChatGenerationChunk, AIMessageChunk]:
    # A copy: the wrapped model's run still aggregates the chunk objects it yielded.
    metadata = as_wrapper_metadata(chunk.response_metadata)
    if isinstance(chunk, AIMessageChunk):
        chunk = chunk.model_copy(update={"response_metadata": metadata})
    else:
        chunk = AIMessageChunk(content=chunk.content, response_metadata=metadata)
    return ChatGenerationChunk(message=chunk), chunk if total is None else total + chunk


def _finished(total: AIMessageChunk, kind: CacheKind) -> BaseMessage:
    message = message_chunk_to_message(total.model_copy(update={"chunk_position": None}))
    return stamp_miss(message, kind)


def _replay(hit: CacheHit) -> Iterator[ChatGenerationChunk]:
    first = hit.generations[0] if hit.generations else ChatGeneration(message=AIMessage(""))
    message = first.message if isinstance(first, ChatGeneration) else None
    if not isinstance(message, AIMessage):  # a plain-text generation, or another role
        message = AIMessage(content=first.text)
    for chunk in replay_chunks(message):
        yield ChatGenerationChunk(message=chunk)
