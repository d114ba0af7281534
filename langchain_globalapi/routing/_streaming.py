"""Run plumbing for the router: routing keys from `configurable`, the stream's parent run, usage.

langchain-core passes a chat model's `metadata` to its run but not `configurable`, and its
`stream()`/`astream()` do not hand their run manager to `_stream()`. Without help, a streamed
tier call would be a detached run (no callbacks, no cost tracking, no LangSmith nesting) and
hints in `configurable` would be lost. These helpers close both gaps.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any
from uuid import UUID, uuid4

from langchain_core.callbacks import AsyncCallbackManager, CallbackManager
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.messages.ai import UsageMetadata, add_usage
from langchain_core.runnables import RunnableConfig, ensure_config

from langchain_globalapi.routing._route import HINT_KEY, THREAD_KEY

__all__ = [
    "STREAM_PARENT",
    "StreamUsage",
    "lift_hints",
    "stream_child_config",
    "with_run_id",
]


def lift_hints(config: RunnableConfig | None) -> RunnableConfig:
    """Copy the routing keys of `configurable` into `metadata`, where the run manager sees them.

    langchain-core passes only `metadata` (not `configurable`) to a chat model's run; lifting the
    keys also shows the hint and thread on the run in LangSmith.
    """
    config = ensure_config(config)
    configurable = config.get("configurable") or {}
    lifted = {key: configurable[key] for key in (HINT_KEY, THREAD_KEY) if key in configurable}
    if not lifted:
        return config
    return {**config, "metadata": {**(config.get("metadata") or {}), **lifted}}


STREAM_PARENT: ContextVar[tuple[UUID, RunnableConfig] | None] = ContextVar(
    "globalapi_router_stream_parent", default=None
)


def with_run_id(config: RunnableConfig) -> tuple[UUID, RunnableConfig]:
    """Fix the router run's id up front, so the tier's stream can name it as its parent."""
    run_id = config.get("run_id") or uuid4()
    return run_id, {**config, "run_id": run_id}


def stream_child_config(metadata: dict[str, Any], *, is_async: bool) -> RunnableConfig:
    """A child-run config for the tier's stream, from the config the router's stream saw."""
    parent = STREAM_PARENT.get()
    if parent is None:
        return {"metadata": metadata}
    run_id, config = parent
    manager_cls = AsyncCallbackManager if is_async else CallbackManager
    manager = manager_cls.configure(
        inheritable_callbacks=config.get("callbacks"),
        inheritable_tags=config.get("tags"),
        inheritable_metadata=config.get("metadata"),
    )
    manager.parent_run_id = run_id
    return {"callbacks": manager, "metadata": metadata}


class StreamUsage:
    """Usage and model name seen in a stream, for budget accounting without merging chunks."""

    def __init__(self) -> None:
        self.usage: UsageMetadata | None = None
        self.model_name: str | None = None

    def see(self, chunk: BaseMessage) -> AIMessageChunk:
        message = (
            chunk if isinstance(chunk, AIMessageChunk) else AIMessageChunk(content=chunk.content)
        )
        if message.usage_metadata:
            self.usage = (
                message.usage_metadata
                if self.usage is None
                else add_usage(self.usage, message.usage_metadata)
            )
        self.model_name = message.response_metadata.get("model_name") or self.model_name
        if message.chunk_position == "last":
            # The router adds its own last chunk (with the routing metadata) after this one.
            message = message.model_copy(update={"chunk_position": None})
        return message

    def message(self) -> AIMessage:
        return AIMessage(
            content="",
            usage_metadata=self.usage,
            response_metadata={"model_name": self.model_name} if self.model_name else {},
        )
