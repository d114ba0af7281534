"""Serving the dashboard with uvicorn: loopback by default, a token when listening wider.

`DashboardServer` binds its socket itself (so port 0 gives a free port whose URL is known
before the first request) and runs uvicorn either in the foreground (`globalapi
dashboard`) or in a background thread (tests, notebooks, the cookbook).
"""

from __future__ import annotations

import ipaddress
import os
import secrets
import socket
import threading
import time
from typing import Any

from langchain_globalapi.errors import LedgerError
from langchain_globalapi.ledger.reader import LedgerReader, open_reader

__all__ = ["DashboardServer", "is_loopback"]

_LOOPBACK_NAMES = {"localhost"}


def is_loopback(host: str) -> bool:
    """True when `host` only accepts connections from this machine.

    Example:
        >>> is_loopback("127.0.0.1"), is_loopback("::1"), is_loopback("0.0.0.0")
        (True, True, False)
    """
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class DashboardServer:
    """The dashboard on `http://host:port/`, for one ledger.

    Args:
        ledger: A ledger file path or `redis://` URL, or an open `LedgerReader`.
        host: Where to listen; loopback by default.
        port: The port (0: any free port; `url` tells which).
        allow_remote: Required to listen beyond loopback; a random access token is then
            made (`token`), and every request must present it.
        token: Use this token instead of a random one (only with `allow_remote`).
        **options: For `create_app` and `summarize` (`poll_s`, `alarm_threshold`, ...).

    Raises:
        LedgerError: `host` is not loopback and `allow_remote` is not set.

    Example:
        >>> import os, tempfile, urllib.request
        >>> server = DashboardServer(os.path.join(tempfile.mkdtemp(), "usage.db")).start()
        >>> urllib.request.urlopen(server.url).status
        200
        >>> server.stop()
    """

    def __init__(
        self,
        ledger: str | os.PathLike[str] | LedgerReader,
        *,
        host: str = "127.0.0.1",
        port: int = 8765,
        allow_remote: bool = False,
        token: str | None = None,
        **options: Any,
    ) -> None:
        self.host = host
        self.remote = not is_loopback(host)
        if self.remote and not allow_remote:
            msg = (
                f"listening on {host} would expose the dashboard beyond this machine: pass "
                "--allow-remote (allow_remote=True) to do it with a random access token, or "
                "keep the default --host 127.0.0.1"
            )
            raise LedgerError(msg)
        if token is not None and not self.remote:
            msg = "a token is only used when listening beyond loopback (allow_remote=True)"
            raise LedgerError(msg)
        self.token = (token or secrets.token_urlsafe(18)) if self.remote else None
        self.reader = ledger if isinstance(ledger, LedgerReader) else open_reader(ledger)
        self._socket = self._bind(host, port)
        self.port = int(self._socket.getsockname()[1])
        self._options = options
        self._server: Any = None
        self._thread: threading.Thread | None = None

    @staticmethod
    def _bind(host: str, port: int) -> socket.socket:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host.strip("[]"), port))
        except OSError as exc:
            sock.close()
            msg = f"cannot listen on {host}:{port} ({exc}): pick another --port (0 for any)"
            raise LedgerError(msg) from exc
        sock.listen(128)
        sock.set_inheritable(True)
        return sock

    @property
    def url(self) -> str:
        """The page's address (with `?token=` when one is needed)."""
        host = "localhost" if self.host in ("127.0.0.1", "localhost") else self.host
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"
        base = f"http://{host}:{self.port}/"
        return f"{base}?token={self.token}" if self.token else base

    def _make_server(self) -> Any:
        import uvicorn  # noqa: PLC0415 - the dashboard extra

        from langchain_globalapi.dashboard._app import create_app  # noqa: PLC0415

        trusted = ["127.0.0.1", "localhost"] if self.host in ("127.0.0.1", "localhost") else None
        app = create_app(self.reader, token=self.token, trusted_hosts=trusted, **self._options)
        config = uvicorn.Config(
            app, log_level="warning", timeout_graceful_shutdown=1, lifespan="off",
            server_header=False,
        )  # fmt: skip
        return uvicorn.Server(config)

    def run(self) -> None:
        """Serve in the foreground until interrupted (Ctrl-C)."""
        self._server = self._make_server()
        try:
            self._server.run(sockets=[self._socket])
        finally:
            self._socket.close()
            self.reader.close()

    def start(self, timeout_s: float = 10.0) -> DashboardServer:
        """Serve from a background thread; returns once the server accepts requests."""
        self._server = self._make_server()
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True,
            name=f"globalapi-dashboard:{self.port}",
        )  # fmt: skip
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                msg = f"the dashboard did not start on {self.host}:{self.port}"
                raise LedgerError(msg)
            time.sleep(0.01)
        return self

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop a server started with `start()` and close the ledger reader."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None
        self._socket.close()
        self.reader.close()

    def __enter__(self) -> DashboardServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
