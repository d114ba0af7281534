"""The dashboard's web application (Starlette): the page, its JSON, its live event stream.

- `GET /` the page, with the first summary embedded (one request to first paint).
- `GET /api/summary?range=24h` the summary as JSON, for scripts.
- `GET /api/events?range=24h` server-sent events: a new summary whenever the ledger's
  version changes (checked every `poll_s`), and at least every `refresh_s` so sliding
  ranges move on; the browser's `EventSource` reconnects by itself.
- `/static/` Chart.js, the script and the style, shipped in the package.

With a `token`, every request must carry it (`?token=` once, then a cookie, or an
`Authorization: Bearer` header); without it the answer is 401 and a page saying where the
token is. The reader's calls run in worker threads so a slow ledger never stalls the loop.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import AsyncIterator
from typing import Any

import anyio.to_thread
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import (
    HTMLResponse,
    JSONResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from langchain_globalapi.dashboard._page import live_page
from langchain_globalapi.ledger.reader import LedgerReader
from langchain_globalapi.ledger.summary import DEFAULT_RANGE, RANGES, summarize

__all__ = ["TOKEN_COOKIE", "create_app"]

TOKEN_COOKIE = "globalapi_dashboard_token"  # noqa: S105 - a cookie name, not a secret

_SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


class _SummaryCache:
    """One summary per range and ledger version, shared by every open page."""

    def __init__(self, reader: LedgerReader, max_age_s: float, **options: Any) -> None:
        self.reader = reader
        self.max_age_s = max_age_s
        self.options = options
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[object, float, str]] = {}

    def get(self, range_name: str, version: object = None) -> str:
        """The summary of `range_name` as JSON text, recomputed when the ledger changed."""
        with self._lock:
            cached = self._cache.get(range_name)
            now = time.monotonic()
            if (
                cached
                and version is not None
                and cached[0] == version
                and now - cached[1] < self.max_age_s
            ):
                return cached[2]
            text = json.dumps(summarize(self.reader, range_name=range_name, **self.options))
            self._cache[range_name] = (version, now, text)
            return text


def _range_of(request: Request) -> str:
    name = request.query_params.get("range", DEFAULT_RANGE)
    return name if name in RANGES else DEFAULT_RANGE


def create_app(
    reader: LedgerReader,
    *,
    token: str | None = None,
    trusted_hosts: list[str] | None = None,
    poll_s: float = 0.05,
    refresh_s: float = 30.0,
    **summary_options: Any,
) -> Starlette:
    """The dashboard application for one ledger.

    Args:
        reader: The ledger to show (see `langchain_globalapi.ledger.open_reader`).
        token: When set, every request must present it.
        trusted_hosts: `Host` header values accepted (guards a loopback server against DNS
            rebinding); `None` accepts any.
        poll_s: How often each live page's stream checks the ledger's version.
        refresh_s: Resend at least this often, so sliding ranges move on without writes.
        **summary_options: Passed to `summarize` (`alarm_threshold`, `min_samples`, ...).

    Example:
        >>> from langchain_globalapi.ledger import open_reader
        >>> app = create_app(open_reader("nowhere.db"))
        >>> sorted(route.path for route in app.routes)
        ['/', '/api/events', '/api/summary', '/static']
    """
    summaries = _SummaryCache(reader, max_age_s=refresh_s, **summary_options)

    async def current(range_name: str) -> str:
        version = await anyio.to_thread.run_sync(reader.version)
        return await anyio.to_thread.run_sync(summaries.get, range_name, version)

    async def page(request: Request) -> Response:
        text = await current(_range_of(request))
        return HTMLResponse(live_page(json.loads(text)), headers={"Cache-Control": "no-store"})

    async def summary(request: Request) -> Response:
        text = await current(_range_of(request))
        return Response(text, media_type="application/json", headers={"Cache-Control": "no-store"})

    async def events(request: Request) -> Response:
        range_name = _range_of(request)

        async def stream() -> AsyncIterator[str]:
            last: object = object()
            sent_at = 0.0
            while True:
                version = await anyio.to_thread.run_sync(reader.version)
                if version != last or time.monotonic() - sent_at >= refresh_s:
                    text = await anyio.to_thread.run_sync(summaries.get, range_name, version)
                    yield f"data: {text}\n\n"
                    last, sent_at = version, time.monotonic()
                await anyio.sleep(poll_s)

        return StreamingResponse(
            stream(),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )

    middleware = []
    if trusted_hosts is not None:
        middleware.append(Middleware(TrustedHostMiddleware, allowed_hosts=trusted_hosts))
    if token is not None:
        middleware.append(Middleware(_TokenGate, token=token))
    middleware.append(Middleware(_SecurityHeaders))
    app = Starlette(
        routes=[
            Route("/", page),
            Route("/api/summary", summary),
            Route("/api/events", events),
            Mount("/static", StaticFiles(packages=[("langchain_globalapi.dashboard", "static")])),
        ],
        middleware=middleware,
    )
    app.state.reader = reader
    return app


class _SecurityHeaders:
    """Adds a strict Content-Security-Policy and friends to every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [(k.lower().encode(), v.encode()) for k, v in _SECURITY_HEADERS.items()]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


_DENIED_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Access token required</title></head><body style="font-family:sans-serif;margin:40px">
<h1>Access token required</h1>
<p id="denied">This dashboard listens beyond this machine, so it needs its access token. Open the
URL that <code>globalapi dashboard</code> printed when it started (it ends in
<code>?token=...</code>).</p></body></html>"""


class _TokenGate:
    """Lets a request through only with the access token (query, cookie or bearer header)."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.token = token

    def _matches(self, candidate: str | None) -> bool:
        return candidate is not None and secrets.compare_digest(
            candidate.encode(), self.token.encode()
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        if self._matches(request.query_params.get("token")):
            # Swap the token in the URL for a cookie, so it leaves the address bar and history.
            response: Response = RedirectResponse(request.url.remove_query_params("token"), 303)
            response.set_cookie(
                TOKEN_COOKIE, self.token, httponly=True, samesite="strict", path="/"
            )
            await response(scope, receive, send)
            return
        bearer = request.headers.get("authorization", "")
        if self._matches(request.cookies.get(TOKEN_COOKIE)) or self._matches(
            bearer.removeprefix("Bearer ") if bearer.startswith("Bearer ") else None
        ):
            await self.app(scope, receive, send)
            return
        if request.url.path.startswith("/api/"):
            response = JSONResponse({"error": "access token required"}, status_code=401)
        else:
            response = HTMLResponse(_DENIED_PAGE, status_code=401)
        await response(scope, receive, send)
