"""Fixtures for the dashboard tests: ledgers with known totals, servers, a headless browser."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from langchain_globalapi.costs import BilledCall, price_usage
from langchain_globalapi.dashboard import DashboardServer
from langchain_globalapi.ledger import Ledger

#: Debian's chromium (apt-get install chromium); never a browser Playwright downloads.
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync",
    "--disable-default-apps", "--disable-extensions",
]  # fmt: skip

MODELS = ("deepseek-ai/DeepSeek-V4-Flash", "deepseek-ai/DeepSeek-V4-Pro", "gpt-4o", "GA-Economy")


def write_calls(target: str | Path, count: int, *, at: float, first_id: int = 0) -> Decimal:
    """Write `count` priced calls, one a second from `at`; return exactly what they cost."""
    total = Decimal(0)
    with Ledger(target) as ledger:
        for i in range(first_id, first_id + count):
            model = MODELS[i % len(MODELS)]
            cost = price_usage({"input_tokens": 20_000 + 37 * i, "output_tokens": 900 + i}, model)
            total += cost.usd or 0
            ledger.on_billed(
                BilledCall(
                    f"call-{i}", f"run-{i}", at + i - first_id, 120.0 + i % 50, model,
                    tier=("flash", "pro", "pro", "economy")[i % 4], task=("qa", "summarize")[i % 2],
                    cost=cost,
                )
            )  # fmt: skip
    return total


@pytest.fixture
def serve() -> Iterator[Callable[..., DashboardServer]]:
    """Start dashboards on free loopback ports; all are stopped after the test."""
    started: list[DashboardServer] = []

    def start(ledger: Any, **options: Any) -> DashboardServer:
        options.setdefault("port", 0)
        server = DashboardServer(ledger, **options).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's chromium, headless, driven by Playwright (a fresh profile directory per launch).

    Module scope: Playwright's sync API keeps an event loop running in this thread while it
    is open, which later async tests of the session must not find.

    Skips (visibly) when chromium or Playwright is missing, unless GLOBALAPI_REQUIRE_BROWSER=1
    (CI), where that is a failure.
    """
    required = os.environ.get("GLOBALAPI_REQUIRE_BROWSER") == "1"
    missing = None
    if not os.path.exists(CHROMIUM):
        missing = "chromium is not installed (apt-get install -y chromium)"
    try:
        from playwright.sync_api import sync_playwright  # noqa: PLC0415
    except ImportError:
        missing = missing or 'playwright is not installed (pip install -e ".[test]")'
    if missing:
        if required:
            pytest.fail(missing)
        pytest.skip(missing)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser context (no cookies, no cache) and page; any JavaScript error fails."""
    # Playwright's wait_for_function evaluates strings, which the page's strict CSP forbids;
    # the CSP header itself is checked over plain HTTP in test_dashboard_app.py.
    context = browser.new_context(viewport={"width": 1400, "height": 900}, bypass_csp=True)
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"
