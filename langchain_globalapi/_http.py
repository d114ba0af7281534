"""The HTTP clients under the gateway models: per-event-loop pools, deadlines, no OpenAI settings.

langchain-openai shares one cached `httpx.AsyncClient` per process, and its pooled
connections belong to the event loop that opened them: after a first `asyncio.run()`, a
second one reuses a connection of the closed loop and fails with "Event loop is closed".
`LoopLocalAsyncClient` keeps one pool per running loop instead, closes it when the loop
shuts down (`asyncio.run` finalizes async generators on exit, and the pool's closer is
one) and forgets pools of loops that were closed another way.

A sync call cannot be cancelled from outside, so its deadline travels with it in a
context variable (`deadline_scope`): every HTTP attempt, the openai SDK's retries
included, gets its timeouts capped to the time left, a body that keeps trickling is cut
at the first bytes past the deadline, and once no time is left the next attempt is
refused with `DeadlineReached` (which the SDK does not retry).

The openai SDK reads `OPENAI_ORG_ID`, `OPENAI_PROJECT_ID`, `OPENAI_CUSTOM_HEADERS`,
`OPENAI_ADMIN_KEY` and `OPENAI_WEBHOOK_SECRET` when a client is built; `sdk_clients` builds
the SDK clients and undoes that, so no OpenAI account setting is sent to another gateway.

Example:
    >>> import asyncio
    >>> from langchain_globalapi.testing import FakeOpenAIServer
    >>> client = async_http_client()
    >>> with FakeOpenAIServer() as server:
    ...     url = f"{server.base_url}/models"
    ...     [asyncio.run(client.get(url)).status_code for _ in range(2)]  # two event loops
    [200, 200]
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import functools
import importlib
import math
import threading
import time
from collections.abc import AsyncGenerator, Iterator, Mapping
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import openai

from langchain_globalapi.errors import InvalidBaseURLError, MissingAPIKeyError

if TYPE_CHECKING:
    import httpx2 as httpx
else:
    # The httpx flavour the installed SDK is built on: httpx2 from openai 3, httpx before.
    httpx = importlib.import_module(
        "httpx2" if int(openai.__version__.split(".", 1)[0]) >= 3 else "httpx"
    )

__all__ = [
    "DEFAULT_BASE_URL",
    "DeadlineReached",
    "LoopLocalAsyncClient",
    "UnexpectedContentType",
    "async_http_client",
    "check_base_url",
    "check_gateway_settings",
    "current_deadline",
    "deadline_scope",
    "httpx",
    "sdk_clients",
    "sdk_clients_of",
    "shortest_timeout",
    "sync_http_client",
]

#: Global API's endpoint, when neither `base_url=` nor `GLOBAL_API_BASE` says otherwise.
DEFAULT_BASE_URL = "https://global-apis.com/v1"

_DEADLINE: ContextVar[float | None] = ContextVar("globalapi_deadline", default=None)


class DeadlineReached(Exception):  # noqa: N818 - a signal the chat model turns into its error
    """The call's deadline passed before another HTTP attempt could start."""


class UnexpectedContentType(Exception):  # noqa: N818 - turned into MalformedResponseError
    """A successful response that cannot be an API answer (an HTML page)."""

    def __init__(self, content_type: str, url: str) -> None:
        super().__init__(f"the endpoint answered {url} with a {content_type} page")
        self.content_type = content_type
        self.url = url


@contextlib.contextmanager
def deadline_scope(deadline: float | None) -> Iterator[None]:
    """Cap the timeouts of HTTP requests made inside the block by `deadline`.

    Args:
        deadline: A `time.monotonic()` instant, or None for no deadline.
    """
    token = _DEADLINE.set(deadline)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def current_deadline() -> float | None:
    """The deadline set by the innermost `deadline_scope`, if any."""
    return _DEADLINE.get()


def _cap_to_deadline(request: httpx.Request) -> None:
    deadline = _DEADLINE.get()
    if deadline is None:
        return
    left = deadline - time.monotonic()
    if left <= 0:
        raise DeadlineReached
    timeouts = request.extensions.get("timeout") or {}
    request.extensions["timeout"] = {
        name: min(left, math.inf if value is None else value)
        for name, value in {"connect": None, "read": None, "write": None, "pool": None,
                            **timeouts}.items()
    }  # fmt: skip


def _reject_html(response: httpx.Response) -> None:
    content_type = response.headers.get("content-type", "")
    if response.is_success and content_type.lower().startswith("text/html"):
        raise UnexpectedContentType(content_type, str(response.request.url))


async def _areject_html(response: httpx.Response) -> None:
    _reject_html(response)


def _check_sync_response(response: httpx.Response) -> None:
    _reject_html(response)
    deadline = _DEADLINE.get()
    if deadline is not None:
        response.stream = _DeadlineStream(response.stream, deadline)


class _DeadlineStream(httpx.SyncByteStream):
    # A body read chunk by chunk, refused past the deadline: a stream that trickles bytes
    # (keep-alive comments) without ever completing cannot outlive its call.
    def __init__(self, stream: Any, deadline: float) -> None:
        self._stream = stream
        self._deadline = deadline

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._stream:
            if time.monotonic() >= self._deadline:
                raise DeadlineReached
            yield chunk

    def close(self) -> None:
        self._stream.close()


def sync_http_client(proxy: str | None = None) -> httpx.Client:
    """The shared sync client: SDK defaults, deadline caps, HTML pages refused.

    Shared like langchain-openai's (building a client loads CA certificates: ~10 ms).

    Args:
        proxy: An explicit proxy URL (`openai_proxy=`); the environment's `HTTPS_PROXY`
            and friends apply as in any httpx client.
    """
    return _shared_sync_client(proxy)


def async_http_client(proxy: str | None = None) -> LoopLocalAsyncClient:
    """The shared async client, with one connection pool per event loop.

    Args:
        proxy: An explicit proxy URL (`openai_proxy=`).
    """
    return _shared_async_client(proxy)


@functools.lru_cache(maxsize=8)
def _shared_sync_client(proxy: str | None) -> httpx.Client:
    hooks: dict[str, list[Any]] = {
        "request": [_cap_to_deadline],
        "response": [_check_sync_response],
    }
    client = openai.DefaultHttpxClient(proxy=proxy, event_hooks=hooks)
    atexit.register(client.close)  # its keep-alive sockets, closed rather than left to GC
    return client


@functools.lru_cache(maxsize=8)
def _shared_async_client(proxy: str | None) -> LoopLocalAsyncClient:
    return LoopLocalAsyncClient(proxy=proxy)


class LoopLocalAsyncClient(openai.DefaultAsyncHttpxClient):
    """An `httpx.AsyncClient` that sends each request through a pool of the running loop.

    Requests are built by this client and sent by a per-loop client made with the same
    SDK defaults; its pool closes when the loop shuts down its async generators
    (`asyncio.run`, `asyncio.Runner`, pytest-asyncio), and a pool whose loop was closed
    another way is dropped the next time a new loop shows up.

    Args:
        proxy: An explicit proxy URL for every pool.
    """

    def __init__(self, *, proxy: str | None = None) -> None:
        super().__init__()
        self._proxy = proxy
        self._lock = threading.Lock()
        self._pools: dict[asyncio.AbstractEventLoop, tuple[httpx.AsyncClient, Any]] = {}

    async def send(self, request: httpx.Request, **kwargs: Any) -> httpx.Response:
        """Send `request` through the running loop's pool (see `httpx.AsyncClient.send`)."""
        pool = await self._pool_of_running_loop()
        return await pool.send(request, **kwargs)

    async def aclose(self) -> None:
        """Close the running loop's pool (the next request opens a new one)."""
        loop = asyncio.get_running_loop()
        with self._lock:
            entry = self._pools.pop(loop, None)
        if entry is not None:
            await entry[0].aclose()

    @property
    def pool_count(self) -> int:
        """How many pools are held: one per live loop, plus closed loops' not yet dropped."""
        with self._lock:
            return len(self._pools)

    async def _pool_of_running_loop(self) -> httpx.AsyncClient:
        loop = asyncio.get_running_loop()
        with self._lock:
            entry = self._pools.get(loop)
            if entry is not None:
                return entry[0]
            for stale in [other for other in self._pools if other.is_closed()]:
                del self._pools[stale]
            pool = openai.DefaultAsyncHttpxClient(
                proxy=self._proxy, event_hooks={"response": [_areject_html]}
            )
            closer = self._close_at_shutdown(loop, pool)
            self._pools[loop] = (pool, closer)
        # Started here, the closer is one of the loop's async generators: the loop's
        # shutdown_asyncgens() (asyncio.run does it on exit) resumes it into its finally.
        await closer.asend(None)
        return pool

    async def _close_at_shutdown(
        self, loop: asyncio.AbstractEventLoop, pool: httpx.AsyncClient
    ) -> AsyncGenerator[None, None]:
        try:
            yield
        finally:
            with self._lock:
                if self._pools.get(loop, (None,))[0] is pool:
                    del self._pools[loop]
            await pool.aclose()


def shortest_timeout(first: httpx.Timeout, second: httpx.Timeout) -> httpx.Timeout:
    """Each phase's shorter limit of two timeouts (None is no limit).

    Example:
        >>> shortest_timeout(httpx.Timeout(120, connect=10), httpx.Timeout(None, read=60)).read
        60
    """

    def pick(a: float | None, b: float | None) -> float | None:
        return b if a is None else a if b is None else min(a, b)

    return httpx.Timeout(
        connect=pick(first.connect, second.connect),
        read=pick(first.read, second.read),
        write=pick(first.write, second.write),
        pool=pick(first.pool, second.pool),
    )


def check_base_url(url: str, owner: str) -> str:
    """`url` if it is an http(s) URL with a host, else `InvalidBaseURLError` (a ValueError).

    Example:
        >>> check_base_url("global-apis.com/v1", "ChatGlobalAPI")
        Traceback (most recent call last):
        ...
        langchain_globalapi.errors.InvalidBaseURLError: ChatGlobalAPI: base_url 'global-apis.com/v1' is not an http(s) URL; pass e.g. base_url='https://global-apis.com/v1' or set GLOBAL_API_BASE to one
    """  # noqa: E501
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        msg = (
            f"{owner}: base_url {url!r} is not an http(s) URL; pass e.g. "
            f"base_url={DEFAULT_BASE_URL!r} or set GLOBAL_API_BASE to one"
        )
        raise InvalidBaseURLError(msg)
    return url


def check_gateway_settings(model: Any, owner: str) -> None:
    """Check a gateway model's key and base URL, and hand both to langchain-openai's fields.

    Args:
        model: A `ChatGlobalAPI` or `GlobalAPIEmbeddings` being validated.
        owner: Its class name, for messages.

    Raises:
        MissingAPIKeyError: No key was given (`OPENAI_API_KEY` is never a substitute).
        InvalidBaseURLError: The base URL is not an http(s) URL.
    """
    if model.api_key is None or not model.api_key.get_secret_value():
        msg = (
            "GLOBAL_API_KEY is not set: export GLOBAL_API_KEY=<your key> or pass "
            f"api_key=... to {owner}. (OPENAI_API_KEY is never used for Global API.)"
        )
        raise MissingAPIKeyError(msg)
    check_base_url(model.api_base, owner)
    # Explicit key and URL: the SDK never falls back to OPENAI_API_KEY / OPENAI_BASE_URL.
    model.openai_api_key = model.api_key
    model.openai_api_base = model.api_base


def sdk_clients_of(model: Any) -> tuple[openai.OpenAI, openai.AsyncOpenAI]:
    """`sdk_clients` for a gateway model, from its langchain-openai fields."""
    return sdk_clients(
        api_key=model.api_key.get_secret_value(),
        base_url=model.api_base,
        organization=model.openai_organization,
        proxy=model.openai_proxy,
        http_client=model.http_client,
        http_async_client=model.http_async_client,
        default_headers=model.default_headers,
        default_query=model.default_query,
        timeout=model.request_timeout,
        max_retries=model.max_retries,
    )


def sdk_clients(
    *,
    api_key: str,
    base_url: str,
    organization: str | None = None,
    proxy: str | None = None,
    http_client: Any = None,
    http_async_client: Any = None,
    default_headers: Mapping[str, str] | None = None,
    **options: Any,
) -> tuple[openai.OpenAI, openai.AsyncOpenAI]:
    """The openai SDK clients for a gateway, on the shared HTTP clients, free of `OPENAI_*`.

    Args:
        api_key: The gateway key (always explicit: `OPENAI_API_KEY` is never read).
        base_url: The endpoint (always explicit: `OPENAI_BASE_URL` is never read).
        organization: An explicit `OpenAI-Organization` header value.
        proxy: An explicit proxy URL for the shared clients.
        http_client: A caller's own sync httpx client, used as given.
        http_async_client: A caller's own async httpx client, used as given.
        default_headers: Headers for every request.
        **options: More SDK client options (`timeout`, `max_retries`, `default_query`);
            None values are left out.

    Raises:
        ValueError: Both a proxy and a caller's own client were given.
    """
    if proxy and (http_client is not None or http_async_client is not None):
        msg = "pass either openai_proxy= or your own http_client/http_async_client, not both"
        raise ValueError(msg)
    kwargs: dict[str, Any] = {
        "api_key": api_key,
        "base_url": base_url,
        "organization": organization,
        "default_headers": default_headers,
        **{name: value for name, value in options.items() if value is not None},
    }
    sync = openai.OpenAI(**kwargs, http_client=http_client or sync_http_client(proxy))
    async_ = openai.AsyncOpenAI(**kwargs, http_client=http_async_client or async_http_client(proxy))
    for client in (sync, async_):
        _without_openai_env(client, organization=organization, default_headers=default_headers)
    return sync, async_


def _without_openai_env(
    client: openai.OpenAI | openai.AsyncOpenAI,
    *,
    organization: str | None,
    default_headers: Mapping[str, str] | None,
) -> None:
    # Undo what the SDK read from OPENAI_* variables when `client` was built: org and
    # project ids, custom headers, the admin key and the webhook secret belong to an
    # OpenAI account and would leak it to another gateway.
    client.organization = organization
    client.project = None
    client.admin_api_key = None
    client.webhook_secret = None
    # Private to the SDK, and the only place OPENAI_CUSTOM_HEADERS lands.
    client._custom_headers = dict(default_headers or {})
    if hasattr(client, "_ambient_authorizations"):
        client._ambient_authorizations = frozenset()
