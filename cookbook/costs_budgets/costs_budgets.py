"""Cost tracking and budgets: what each call cost, what GPT-4o would have cost, and a cap.

    python cookbook/costs_budgets/costs_budgets.py

`get_globalapi_callback()` bills every provider call once (Decimal USD from the catalog) and
answers to the names of LangChain's `get_openai_callback()`. A `Budget` with a hard limit
refuses a call before any request is sent; a soft limit on a router tier downgrades instead.
Offline, the local test server answers; prices are the real catalog's.
"""

from __future__ import annotations

import os

from langchain_globalapi import (
    Budget,
    BudgetExceededError,
    Catalog,
    ChatGlobalAPI,
    SpendLimit,
    TieredRouterRunnable,
    estimate_spend,
    get_globalapi_callback,
)
from langchain_globalapi.testing import FakeOpenAIServer


def main(server: FakeOpenAIServer | None) -> None:
    """Track, cap, downgrade and estimate."""
    # Prices: the built-in table plus your own fine-tune (Decimal $ per million tokens).
    catalog = Catalog.default().with_overrides(
        {"my-org/support-ft": {"input": "0.40", "output": "1.60", "context_window": 32000}}
    )
    info = catalog.get("my-org/support-ft")
    print(f"{info.id}: ${info.input_per_mtok} in, ${info.output_per_mtok} out per million tokens")

    llm = ChatGlobalAPI(model="deepseek-ai/DeepSeek-V4-Flash", max_tokens=200)
    with get_globalapi_callback(catalog) as cb:
        llm.invoke("Summarise our refund policy in one line")
        for _ in llm.stream("And in French?"):
            pass
    # get_openai_callback()'s names, for code written against it:
    print(
        f"{cb.successful_requests} requests, {cb.total_tokens} tokens "
        f"({cb.prompt_tokens} in, {cb.completion_tokens} out), ${cb.total_cost:.6f}"
    )
    print(
        f"spent ${cb.total_cost_usd}; GPT-4o: ${cb.reference_cost_usd} "
        f"({cb.savings_pct:.1f}% saved)"
    )

    # A hard limit refuses the call that would cross it, before any request is made.
    budget = Budget([SpendLimit.model("gpt-4o", "0.0001", per="day", hard=True)])
    gpt4o = ChatGlobalAPI(model="gpt-4o", max_tokens=5)
    sent = len(server.requests) if server is not None else 0
    with get_globalapi_callback(budget=budget) as cb:
        for n in range(1, 5):
            try:
                gpt4o.invoke(f"Question {n}: say hi")
                print(f"gpt-4o call {n}: answered, spent ${budget.spent(budget.limits[0])}")
            except BudgetExceededError as error:
                print(f"gpt-4o call {n}: refused: {error}")
                break
    if server is not None:
        print(f"requests sent: {len(server.requests) - sent}, billed: {cb.calls}")

    # A soft limit on a router tier moves requests down a tier instead of failing.
    soft = Budget([SpendLimit.tier("pro", "0.000001", per="day")])
    router = TieredRouterRunnable.from_defaults(budget=soft)
    pro = {"configurable": {"complexity": "pro"}}
    router.invoke("hi", config=pro)  # spends on pro (a BudgetDowngradeWarning goes to stderr)
    print(router.invoke("hi", config=pro).response_metadata["routing"]["reason"])

    # The spreadsheet: a month at 100M input / 30M output tokens under a mix, against GPT-4o.
    est = estimate_spend("100M", "30M", {"economy": 0.5, "flash": 0.4, "pro": 0.1})
    print(f"a month: ${est.total_usd} against ${est.baseline_usd}, {est.saving_pct:.0f}% less")


if __name__ == "__main__":
    with FakeOpenAIServer() as server:  # no key: a local stand-in for the gateway
        if not os.environ.get("GLOBAL_API_KEY"):
            os.environ.update(GLOBAL_API_BASE=server.base_url, GLOBAL_API_KEY="offline")
        main(server if os.environ["GLOBAL_API_KEY"] == "offline" else None)
