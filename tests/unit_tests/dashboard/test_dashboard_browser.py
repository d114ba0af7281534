"""The dashboard in a real browser (Debian's chromium, headless): what a person would see."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest

from langchain_globalapi.dashboard import DashboardServer, render_report
from langchain_globalapi.ledger.summary import format_usd
from tests.unit_tests.dashboard.conftest import write_calls

pytestmark = pytest.mark.browser

Serve = Callable[..., DashboardServer]


def _cents(amount: Decimal) -> Decimal:
    return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _counter(page: Any) -> Decimal:
    return Decimal(page.inner_text("#counter").replace("$", "").replace(",", ""))


def _to_the_cent(shown: Decimal, exact: Decimal) -> bool:
    return abs(shown - exact) < Decimal("0.005")


def _wait_counter(page: Any, exact: Decimal) -> None:
    page.wait_for_function(
        "shown => document.getElementById('counter').textContent === shown",
        arg=format_usd(exact),
    )


def _wait_rendered(page: Any, renders: int = 1) -> None:
    page.wait_for_function(f"Number(document.body.dataset.renders) >= {renders}")


def _open(page: Any, server: DashboardServer, renders: int = 1) -> DashboardServer:
    """Load the page; `renders=2` also waits for the live stream's first summary."""
    page.goto(server.url)
    _wait_rendered(page, renders)
    return server


def test_the_counter_equals_the_ledgers_total_to_the_cent(
    tmp_path: Path, serve: Serve, page: Any
) -> None:
    path = tmp_path / "usage.db"
    total = write_calls(path, 400, at=time.time() - 3600)
    _open(page, serve(path))
    assert total > 10  # dollars and cents on the counter
    assert _counter(page) == _cents(total)


def test_a_call_written_while_the_page_is_open_appears_without_a_reload(
    tmp_path: Path, serve: Serve, page: Any
) -> None:
    path = tmp_path / "usage.db"
    before = write_calls(path, 40, at=time.time() - 600)
    _open(page, serve(path), 2)  # the embedded summary, then the live stream's first one
    assert _to_the_cent(_counter(page), before)
    page.evaluate("window.__sameDocument = true")
    added = write_calls(path, 25, at=time.time(), first_id=1000)
    _wait_counter(page, before + added)
    assert _to_the_cent(_counter(page), before + added)
    assert page.evaluate("window.__sameDocument") is True
    assert "GA-Economy" in page.locator("#table-recent").inner_text()


def test_the_range_selector_shows_only_that_range(tmp_path: Path, serve: Serve, page: Any) -> None:
    path = tmp_path / "usage.db"
    old = write_calls(path, 30, at=time.time() - 3 * 86400)
    recent = write_calls(path, 10, at=time.time() - 600, first_id=500)
    _open(page, serve(path), 2)
    assert _to_the_cent(_counter(page), old + recent)
    page.click("button[data-range='1h']")
    _wait_counter(page, recent)
    assert page.get_attribute("button[data-range='1h']", "aria-pressed") == "true"
    assert page.url.endswith("#range=1h")


def test_an_empty_ledger_shows_a_clear_message(tmp_path: Path, serve: Serve, page: Any) -> None:
    _open(page, serve(tmp_path / "not-yet.db"))
    message = page.locator("#message")
    assert message.is_visible()
    assert "No calls recorded yet" in message.inner_text()
    assert "not-yet.db (no file yet)" in message.inner_text()
    assert page.locator("#content").is_hidden()


def test_a_corrupted_ledger_file_shows_a_clear_message(
    tmp_path: Path, serve: Serve, page: Any
) -> None:
    path = tmp_path / "usage.db"
    path.write_bytes(b"this is not a database " * 500)
    _open(page, serve(path))
    text = page.locator("#message").inner_text()
    assert "The ledger cannot be read" in text
    assert "is not a readable ledger" in text
    assert page.locator("#content").is_hidden()


def test_an_unreachable_redis_ledger_shows_a_clear_message(serve: Serve, page: Any) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    _open(page, serve(f"redis://127.0.0.1:{port}/0"))
    text = page.locator("#message").inner_text()
    assert f"cannot reach the Redis ledger at redis://127.0.0.1:{port}/0" in text
    assert "start redis-server" in text


def test_the_page_recovers_when_the_ledger_becomes_readable(
    tmp_path: Path, serve: Serve, page: Any
) -> None:
    path = tmp_path / "usage.db"
    _open(page, serve(path))
    assert page.locator("#content").is_hidden()
    total = write_calls(path, 5, at=time.time())
    page.wait_for_function("document.body.dataset.status === 'ok'")
    assert _to_the_cent(_counter(page), total)
    assert page.locator("#message").is_hidden()


def test_beyond_loopback_the_page_needs_its_token(tmp_path: Path, serve: Serve, page: Any) -> None:
    path = tmp_path / "usage.db"
    total = write_calls(path, 10, at=time.time())
    server = serve(path, host="0.0.0.0", allow_remote=True)
    bare = f"http://127.0.0.1:{server.port}/"
    denied = page.goto(bare)
    assert denied is not None
    assert denied.status == 401
    assert "Access token required" in page.inner_text("h1")
    page.goto(f"{bare}?token=wrong-{server.token}")
    assert "Access token required" in page.inner_text("h1")
    page.goto(f"{bare}?token={server.token}")
    _wait_rendered(page, 2)  # the live stream also got through, with the cookie
    assert _to_the_cent(_counter(page), total)
    assert "token" not in page.url  # swapped for a cookie


def test_the_report_renders_offline_from_one_file(tmp_path: Path, page: Any) -> None:
    path = tmp_path / "usage.db"
    total = write_calls(path, 60, at=time.time() - 7200)
    report = tmp_path / "report.html"
    report.write_text(render_report(path), encoding="utf-8")
    requested: list[str] = []
    page.route("**/*", lambda route: (requested.append(route.request.url), route.continue_()))
    page.goto(report.as_uri())
    _wait_rendered(page)
    assert _to_the_cent(_counter(page), total)
    assert requested == [report.as_uri()]
    assert page.locator("canvas").count() == 7
    assert page.locator("#live").inner_text() == "static report"
