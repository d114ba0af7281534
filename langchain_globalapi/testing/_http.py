"""The HTTP layer of the fake OpenAI server: threads, keep-alive, JSON, SSE and dropped sockets.

It knows nothing about the OpenAI API: each request goes to an `App` (the `FakeOpenAIServer`),
which answers through the `Handler`'s small writing API.
"""

from __future__ import annotations

import contextlib
import json
import socket
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol, cast

__all__ = ["App", "HTTPServer", "Handler", "error_body"]


class App(Protocol):
    """What the HTTP layer needs from the application behind it."""

    def _handle_request(self, handler: Handler, method: str, path: str, raw_body: bytes) -> None:
        """Answer one request through `handler`."""

    def _track_connection(self, connection: socket.socket, *, open_: bool) -> None:
        """Note a connection opening or closing, so `stop()` can hang up on it."""

    def _next_request_id(self) -> int:
        """A fresh number for the `x-request-id` header."""


def error_body(
    message: str, error_type: str, code: str | None = None, param: str | None = None
) -> dict[str, Any]:
    """An OpenAI-shaped error: `{"error": {"message", "type", "param", "code"}}`."""
    return {"error": {"message": message, "type": error_type, "param": param, "code": code}}


class HTTPServer(ThreadingHTTPServer):
    """A threading HTTP server that hands every request to `app`."""

    daemon_threads = True
    # socketserver's default backlog of 5 drops SYNs under a burst of 50 new connections,
    # which costs the client a 1 s retransmit; soak tests open that many at once.
    request_queue_size = 256

    def __init__(self, address: tuple[str, int], app: App) -> None:
        self.app = app
        super().__init__(address, Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay quiet: clients that time out or hang up mid-reply are the point of this server."""
        return


class Handler(BaseHTTPRequestHandler):
    """One connection; HTTP/1.1 so the SDK's connection pool keeps it alive."""

    protocol_version = "HTTP/1.1"  # keep-alive, and chunked transfer-encoding for SSE
    server_version = "FakeOpenAI/1.0"

    @property
    def app(self) -> App:
        """The application answering this connection's requests."""
        return cast("HTTPServer", self.server).app

    def setup(self) -> None:
        """Disable Nagle and register the connection."""
        super().setup()
        # Headers and body go out in separate writes; without NODELAY, Nagle plus delayed ACKs
        # add ~40 ms to every keep-alive request.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.app._track_connection(self.connection, open_=True)

    def finish(self) -> None:
        """Unregister the connection, tolerating sockets that were dropped on purpose."""
        try:
            super().finish()
        except OSError:
            pass
        finally:
            self.app._track_connection(self.connection, open_=False)

    def log_message(self, format: str, *args: Any) -> None:
        """Discard access logs: tests would drown in them."""
        return

    def do_GET(self) -> None:
        """Answer a GET."""
        self._dispatch("GET")

    def do_POST(self) -> None:
        """Answer a POST."""
        self._dispatch("POST")

    def _dispatch(self, method: str) -> None:
        try:
            length = int(self.headers.get("content-length") or 0)
            raw = self.rfile.read(length) if length else b""
            self.app._handle_request(self, method, self.path.split("?", 1)[0], raw)
        except OSError:
            # The client hung up (timeout, cancelled stream) or we dropped it on purpose.
            self.close_connection = True

    def send_json(self, status: int, body: Any, headers: Sequence[tuple[str, str]] = ()) -> None:
        """Send a complete JSON response with Content-Length (the connection stays alive)."""
        payload = json.dumps(body).encode()
        self._head(status, "application/json", [("content-length", str(len(payload))), *headers])
        self.wfile.write(payload)

    def send_bytes(self, status: int, content_type: str, payload: bytes) -> None:
        """Send a complete response of any content type (the connection stays alive)."""
        self._head(status, content_type, [("content-length", str(len(payload)))])
        self.wfile.write(payload)

    def send_partial_json(self, body: Any) -> None:
        """Announce a full JSON body, send half of it, then drop the connection."""
        self.send_half_json(body)
        self.drop()

    def send_half_json(self, body: Any) -> None:
        """Announce a full JSON body and send half of it (the connection stays open)."""
        payload = json.dumps(body).encode()
        self._head(200, "application/json", [("content-length", str(len(payload)))])
        self.wfile.write(payload[: len(payload) // 2])

    def start_json(self, body: Any) -> bytes:
        """Announce a full JSON body and return its bytes, for the caller to send."""
        payload = json.dumps(body).encode()
        self._head(200, "application/json", [("content-length", str(len(payload)))])
        return payload

    def start_sse(self) -> None:
        """Send `200` headers for a chunked `text/event-stream`."""
        self._head(
            200,
            "text/event-stream; charset=utf-8",
            [("transfer-encoding", "chunked"), ("cache-control", "no-cache")],
        )

    def send_sse(self, data: str) -> None:
        """Send one `data:` event as one HTTP chunk."""
        event = f"data: {data}\n\n".encode()
        self.wfile.write(b"%x\r\n%s\r\n" % (len(event), event))

    def send_raw_chunk(self, data: bytes) -> None:
        """Send bytes as one HTTP chunk of a chunked response (e.g. an SSE comment)."""
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))

    def end_sse(self) -> None:
        """Send `data: [DONE]` and the chunked terminator."""
        self.send_sse("[DONE]")
        self.wfile.write(b"0\r\n\r\n")

    def drop(self) -> None:
        """Kill the TCP connection mid-response: no terminator, no further requests."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)
        self.connection.close()

    def _head(self, status: int, content_type: str, headers: Sequence[tuple[str, str]]) -> None:
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("x-request-id", f"req_{self.app._next_request_id()}")
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
