"""A LangGraph graph with a routed node: triage on the cheapest model, answer through the router.

    python cookbook/langgraph_node/langgraph_node.py

Two nodes: `triage` asks GA-Economy whether a question is "simple" or "hard" and stores the
verdict in the graph state; `answer` calls the router with that verdict as its complexity
hint. The graph is checkpointed, and LangGraph passes the `thread_id` on to the router, so a
later turn of the same conversation starts no lower than the tier an earlier turn needed.
"""

from __future__ import annotations

import os

from langchain_core.messages import AIMessage, HumanMessage
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import START, MessagesState, StateGraph

from langchain_globalapi import ChatGlobalAPI, TieredRouterRunnable, get_globalapi_callback
from langchain_globalapi.testing import FakeOpenAIServer


class State(MessagesState):
    """The conversation, plus the triage verdict for the current turn."""

    verdict: str


def build_graph() -> object:
    """triage -> answer, checkpointed in memory."""
    triage_model = ChatGlobalAPI(model="GA-Economy", temperature=0, max_tokens=5)
    router = TieredRouterRunnable.from_defaults(temperature=0)

    def triage(state: State) -> dict:
        question = state["messages"][-1].text
        reply = triage_model.invoke(
            f"Answer 'simple' or 'hard': how hard is this question to answer well? {question}"
        )
        return {"verdict": "hard" if "hard" in reply.text.lower() else "simple"}

    def answer(state: State) -> dict:
        hint = "high" if state["verdict"] == "hard" else "auto"
        config = {"configurable": {"complexity": hint}}
        return {"messages": [router.invoke(state["messages"], config=config)]}

    graph = StateGraph(State)
    graph.add_node("triage", triage)
    graph.add_node("answer", answer)
    graph.add_edge(START, "triage")
    graph.add_edge("triage", "answer")
    return graph.compile(checkpointer=InMemorySaver())


def main(server: FakeOpenAIServer | None) -> None:
    """Two conversations: one that needed pro once, one that never did."""
    if server is not None:  # the offline triage model calls anything with "prove" hard
        server.set_reply(
            "GA-Economy", lambda r: "hard" if "prove" in str(r["messages"]).lower() else "simple"
        )
    app = build_graph()
    with get_globalapi_callback() as cb:
        for thread, question in [
            ("alice", "Prove that there are infinitely many primes."),
            ("alice", "Thanks! And what is 2 + 2?"),
            ("bob", "Thanks! And what is 2 + 2?"),
        ]:
            config = {"configurable": {"thread_id": thread}}
            state = app.invoke({"messages": [HumanMessage(question)]}, config=config)
            reply: AIMessage = state["messages"][-1]
            routing = reply.response_metadata["routing"]
            print(f"{thread:5} {state['verdict']:6} -> {routing['tier']:7} ({routing['reason']})")
        saved = app.get_state({"configurable": {"thread_id": "alice"}}).values["messages"]
        print(f"alice's thread holds {len(saved)} messages")
    print(f"{cb.calls} calls, ${cb.total_cost_usd}")


if __name__ == "__main__":
    with FakeOpenAIServer() as server:  # no key: a local stand-in for the gateway
        if not os.environ.get("GLOBAL_API_KEY"):
            os.environ.update(GLOBAL_API_BASE=server.base_url, GLOBAL_API_KEY="offline")
        main(server if os.environ["GLOBAL_API_KEY"] == "offline" else None)
