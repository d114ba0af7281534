"""Two processes, one usage ledger: their calls add up in the dashboard and the report.

    python cookbook/shared_ledger/shared_ledger.py [--ledger usage.db | redis://...] [--keep]

Without GLOBAL_API_KEY it starts the local OpenAI-compatible test server (no key, no
network) as the gateway's stand-in; with the key, the workers call Global API. Then two worker
processes that each run their own workload and bill every call into the same ledger:

- worker 1, "support-bot": a router over GA-Economy and V4 Pro, 6 questions;
- worker 2, "nightly-digest": a fallback chain V4 Flash -> V4 Pro whose first call is
  rate-limited (it falls back), 4 summaries.

Then it reads the ledger the way `globalapi report --json` does, writes `report.html`
(the dashboard as one file) and asks a running dashboard for its counter: the same total.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

from langchain_globalapi import (
    ChatGlobalAPI,
    FallbackChatModel,
    TieredRouterRunnable,
    get_globalapi_callback,
)
from langchain_globalapi.dashboard import DashboardServer, render_report
from langchain_globalapi.dashboard.report import report_summary
from langchain_globalapi.ledger import Ledger
from langchain_globalapi.testing import FakeOpenAIServer, Fault

FLASH, PRO = "deepseek-ai/DeepSeek-V4-Flash", "deepseek-ai/DeepSeek-V4-Pro"


def worker(number: int, ledger_target: str) -> None:
    """One application process: its own models and workload, the shared ledger."""

    def model(name: str) -> ChatGlobalAPI:  # GLOBAL_API_KEY and GLOBAL_API_BASE from the parent
        return ChatGlobalAPI(model=name, max_retries=0)

    ledger = Ledger(ledger_target)
    if number == 1:
        app = TieredRouterRunnable(tiers={"economy": model("GA-Economy"), "pro": model(PRO)})
        hints = ["low", "low", "low", "low", "high", "high"]
        prompts = [f"Customer question {i}: where is my order?" for i in range(len(hints))]
        configs = [{"configurable": {"complexity": hint}} for hint in hints]
        task = "support-bot"
    else:
        app = FallbackChatModel([model(FLASH), model(PRO)])
        prompts = [f"Summarize yesterday's tickets for team {t}." for t in "ABCD"]
        configs = [{} for _ in prompts]
        task = "nightly-digest"
    with get_globalapi_callback(ledger=ledger) as cb:
        for prompt, config in zip(prompts, configs, strict=True):
            app.invoke(prompt, config={**config, "metadata": {"task": task}})
    ledger.close()
    print(f"worker {number} ({task}): {cb.calls} calls, ${cb.total_cost_usd}")


def main() -> None:
    """Run the two workers against one ledger, then read it back three ways."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ledger", default=None, help="Ledger path or redis:// URL.")
    parser.add_argument("--keep", action="store_true", help="Keep report.html in this folder.")
    parser.add_argument("--worker", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker is not None:
        worker(args.worker, args.ledger)
        return
    with tempfile.TemporaryDirectory() as workdir, FakeOpenAIServer() as server:
        target = args.ledger or str(Path(workdir) / "usage.db")
        if not os.environ.get("GLOBAL_API_KEY"):  # no key: a local stand-in for the gateway
            os.environ.update(GLOBAL_API_BASE=server.base_url, GLOBAL_API_KEY="offline")
            server.inject(FLASH, Fault.rate_limit())  # the digest's first call falls back to Pro
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
        for number in (1, 2):  # one after the other, so the printed lines keep their order
            subprocess.run(
                [sys.executable, __file__, "--worker", str(number), "--ledger", target],
                check=True,
                env=env,
            )

        summary = report_summary(target)
        totals = summary["totals"]
        print(
            f"ledger: {totals['answered']} answers and {totals['failed']} failed attempt "
            f"from 2 processes"
        )
        print(
            f"spend ${totals['spend_usd']}, GPT-4o would have cost "
            f"${totals['reference_usd']}: {totals['saving_pct']:.1f}% saved"
        )
        for row in summary["tasks"]:
            print(f"  task {row['name']}: {row['answered']} answers, ${row['spend_usd']}")
        for row in summary["models"]:
            print(
                f"  model {row['name']}: {row['answered']} answers, {row['rate_limited']} "
                f"rate-limited, ${row['spend_usd']}"
            )

        out = Path("report.html") if args.keep else Path(workdir) / "report.html"
        out.write_text(render_report(target), encoding="utf-8")
        print(f"wrote {out.name}: the dashboard as one self-contained file")

        with DashboardServer(target, port=0) as dashboard:
            with urllib.request.urlopen(f"{dashboard.url}api/summary") as response:
                live = json.load(response)
            same = "the same" if live["totals"] == totals else "NOT the same"
            print(f"dashboard: ${live['totals']['spend_usd']}, {same} totals as the report")


if __name__ == "__main__":
    main()
