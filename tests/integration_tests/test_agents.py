"""Every wrapper inside LangChain's `create_agent` (which rejects pre-bound and
`with_fallbacks` models): the tool loop runs through the fallback chain, the cache and the
whole stack, against the local server."""

from __future__ import annotations

from pathlib import Path

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, ToolMessage

from langchain_globalapi import (
    CachedChatModel,
    ChatGlobalAPI,
    ExactCache,
    FallbackChatModel,
    SQLiteStore,
    TieredRouterRunnable,
)
from langchain_globalapi.testing import FakeOpenAIServer, Fault

agents = pytest.importorskip("langchain.agents", reason="langchain (create_agent) not installed")

FLASH = "deepseek-ai/DeepSeek-V4-Flash"
PRO = "deepseek-ai/DeepSeek-V4-Pro"


def get_weather(city: str) -> str:
    """Get the weather for a city."""
    return f"sunny in {city}"


def _run(model: BaseChatModel) -> list[object]:
    agent = agents.create_agent(model, tools=[get_weather])
    result = agent.invoke({"messages": [("human", 'call get_weather("Paris")')]})
    return list(result["messages"])


def _model(server: FakeOpenAIServer, name: str) -> ChatGlobalAPI:
    return ChatGlobalAPI(api_key="k", base_url=server.base_url, model=name)


def test_agent_loop_through_a_fallback_chain(fake_server: FakeOpenAIServer) -> None:
    fake_server.inject(FLASH, Fault.server_error(503))
    messages = _run(FallbackChatModel([_model(fake_server, FLASH), _model(fake_server, PRO)]))
    tools = [m for m in messages if isinstance(m, ToolMessage)]
    assert [t.content for t in tools] == ["sunny in Paris"]
    first_answer = next(m for m in messages if isinstance(m, AIMessage))
    assert first_answer.response_metadata["fallback"]["served_by"] == PRO


def test_agent_loop_through_the_whole_stack(fake_server: FakeOpenAIServer, tmp_path: Path) -> None:
    router = TieredRouterRunnable(
        tiers={
            "economy": _model(fake_server, "GA-Economy"),
            "flash": FallbackChatModel([_model(fake_server, FLASH), _model(fake_server, PRO)]),
        }
    )
    stack = CachedChatModel(router, cache=ExactCache(SQLiteStore(str(tmp_path / "c.db"))))
    first = _run(stack)
    again = _run(stack)
    assert [m.content for m in first if isinstance(m, ToolMessage)] == ["sunny in Paris"]
    final_again = again[-1]
    assert isinstance(final_again, AIMessage)
    assert final_again.response_metadata["cache"]["hit"] is True
