"""The dashboard on a ledger of a million calls: first paint, live updates, summary cost.

    python benchmarks/dashboard_scale.py [--calls 1000000] [--ledger PATH] [--updates 20]

Writes a week of traffic (`ledger_traffic.py`, ~1.04 events per call) to a SQLite ledger
through `Ledger` (or reuses `--ledger`), then measures, on this machine:

- `summarize` per range (what each page load and each live update computes), median of 7;
- first paint in Debian's headless chromium: first contentful paint and the first full
  render of the figures (counter, 7 charts, tables), from navigation start, median of 5
  fresh browser contexts;
- live updates: with the page open, one call is written through a second `Ledger`; the
  time from the write's commit to the counter changing on the page (server poll, summary,
  push, render), and the page's own render time, over `--updates` writes.

Prints Markdown and writes `benchmarks/results/dashboard_scale.json`.
"""

from __future__ import annotations

import argparse
import json
import platform
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from ledger_traffic import write_traffic
from playwright.sync_api import sync_playwright

from langchain_globalapi.costs import BilledCall, price_usage
from langchain_globalapi.dashboard import DashboardServer
from langchain_globalapi.ledger import Ledger, open_reader, summarize

CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync",
]  # fmt: skip
RESULTS = Path(__file__).resolve().parent / "results" / "dashboard_scale.json"


def build(path: Path, calls: int) -> float:
    began = time.perf_counter()
    with Ledger(path, queue_size=200_000, batch_size=5000) as ledger:
        write_traffic(ledger, calls, days=7, seed=1)
        ledger.flush(timeout_s=3600)
    return time.perf_counter() - began


def summary_times(path: Path) -> dict[str, float]:
    reader = open_reader(path)
    times = {}
    for name in ("all", "30d", "7d", "24h", "1h"):
        runs = []
        for _ in range(7):
            began = time.perf_counter()
            summarize(reader, range_name=name)
            runs.append((time.perf_counter() - began) * 1000)
        times[name] = round(statistics.median(runs), 1)
    reader.close()
    return times


def first_paint(browser: Any, url: str, runs: int = 5) -> dict[str, float]:
    fcp, full = [], []
    for _ in range(runs):
        context = browser.new_context(viewport={"width": 1440, "height": 900}, bypass_csp=True)
        page = context.new_page()
        page.goto(url)
        page.wait_for_function("Number(document.body.dataset.renders) >= 1")
        page.wait_for_function("performance.getEntriesByName('first-contentful-paint').length > 0")
        timing = page.evaluate(
            "() => ({fcp: performance.getEntriesByName('first-contentful-paint')[0].startTime,"
            " render: performance.getEntriesByName('dashboard-render-1')[0].startTime})"
        )
        fcp.append(timing["fcp"])
        full.append(timing["render"])
        context.close()
    return {
        "fcp_ms": round(statistics.median(fcp), 1),
        "first_render_ms": round(statistics.median(full), 1),
    }


def live_updates(browser: Any, url: str, path: Path, updates: int) -> dict[str, Any]:
    context = browser.new_context(viewport={"width": 1440, "height": 900}, bypass_csp=True)
    page = context.new_page()
    page.goto(url)
    page.wait_for_function("Number(document.body.dataset.renders) >= 2")
    page.evaluate(
        "() => new MutationObserver(() => { window.__changedAt = Date.now(); })"
        ".observe(document.getElementById('counter'),"
        " {childList: true, characterData: true, subtree: true})"
    )
    latencies, renders = [], []
    with Ledger(path, linger_s=0) as ledger:
        for i in range(updates):
            time.sleep(0.3)
            page.evaluate("() => { window.__changedAt = null; }")
            before = int(page.evaluate("Number(document.body.dataset.renders)"))
            cost = price_usage({"input_tokens": 50_000, "output_tokens": 4_000}, "gpt-4o")
            ledger.on_billed(BilledCall(f"update-{time.time()}-{i}", "r", time.time(), 900.0,
                                        "gpt-4o", tier="pro", task="qa", cost=cost))  # fmt: skip
            ledger.flush()
            committed = time.time()
            page.wait_for_function(
                f"Number(document.body.dataset.renders) > {before} && window.__changedAt"
            )
            latencies.append(page.evaluate("window.__changedAt") - committed * 1000)
            renders.append(float(page.evaluate("document.body.dataset.renderMs")))
    context.close()
    ordered = sorted(latencies)
    return {
        "write_to_screen_ms_p50": round(statistics.median(latencies), 1),
        "write_to_screen_ms_p95": round(ordered[int(0.95 * (len(ordered) - 1))], 1),
        "page_render_ms_p50": round(statistics.median(renders), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--ledger", default=None, help="Reuse this ledger instead of writing one.")
    parser.add_argument("--updates", type=int, default=20)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        path = Path(args.ledger) if args.ledger else Path(workdir) / "million.db"
        build_s = None if args.ledger else round(build(path, args.calls), 1)
        with sqlite3.connect(path) as conn:
            rows = conn.execute("SELECT count(*) FROM calls").fetchone()[0]
            rollups = conn.execute("SELECT count(*) FROM rollups").fetchone()[0]
        size_mb = round(path.stat().st_size / 1e6, 1)
        summaries = summary_times(path)
        server = DashboardServer(path, port=0).start()
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=args.chromium, args=CHROMIUM_ARGS
                )
                paint = first_paint(browser, server.url)
                live = live_updates(browser, server.url, path, args.updates)
                browser.close()
        finally:
            server.stop()
    result = {
        "machine": f"{platform.machine()}, {platform.python_version()}",
        "call_rows": rows, "rollup_rows": rollups, "file_mb": size_mb, "write_s": build_s,
        "summarize_ms": summaries, **paint, **live,
    }  # fmt: skip
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"| ledger | {rows:,} call rows, {rollups:,} roll-up rows, {size_mb} MB |")
    print(f"| first contentful paint (median of 5) | {paint['fcp_ms']} ms |")
    print(f"| first full render (median of 5) | {paint['first_render_ms']} ms |")
    p50, p95 = live["write_to_screen_ms_p50"], live["write_to_screen_ms_p95"]
    print(f"| live update, write to screen (p50 / p95) | {p50} / {p95} ms |")
    print(f"| page render of one update (p50) | {live['page_render_ms_p50']} ms |")
    print(
        "| summarize (median of 7) | "
        + ", ".join(f"{k} {v} ms" for k, v in summaries.items())
        + " |"
    )


if __name__ == "__main__":
    main()
