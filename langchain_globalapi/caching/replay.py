"""Replaying a cached answer as a stream: several chunks that add back up to the message.

Text is cut at word boundaries into a few chunks; tool calls travel as tool-call chunks;
the last chunk has `chunk_position="last"` and carries the usage and response metadata,
so `sum(chunks)` equals the cached message and stream consumers see a normal stream.

Example:
    >>> from langchain_core.messages import AIMessage
    >>> chunks = replay_chunks(AIMessage("one two three four five six seven"))
    >>> len(chunks) > 2, chunks[-1].chunk_position
    (True, 'last')
    >>> "".join(chunk.text for chunk in chunks)
    'one two three four five six seven'
"""

from __future__ import annotations

import json
import re

from langchain_core.messages import AIMessage, AIMessageChunk
from langchain_core.messages.tool import ToolCallChunk, tool_call_chunk

__all__ = ["replay_chunks"]

_WORDS_PER_CHUNK = 3
_WORD = re.compile(r"\s*\S+\s*")


def _text_pieces(text: str) -> list[str]:
    words = _WORD.findall(text)
    if "".join(words) != text:  # only whitespace, or something the regex would lose
        return [text] if text else []
    return [
        "".join(words[start : start + _WORDS_PER_CHUNK])
        for start in range(0, len(words), _WORDS_PER_CHUNK)
    ]


def replay_chunks(message: AIMessage) -> list[AIMessageChunk]:
    """The chunks a stream of `message` would have produced (at least two)."""
    chunks: list[AIMessageChunk] = []
    if isinstance(message.content, str):
        pieces = _text_pieces(message.content)
        chunks.extend(AIMessageChunk(content=piece) for piece in pieces)
    elif message.content:
        # Content blocks (multimodal, reasoning) are replayed whole: splitting them is lossy.
        chunks.append(AIMessageChunk(content=message.content))
    tool_chunks: list[ToolCallChunk] = [
        tool_call_chunk(
            name=call["name"], args=json.dumps(call["args"]), id=call.get("id"), index=index
        )
        for index, call in enumerate(message.tool_calls)
    ]
    offset = len(tool_chunks)
    tool_chunks.extend(
        tool_call_chunk(
            name=call.get("name"), args=call.get("args"), id=call.get("id"), index=offset + index
        )
        for index, call in enumerate(message.invalid_tool_calls)
    )
    if tool_chunks:
        chunks.append(AIMessageChunk(content="", tool_call_chunks=tool_chunks))
    if not chunks:
        chunks.append(AIMessageChunk(content=""))
    if message.additional_kwargs:
        chunks[0].additional_kwargs = dict(message.additional_kwargs)
    chunks.append(
        AIMessageChunk(
            content="",
            usage_metadata=message.usage_metadata,
            response_metadata=dict(message.response_metadata),
            chunk_position="last",
        )
    )
    return chunks
