"""What the router needs from a tier's stream: usage and model name (budgets), text (tripwire)."""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.messages.ai import UsageMetadata, add_usage

from langchain_globalapi._runs import as_wrapper_message

__all__ = ["StreamUsage"]


class StreamUsage:
    """What a stream delivered: usage and model name (for budgets), text (for a tripwire).

    `see` returns a copy of each chunk for the router to yield, the model named by `model`.
    """

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
        metadata = message.response_metadata
        # A wrapped tier (fallback chain, cache) names its model `model`, a plain one `model_name`.
        self.model_name = metadata.get("model_name") or metadata.get("model") or self.model_name
        self.list_content = not isinstance(message.content, str)
        if self._texts is not None:
            self._texts.append(message.text)
        # A copy without `model_name`: LangChain builds the router's run output from these
        # chunks, and a `model_name` there would count the tier's tokens a second time.
        copy = as_wrapper_message(message)
        if message.chunk_position == "last":
            # The router adds its own last chunk (with the routing metadata) after this one.
            copy.chunk_position = None
        return copy

    def message(self, *, text: bool = False, routing: dict[str, Any] | None = None) -> AIMessage:
        """The streamed answer as one message: usage and model, the text if asked and kept."""
        metadata: dict[str, Any] = {"model": self.model_name} if self.model_name else {}
        if routing is not None:
            metadata["routing"] = routing
        return AIMessage(
            content="".join(self._texts or ()) if text else "",
            usage_metadata=self.usage,
            response_metadata=metadata,
        )
