"""An LCEL chain through the router: prompt | TieredRouterRunnable | parser.

    python cookbook/lcel_router/lcel_router.py

The router scores each prompt, sends it to the cheapest tier that should answer it well
(GA-Economy, DeepSeek V4 Flash, V4 Pro), and says why in `response_metadata["routing"]`.
Without GLOBAL_API_KEY the local test server answers "[<model>] <prompt>", so each line shows
which tier answered.
"""

from __future__ import annotations

import os
from pathlib import Path

from langchain_core.callbacks import get_usage_metadata_callback
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate

from langchain_globalapi import TieredRouterRunnable, get_globalapi_callback
from langchain_globalapi.routing.plan import load_prompts
from langchain_globalapi.testing import FakeOpenAIServer

PROMPTS = Path(__file__).with_name("prompts.jsonl")  # 41 example prompts, beside this script


def main() -> None:
    """Explain, invoke, hint, stream, calibrate and keep a thread's tier."""
    router = TieredRouterRunnable.from_defaults(temperature=0)  # learned scorer, 3 tiers

    # 1. Where would a prompt go? No model is called.
    for question in [
        "What is the capital of Portugal?",
        "Refactor this JavaScript callback chain into async/await and add error handling.",
        "A tank holds 1,200 litres. Pipe A fills it in 6 hours and pipe B empties it in "
        "10 hours. If both are open and the tank starts a quarter full, how long until it "
        "is full? Explain each step.",
    ]:
        decision = router.explain(question)
        print(f"{decision.tier:8} {decision.score:.2f}  {question[:48]}")

    # 2. The router is a chat model: put it in a chain.
    prompt = ChatPromptTemplate.from_messages([("system", "Be brief."), ("human", "{question}")])
    chain = prompt | router | StrOutputParser()
    with get_globalapi_callback() as cb:
        print(chain.invoke({"question": "What is the capital of Portugal?"}))
        # A hint wins over the score: "low", "high", "auto" or a tier name.
        print(chain.invoke({"question": "hi"}, config={"configurable": {"complexity": "high"}}))
    print(f"{cb.calls} calls, ${cb.total_cost_usd} (GPT-4o: ${cb.reference_cost_usd})")

    # 3. Every answer says what happened; LangChain's usage callback counts it once.
    with get_usage_metadata_callback() as usage:
        reply = router.invoke("Prove that the sum of the first n odd numbers is n^2.")
    routing = reply.response_metadata["routing"]
    print(routing["tier"], routing["model"], routing["reason"])
    print({model: u["total_tokens"] for model, u in usage.usage_metadata.items()})

    # 4. Streams come from the chosen tier; the last chunk carries the routing.
    chunks = list(router.stream("Give me three synonyms for 'quick'."))
    print(len(chunks), "chunks from", chunks[-1].response_metadata["routing"]["tier"])

    # 5. Calibrate the cut points to a target mix on a sample of your own prompts.
    sample = [p.model_input for p in load_prompts(PROMPTS)]
    reached = router.calibrate(sample, {"economy": 0.6, "flash": 0.3, "pro": 0.1})
    print("thresholds", [round(t, 3) for t in router.thresholds], "mix", reached)

    # 6. A conversation keeps the strongest tier an earlier turn needed.
    turn = {"thread_id": "customer-42"}
    router.invoke("hi", config={"configurable": {**turn, "complexity": "pro"}})
    later = router.invoke("thanks!", config={"configurable": turn})
    print(later.response_metadata["routing"]["reason"])


if __name__ == "__main__":
    with FakeOpenAIServer() as server:  # no key: a local stand-in for the gateway
        if not os.environ.get("GLOBAL_API_KEY"):
            os.environ.update(GLOBAL_API_BASE=server.base_url, GLOBAL_API_KEY="offline")
        main()
