"""Offline token estimates: no tokenizer download, any model name.

langchain-openai counts tokens with tiktoken, which downloads its encodings at run time
and refuses model names it does not know. The package needs counts for context-window
checks and cost estimates before a call, where ~10% accuracy is plenty, so it splits
text into word pieces of at most six characters plus punctuation, which tracks BPE
counts of English prose and code closely enough, with no files and no network.

Example:
    >>> estimate_tokens("The quick brown fox jumps over the lazy dog.")
    10
"""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Iterable, Sequence
from typing import Any

from langchain_core.messages import BaseMessage

__all__ = ["estimate_message_tokens", "estimate_tokens", "pseudo_token_ids"]

_PIECE = re.compile(r"\w{1,6}|[^\w\s]", re.UNICODE)
# OpenAI's chat format adds about three tokens per message and three to prime the reply.
_PER_MESSAGE = 3
_PER_REPLY = 3


def pseudo_token_ids(text: str) -> list[int]:
    """Stable pseudo token ids, one per estimated token (crc32 of each piece)."""
    return [zlib.crc32(piece.encode()) for piece in _PIECE.findall(text)]


def estimate_tokens(text: str) -> int:
    """Estimated token count of `text`."""
    return sum(1 for _ in _PIECE.finditer(text))


def _content_text(content: str | list[str | dict[str, Any]]) -> tuple[str, int]:
    if isinstance(content, str):
        return content, 0
    parts: list[str] = []
    images = 0
    for block in content:
        if isinstance(block, str):
            parts.append(block)
        elif block.get("type") in {"text", "input_text", "output_text"}:
            parts.append(str(block.get("text", "")))
        elif block.get("type") in {"image_url", "image", "input_image"}:
            images += 1
        else:
            parts.append(json.dumps(block, default=str))
    return "\n".join(parts), images


# A detail-"auto" image costs 85-765 tokens on GPT-4o; count the middle of that range.
_IMAGE_TOKENS = 425


def estimate_message_tokens(
    messages: Sequence[BaseMessage], tools: Iterable[Any] | None = None
) -> int:
    """Estimated prompt tokens of a chat request: messages, tool calls and tool schemas."""
    total = _PER_REPLY
    for message in messages:
        text, images = _content_text(message.content)
        total += _PER_MESSAGE + estimate_tokens(text) + images * _IMAGE_TOKENS
        if message.name:
            total += 1 + estimate_tokens(message.name)
        for call in getattr(message, "tool_calls", None) or ():
            total += estimate_tokens(call["name"]) + estimate_tokens(json.dumps(call["args"]))
    for tool in tools or ():
        total += estimate_tokens(json.dumps(tool, default=str))
    return total
