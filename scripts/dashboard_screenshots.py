"""Screenshots of the cost dashboard on a generated week of traffic, for the README.

    python scripts/dashboard_screenshots.py [--calls 200000] [--out docs/images]

Writes a week of realistic traffic (`benchmarks/ledger_traffic.py`, fixed seed) to a
temporary ledger, serves the dashboard on loopback and photographs it with Debian's
headless chromium (Playwright pointed at /usr/bin/chromium): the whole page over 7 days,
and the top of the page. Needs `apt-get install chromium` and the test extra.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

from langchain_globalapi.dashboard import DashboardServer
from langchain_globalapi.ledger import Ledger

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from ledger_traffic import write_traffic

CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync", "--hide-scrollbars",
]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=200_000)
    parser.add_argument("--out", default="docs/images")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    out = out.resolve()
    end = time.time()  # the week up to now, as the page sees it
    with tempfile.TemporaryDirectory() as workdir:
        os.chdir(workdir)  # the page names the ledger as given: "usage.db"
        with Ledger("usage.db", queue_size=200_000, batch_size=5000) as ledger:
            write_traffic(ledger, args.calls, days=7, end=end, seed=7)
        server = DashboardServer("usage.db", port=0).start()
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=args.chromium, args=CHROMIUM_ARGS
                )
                # bypass_csp: Playwright's waiting evaluates strings, which the page's CSP forbids.
                context = browser.new_context(
                    viewport={"width": 1440, "height": 900}, device_scale_factor=1,
                    bypass_csp=True, timezone_id="UTC", locale="en-GB",
                )  # fmt: skip
                page = context.new_page()
                page.goto(server.url + "#range=7d")
                page.wait_for_function("Number(document.body.dataset.renders) >= 2")
                time.sleep(0.5)
                page.screenshot(path=str(out / "dashboard.png"), full_page=True)
                page.screenshot(path=str(out / "dashboard-top.png"))
                browser.close()
        finally:
            server.stop()
    print(f"wrote {out / 'dashboard.png'} and {out / 'dashboard-top.png'}")


if __name__ == "__main__":
    main()
