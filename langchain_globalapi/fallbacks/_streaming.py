"""Relay a fallback member's stream: wait for its first content, hand chunks over, price it.

`until_content` / `auntil_content` pull a stream's head (chunks up to the first with content)
so the chain can still fall back on an early failure; `StreamRelay` then delivers the chunks,
counts what was sent for `MidStreamError`, and stamps `cost` when the member did not.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence

from langchain_core.messages import AIMessageChunk, BaseMessage, BaseMessageChunk
from langchain_core.messages.ai import UsageMetadata, add_usage
from langchain_core.outputs import ChatGenerationChunk

from langchain_globalapi._pricing import price_usage
from langchain_globalapi._runs import as_wrapper_message
from langchain_globalapi.errors import MidStreamError
from langchain_globalapi.fallbacks._call import CallState
from langchain_globalapi.fallbacks._classify import EmptyResponseError
from langchain_globalapi.fallbacks._members import Member

__all__ = [
    "Head",
    "StreamRelay",
    "as_chunk",
    "auntil_content",
    "until_content",
]

Head = list[BaseMessageChunk]


class StreamRelay:
    """Hands a member's chunks to the caller, counting what was delivered.

    It also prices the stream when the member did not (only ChatGlobalAPI stamps `cost`
    on its chunks): a chunk carrying usage is held back until the next one arrives, so the
    last one can carry the `cost` of the whole answer; usually that is the final,
    empty usage chunk, so no text waits.
    """

    def __init__(self, state: CallState, member: Member, started: float) -> None:
        self.state, self.member, self.started = state, member, started
        self.delivered: list[str] = []
        self.count = 0
        self.priced = False  # the member stamped a cost itself
        self.usage: UsageMetadata | None = None
        self.model_name: str | None = None
        self.held: BaseMessageChunk | None = None

    def chunks(self, messages: Sequence[BaseMessageChunk]) -> Iterator[ChatGenerationChunk]:
        for received in messages:
            self._observe(received)
            # Copies named by `model`, not `model_name`: LangChain builds the chain's run
            # output from these chunks, and the member's run already counted its tokens.
            if self.count == 0:
                # The first chunk carries the fallback story; merging keeps it.
                fallback = self.state.on_success(self.member, self.started)
                message = as_wrapper_message(received, fallback=fallback)
            else:
                message = as_wrapper_message(received)
            self.count += 1
            self.delivered.append(message.text)
            if self.held is not None:
                yield ChatGenerationChunk(message=self.held)
                self.held = None
            if getattr(message, "usage_metadata", None) and not self.priced:
                self.held = message
            else:
                yield ChatGenerationChunk(message=message)

    def _observe(self, message: BaseMessageChunk) -> None:
        metadata = message.response_metadata
        self.priced = self.priced or "cost" in metadata
        self.model_name = self.model_name or metadata.get("model_name") or metadata.get("model")
        usage = getattr(message, "usage_metadata", None)
        if usage:
            self.usage = add_usage(self.usage, usage)

    def finish(self) -> Iterator[ChatGenerationChunk]:
        """The held-back chunk (or an empty one) with the answer's `cost`, when it is due."""
        last = self.held or AIMessageChunk(content="")
        self.held = None
        if not self.priced and self.usage is not None:
            model = self.model_name or self.member.model
            call = price_usage(self.usage, model, self.state.settings.catalog)
            metadata = {**last.response_metadata, "cost": call.as_metadata()}
            last = last.model_copy(update={"response_metadata": metadata})
        if last.content or last.response_metadata or getattr(last, "usage_metadata", None):
            yield ChatGenerationChunk(message=last)

    def interrupted(self, error: BaseException) -> MidStreamError:
        text = "".join(self.delivered)
        msg = (
            f"{self.member.model} failed after streaming {len(text)} characters in "
            f"{self.count} chunks ({type(error).__name__}: {error}); not restarted on another "
            "model, which would repeat the text. `delivered_text` holds what was sent."
        )
        return MidStreamError(
            msg, model=self.member.model, delivered_text=text, chunks_delivered=self.count
        )


def as_chunk(message: BaseMessage) -> BaseMessageChunk:
    # Chat models stream chunks; anything else (a whole message) is wrapped as one chunk.
    if isinstance(message, BaseMessageChunk):
        return message
    return AIMessageChunk(
        content=message.content,
        response_metadata=dict(message.response_metadata),
        id=message.id,
        usage_metadata=getattr(message, "usage_metadata", None),
    )


def _has_content(chunk: BaseMessageChunk) -> bool:
    if chunk.content:
        return True
    return isinstance(chunk, AIMessageChunk) and bool(chunk.tool_call_chunks)


def until_content(stream: Iterator[BaseMessage]) -> list[BaseMessageChunk]:
    """Pull chunks until one carries content (or the stream ends); empty is a failure."""
    head: list[BaseMessageChunk] = []
    for chunk in stream:
        head.append(as_chunk(chunk))
        if _has_content(head[-1]):
            return head
    if not head:
        msg = "the model's stream ended without a single chunk"
        raise EmptyResponseError(msg)
    return head


async def auntil_content(stream: AsyncIterator[BaseMessage]) -> list[BaseMessageChunk]:
    head: list[BaseMessageChunk] = []
    async for chunk in stream:
        head.append(as_chunk(chunk))
        if _has_content(head[-1]):
            return head
    if not head:
        msg = "the model's stream ended without a single chunk"
        raise EmptyResponseError(msg)
    return head
