"""The router inside LangChain's `create_agent`: tools bound through the router on every tier."""

from __future__ import annotations

import pytest
from langchain_core.messages import ToolMessage

from langchain_globalapi.routing import TieredRouterRunnable

agents = pytest.importorskip("langchain.agents", reason="langchain (create_agent) not installed")


def get_weather(city: str) -> str:
    """Get the weather for a city."""
    return f"sunny in {city}"


def test_create_agent_runs_a_tool_loop_through_the_router(router: TieredRouterRunnable) -> None:
    agent = agents.create_agent(router, tools=[get_weather])
    result = agent.invoke({"messages": [("human", "[0.5] use get_weather for Paris")]})
    messages = result["messages"]
    tool_results = [m for m in messages if isinstance(m, ToolMessage)]
    assert len(tool_results) == 1
    assert tool_results[0].content.startswith("sunny in ")
    final = messages[-1]
    assert final.text.startswith("[deepseek-ai/DeepSeek-V4-Flash] Tool result:")
    assert final.response_metadata["routing"]["tier"] == "flash"
