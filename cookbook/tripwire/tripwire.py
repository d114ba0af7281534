"""The quality tripwire: re-ask a sample of cheap answers of GPT-4o, alarm when they disagree.

    python cookbook/tripwire/tripwire.py

`QualityTripwire` watches every answer a router returns, samples some by a hash of their
request id (the same ids are sampled on every run, in any process), re-asks them of a
reference model in a background thread, and raises an alarm when the lower Wilson bound of
agreement falls below the threshold. Offline, the cheap tiers always say "positive" and
GPT-4o agrees for its first 30 answers, then starts to disagree.
"""

from __future__ import annotations

import itertools
import os

from langchain_globalapi import (
    ChatGlobalAPI,
    QualityTripwire,
    TieredRouterRunnable,
    get_globalapi_callback,
)
from langchain_globalapi.routing import HeuristicScorer
from langchain_globalapi.testing import FakeOpenAIServer

ECONOMY, PRO = "GA-Economy", "deepseek-ai/DeepSeek-V4-Pro"


def main(server: FakeOpenAIServer | None) -> None:
    """120 classified reviews, a tripwire at 50%, an alarm that moves the router's cut."""
    if server is not None:
        server.set_reply(ECONOMY, "positive")
        server.set_reply(PRO, "positive")
        shadow_calls = itertools.count(1)
        server.set_reply("gpt-4o", lambda _: "positive" if next(shadow_calls) <= 30 else "negative")

    router = TieredRouterRunnable(
        tiers={"economy": ChatGlobalAPI(model=ECONOMY), "pro": ChatGlobalAPI(model=PRO)},
        scorer=HeuristicScorer(),
        thresholds=[0.5],
    )
    tripwire = QualityTripwire(
        ChatGlobalAPI(model="gpt-4o"),
        sample_rate=0.5,  # 1% in production; 50% so the recipe alarms quickly
        threshold=0.8,
        min_samples=20,
        default_task="classification",  # agreement = the same label
        alert=lambda alarm: print("PAGE:", alarm.message),
        router=router,  # on alarm, lower the cut: more traffic to "pro"
    )
    router.tripwire = tripwire

    ids = [f"req-{i}" for i in range(120)]
    print("sampled first:", ", ".join([i for i in ids if tripwire.should_sample(i)][:6]))
    with get_globalapi_callback() as cb:
        for request_id in ids:
            router.invoke(
                "Review: great value. Sentiment?", config={"metadata": {"request_id": request_id}}
            )
        tripwire.drain()  # shadow calls run in the background; wait only in scripts and tests
    tripwire.close()

    stats = tripwire.stats()  # a TripwireStats: stats.samples, stats.agreement_low, ...
    print(stats)
    print(f"lower bound {stats.agreement_low:.3f}, kappa {stats.by_task['classification'].kappa}")
    print("router thresholds now", router.thresholds)
    print("spend by model:", {m: str(s.cost_usd) for m, s in cb.per_model.items()})


if __name__ == "__main__":
    with FakeOpenAIServer() as server:  # no key: a local stand-in for the gateway
        if not os.environ.get("GLOBAL_API_KEY"):
            os.environ.update(GLOBAL_API_BASE=server.base_url, GLOBAL_API_KEY="offline")
        main(server if os.environ["GLOBAL_API_KEY"] == "offline" else None)
