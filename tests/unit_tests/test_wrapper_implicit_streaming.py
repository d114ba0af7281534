"""Wrappers under LangGraph's `stream_mode="messages"`: LangChain streams inside `invoke`.

langchain-core then calls `_stream()` without a run manager; a wrapper must still make its
inner call a child run (hints reach the router), and a graph must stream each answer once.
"""

from __future__ import annotations

from langchain.agents import create_agent
from langchain_core.messages import AIMessageChunk

from langchain_globalapi import (
    CachedChatModel,
    ChatGlobalAPI,
    ExactCache,
    FallbackChatModel,
    TieredRouterRunnable,
    get_globalapi_callback,
)
from langchain_globalapi.testing import FakeOpenAIServer

ECONOMY, FLASH, PRO = "GA-Economy", "deepseek-ai/DeepSeek-V4-Flash", "deepseek-ai/DeepSeek-V4-Pro"


def stack(server: FakeOpenAIServer) -> CachedChatModel:
    def chat(model: str) -> ChatGlobalAPI:
        return ChatGlobalAPI(model=model, api_key="k", base_url=server.base_url)

    router = TieredRouterRunnable(
        tiers={"economy": chat(ECONOMY), "pro": FallbackChatModel([chat(PRO), chat(FLASH)])}
    )
    return CachedChatModel(router, cache=ExactCache())


def streamed(server: FakeOpenAIServer, prompt: str, config: dict[str, object]) -> tuple[str, str]:
    agent = create_agent(stack(server), tools=[])
    tokens: list[str] = []
    final = ""
    for mode, payload in agent.stream(
        {"messages": [("human", prompt)]}, stream_mode=["messages", "values"], config=config
    ):
        if mode == "messages" and isinstance(payload[0], AIMessageChunk):
            tokens.append(payload[0].text)
        if mode == "values":
            final = payload["messages"][-1].text
    return "".join(tokens), final


def test_a_graph_streams_each_answer_once_through_the_stack(fake_server: FakeOpenAIServer) -> None:
    text, final = streamed(fake_server, "say hello", {})
    assert text == final
    assert final


def test_a_hint_reaches_the_router_when_a_graph_streams(fake_server: FakeOpenAIServer) -> None:
    streamed(fake_server, "say hello", {"configurable": {"complexity": "high"}})
    assert [request.model for request in fake_server.requests] == [PRO]


def test_a_streamed_graph_call_is_billed_once(fake_server: FakeOpenAIServer) -> None:
    with get_globalapi_callback() as cb:
        streamed(fake_server, "say hello", {})
    assert cb.calls == len(fake_server.requests) == 1
