"""Deterministic chat replies for the fake OpenAI server: text, tool calls, JSON, SSE chunks.

Everything here is a pure function of the request JSON (plus the server's configured reply
and reasoning text), so a test can predict every byte the server sends.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from langchain_globalapi.testing._tools import tool_arguments, tool_to_call, value_for_schema

__all__ = [
    "Reply",
    "ToolCallSource",
    "build_reply",
    "completion_body",
    "estimate_tokens",
    "prompt_tokens",
    "stream_chunks",
]

#: How much of the last user message the default reply echoes.
ECHO_CHARS = 200

ReplySource = str | Callable[[dict[str, Any]], str]
#: Scripted tool calls: `{"name": ..., "args": {...}}` items (`args` may be raw JSON text, even
#: malformed), or `callable(request_json)` returning such a list, or None to answer as usual.
ToolCallSource = (
    Sequence[Mapping[str, Any]] | Callable[[dict[str, Any]], Sequence[Mapping[str, Any]] | None]
)


@dataclass
class Reply:
    """What the assistant says, before it is shaped into a completion or chunks."""

    content: str | None
    finish_reason: str
    prompt_tokens: int
    reasoning: str | None = None
    tool_calls: list[dict[str, Any]] = field(default_factory=list)

    @property
    def completion_tokens(self) -> int:
        """Tokens of content, arguments and reasoning: what the model produced."""
        produced = (self.content or "") + "".join(
            call["function"]["arguments"] for call in self.tool_calls
        )
        return estimate_tokens(produced) + self.reasoning_tokens

    @property
    def reasoning_tokens(self) -> int:
        """Tokens of reasoning, reported separately as OpenAI does."""
        return estimate_tokens(self.reasoning or "")

    def usage(self) -> dict[str, Any]:
        """The OpenAI `usage` object."""
        completion = self.completion_tokens
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": completion,
            "total_tokens": self.prompt_tokens + completion,
            "prompt_tokens_details": {"cached_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": self.reasoning_tokens},
        }


def estimate_tokens(text: str) -> int:
    """About four characters per token, rounded up (0 for empty text)."""
    return (len(text) + 3) // 4


def message_text(content: Any) -> str:
    """The text of a message's `content`, whether a string or a list of parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [part.get("text", "") for part in content if isinstance(part, dict)]
        return "".join(part for part in parts if isinstance(part, str))
    return ""


def prompt_tokens(messages: list[dict[str, Any]]) -> int:
    """Estimated prompt tokens: all message contents, about four characters each, at least 1."""
    chars = sum(len(message_text(message.get("content"))) for message in messages)
    return max(1, (chars + 3) // 4)


def _last_user_text(messages: list[dict[str, Any]]) -> str:
    for message in reversed(messages):
        if message.get("role") == "user":
            return message_text(message.get("content"))
    return ""


def _cut(text: str, request: dict[str, Any]) -> tuple[str, str]:
    """Apply `stop` sequences, then `max_tokens`; return the text and its finish reason."""
    stops = request.get("stop")
    stops = [stops] if isinstance(stops, str) else [s for s in stops or [] if isinstance(s, str)]
    cuts = [text.find(stop) for stop in stops if stop and stop in text]
    if cuts:
        text = text[: min(cuts)]
    limit = request.get("max_completion_tokens") or request.get("max_tokens")
    if isinstance(limit, int) and estimate_tokens(text) > limit:
        return text[: max(limit, 0) * 4], "length"
    return text, "stop"


def _json_reply(response_format: Any, echo: str) -> str | None:
    if not isinstance(response_format, dict):
        return None
    if response_format.get("type") == "json_object":
        return json.dumps({"answer": echo})
    if response_format.get("type") == "json_schema":
        schema = (response_format.get("json_schema") or {}).get("schema") or {}
        return json.dumps(value_for_schema(schema))
    return None


def _text_reply(request: dict[str, Any], model: str, custom: ReplySource | None) -> str:
    messages = request.get("messages") or []
    echo = _last_user_text(messages)[:ECHO_CHARS]
    if custom is not None:
        return custom(request) if callable(custom) else custom
    json_text = _json_reply(request.get("response_format"), echo)
    if json_text is not None:
        return json_text
    tool_results: list[str] = []
    for message in reversed(messages):
        if message.get("role") != "tool":
            break
        tool_results.insert(0, message_text(message.get("content")))
    if tool_results:
        return f"[{model}] Tool result: {'; '.join(tool_results)}"
    return f"[{model}] {echo}" if echo else f"[{model}] ok"


def _scripted_calls(
    request: dict[str, Any], scripted: ToolCallSource | None, next_call_id: Callable[[], str]
) -> list[dict[str, Any]]:
    calls = scripted(request) if callable(scripted) else scripted
    wire = []
    for call in calls or ():
        args = call.get("args", {})
        arguments = args if isinstance(args, str) else json.dumps(args, ensure_ascii=False)
        function = {"name": str(call.get("name", "")), "arguments": arguments}
        wire.append({"id": next_call_id(), "type": "function", "function": function})
    return wire


def build_reply(
    request: dict[str, Any],
    *,
    custom: ReplySource | None,
    reasoning: str | None,
    next_call_id: Callable[[], str],
    tool_calls: ToolCallSource | None = None,
) -> Reply:
    """Decide the whole answer to a chat completion request.

    Args:
        request: The request JSON.
        custom: The text (or `callable(request) -> str`) set with `set_reply`, if any.
        reasoning: Reasoning text to include DeepSeek-style, or None.
        next_call_id: Returns a fresh tool call id.
        tool_calls: The calls set with `set_tool_calls`, if any: they are the answer
            whenever they (or the callable's result) are not empty.

    Returns:
        The reply.
    """
    model = str(request.get("model"))
    messages = request.get("messages") or []
    tokens_in = prompt_tokens(messages)
    scripted = _scripted_calls(request, tool_calls, next_call_id)
    if scripted:
        return Reply(None, "tool_calls", tokens_in, reasoning, scripted)
    last = messages[-1] if messages and isinstance(messages[-1], dict) else {}
    last_user_text = message_text(last.get("content")) if last.get("role") == "user" else None
    function = tool_to_call(request, last_user_text)
    if function is not None:
        arguments = tool_arguments(function, last_user_text or "")
        call = {
            "id": next_call_id(),
            "type": "function",
            # Unescaped like real models, so non-ASCII arguments stream as readable text.
            "function": {
                "name": function.get("name", ""),
                "arguments": json.dumps(arguments, ensure_ascii=False),
            },
        }
        return Reply(None, "tool_calls", tokens_in, reasoning, [call])
    text, finish_reason = _cut(_text_reply(request, model, custom), request)
    return Reply(text, finish_reason, tokens_in, reasoning)


def _message(reply: Reply) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": reply.content, "refusal": None}
    if reply.reasoning is not None:
        message["reasoning_content"] = reply.reasoning
    if reply.tool_calls:
        message["tool_calls"] = reply.tool_calls
    return message


def completion_body(reply: Reply, model: str, completion_id: str, created: int) -> dict[str, Any]:
    """The non-streaming `chat.completion` object."""
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": _message(reply),
                "finish_reason": reply.finish_reason,
                "logprobs": None,
            }
        ],
        "usage": reply.usage(),
        "system_fingerprint": "fake-openai-server",
    }


def split_words(text: str) -> list[str]:
    """Split into word-sized pieces that join back to exactly `text`."""
    return re.findall(r"\s*\S+\s*", text) or [text]


def _split_in(text: str, parts: int) -> list[str]:
    size = max(1, -(-len(text) // parts))
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def _deltas(reply: Reply) -> list[dict[str, Any]]:
    deltas: list[dict[str, Any]] = []
    if reply.reasoning:
        deltas += [{"content": None, "reasoning_content": p} for p in split_words(reply.reasoning)]
    for index, call in enumerate(reply.tool_calls):
        head = {**call, "index": index, "function": {**call["function"], "arguments": ""}}
        deltas.append({"content": None, "tool_calls": [head]})
        deltas += [
            {"tool_calls": [{"index": index, "function": {"arguments": fragment}}]}
            for fragment in _split_in(call["function"]["arguments"], 3)
        ]
    if reply.content is not None:
        deltas += [{"content": piece} for piece in split_words(reply.content)]
    # OpenAI's first chunk carries the role; merging it into the first piece keeps the
    # chunk count equal to the content count, which `drop_after_chunks(n)` relies on.
    deltas = deltas or [{"content": ""}]
    deltas[0] = {"role": "assistant", **deltas[0]}
    return deltas


def stream_chunks(
    reply: Reply, model: str, completion_id: str, created: int, *, include_usage: bool
) -> list[dict[str, Any]]:
    """The `chat.completion.chunk` objects of a streamed reply, in order (without `[DONE]`)."""

    def chunk(choices: list[dict[str, Any]]) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "system_fingerprint": "fake-openai-server",
            "choices": choices,
        }
        if include_usage:
            body["usage"] = None
        return body

    chunks = [
        chunk([{"index": 0, "delta": delta, "finish_reason": None, "logprobs": None}])
        for delta in _deltas(reply)
    ]
    chunks.append(
        chunk([{"index": 0, "delta": {}, "finish_reason": reply.finish_reason, "logprobs": None}])
    )
    if include_usage:
        chunks.append({**chunk([]), "usage": reply.usage()})
    return chunks
