"""The tripwire audits semantic cache hits: measured false hits, and a cache that tightens."""

from __future__ import annotations

import os

from langchain_core.messages import HumanMessage, SystemMessage

from langchain_globalapi import (
    CachedChatModel,
    ChatGlobalAPI,
    GlobalAPIEmbeddings,
    QualityTripwire,
    SemanticCache,
)
from langchain_globalapi.testing import FakeOpenAIServer

THAW = "How long should I thaw chicken in the fridge?"
FREEZE = "How long should I freeze chicken in the fridge?"  # 0.885 similar; the guard lets it by
ANSWERS = {THAW: "About a day per 2 kg.", FREEZE: "Up to nine months in the freezer."}


def main(server: FakeOpenAIServer | None) -> None:
    if server is not None:  # offline: the fake model's answers (a real model answers itself)
        server.set_reply(
            "deepseek-ai/DeepSeek-V4-Flash",
            lambda request: ANSWERS[request["messages"][-1]["content"]],
        )
    tripwire = QualityTripwire(
        ChatGlobalAPI(model="gpt-4o"),
        cache_sample_rate=1.0,  # 10% by default; every hit here, so the demo acts quickly
        cache_min_samples=5,  # 30 by default
        alert=lambda event: print("ALERT:", event.action, event.reason),
    )
    cache = SemanticCache(GlobalAPIEmbeddings(), threshold=0.85)
    bot = CachedChatModel(
        ChatGlobalAPI(model="deepseek-ai/DeepSeek-V4-Flash", temperature=0),
        cache=cache,
        tripwire=tripwire,  # may be the router's tripwire too
    )
    system = SystemMessage("You are a kitchen assistant.")
    bot.invoke([system, HumanMessage(THAW)])
    for i in range(7):
        answer = bot.invoke(
            [system, HumanMessage(FREEZE)], config={"metadata": {"request_id": f"req-{i}"}}
        )
        stamp = answer.response_metadata["cache"]
        print(i, stamp["kind"] if stamp["hit"] else "miss", stamp["similarity"], answer.text)
        tripwire.drain()  # only to keep the printout in order; production never waits

    audit = tripwire.stats().cache  # print(audit) shows it all, scopes and actions included
    print(
        f"{audit.false_hits} false of {audit.samples} re-asked: {audit.false_hit_rate:.0%} "
        f"(95% CI {audit.low:.1%}-{audit.high:.1%}), audits cost ${audit.spend_usd}"
    )
    print("threshold now", cache.threshold)


if __name__ == "__main__":
    with FakeOpenAIServer() as server:  # no key: a local stand-in for the gateway
        if not os.environ.get("GLOBAL_API_KEY"):
            os.environ.update(GLOBAL_API_BASE=server.base_url, GLOBAL_API_KEY="offline")
        main(server if os.environ["GLOBAL_API_KEY"] == "offline" else None)
