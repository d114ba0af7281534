"""`FallbackChatModel`: try chat models in order, moving on only when another one can help.

See the class docstring for the rules; `_classify` says what each error means,
`_policy` when to retry the same member, `_cooldowns` whom to skip, `_call` keeps one
call's books, `_members` prepares the members and `_streaming` relays a member's stream.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from typing import Any, ClassVar, Literal, TypeVar

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import LanguageModelInput
from langchain_core.messages import BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable
from pydantic import (
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationInfo,
    field_validator,
    model_validator,
)
from typing_extensions import Self

from langchain_globalapi._streams import aclose_stream, close_stream
from langchain_globalapi._validate import optional_seconds
from langchain_globalapi._wrapper import InnerKind, WrapperChatModel
from langchain_globalapi.catalog import Catalog
from langchain_globalapi.errors import GlobalAPIError, SettingError
from langchain_globalapi.fallbacks._call import CallSettings, CallState
from langchain_globalapi.fallbacks._classify import classify_error
from langchain_globalapi.fallbacks._cooldowns import Cooldowns
from langchain_globalapi.fallbacks._members import (
    Member,
    MemberRunnable,
    describe_member,
    without_sdk_retries,
)
from langchain_globalapi.fallbacks._policy import RetryPolicy
from langchain_globalapi.fallbacks._streaming import (
    Head,
    StreamRelay,
    as_chunk,
    auntil_content,
    until_content,
)

__all__ = ["FallbackChatModel"]

_T = TypeVar("_T")


class FallbackChatModel(WrapperChatModel):
    """A chat model that tries its members in order and survives rate limits and outages.

    Rules, per call:

    - **Classified errors.** Rate limits, 5xx, timeouts, dropped connections and empty
      answers move on to the next member. A context-window overflow moves on only to a
      member with a larger window (from the catalog, or the window the error quotes).
      Bad requests, authentication, permission and content-policy errors are raised at
      once: a pricier model would fail the same way.
    - **Retry-After.** A 429 whose `retry-after[-ms]` fits `retry_policy` and the
      remaining deadline is waited out and retried on the same member; otherwise the
      chain moves on at once.
    - **One deadline.** `timeout_s` bounds the whole call, waits included. Members' own
      SDK retries are turned off (OpenAI-compatible members are copied with
      `max_retries=0`; others with retries are used as given, with a warning), so
      attempts do not multiply.
    - **Cooldowns.** A member that was rate-limited with Retry-After, or whose circuit
      opened after repeated failures, is skipped without a call (see `Cooldowns`;
      share one through Redis across workers).
    - **Streaming.** The first chunk with content is awaited before the stream is handed
      over, so early failures and a slow first token (`first_chunk_timeout_s`) still fall
      back. After text was delivered, a failure raises `MidStreamError` with the text.
    - **Budget.** With `budget`, every member call reserves its worst case first, so a
      hard limit refuses a call before it is sent (`BudgetExceededError`, raised at once:
      another member would be refused too, unless only a model's own limit was reached);
      and escalating to a member pricier than the first one is skipped when the budget
      says no, while a cheaper member later in the list still runs.
    - **Metadata.** Every answer carries `response_metadata["fallback"]` =
      `{"served_by", "attempts": [{"model", "error", "status", "wait_s", "latency_ms"}],
      "skipped": [...]}` and the `cost` of the member that answered. The answering model
      is `response_metadata["model"]`, not `model_name` (the member's run already named
      it), so LangChain's usage callbacks count the member's tokens once.
    - When nobody answered: `AllModelsFailedError` (an `AllModelsRateLimitedError`, also a
      `ModelRateLimitError` and `openai.RateLimitError`, when all were rate-limited).

    Args:
        models: The members, cheapest or preferred first: chat models, or chat models with
            tools bound.
        timeout_s: Deadline for the whole call, in seconds (None: none).
        attempt_timeout_s: Cap on one attempt (OpenAI-compatible members get it as the
            SDK's request timeout; others are cancelled in async code).
        first_chunk_timeout_s: Cap on the wait for a stream's first chunk. For
            OpenAI-compatible members it is the SDK's read timeout, which then also bounds
            each gap between chunks.
        retry_policy: When to retry the same member (default: honour Retry-After up to 5 s,
            2 attempts per member).
        cooldowns: Shared cooldown / circuit-breaker state (default: a fresh in-process one).
        budget: Enforced on every member call; vetoes escalation to pricier members.
        catalog: Context windows and prices (default: the built-in catalog).
        ledger: A usage ledger fed every member call.

    Example:
        >>> from langchain_globalapi import ChatGlobalAPI, FallbackChatModel
        >>> from langchain_globalapi.testing import FakeOpenAIServer, Fault
        >>> with FakeOpenAIServer() as server:
        ...     def member(name):
        ...         return ChatGlobalAPI(model=name, api_key="test", base_url=server.base_url)
        ...     chain = FallbackChatModel([member("deepseek-ai/DeepSeek-V4-Flash"),
        ...                                member("deepseek-ai/DeepSeek-V4-Pro")])
        ...     server.inject("deepseek-ai/DeepSeek-V4-Flash", Fault.server_error(503))
        ...     answer = chain.invoke("Hello")
        >>> answer.content
        '[deepseek-ai/DeepSeek-V4-Pro] Hello'
        >>> [(a["model"], a["error"]) for a in answer.response_metadata["fallback"]["attempts"]]
        [('deepseek-ai/DeepSeek-V4-Flash', 'server_error'), ('deepseek-ai/DeepSeek-V4-Pro', None)]
    """

    models: list[MemberRunnable]
    """The members, in the order they are tried."""
    timeout_s: float | None = 60.0
    """Deadline for the whole call, waits and retries included."""
    attempt_timeout_s: float | None = None
    """Cap on one attempt."""
    first_chunk_timeout_s: float | None = None
    """Cap on the wait for a stream's first chunk."""
    retry_policy: RetryPolicy = Field(default_factory=RetryPolicy, exclude=True)
    """When to retry the same member instead of moving on."""
    cooldowns: Cooldowns = Field(default_factory=Cooldowns, exclude=True)
    """Which members to skip for now; share it (or its Redis) to share the state."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    inner_kind: ClassVar[InnerKind] = "chain"

    _members: list[Member] = PrivateAttr(default_factory=list)

    def __init__(self, models: Sequence[MemberRunnable] | None = None, **kwargs: Any) -> None:
        """Build the chain from `models` (positional or keyword)."""
        if models is not None:
            kwargs["models"] = list(models)
        super().__init__(**kwargs)

    @model_validator(mode="after")
    def _prepare_members(self) -> Self:
        if not self.models:
            msg = "FallbackChatModel needs at least one model, e.g. FallbackChatModel([flash, pro])"
            raise GlobalAPIError(msg)
        self.models = [without_sdk_retries(model, i) for i, model in enumerate(self.models)]
        self._describe()
        return self

    def _describe(self) -> None:
        catalog = self.catalog or Catalog.default()
        self._members = [describe_member(m, i, catalog) for i, m in enumerate(self.models)]

    @property
    def _llm_type(self) -> str:
        return "globalapi-fallback"

    @property
    def _wrapper_params(self) -> dict[str, Any]:
        return {"models": [member.model for member in self._members], "timeout_s": self.timeout_s}

    @property
    def members(self) -> list[Member]:
        """The members as the chain sees them (model name, cooldown key, window, price)."""
        return list(self._members)

    # --- forwarding ---------------------------------------------------------------------

    def inner_models(self) -> list[MemberRunnable]:
        """The members' runnables, in the order they are tried."""
        return list(self.models)

    def with_inner_models(self, models: Sequence[MemberRunnable]) -> Self:
        """The same chain (settings, the same Cooldowns object) over `models`."""
        copy = self.model_copy(update={"models": list(models)})
        copy._describe()
        copy._billing = self._billing
        return copy

    def with_structured_output(
        self,
        schema: dict[str, Any] | type,
        *,
        include_raw: bool = False,
        method: Literal["function_calling"] = "function_calling",
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, dict[str, Any] | Any]:
        """Structured output through tool calling on every member (the one method all share).

        Raises:
            GlobalAPIError: For another `method`: build the chain from members that were
                given `with_structured_output(..., method=...)` themselves instead.
        """
        if method != "function_calling":
            msg = (
                f"FallbackChatModel supports method='function_calling' only, got {method!r}: "
                "it works on every OpenAI-compatible member"
            )
            raise GlobalAPIError(msg)
        return super().with_structured_output(schema, include_raw=include_raw, **kwargs)

    # --- helpers shared by the four loops -----------------------------------------------

    def _state(self, messages: Sequence[BaseMessage]) -> CallState:
        settings = CallSettings(
            members=self._members,
            policy=self.retry_policy,
            catalog=self.catalog or Catalog.default(),
            budget=self.budget,
            timeout_s=self.timeout_s,
            attempt_timeout_s=self.attempt_timeout_s,
            first_chunk_timeout_s=self.first_chunk_timeout_s,
        )
        return CallState(settings, messages)

    def _config(
        self,
        run_manager: CallbackManagerForLLMRun | AsyncCallbackManagerForLLMRun | None,
        member: Member,
        state: CallState,
    ) -> Any:
        # The attempt number counts every call this request made down the chain (1: the
        # first member's first try), so a ledger can tell answers that needed a fallback.
        attempt = len(state.attempts) + 1
        return self._child_config(
            run_manager, {"globalapi_fallback_model": member.model, "globalapi_attempt": attempt}
        )

    # --- the two drivers: one attempt after another until a member answers -----------------

    def _first_answer(
        self, state: CallState, start: Callable[[Member, int], _T]
    ) -> tuple[Member, float, _T]:
        """Run `start(member, attempt)` down the chain until one returns; raise if none does."""
        for index, member in enumerate(self._members):
            if state.skip_reason(member, index):
                continue
            for attempt in itertools.count(1):
                admission = self.cooldowns.admit(member.key, probe_lease_s=state.probe_lease_s())
                if not state.admitted(member, admission):
                    break
                started = time.monotonic()
                try:
                    result = start(member, attempt)
                except Exception as error:
                    failure, decision = state.on_failure(member, error, started, attempt)
                    self.cooldowns.record_failure(member.key, failure)
                    if decision.raise_now:
                        raise
                    if decision.wait_s is None:
                        break
                    time.sleep(decision.wait_s)
                    continue
                except BaseException:
                    if admission.probe:
                        self.cooldowns.release_probe(member.key)
                    raise
                self.cooldowns.record_success(member.key)
                return member, started, result
        raise state.all_failed()

    async def _afirst_answer(
        self, state: CallState, start: Callable[[Member, int], Awaitable[_T]]
    ) -> tuple[Member, float, _T]:
        """Async `_first_answer`: the same rules, with awaited calls, waits and state."""
        for index, member in enumerate(self._members):
            if state.skip_reason(member, index):
                continue
            for attempt in itertools.count(1):
                lease = state.probe_lease_s()
                admission = await self.cooldowns.aadmit(member.key, probe_lease_s=lease)
                if not state.admitted(member, admission):
                    break
                started = time.monotonic()
                try:
                    result = await start(member, attempt)
                except Exception as error:
                    failure, decision = state.on_failure(member, error, started, attempt)
                    await self.cooldowns.arecord_failure(member.key, failure)
                    if decision.raise_now:
                        raise
                    if decision.wait_s is None:
                        break
                    await asyncio.sleep(decision.wait_s)
                    continue
                except BaseException:
                    if admission.probe:
                        await self.cooldowns.arelease_probe(member.key)
                    raise
                await self.cooldowns.arecord_success(member.key)
                return member, started, result
        raise state.all_failed()

    # --- invoke ---------------------------------------------------------------------------

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        self._check_input(messages)
        state = self._state(messages)

        def call(member: Member, attempt: int) -> BaseMessage:
            config = self._config(run_manager, member, state)
            options = state.call_kwargs(member, kwargs)
            return member.runnable.invoke(messages, config=config, stop=stop, **options)

        member, started, message = self._first_answer(state, call)
        answer = self.answer_copy(message, fallback=state.on_success(member, started))
        return ChatResult(generations=[ChatGeneration(message=answer)])

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        self._check_input(messages)
        state = self._state(messages)

        async def call(member: Member, attempt: int) -> BaseMessage:
            config = self._config(run_manager, member, state)
            options = state.call_kwargs(member, kwargs)
            answer = member.runnable.ainvoke(messages, config=config, stop=stop, **options)
            if member.takes_timeout:
                # The SDK enforces the `timeout` it was given (a typed error): no backstop
                # task is needed, and each one costs a task per call under load.
                return await answer
            return await asyncio.wait_for(answer, _backstop(state.attempt_timeout_s()))

        member, started, message = await self._afirst_answer(state, call)
        answer = self.answer_copy(message, fallback=state.on_success(member, started))
        return ChatResult(generations=[ChatGeneration(message=answer)])

    # --- stream ---------------------------------------------------------------------------

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        self._check_input(messages)
        state = self._state(messages)

        def start(member: Member, attempt: int) -> tuple[Iterator[BaseMessage], Head]:
            config = self._config(run_manager, member, state)
            options = state.call_kwargs(member, kwargs, first_chunk=True)
            stream = iter(member.runnable.stream(messages, config=config, stop=stop, **options))
            try:
                return stream, until_content(stream)
            except BaseException:
                close_stream(stream)
                raise

        member, started, (stream, head) = self._first_answer(state, start)
        relay = StreamRelay(state, member, started)
        try:
            yield from relay.chunks(head)
            for chunk in stream:
                yield from relay.chunks([as_chunk(chunk)])
            yield from relay.finish()
        except Exception as error:
            self.cooldowns.record_failure(member.key, classify_error(error))
            raise relay.interrupted(error) from error
        finally:
            close_stream(stream)

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        self._check_input(messages)
        state = self._state(messages)

        async def start(member: Member, attempt: int) -> tuple[AsyncIterator[BaseMessage], Head]:
            config = self._config(run_manager, member, state)
            options = state.call_kwargs(member, kwargs, first_chunk=True)
            stream = member.runnable.astream(messages, config=config, stop=stop, **options)
            try:
                head = await asyncio.wait_for(
                    auntil_content(stream), _backstop(state.attempt_timeout_s(first_chunk=True))
                )
            except BaseException:
                await aclose_stream(stream)
                raise
            return stream, head

        member, started, (stream, head) = await self._afirst_answer(state, start)
        relay = StreamRelay(state, member, started)
        try:
            for chunk in relay.chunks(head):
                yield chunk
            async for message_chunk in stream:
                for chunk in relay.chunks([as_chunk(message_chunk)]):
                    yield chunk
            for chunk in relay.finish():
                yield chunk
        except Exception as error:
            await self.cooldowns.arecord_failure(member.key, classify_error(error))
            raise relay.interrupted(error) from error
        finally:
            await aclose_stream(stream)

    @field_validator("timeout_s", "attempt_timeout_s", "first_chunk_timeout_s", mode="before")
    @classmethod
    def _timeouts_are_seconds(cls, value: object, info: ValidationInfo) -> float | None:
        # SettingError is not a ValueError, so pydantic raises it as it is.
        name = info.field_name or "timeout"
        return optional_seconds("FallbackChatModel", name, value, error=SettingError)


def _backstop(timeout_s: float | None) -> float | None:
    # The SDK's own timeout should fire first (its error is typed); this catches members
    # that have none. The grace keeps the two from racing.
    return None if timeout_s is None else timeout_s + 0.5
