"""The cascade: a cheap answer first; checks catch a wrong one; a stronger tier redoes it.

    python cookbook/cascade/cascade.py

With `cascade=True` the routed tier answers first and the built-in answer checks (arithmetic
that does not hold, refusals, truncation, broken code, ...) read its answer; when they find
it risky the request is asked again on the next tier, and only that answer is returned. Both
calls are billed, once each. Offline, GA-Economy gets 17 * 23 wrong and V4 Flash gets it
right.
"""

from __future__ import annotations

import os

from langchain_globalapi import TieredRouterRunnable, get_globalapi_callback
from langchain_globalapi.testing import FakeOpenAIServer

QUESTIONS = {
    "What is 17 * 23?": ("17 * 23 = 381", "17 * 23 = 391"),
    "What is 12 * 12?": ("12 * 12 = 144", "12 * 12 = 144"),
    "Write a haiku about autumn.": (
        "I'm sorry, but I can't help with that.",
        "Red leaves drift and fall / ...",
    ),
}


def main(server: FakeOpenAIServer | None) -> None:
    """Three questions on economy: one wrong sum, one right, one refusal."""
    if server is not None:  # the cheap answer, and the stronger tier's answer
        server.set_reply("GA-Economy", lambda r: QUESTIONS[r["messages"][-1]["content"]][0])
        server.set_reply(
            "deepseek-ai/DeepSeek-V4-Flash", lambda r: QUESTIONS[r["messages"][-1]["content"]][1]
        )
    router = TieredRouterRunnable.from_defaults(temperature=0, cascade=True)

    with get_globalapi_callback() as cb:
        for question in QUESTIONS:
            reply = router.invoke(question, config={"configurable": {"complexity": "economy"}})
            cascade = reply.response_metadata["routing"]["cascade"]
            where = f"escalated {cascade['from']} -> {cascade['to']}" if cascade["to"] else "kept"
            print(f"{question:28} {where}: {reply.text}")
            if cascade["to"]:
                print(f"{'':28} why: {cascade['reason']}")
    calls = ", ".join(
        f"{model.split('/')[-1]} x{spend.calls}" for model, spend in cb.per_model.items()
    )
    print(f"{cb.calls} calls billed for {len(QUESTIONS)} questions: {calls}")


if __name__ == "__main__":
    with FakeOpenAIServer() as server:  # no key: a local stand-in for the gateway
        if not os.environ.get("GLOBAL_API_KEY"):
            os.environ.update(GLOBAL_API_BASE=server.base_url, GLOBAL_API_KEY="offline")
        main(server if os.environ["GLOBAL_API_KEY"] == "offline" else None)
