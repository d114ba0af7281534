"""Child-run configs for chat models that answer by calling other chat models.

The router, the cache wrapper and the fallback wrapper are chat models that call chat
models. Two gaps in langchain-core make that hard to trace and bill correctly:

- LLM run managers have no `get_child()`, so an inner call would start a new trace.
- `BaseChatModel.stream()`/`astream()` do not hand their run manager to `_stream()`, so in
  a stream the wrapper does not even know its own run.

A third gap: a chat model's run sees the caller's `metadata` but not its `configurable`,
so a routing hint given to an outer wrapper (`{"configurable": {"complexity": "high"}}`)
would never reach a router inside it.

`child_config` closes the first gap. `WrapperRunMixin` closes the other two: it copies
the routing keys of `configurable` into `metadata` (inheritable, so every nested model's
run sees them), and under `stream()` it fixes the wrapper's run id up front and publishes
it, with the caller's config, in a context variable while the first chunk is pulled,
which is when wrappers start their inner call. With both, the inner call is a proper
child run: callbacks, LangSmith nesting and the cost tracker see one tree, nothing is
billed twice, and hints reach the router at any depth.

A wrapper's output is the inner model's answer again, so LangChain's own
`UsageMetadataCallbackHandler` (which counts every run whose message has `usage_metadata`
and `response_metadata["model_name"]`) would count it once per wrapper.
`as_wrapper_message` gives a wrapper a copy of the answer with `model_name` moved to
`model`: the answering model is still named, the tokens are counted once.

Example:
    >>> child_config(None, {"globalapi_tier": "flash"})["metadata"]
    {'globalapi_tier': 'flash'}
    >>> as_wrapper_metadata({"model_name": "deepseek-ai/DeepSeek-V4-Flash"})
    {'model': 'deepseek-ai/DeepSeek-V4-Flash'}
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator, Mapping
from contextvars import ContextVar
from typing import Any, TypeVar
from uuid import UUID, uuid4

from langchain_core.callbacks import (
    AsyncCallbackManager,
    AsyncCallbackManagerForLLMRun,
    CallbackManager,
    CallbackManagerForLLMRun,
)
from langchain_core.language_models import LanguageModelInput
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.runnables import RunnableConfig, ensure_config

__all__ = [
    "HINT_KEY",
    "THREAD_KEY",
    "WrapperRunMixin",
    "as_wrapper_message",
    "as_wrapper_metadata",
    "child_config",
    "lift_routing_keys",
    "model_id_of",
    "run_metadata",
]

HINT_KEY = "complexity"
"""`configurable`/metadata key of the per-call routing hint."""
THREAD_KEY = "thread_id"
"""`configurable`/metadata key of the conversation id (tier floors per thread)."""
TASK_KEY = "task"
"""`configurable`/metadata key of a request's task type (cascade, outcomes, tripwire)."""
_LIFTED = (HINT_KEY, THREAD_KEY, TASK_KEY)

NO_STREAM_TAG = "nostream"
"""LangGraph's tag for runs whose tokens its `stream_mode="messages"` must not emit: a
wrapper's inner calls carry it, so a graph streams each answer once (the wrapper's)."""

_M = TypeVar("_M", bound=BaseMessage)

_STREAM_PARENT: ContextVar[tuple[UUID, RunnableConfig] | None] = ContextVar(
    "globalapi_stream_parent", default=None
)


def _from_stream_parent(is_async: bool) -> AsyncCallbackManager | CallbackManager | None:
    parent = _STREAM_PARENT.get()
    if parent is None:
        return None
    run_id, config = parent
    manager_cls = AsyncCallbackManager if is_async else CallbackManager
    manager = manager_cls.configure(
        inheritable_callbacks=config.get("callbacks"),
        inheritable_tags=[*(config.get("tags") or []), NO_STREAM_TAG],
        inheritable_metadata=config.get("metadata"),
    )
    manager.parent_run_id = run_id
    return manager


def child_config(
    run_manager: CallbackManagerForLLMRun | AsyncCallbackManagerForLLMRun | None,
    metadata: dict[str, Any] | None = None,
    *,
    is_async: bool = False,
) -> RunnableConfig:
    """A config that makes an inner model call a child run of the wrapper's run.

    With no run manager (inside `_stream` under `stream()`), the parent comes from
    `WrapperRunMixin`; outside any run the config carries just the metadata.
    """
    config: RunnableConfig = {"metadata": dict(metadata or {})}
    if run_manager is None:
        manager = _from_stream_parent(is_async)
        if manager is not None:
            config["callbacks"] = manager
        return config
    manager_cls = (
        AsyncCallbackManager
        if isinstance(run_manager, AsyncCallbackManagerForLLMRun)
        else CallbackManager
    )
    child = manager_cls(handlers=[], parent_run_id=run_manager.run_id)
    child.set_handlers(run_manager.inheritable_handlers)
    child.add_tags([*run_manager.inheritable_tags, NO_STREAM_TAG])
    child.add_metadata(run_manager.inheritable_metadata)
    config["callbacks"] = child
    return config


def model_id_of(model: object) -> str | None:
    """The model id a chat model sends (`model_name`, `model` or `model_id`), if it has one.

    Example:
        >>> from langchain_globalapi import ChatGlobalAPI
        >>> model_id_of(ChatGlobalAPI(model="GA-Economy", api_key="k"))
        'GA-Economy'
    """
    for attribute in ("model_name", "model", "model_id"):
        value = getattr(model, attribute, None)
        if isinstance(value, str) and value:
            return value
    return None


def as_wrapper_metadata(metadata: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of an inner answer's response metadata for a wrapper's output.

    `model_name` moves to `model` (kept if already there): LangChain's usage handler counts
    a message only when it has a `model_name`, and the inner model's run already counted
    these tokens (a cache hit consumed none). Our cost tracker reads either key.
    """
    copied = dict(metadata)
    if "model_name" in copied:
        copied.setdefault("model", copied.pop("model_name"))
    return copied


def as_wrapper_message(message: _M, **metadata: Any) -> _M:
    """A copy of an inner model's message for a wrapper's output, with `metadata` added.

    A copy, not the object itself: the inner run already reported that object, and its
    trace must not change after the fact. The copy shares the message's other containers
    (content, usage, tool calls), which wrappers only read.
    """
    updated = {**as_wrapper_metadata(message.response_metadata), **metadata}
    return message.model_copy(update={"response_metadata": updated})


def run_metadata(
    run_manager: CallbackManagerForLLMRun | AsyncCallbackManagerForLLMRun | None,
) -> dict[str, Any]:
    """The metadata of the wrapper's own run (under `stream()`, from `WrapperRunMixin`)."""
    if run_manager is not None:
        return dict(run_manager.metadata)
    parent = _STREAM_PARENT.get()
    return dict(parent[1].get("metadata") or {}) if parent is not None else {}


def _with_run_id(config: RunnableConfig | None) -> tuple[UUID, RunnableConfig]:
    config = ensure_config(config)
    run_id = config.get("run_id") or uuid4()
    return run_id, {**config, "run_id": run_id}


def _reset(token: Any) -> None:
    # An async generator finalized in another context cannot reset its own token.
    with contextlib.suppress(ValueError):
        _STREAM_PARENT.reset(token)


def lift_routing_keys(config: RunnableConfig | None) -> RunnableConfig:
    """Copy the routing keys of `configurable` into `metadata`, where runs can see them."""
    config = ensure_config(config)
    configurable = config.get("configurable") or {}
    lifted = {key: configurable[key] for key in _LIFTED if key in configurable}
    if not lifted:
        return config
    return {**config, "metadata": {**(config.get("metadata") or {}), **lifted}}


class WrapperRunMixin:
    """Put first in a wrapper chat model's bases: hints pass down, streamed calls nest.

    The stream's context variable is set only while the first chunk is pulled, so it never
    leaks into the caller's code between chunks. `batch`/`abatch` go through
    `invoke`/`ainvoke`, so they are covered too.
    """

    def invoke(
        self, input: LanguageModelInput, config: RunnableConfig | None = None, **kwargs: Any
    ) -> AIMessage:
        """Invoke, with the routing keys of `configurable` visible to nested runs.

        This run is also published as the parent for the whole call: when a streaming
        callback (LangGraph's `stream_mode="messages"`, `astream_events`) makes LangChain
        stream inside `invoke`, it calls `_stream()` without a run manager too.
        """
        run_id, config = _with_run_id(lift_routing_keys(config))
        token = _STREAM_PARENT.set((run_id, config))
        try:
            return super().invoke(input, config, **kwargs)  # type: ignore[misc, no-any-return]
        finally:
            _reset(token)

    async def ainvoke(
        self, input: LanguageModelInput, config: RunnableConfig | None = None, **kwargs: Any
    ) -> AIMessage:
        """Async `invoke` (the parent is published in this task's context only)."""
        run_id, config = _with_run_id(lift_routing_keys(config))
        token = _STREAM_PARENT.set((run_id, config))
        try:
            return await super().ainvoke(input, config, **kwargs)  # type: ignore[misc, no-any-return]
        finally:
            _reset(token)

    def stream(
        self, input: LanguageModelInput, config: RunnableConfig | None = None, **kwargs: Any
    ) -> Iterator[AIMessageChunk]:
        """Stream, with this run published as the parent of the inner call."""
        run_id, config = _with_run_id(lift_routing_keys(config))
        token = _STREAM_PARENT.set((run_id, config))
        try:
            iterator = super().stream(input, config, **kwargs)  # type: ignore[misc]
            first = next(iterator, None)
        finally:
            _reset(token)
        try:
            if first is None:
                return
            yield first
            yield from iterator
        finally:
            # A consumer that stops early ends the inner call now, not at garbage collection.
            iterator.close()

    async def astream(
        self, input: LanguageModelInput, config: RunnableConfig | None = None, **kwargs: Any
    ) -> AsyncIterator[AIMessageChunk]:
        """Async `stream`, with this run published as the parent of the inner call."""
        run_id, config = _with_run_id(lift_routing_keys(config))
        token = _STREAM_PARENT.set((run_id, config))
        try:
            iterator = super().astream(input, config, **kwargs)  # type: ignore[misc]
            first = await anext(iterator, None)
        finally:
            _reset(token)
        try:
            if first is None:
                return
            yield first
            async for chunk in iterator:
                yield chunk
        finally:
            await iterator.aclose()
