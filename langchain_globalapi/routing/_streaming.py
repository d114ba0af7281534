"""Router plumbing: routing keys lifted from `configurable`, and usage seen in a stream.

langchain-core passes a chat model's `metadata` to its run but not `configurable`, so hints
in `configurable` would be lost without `lift_hints`. (The stream's parent run comes from
the shared `ParentedStreamMixin` in `langchain_globalapi._runs`.)
"""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.messages.ai import UsageMetadata, add_usage
from langchain_core.runnables import RunnableConfig, ensure_config

from langchain_globalapi.routing._route import HINT_KEY, THREAD_KEY

__all__ = ["StreamUsage", "lift_hints"]


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


class StreamUsage:
    """What a stream delivered: usage and model name (for budgets), text (for a tripwire)."""

    def __init__(self, *, keep_text: bool = False) -> None:
        self.usage: UsageMetadata | None = None
        self.model_name: str | None = None
        self.list_content = False
        self._texts: list[str] | None = [] if keep_text else None

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
        self.list_content = not isinstance(message.content, str)
        if self._texts is not None:
            self._texts.append(message.text)
        if message.chunk_position == "last":
            # The router adds its own last chunk (with the routing metadata) after this one.
            message = message.model_copy(update={"chunk_position": None})
        return message

    def message(self, *, text: bool = False, routing: dict[str, Any] | None = None) -> AIMessage:
        """The streamed answer as one message: usage and model, the text if asked and kept."""
        metadata: dict[str, Any] = {"model_name": self.model_name} if self.model_name else {}
        if routing is not None:
            metadata["routing"] = routing
        return AIMessage(
            content="".join(self._texts or ()) if text else "",
            usage_metadata=self.usage,
            response_metadata=metadata,
        )
