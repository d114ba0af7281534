"""The OpenAI API surface of the fake server: routing, chat, embeddings, fault playback.

`OpenAIEndpoints` holds the server's state and answers requests from the HTTP threads;
`FakeOpenAIServer` (in `server.py`) adds the lifecycle and the configuration methods.
"""

from __future__ import annotations

import itertools
import json
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass, replace
from typing import Any, TypeGuard
from urllib.parse import unquote

from langchain_globalapi.testing._embeddings import embed, embedding_input_texts, encode_vector
from langchain_globalapi.testing._faults import ANY_MODEL, Fault, FaultPlan
from langchain_globalapi.testing._http import Handler, error_body
from langchain_globalapi.testing._malformed import play_malformed
from langchain_globalapi.testing._replies import (
    Reply,
    ReplySource,
    build_reply,
    completion_body,
    prompt_tokens,
    stream_chunks,
)

__all__ = ["DEFAULT_MODELS", "DEFAULT_REASONING", "OpenAIEndpoints", "RecordedRequest"]

#: Models `/v1/models` always lists (the gateway's usual suspects plus an embedding model).
DEFAULT_MODELS: tuple[str, ...] = (
    "deepseek-ai/DeepSeek-V4-Flash",
    "deepseek-ai/DeepSeek-V4-Pro",
    "GA-Economy",
    "gpt-4o",
    "gpt-4o-mini",
    "Qwen/Qwen3-32B",
    "THUDM/GLM-4-Plus",
    "deepseek-ai/DeepSeek-R1",
    "text-embedding-3-small",
)

#: Reasoning text of models named like reasoners ("reasoner", "R1") without `set_reasoning`.
DEFAULT_REASONING = "Let me think about this step by step before answering."


@dataclass(frozen=True)
class RecordedRequest:
    """One request the server received, as tests inspect it.

    Attributes:
        path: URL path, e.g. `/v1/chat/completions`.
        method: `GET` or `POST`.
        model: The requested model, None for requests without one.
        json: The parsed JSON body (`{}` when there is none).
        headers: Request headers, lower-cased, without `authorization` or `api-key`.
        timestamp: `time.time()` at arrival.
        fault: The `Fault.kind` the request met, or None.
    """

    path: str
    method: str
    model: str | None
    json: dict[str, Any]
    headers: dict[str, str]
    timestamp: float
    fault: str | None = None


class OpenAIEndpoints:
    """State and request handling behind `FakeOpenAIServer` (called from handler threads)."""

    def __init__(
        self, *, embedding_dim: int, reject_unknown_models: bool, api_key: str | None
    ) -> None:
        self.api_key = api_key
        self._initial = (embedding_dim, reject_unknown_models)
        self.embedding_dim = embedding_dim
        self.reject_unknown_models = reject_unknown_models
        self._lock = threading.Lock()
        self._faults = FaultPlan()
        self._replies: dict[str, ReplySource] = {}
        self._reasoning: dict[str, str] = {}
        self._context_windows: dict[str, int] = {}
        self._extra_models: dict[str, None] = {}
        self._requests: list[RecordedRequest] = []
        self._calls: Counter[str] = Counter()
        self._tool_call_ids = itertools.count(1)
        self._completion_ids = itertools.count(1)
        self._request_ids = itertools.count(1)
        self._connections: set[socket.socket] = set()
        self._stopping = threading.Event()

    @property
    def models(self) -> list[str]:
        """What `/v1/models` lists: `DEFAULT_MODELS` plus every configured model."""
        with self._lock:
            configured = [*self._replies, *self._reasoning, *self._context_windows]
            configured += list(self._extra_models)
        configured += self._faults.models()
        names = dict.fromkeys([*DEFAULT_MODELS, *configured])
        names.pop(ANY_MODEL, None)
        return list(names)

    def _track_connection(self, connection: socket.socket, *, open_: bool) -> None:
        with self._lock:
            if open_:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    def _next_request_id(self) -> int:
        return next(self._request_ids)

    def _record(self, handler: Handler, method: str, path: str, body: dict[str, Any]) -> int:
        model = body.get("model")
        headers = {
            name.lower(): value
            for name, value in handler.headers.items()
            if name.lower() not in ("authorization", "api-key")
        }
        record = RecordedRequest(
            path, method, model if isinstance(model, str) else None, body, headers, time.time()
        )
        with self._lock:
            self._requests.append(record)
            return len(self._requests) - 1

    def _mark_fault(self, index: int, fault: Fault | None) -> None:
        if fault is not None:
            with self._lock:
                if index < len(self._requests):  # a concurrent reset() may have cleared it
                    self._requests[index] = replace(self._requests[index], fault=fault.kind)

    def _handle_request(self, handler: Handler, method: str, path: str, raw_body: bytes) -> None:
        route = path.removeprefix("/v1")  # accept base URLs with and without /v1
        try:
            body = json.loads(raw_body) if raw_body else {}
        except ValueError:
            body = None
        index = self._record(handler, method, path, body if isinstance(body, dict) else {})
        if not isinstance(body, dict):
            message = "We could not parse the JSON body of your request."
            handler.send_json(400, error_body(message, "invalid_request_error"))
        elif self.api_key is not None and (
            handler.headers.get("authorization") != f"Bearer {self.api_key}"
        ):
            message = "Incorrect API key provided."
            handler.send_json(401, error_body(message, "invalid_request_error", "invalid_api_key"))
        elif method == "GET" and route == "/models":
            data = [_model_object(model) for model in self.models]
            handler.send_json(200, {"object": "list", "data": data})
        elif method == "GET" and route.startswith("/models/"):
            model = unquote(route.removeprefix("/models/"))
            if model in self.models:
                handler.send_json(200, _model_object(model))
            else:
                handler.send_json(404, _model_not_found(model))
        elif method == "POST" and route == "/chat/completions":
            self._chat(handler, body, index)
        elif method == "POST" and route == "/embeddings":
            self._embeddings(handler, body, index)
        else:
            message = f"Unknown request URL: {method} {path}."
            handler.send_json(404, error_body(message, "invalid_request_error", "unknown_url"))

    def _send_error_fault(self, handler: Handler, fault: Fault, prompt_tokens_: int) -> None:
        if fault.kind == "context_overflow":
            window = fault.context_window_tokens
            # Quote at least window + 1 tokens so the message never contradicts itself.
            used = max(prompt_tokens_, window + 1)
            # OpenAI's classic wording, plus its newer phrase: with openai>=3 the exception text
            # no longer includes the body's `code`, so langchain-openai recognises an overflow
            # only by phrases like "Input tokens exceed the configured limit".
            message = (
                f"This model's maximum context length is {window} tokens. However, your "
                f"messages resulted in {used} tokens. Input tokens exceed the configured limit "
                f"of {window} tokens; please reduce the length of the messages."
            )
            body = error_body(message, fault.error_type, fault.error_code, "messages")
        else:
            body = error_body(fault.message, fault.error_type, fault.error_code)
        handler.send_json(fault.status, body, fault.headers)

    def _answered_by_fault(
        self, handler: Handler, fault: Fault | None, prompt_tokens_: int, *, stream: bool
    ) -> bool:
        """Play the part of `fault` that comes before the reply; True if nothing more is sent."""
        if fault is None:
            return False
        if fault.is_http_error:
            self._send_error_fault(handler, fault, prompt_tokens_)
            return True
        if fault.kind == "drop_before_first_chunk":
            handler.drop()
            return True
        if fault.kind == "slow_first_byte" and not (stream and fault.after_headers):
            return self._sleep_or_hang_up(handler, fault.delay_s)
        return False

    def _sleep_or_hang_up(self, handler: Handler, delay_s: float) -> bool:
        # An Event wait instead of time.sleep: stop() wakes every slow handler at once.
        if self._stopping.wait(delay_s):
            handler.drop()
            return True
        return False

    def _reply_for(self, body: dict[str, Any], model: str) -> Reply:
        with self._lock:
            custom = self._replies.get(model, self._replies.get(ANY_MODEL))
            reasoning = self._reasoning.get(model)
        if reasoning is None and ("reasoner" in model.lower() or "R1" in model):
            reasoning = DEFAULT_REASONING
        return build_reply(
            body,
            custom=custom,
            reasoning=reasoning,
            next_call_id=lambda: f"call_{next(self._tool_call_ids)}",
        )

    def _chat(self, handler: Handler, body: dict[str, Any], index: int) -> None:
        model, messages = body.get("model"), body.get("messages")
        if not isinstance(model, str) or not model:
            message = "You must provide a model parameter."
            handler.send_json(400, error_body(message, "invalid_request_error", None, "model"))
            return
        if not isinstance(messages, list) or not messages:
            message = "'messages' must be a non-empty array of message objects."
            handler.send_json(400, error_body(message, "invalid_request_error", None, "messages"))
            return
        with self._lock:
            self._calls[model] += 1
            window = self._context_windows.get(model)
        if self.reject_unknown_models and model not in self.models:
            handler.send_json(404, _model_not_found(model))
            return
        fault = self._faults.next_fault(model)
        self._mark_fault(index, fault)
        tokens = prompt_tokens([m for m in messages if isinstance(m, dict)])
        stream = bool(body.get("stream"))
        if self._answered_by_fault(handler, fault, tokens, stream=stream):
            return
        if window is not None and tokens > window:
            self._send_error_fault(handler, Fault.context_overflow(window), tokens)
            return
        try:
            reply = self._reply_for(body, model)
        except Exception as error:  # a user's set_reply callable: report it, don't hang
            message = f"The set_reply callable for {model!r} raised {error!r}."
            handler.send_json(500, error_body(message, "server_error"))
            return
        completion_id, created = f"chatcmpl-{next(self._completion_ids)}", int(time.time())
        drop_after = fault.chunks_before_drop if _is(fault, "drop_after_chunks") else None
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        if fault is not None and fault.is_malformed_answer:
            play_malformed(
                handler,
                fault,
                stream=stream,
                completion=completion_body(reply, model, completion_id, created),
                chunks=stream_chunks(
                    reply, model, completion_id, created, include_usage=include_usage
                ),
                stopping=self._stopping,
            )
            return
        if not stream:
            completion = completion_body(reply, model, completion_id, created)
            if drop_after is not None:
                handler.send_partial_json(completion)
            else:
                handler.send_json(200, completion)
            return
        handler.start_sse()
        if (
            _is(fault, "slow_first_byte")
            and fault.after_headers
            and self._sleep_or_hang_up(handler, fault.delay_s)
        ):
            return
        chunks = stream_chunks(reply, model, completion_id, created, include_usage=include_usage)
        for sent, chunk in enumerate(chunks):
            if sent == drop_after:
                handler.drop()
                return
            handler.send_sse(json.dumps(chunk))
        if drop_after is not None:
            handler.drop()
            return
        handler.end_sse()

    def _embeddings(self, handler: Handler, body: dict[str, Any], index: int) -> None:
        model = str(body.get("model") or "text-embedding-3-small")
        texts = embedding_input_texts(body.get("input"))
        dim = body.get("dimensions") or self.embedding_dim
        if texts is None or not isinstance(dim, int) or dim < 1:
            message = "'input' must be a string or a non-empty array; 'dimensions' an integer."
            handler.send_json(400, error_body(message, "invalid_request_error", None, "input"))
            return
        # Exact names only: a chat fault injected for "*" must not break a cache's embeddings.
        fault = self._faults.next_fault(model, include_wildcard=False)
        self._mark_fault(index, fault)
        tokens = max(1, sum(len(text) for text in texts) // 4)
        if self._answered_by_fault(handler, fault, tokens, stream=False):
            return
        encoding = body.get("encoding_format")
        data = [
            {"object": "embedding", "index": i, "embedding": encode_vector(embed(t, dim), encoding)}
            for i, t in enumerate(texts)
        ]
        usage = {"prompt_tokens": tokens, "total_tokens": tokens}
        response = {"object": "list", "data": data, "model": model, "usage": usage}
        if _is(fault, "drop_after_chunks"):
            handler.send_partial_json(response)
        else:
            handler.send_json(200, response)


def _is(fault: Fault | None, kind: str) -> TypeGuard[Fault]:
    return fault is not None and fault.kind == kind


def _model_object(model: str) -> dict[str, Any]:
    return {"id": model, "object": "model", "created": 0, "owned_by": "fake-openai-server"}


def _model_not_found(model: str) -> dict[str, Any]:
    message = f"The model `{model}` does not exist or you do not have access to it."
    return error_body(message, "invalid_request_error", "model_not_found", "model")
