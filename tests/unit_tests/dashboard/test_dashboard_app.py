"""The dashboard server over plain HTTP: JSON, the live event stream, access control, headers."""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from langchain_globalapi.dashboard import DashboardServer
from langchain_globalapi.errors import LedgerError
from tests.unit_tests.dashboard.conftest import write_calls

Serve = Callable[..., DashboardServer]


def _get(server: DashboardServer, path: str, **headers: str) -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    conn.request("GET", path, headers={"Host": f"localhost:{server.port}", **headers})
    return conn.getresponse()


def _next_event(response: http.client.HTTPResponse) -> dict[str, Any]:
    while True:
        line = response.readline().decode()
        if line.startswith("data: "):
            return dict(json.loads(line[len("data: ") :]))


def test_the_summary_endpoint_returns_the_range_asked_for(tmp_path: Path, serve: Serve) -> None:
    path = tmp_path / "usage.db"
    write_calls(path, 10, at=time.time() - 2 * 86400)
    recent = write_calls(path, 5, at=time.time() - 60, first_id=100)
    server = serve(path)
    summary = json.loads(_get(server, "/api/summary?range=1h").read())
    assert summary["range"]["name"] == "1h"
    assert Decimal(summary["totals"]["spend_usd"]) == recent


def test_an_unknown_range_falls_back_to_everything(tmp_path: Path, serve: Serve) -> None:
    path = tmp_path / "usage.db"
    total = write_calls(path, 3, at=time.time())
    summary = json.loads(_get(serve(path), "/api/summary?range=';drop").read())
    assert summary["range"]["name"] == "all"
    assert Decimal(summary["totals"]["spend_usd"]) == total


def test_the_event_stream_pushes_a_new_summary_when_a_call_is_written(
    tmp_path: Path, serve: Serve
) -> None:
    path = tmp_path / "usage.db"
    first = write_calls(path, 4, at=time.time())
    server = serve(path)
    stream = _get(server, "/api/events?range=24h")
    assert stream.getheader("Content-Type", "").startswith("text/event-stream")
    assert Decimal(_next_event(stream)["totals"]["spend_usd"]) == first
    second = write_calls(path, 2, at=time.time(), first_id=50)
    assert Decimal(_next_event(stream)["totals"]["spend_usd"]) == first + second


def test_pages_carry_a_strict_content_security_policy(tmp_path: Path, serve: Serve) -> None:
    response = _get(serve(tmp_path / "usage.db"), "/")
    policy = response.getheader("Content-Security-Policy", "")
    assert response.status == 200
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert response.getheader("Referrer-Policy") == "no-referrer"


def test_the_static_chart_library_is_served_from_the_package(tmp_path: Path, serve: Serve) -> None:
    response = _get(serve(tmp_path / "usage.db"), "/static/chart.umd.min.js")
    assert response.status == 200
    assert b"Chart.js v4" in response.read(300)


def test_a_loopback_server_refuses_foreign_host_headers(tmp_path: Path, serve: Serve) -> None:
    # A page on another site that resolves its name to 127.0.0.1 (DNS rebinding) is refused.
    response = _get(serve(tmp_path / "usage.db"), "/api/summary", Host="attacker.example")
    assert response.status == 400


def test_without_its_token_a_remote_server_answers_401(tmp_path: Path, serve: Serve) -> None:
    server = serve(tmp_path / "usage.db", host="0.0.0.0", allow_remote=True)
    assert _get(server, "/api/summary").status == 401
    assert _get(server, "/api/events").status == 401
    assert _get(server, "/static/dashboard.js").status == 401
    assert _get(server, "/api/summary", Authorization="Bearer nope").status == 401


def test_a_bearer_token_opens_the_api(tmp_path: Path, serve: Serve) -> None:
    server = serve(tmp_path / "usage.db", host="0.0.0.0", allow_remote=True)
    response = _get(server, "/api/summary", Authorization=f"Bearer {server.token}")
    assert response.status == 200
    assert json.loads(response.read())["status"] == "empty"


def test_the_token_in_the_url_is_swapped_for_a_cookie(tmp_path: Path, serve: Serve) -> None:
    server = serve(tmp_path / "usage.db", host="0.0.0.0", allow_remote=True)
    response = _get(server, f"/?token={server.token}")
    assert response.status == 303
    assert response.getheader("Location") == f"http://localhost:{server.port}/"
    cookie = response.getheader("Set-Cookie", "")
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    assert _get(server, "/", Cookie=cookie.split(";")[0]).status == 200


def test_each_remote_server_gets_its_own_random_token(tmp_path: Path, serve: Serve) -> None:
    one = serve(tmp_path / "usage.db", host="0.0.0.0", allow_remote=True)
    two = serve(tmp_path / "usage.db", host="0.0.0.0", allow_remote=True)
    assert one.token is not None
    assert two.token is not None
    assert one.token != two.token
    assert len(one.token) >= 20


def test_listening_beyond_loopback_needs_the_explicit_flag(tmp_path: Path) -> None:
    with pytest.raises(LedgerError, match="--allow-remote"):
        DashboardServer(tmp_path / "usage.db", host="0.0.0.0", port=0)


def test_a_loopback_server_has_no_token(tmp_path: Path, serve: Serve) -> None:
    server = serve(tmp_path / "usage.db")
    assert server.token is None
    assert server.url == f"http://localhost:{server.port}/"
