"""Structured extraction: `with_structured_output` on a model, a fallback chain and a router.

    python cookbook/structured_extraction/structured_extraction.py

The schema is bound on every member and tier (tool calling, the method they all share), so
whichever model answers, the result is a validated pydantic object. Offline, the local test
server fills the schema from the quoted values in the prompt and rate-limits V4 Flash once.
"""

from __future__ import annotations

import os

from pydantic import BaseModel, Field

from langchain_globalapi import (
    ChatGlobalAPI,
    FallbackChatModel,
    TieredRouterRunnable,
    get_globalapi_callback,
)
from langchain_globalapi.testing import FakeOpenAIServer, Fault

FLASH, PRO = "deepseek-ai/DeepSeek-V4-Flash", "deepseek-ai/DeepSeek-V4-Pro"


class Ticket(BaseModel):
    """A support ticket's routing fields."""

    customer: str = Field(description="the customer's name")
    team: str = Field(description="billing, auth or shipping")
    urgent: bool = Field(description="does the customer need it today?")


def main(server: FakeOpenAIServer | None) -> None:
    """Extract the same fields three ways."""
    text = "Extract the ticket: customer 'Ana Silva', team 'billing': charged twice, fix today."

    llm = ChatGlobalAPI(model=FLASH, temperature=0)
    print(llm.with_structured_output(Ticket).invoke(text))

    # Through a fallback chain: Flash is rate-limited, Pro fills the same schema.
    if server is not None:
        server.inject(FLASH, Fault.rate_limit())
    chain = FallbackChatModel([llm, ChatGlobalAPI(model=PRO, temperature=0)])
    result = chain.with_structured_output(Ticket, include_raw=True).invoke(text)
    print(result["parsed"], "| served by", result["raw"].response_metadata["model"])

    # Through the router: any tier parses; include_raw keeps the routing metadata.
    router = TieredRouterRunnable.from_defaults(temperature=0)
    extract = router.with_structured_output(Ticket, include_raw=True)
    with get_globalapi_callback() as cb:
        for hint in ("low", "high"):
            result = extract.invoke(text, config={"configurable": {"complexity": hint}})
            routing = result["raw"].response_metadata["routing"]
            print(f"{hint:4} -> {routing['tier']:7} {result['parsed'].model_dump()}")
    print(f"{cb.calls} calls, ${cb.total_cost_usd}")


if __name__ == "__main__":
    with FakeOpenAIServer() as server:  # no key: a local stand-in for the gateway
        if not os.environ.get("GLOBAL_API_KEY"):
            os.environ.update(GLOBAL_API_BASE=server.base_url, GLOBAL_API_KEY="offline")
        main(server if os.environ["GLOBAL_API_KEY"] == "offline" else None)
