"""A local OpenAI-compatible HTTP server for tests: real sockets, SSE, tools, injected faults.

It speaks enough of the OpenAI API (`/v1/chat/completions`, `/v1/models`, `/v1/embeddings`)
for the openai SDK and `langchain_openai.ChatOpenAI` to run unmodified against it, answers
deterministically, and fails on demand (429, 5xx, 4xx, slow first byte, dropped connections)
so retries, fallbacks, caches and timeouts can be tested end to end on loopback.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import socket
import threading
from collections.abc import Sequence
from types import TracebackType

from langchain_globalapi.testing._endpoints import (
    DEFAULT_MODELS,
    DEFAULT_REASONING,
    OpenAIEndpoints,
    RecordedRequest,
)
from langchain_globalapi.testing._faults import Fault
from langchain_globalapi.testing._http import HTTPServer
from langchain_globalapi.testing._replies import ReplySource, ToolCallSource

__all__ = ["DEFAULT_MODELS", "DEFAULT_REASONING", "FakeOpenAIServer", "Fault", "RecordedRequest"]

# Retryable faults: what a soak test's fallback chain must survive.
_DEFAULT_FAIL_KINDS = (Fault.rate_limit(retry_after_ms=10), Fault.server_error(503))


class FakeOpenAIServer(OpenAIEndpoints):
    """An OpenAI-compatible server on 127.0.0.1, in background threads, for tests.

    Replies are deterministic: by default `"[<model>] <the last user message>"`, so a test can
    tell which model answered. Tool calls, JSON modes, reasoning, usage and SSE streaming
    follow OpenAI's wire format; `inject` and `fail_rate` make calls fail on purpose.

    ```python
    import openai

    from langchain_globalapi.testing import FakeOpenAIServer, Fault

    with FakeOpenAIServer() as server:
        client = openai.OpenAI(base_url=server.base_url, api_key="test", max_retries=0)
        server.set_reply("model-a", "fixed text")
        reply = client.chat.completions.create(
            model="model-a", messages=[{"role": "user", "content": "hi"}]
        )
        assert reply.choices[0].message.content == "fixed text"

        server.inject("model-a", Fault.rate_limit(retry_after_s=1.5))
        try:
            client.chat.completions.create(
                model="model-a", messages=[{"role": "user", "content": "hi"}]
            )
        except openai.RateLimitError as error:
            assert error.response.headers["retry-after"] == "1.5"
        assert server.calls_for("model-a") == 2
    ```

    Args:
        host: Interface to bind; keep the loopback default in tests.
        port: Port to bind; 0 picks a free one.
        embedding_dim: Default dimension of `/v1/embeddings` vectors.
        reject_unknown_models: Answer 404 `model_not_found` for chat models that are neither
            in `DEFAULT_MODELS` nor configured on this server.
        api_key: When set, requests must carry `Authorization: Bearer <api_key>` (else 401).
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        embedding_dim: int = 256,
        reject_unknown_models: bool = False,
        api_key: str | None = None,
    ) -> None:
        super().__init__(
            embedding_dim=embedding_dim,
            reject_unknown_models=reject_unknown_models,
            api_key=api_key,
        )
        self.host = host
        self.port = port
        self._httpd: HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle -------------------------------------------------------------------------

    def start(self) -> FakeOpenAIServer:
        """Bind and serve in a daemon thread; returns self. Starting twice is a no-op."""
        if self._httpd is not None:
            return self
        self._stopping.clear()
        self._httpd = HTTPServer((self.host, self.port), self)
        self.port = self._httpd.server_address[1]
        # A short poll interval makes `stop()` return in ~10 ms instead of the default 0.5 s.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.01},
            name=f"FakeOpenAIServer:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, hang up on open connections and free the port. Idempotent."""
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        self._stopping.set()  # wakes handlers sleeping in slow_first_byte
        httpd.shutdown()
        httpd.server_close()
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            # Keep-alive handlers block reading the next request; shutting their sockets
            # down ends them now instead of leaving threads behind.
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    close = stop

    def __enter__(self) -> FakeOpenAIServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    async def __aenter__(self) -> FakeOpenAIServer:
        return self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await asyncio.to_thread(self.stop)

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:PORT/v1`, for `base_url=` of the openai SDK or ChatOpenAI."""
        if self._httpd is None:
            msg = "FakeOpenAIServer is not running: use `with FakeOpenAIServer() as server:`"
            raise RuntimeError(msg)
        return f"http://{self.host}:{self.port}/v1"

    def __repr__(self) -> str:
        state = f"port={self.port}" if self._httpd is not None else "stopped"
        return f"FakeOpenAIServer({state})"

    # --- configuration ---------------------------------------------------------------------

    def set_reply(self, model: str, reply: ReplySource) -> None:
        """Answer `model` with fixed text or `reply(request_json) -> str` (`"*"`: any model)."""
        with self._lock:
            self._replies[model] = reply

    def set_tool_calls(self, model: str, calls: ToolCallSource) -> None:
        """Answer `model` with these tool calls (`"*"`: any model), e.g. to script an agent loop.

        `calls` is a list of `{"name": ..., "args": {...}}` (`args` may be raw text, even
        invalid JSON), or `calls(request_json)` returning such a list, or an empty list or
        None to answer as usual (text, or a tool the last user message names).

        Example:
            >>> from langchain_globalapi import ChatGlobalAPI
            >>> with FakeOpenAIServer() as server:
            ...     server.set_tool_calls("GA-Economy", [{"name": "add", "args": {"a": 1}}])
            ...     llm = ChatGlobalAPI(model="GA-Economy", api_key="k", base_url=server.base_url)
            ...     llm.invoke("hi").tool_calls[0]["args"]
            {'a': 1}
        """
        with self._lock:
            self._tool_calls[model] = calls

    def set_reasoning(self, model: str, text: str) -> None:
        """Make `model` return `reasoning_content` (DeepSeek style) with this text."""
        with self._lock:
            self._reasoning[model] = text

    def set_context_window(self, model: str, n_tokens: int) -> None:
        """Reject `model` requests whose estimated prompt exceeds `n_tokens` (context overflow)."""
        with self._lock:
            self._context_windows[model] = n_tokens

    def add_models(self, *models: str) -> None:
        """List extra models in `/v1/models` (and accept them with `reject_unknown_models`)."""
        with self._lock:
            self._extra_models.update(dict.fromkeys(models))

    def inject(self, model: str, fault: Fault, times: int | None = 1) -> None:
        """Fail the next `times` calls to `model` with `fault` (None: every call).

        Injections queue up: `inject(m, a, times=2); inject(m, b)` fails calls 1-2 with `a`
        and call 3 with `b`. `model="*"` applies to every chat model.
        """
        self._faults.inject(model, fault, times)

    def fail_rate(
        self, model: str, rate: float, kinds: Sequence[Fault] | None = None, seed: int = 0
    ) -> None:
        """Fail a `rate` share of calls to `model`, drawing faults from `kinds` with `seed`.

        The same seed gives the same outcome sequence for calls in the same order; scripted
        `inject`ions take precedence. `kinds` defaults to a 429 and a 503.
        """
        self._faults.fail_rate(model, rate, kinds or _DEFAULT_FAIL_KINDS, seed)

    def reset(self) -> None:
        """Forget replies, faults, recorded requests and counters; restore constructor options."""
        self._faults.clear()
        with self._lock:
            self._replies.clear()
            self._tool_calls.clear()
            self._reasoning.clear()
            self._context_windows.clear()
            self._extra_models.clear()
            self._requests.clear()
            self._calls.clear()
            self._tool_call_ids = itertools.count(1)
            self.embedding_dim, self.reject_unknown_models = self._initial

    # --- inspection ------------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of every request received, oldest first."""
        with self._lock:
            return list(self._requests)

    def calls_for(self, model: str) -> int:
        """How many chat completion calls asked for `model`, faulted ones included."""
        with self._lock:
            return self._calls[model]
