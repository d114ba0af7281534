"""An agent with tools through cache -> router -> fallback, billed once per request made.

    python cookbook/agent_tools/agent_tools.py

`create_agent` takes the whole stack as its model: a `CachedChatModel` in front of a
`TieredRouterRunnable` whose tiers are `FallbackChatModel`s. Offline, the local test server
rate-limits V4 Flash once (the fallback answers with V4 Pro) and a second run of the same
question is answered from the cache. Then `RoutingMiddleware` escalates a stuck tool loop.
"""

from __future__ import annotations

import os

from langchain.agents import create_agent
from langchain_core.messages import AIMessage
from langchain_core.tools import tool

from langchain_globalapi import (
    CachedChatModel,
    ChatGlobalAPI,
    ExactCache,
    FallbackChatModel,
    TieredRouterRunnable,
    get_globalapi_callback,
)
from langchain_globalapi.routing.agents import RoutingMiddleware
from langchain_globalapi.testing import FakeOpenAIServer, Fault

FLASH, PRO = "deepseek-ai/DeepSeek-V4-Flash", "deepseek-ai/DeepSeek-V4-Pro"


@tool
def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"sunny in {city}"


def steps(result: dict) -> str:
    """Which model answered each step of an agent run ('cache' for a cache hit)."""
    answered = []
    for message in result["messages"]:
        if isinstance(message, AIMessage):
            hit = message.response_metadata.get("cache", {}).get("hit")
            answered.append("cache" if hit else message.response_metadata["model"].split("/")[-1])
    return " -> ".join(answered)


def main(server: FakeOpenAIServer | None) -> None:
    """The stack as an agent's model, then the routing middleware on a stuck loop."""
    router = TieredRouterRunnable(
        tiers={
            "economy": ChatGlobalAPI(model="GA-Economy", temperature=0),
            "flash": FallbackChatModel(
                [ChatGlobalAPI(model=FLASH, temperature=0), ChatGlobalAPI(model=PRO, temperature=0)]
            ),
        },
        thresholds=[0.2],
    )
    agent = create_agent(CachedChatModel(router, cache=ExactCache()), tools=[get_weather])
    question = {"messages": [("human", "Use get_weather to check the weather in 'Oslo'.")]}
    flash = {"configurable": {"complexity": "flash"}}  # route this agent's calls to flash

    if server is not None:
        server.inject(FLASH, Fault.rate_limit())  # the first Flash call is rate-limited
    with get_globalapi_callback() as cb:
        first = agent.invoke(question, config=flash)
        print("run 1:", steps(first))
        print("answer:", first["messages"][-1].text)
        print("run 2:", steps(agent.invoke(question, config=flash)))
    print(f"billed: {cb.calls - cb.cache_hits} calls, {cb.cache_hits} cache hits at $0")
    if server is not None:  # what reached the endpoint: the failed attempt is not billed
        answered = [r for r in server.requests if r.fault is None]
        print(
            f"requests answered: {len(answered)}, refused: {len(server.requests) - len(answered)}"
        )

    # RoutingMiddleware: a cheap model that repeats a tool call is moved up a tier.
    routed = TieredRouterRunnable.from_defaults(temperature=0)
    agent = create_agent(routed, tools=[get_weather], middleware=[RoutingMiddleware()])
    if server is not None:  # GA-Economy calls the same tool again and again
        server.set_tool_calls("GA-Economy", [{"name": "get_weather", "args": {"city": "Oslo"}}])
    result = agent.invoke({"messages": [("human", "What's the weather in Oslo?")]})
    for message in result["messages"]:
        if isinstance(message, AIMessage):
            routing = message.response_metadata["routing"]
            agent_info = routing["agent"]
            line = f"step {agent_info['step']}  {routing['tier']:8} {agent_info['reason'] or ''}"
            print(line.rstrip())


if __name__ == "__main__":
    with FakeOpenAIServer() as server:  # no key: a local stand-in for the gateway
        if not os.environ.get("GLOBAL_API_KEY"):
            os.environ.update(GLOBAL_API_BASE=server.base_url, GLOBAL_API_KEY="offline")
        main(server if os.environ["GLOBAL_API_KEY"] == "offline" else None)
