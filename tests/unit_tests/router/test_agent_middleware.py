"""`RoutingMiddleware` inside `create_agent`: each model call routed, a stuck loop escalated.

The router's tiers are economy (GA-Economy), flash and pro on the fake server; the prompt
scorer puts unmarked prompts on economy. The fake server answers a user message that names a
tool with a call to it, a tool result with text, and whatever `set_tool_calls` scripts.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from types import SimpleNamespace
from typing import Any

import pytest
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, ToolMessage
from langchain_core.tools import ToolException, tool
from pydantic import BaseModel

from langchain_globalapi import ChatGlobalAPI, get_globalapi_callback
from langchain_globalapi.costs import CostTracker
from langchain_globalapi.errors import RoutingConfigError
from langchain_globalapi.routing import TieredRouterRunnable
from langchain_globalapi.testing import FakeOpenAIServer

agents = pytest.importorskip("langchain.agents", reason="langchain (create_agent) not installed")
structured_output = pytest.importorskip("langchain.agents.structured_output")
memory = pytest.importorskip("langgraph.checkpoint.memory")
middleware_module = pytest.importorskip("langchain.agents.middleware")

from langchain_globalapi.routing.agents import RoutingMiddleware  # noqa: E402

ECONOMY, FLASH, PRO = "GA-Economy", "deepseek-ai/DeepSeek-V4-Flash", "deepseek-ai/DeepSeek-V4-Pro"
MODELS = (ECONOMY, FLASH, PRO)


def make_weather_tool(calls: list[str]) -> Any:
    @tool
    def get_weather(city: str) -> str:
        """Get the weather for a city."""
        calls.append(city)
        return f"sunny in {city}"

    return get_weather


@tool
def broken_weather(city: str) -> str:
    """Get the weather for a city (its service is down)."""
    raise ToolException(f"weather service down for {city}")


broken_weather.handle_tool_error = True


class Forecast(BaseModel):
    """A forecast."""

    city: str
    degrees: int


def answers(result: Mapping[str, Any]) -> list[AIMessage]:
    return [m for m in result["messages"] if isinstance(m, AIMessage)]


def tiers_of(result: Mapping[str, Any]) -> list[str]:
    return [m.response_metadata["routing"]["tier"] for m in answers(result)]


def record(message: BaseMessage) -> dict[str, Any]:
    agent_record: dict[str, Any] = message.response_metadata["routing"]["agent"]
    return agent_record


def assert_billed_once_per_request(tracker: CostTracker, server: FakeOpenAIServer) -> None:
    chat_requests = [r for r in server.requests if r.path.endswith("/chat/completions")]
    assert tracker.calls == len(chat_requests)
    for model in MODELS:
        billed = tracker.per_model[model].calls if model in tracker.per_model else 0
        assert billed == server.calls_for(model), model


def when_last_is(role: str, calls: list[dict[str, Any]]) -> Callable[[dict[str, Any]], Any]:
    """Scripted calls only when the last message of the request has this role."""

    def script(request: dict[str, Any]) -> list[dict[str, Any]] | None:
        return calls if request["messages"][-1]["role"] == role else None

    return script


# --- a healthy loop ----------------------------------------------------------------------------


def test_a_healthy_tool_loop_stays_on_the_scored_tier_and_escalates_nothing(
    router: TieredRouterRunnable, fake_server: FakeOpenAIServer
) -> None:
    calls: list[str] = []
    agent = agents.create_agent(
        router, tools=[make_weather_tool(calls)], middleware=[RoutingMiddleware()]
    )

    with get_globalapi_callback() as cb:
        result = agent.invoke({"messages": [("human", "use get_weather for 'Paris'")]})

    assert calls == ["Paris"]
    assert tiers_of(result) == ["economy", "economy"]
    first, final = answers(result)
    assert [record(m)["step"] for m in (first, final)] == [1, 2]
    assert all(record(m)["events"] == [] and record(m)["forced"] is None for m in (first, final))
    assert record(first)["check"] == {
        "name": "tool_arguments_check",
        "risk": 0.0,
        "reason": "tool arguments fit their schemas",
    }
    assert final.text == "[GA-Economy] Tool result: sunny in Paris"
    assert_billed_once_per_request(cb, fake_server)


def test_the_first_call_is_routed_by_the_router_alone_hints_included(
    router: TieredRouterRunnable,
) -> None:
    agent = agents.create_agent(router, middleware=[RoutingMiddleware()])

    scored = agent.invoke({"messages": [("human", "[0.5] explain monads")]})
    hinted = agent.invoke(
        {"messages": [("human", "hi")]}, config={"configurable": {"complexity": "pro"}}
    )

    assert tiers_of(scored) == ["flash"]
    assert tiers_of(hinted) == ["pro"]
    assert hinted["messages"][-1].response_metadata["routing"]["hint"] == "pro"
    assert record(hinted["messages"][-1])["floor"] is None


# --- state signals raise the floor ----------------------------------------------------------


def test_a_loop_repeating_the_same_tool_call_escalates_one_tier(
    router: TieredRouterRunnable, fake_server: FakeOpenAIServer
) -> None:
    calls: list[str] = []
    fake_server.set_tool_calls(ECONOMY, [{"name": "get_weather", "args": {"city": "Paris"}}])
    agent = agents.create_agent(
        router, tools=[make_weather_tool(calls)], middleware=[RoutingMiddleware()]
    )

    with get_globalapi_callback() as cb:
        result = agent.invoke({"messages": [("human", "weather in Paris?")]})

    assert tiers_of(result) == ["economy", "economy", "flash"]
    assert calls == ["Paris", "Paris"]
    escalated = record(result["messages"][-1])
    assert escalated["signals"]["repeated_tool_calls"] == 1
    assert escalated["events"] == ["1 repeated tool call"]
    assert (escalated["floor"], escalated["forced"], escalated["router_choice"]) == (
        "flash",
        "flash",
        "economy",
    )
    assert escalated["reason"] == "1 repeated tool call: economy -> flash"
    assert result["messages"][-1].response_metadata["routing"]["hint"] == "flash"
    assert_billed_once_per_request(cb, fake_server)


def test_each_further_repeat_raises_the_floor_again_up_to_the_strongest_tier(
    router: TieredRouterRunnable, fake_server: FakeOpenAIServer
) -> None:
    same_call = [{"name": "get_weather", "args": {"city": "Paris"}}]
    fake_server.set_tool_calls(ECONOMY, same_call)
    fake_server.set_tool_calls(FLASH, same_call)
    agent = agents.create_agent(
        router, tools=[make_weather_tool([])], middleware=[RoutingMiddleware()]
    )

    result = agent.invoke({"messages": [("human", "weather in Paris?")]})

    assert tiers_of(result) == ["economy", "economy", "flash", "pro"]
    assert result["messages"][-1].text.startswith("[deepseek-ai/DeepSeek-V4-Pro] Tool result:")
    strongest = record(result["messages"][-1])
    assert (strongest["forced"], strongest["router_choice"]) == ("pro", None)  # nothing above
    assert strongest["reason"] == "1 repeated tool call: pro, the strongest"


def test_signals_come_from_the_agent_state_even_when_the_prompt_is_trimmed(
    router: TieredRouterRunnable, fake_server: FakeOpenAIServer
) -> None:
    fake_server.set_tool_calls(ECONOMY, [{"name": "get_weather", "args": {"city": "Paris"}}])

    @middleware_module.wrap_model_call  # type: ignore[untyped-decorator]
    def keep_last_message(request: Any, handler: Any) -> Any:
        return handler(request.override(messages=request.messages[-1:]))

    agent = agents.create_agent(
        router,
        tools=[make_weather_tool([])],
        middleware=[keep_last_message, RoutingMiddleware()],
    )

    result = agent.invoke({"messages": [("human", "weather in Paris?")]})

    assert tiers_of(result) == ["economy", "economy", "flash"]


def test_a_failed_tool_call_escalates_the_next_call(
    router: TieredRouterRunnable, fake_server: FakeOpenAIServer
) -> None:
    agent = agents.create_agent(router, tools=[broken_weather], middleware=[RoutingMiddleware()])

    with get_globalapi_callback() as cb:
        result = agent.invoke({"messages": [("human", "use broken_weather for 'Oslo'")]})

    failed = [m for m in result["messages"] if isinstance(m, ToolMessage)]
    assert [m.status for m in failed] == ["error"]
    assert tiers_of(result) == ["economy", "flash"]
    escalated = record(result["messages"][-1])
    assert escalated["signals"]["failed_tool_calls"] == 1
    assert escalated["events"] == ["1 failed tool call"]
    assert_billed_once_per_request(cb, fake_server)


def test_the_floor_never_drops_within_a_turn(
    router: TieredRouterRunnable, fake_server: FakeOpenAIServer
) -> None:
    attempts: list[str] = []

    @tool
    def flaky_weather(city: str) -> str:
        """Get the weather for a city; the first attempt fails."""
        attempts.append(city)
        if len(attempts) == 1:
            raise ToolException("timed out")
        return f"rain in {city}"

    flaky_weather.handle_tool_error = True
    retry_call = [{"name": "flaky_weather", "args": {"city": "Bergen"}}]
    fake_server.set_tool_calls(
        FLASH, lambda request: retry_call if len(request["messages"]) == 3 else None
    )
    agent = agents.create_agent(router, tools=[flaky_weather], middleware=[RoutingMiddleware()])

    result = agent.invoke({"messages": [("human", "use flaky_weather for 'Oslo'")]})

    assert attempts == ["Oslo", "Bergen"]
    assert tiers_of(result) == ["economy", "flash", "flash"]
    held = record(result["messages"][-1])
    assert (held["events"], held["floor"], held["forced"]) == ([], "flash", "flash")
    assert held["reason"] == "the turn already used flash: economy -> flash"


def test_every_steps_per_tier_model_calls_raise_the_floor(
    router: TieredRouterRunnable, fake_server: FakeOpenAIServer
) -> None:
    def a_new_city_each_time(request: dict[str, Any]) -> list[dict[str, Any]]:
        return [{"name": "get_weather", "args": {"city": f"city {len(request['messages'])}"}}]

    fake_server.set_tool_calls(ECONOMY, a_new_city_each_time)
    agent = agents.create_agent(
        router, tools=[make_weather_tool([])], middleware=[RoutingMiddleware(steps_per_tier=3)]
    )

    result = agent.invoke({"messages": [("human", "weather everywhere?")]})

    assert tiers_of(result) == ["economy", "economy", "economy", "flash"]
    assert record(result["messages"][-1])["events"] == ["3 model calls in this turn"]
    assert [record(m)["signals"]["repeated_tool_calls"] for m in answers(result)] == [0, 0, 0, 0]


def test_escalate_on_can_turn_an_event_off_while_still_reporting_it(
    router: TieredRouterRunnable,
) -> None:
    agent = agents.create_agent(
        router,
        tools=[broken_weather],
        middleware=[RoutingMiddleware(escalate_on=["repeated_tool_call"])],
    )

    result = agent.invoke({"messages": [("human", "use broken_weather for 'Oslo'")]})

    assert tiers_of(result) == ["economy", "economy"]
    final = record(result["messages"][-1])
    assert final["signals"]["failed_tool_calls"] == 1
    assert final["events"] == []


def test_max_tier_caps_escalation_but_not_the_routers_own_choice(
    router: TieredRouterRunnable,
) -> None:
    agent = agents.create_agent(
        router, tools=[broken_weather], middleware=[RoutingMiddleware(max_tier="economy")]
    )

    capped = agent.invoke({"messages": [("human", "use broken_weather for 'Oslo'")]})
    scored = agent.invoke({"messages": [("human", "[0.9] use broken_weather for 'Oslo'")]})

    assert tiers_of(capped) == ["economy", "economy"]
    assert record(capped["messages"][-1])["events"] == ["1 failed tool call"]
    assert tiers_of(scored) == ["pro", "pro"]


# --- answer checks: re-asked on the next tier before the tool runs ---------------------------


@pytest.mark.parametrize(
    ("scripted", "reason"),
    [
        ({"name": "get_weather", "args": {}}, "get_weather: missing required city"),
        (
            {"name": "get_weather", "args": {"city": 3}},
            "get_weather: city should be string, got int",
        ),
        (
            {"name": "get_wether", "args": {"city": "Paris"}},
            "calls unknown tool 'get_wether' (tools: get_weather)",
        ),
        ({"name": "get_weather", "args": '{"city": '}, "get_weather: arguments are not valid JSON"),
    ],
    ids=["missing-field", "wrong-type", "unknown-tool", "malformed-json"],
)
def test_a_cheap_answer_with_bad_tool_args_is_reasked_on_the_next_tier_before_the_tool_runs(
    router: TieredRouterRunnable,
    fake_server: FakeOpenAIServer,
    scripted: dict[str, Any],
    reason: str,
) -> None:
    calls: list[str] = []
    fake_server.set_tool_calls(ECONOMY, [scripted])
    agent = agents.create_agent(
        router, tools=[make_weather_tool(calls)], middleware=[RoutingMiddleware()]
    )

    with get_globalapi_callback() as cb:
        result = agent.invoke({"messages": [("human", "use get_weather for 'Paris'")]})

    assert calls == ["Paris"]  # the tool ran once, with the flash tier's arguments
    assert tiers_of(result) == ["flash", "flash"]
    first = record(answers(result)[0])
    assert first["retry"] == {
        "tier": "economy",
        "check": "tool_arguments_check",
        "risk": 1.0,
        "reason": reason,
    }
    assert first["check"]["risk"] == 0.0  # the kept answer passed
    assert (fake_server.calls_for(ECONOMY), fake_server.calls_for(FLASH)) == (1, 2)
    assert_billed_once_per_request(cb, fake_server)


def test_bad_tool_args_on_the_strongest_tier_are_kept_and_refused_by_the_tool(
    router: TieredRouterRunnable, fake_server: FakeOpenAIServer
) -> None:
    fake_server.set_tool_calls(PRO, when_last_is("user", [{"name": "get_weather", "args": {}}]))
    agent = agents.create_agent(
        router, tools=[make_weather_tool([])], middleware=[RoutingMiddleware()]
    )

    result = agent.invoke({"messages": [("human", "[0.9] weather?")]})

    assert tiers_of(result) == ["pro", "pro"]
    first = record(answers(result)[0])
    assert first["retry"] is None
    assert first["check"]["reason"] == "get_weather: missing required city"
    refused = [m for m in result["messages"] if isinstance(m, ToolMessage)]
    assert [m.status for m in refused] == ["error"]


def test_custom_checks_may_return_an_object_with_risk_and_reason(
    router: TieredRouterRunnable,
) -> None:
    def suspicious(model_input: Any, answer: AIMessage, *, tools: Any) -> SimpleNamespace:
        cheap = answer.response_metadata["routing"]["tier"] == "economy"
        return SimpleNamespace(risk=0.9 if cheap else 0.0, reason="looks off")

    agent = agents.create_agent(
        router, tools=[make_weather_tool([])], middleware=[RoutingMiddleware(checks=[suspicious])]
    )

    result = agent.invoke({"messages": [("human", "use get_weather for 'Paris'")]})

    assert record(answers(result)[0])["retry"] == {
        "tier": "economy",
        "check": "suspicious",
        "risk": 0.9,
        "reason": "looks off",
    }


def test_a_risk_below_the_check_threshold_keeps_the_answer(
    router: TieredRouterRunnable,
) -> None:
    def mild(model_input: Any, answer: AIMessage, *, tools: Any) -> tuple[float, str]:
        return 0.4, "a little odd"

    agent = agents.create_agent(
        router,
        tools=[make_weather_tool([])],
        middleware=[RoutingMiddleware(checks=[mild], check_threshold=0.5)],
    )

    result = agent.invoke({"messages": [("human", "use get_weather for 'Paris'")]})

    assert tiers_of(result) == ["economy", "economy"]
    assert record(answers(result)[0])["check"] == {
        "name": "mild",
        "risk": 0.4,
        "reason": "a little odd",
    }


def test_invalid_structured_output_is_reasked_on_the_next_tier(
    router: TieredRouterRunnable, fake_server: FakeOpenAIServer
) -> None:
    fake_server.set_tool_calls(
        ECONOMY, [{"name": "Forecast", "args": {"city": "Oslo", "degrees": "warm"}}]
    )
    agent = agents.create_agent(router, response_format=Forecast, middleware=[RoutingMiddleware()])

    with get_globalapi_callback() as cb:
        result = agent.invoke({"messages": [("human", "forecast for Oslo")]})

    assert result["structured_response"] == Forecast(city="x", degrees=1)
    assert tiers_of(result) == ["flash"]
    retry = record(result["messages"][1])["retry"]
    assert (retry["tier"], retry["check"]) == ("economy", "structured_output")
    assert "degrees" in retry["reason"]
    assert_billed_once_per_request(cb, fake_server)


def test_structured_output_that_raises_is_reasked_on_the_next_tier(
    router: TieredRouterRunnable, fake_server: FakeOpenAIServer
) -> None:
    fake_server.set_tool_calls(ECONOMY, [{"name": "Forecast", "args": {"city": "Oslo"}}])
    strict = structured_output.ToolStrategy(Forecast, handle_errors=False)
    agent = agents.create_agent(router, response_format=strict, middleware=[RoutingMiddleware()])

    result = agent.invoke({"messages": [("human", "forecast for Oslo")]})

    assert result["structured_response"] == Forecast(city="x", degrees=1)
    assert record(result["messages"][1])["retry"]["check"] == "structured_output"


def test_structured_output_that_still_raises_on_the_strongest_tier_propagates(
    router: TieredRouterRunnable, fake_server: FakeOpenAIServer
) -> None:
    fake_server.set_tool_calls("*", [{"name": "Forecast", "args": {"city": "Oslo"}}])
    strict = structured_output.ToolStrategy(Forecast, handle_errors=False)
    agent = agents.create_agent(router, response_format=strict, middleware=[RoutingMiddleware()])

    with pytest.raises(structured_output.StructuredOutputValidationError):
        agent.invoke({"messages": [("human", "[0.9] forecast for Oslo")]})

    assert fake_server.calls_for(PRO) == 1


# --- which router answers -------------------------------------------------------------------


def test_an_agent_built_on_any_chat_model_is_routed_through_the_given_router(
    router: TieredRouterRunnable, fake_server: FakeOpenAIServer
) -> None:
    plain = ChatGlobalAPI(model="gpt-4o", api_key="k", base_url=fake_server.base_url)
    agent = agents.create_agent(plain, middleware=[RoutingMiddleware(router=router)])

    result = agent.invoke({"messages": [("human", "hello")]})

    assert result["messages"][-1].text == "[GA-Economy] hello"
    assert fake_server.calls_for("gpt-4o") == 0


def test_an_agent_whose_model_is_not_a_router_needs_one_given(
    fake_server: FakeOpenAIServer,
) -> None:
    plain = ChatGlobalAPI(model="gpt-4o", api_key="k", base_url=fake_server.base_url)
    agent = agents.create_agent(plain, middleware=[RoutingMiddleware()])

    with pytest.raises(RoutingConfigError, match=r"RoutingMiddleware\(router=router\)"):
        agent.invoke({"messages": [("human", "hello")]})
    assert fake_server.requests == []


def test_it_routes_within_the_router_that_model_router_middleware_chose(
    make_router: Callable[..., TieredRouterRunnable], fake_server: FakeOpenAIServer
) -> None:
    decisions = pytest.importorskip("langchain_core.decisions")
    middleware = middleware_module

    class PicksCode(decisions.BaseDecisionModel):  # type: ignore[misc]
        model: str = "picks-code"

        @property
        def _provider(self) -> str:
            return "test"

        def _classify(self, state: Any, questions: Any) -> Any:
            answer = {"type": "choice", "choice": "code", "probabilities": {"code": 1.0},
                      "confidence": 1.0}  # fmt: skip
            return decisions.ClassifierResponse(model=self.model, answers={"model_route": answer})

    plain = ChatGlobalAPI(model="gpt-4o", api_key="k", base_url=fake_server.base_url)
    choose = middleware.ModelRouterMiddleware(
        choices={
            "code": middleware.ModelChoice(model=make_router(), criteria="code"),
            "chat": middleware.ModelChoice(model=plain, criteria="chat"),
        },
        instructions="Pick the route.",
        classifier=PicksCode(),
    )
    agent = agents.create_agent(
        plain, tools=[broken_weather], middleware=[choose, RoutingMiddleware()]
    )

    result = agent.invoke({"messages": [("human", "use broken_weather for 'Oslo'")]})

    assert tiers_of(result) == ["economy", "flash"]
    assert fake_server.calls_for("gpt-4o") == 0


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"router": "flash"}, "takes a TieredRouterRunnable, got str"),
        ({"escalate_on": ["failed_tool"]}, "escalate_on takes a collection"),
        ({"escalate_on": "failed_tool_call"}, "escalate_on takes a collection"),
        ({"steps_per_tier": 0}, "steps_per_tier must be"),
        ({"check_threshold": math.nan}, "check_threshold must be"),
        ({"check_threshold": 1.5}, "check_threshold must be"),
        ({"checks": ["tool_arguments"]}, "checks must be callables"),
        ({"max_tier": "ultra"}, "max_tier 'ultra' is not a tier"),
    ],
)
def test_bad_settings_fail_at_construction(
    router: TieredRouterRunnable, settings: dict[str, Any], message: str
) -> None:
    settings = {"router": router, **settings}

    with pytest.raises(RoutingConfigError, match=message):
        RoutingMiddleware(**settings)


# --- threads, async, streaming ----------------------------------------------------------------


def test_a_checkpointed_thread_keeps_the_escalated_tier_on_later_turns(
    router: TieredRouterRunnable,
) -> None:
    agent = agents.create_agent(
        router,
        tools=[broken_weather],
        middleware=[RoutingMiddleware()],
        checkpointer=memory.InMemorySaver(),
    )
    thread = {"configurable": {"thread_id": "t1"}}
    other = {"configurable": {"thread_id": "t2"}}

    first = agent.invoke({"messages": [("human", "use broken_weather for 'Oslo'")]}, thread)
    second = agent.invoke({"messages": [("human", "thanks")]}, thread)
    fresh = agent.invoke({"messages": [("human", "thanks")]}, other)

    assert tiers_of(first) == ["economy", "flash"]
    later = second["messages"][-1]
    assert later.response_metadata["routing"]["tier"] == "flash"
    assert "thread 't1' used flash earlier" in later.response_metadata["routing"]["reason"]
    assert (record(later)["step"], record(later)["events"]) == (1, [])
    assert fresh["messages"][-1].response_metadata["routing"]["tier"] == "economy"


async def test_ainvoke_escalates_and_reasks_like_invoke(
    router: TieredRouterRunnable, fake_server: FakeOpenAIServer
) -> None:
    fake_server.set_tool_calls(ECONOMY, [{"name": "get_weather", "args": {}}])
    again = [{"name": "get_weather", "args": {"city": "Paris"}}]
    fake_server.set_tool_calls(FLASH, when_last_is("tool", again))
    agent = agents.create_agent(
        router, tools=[make_weather_tool([])], middleware=[RoutingMiddleware()]
    )

    with get_globalapi_callback() as cb:
        result = await agent.ainvoke({"messages": [("human", "use get_weather for 'Paris'")]})

    assert tiers_of(result) == ["flash", "flash", "pro"]  # re-asked, then a repeat escalated
    assert record(answers(result)[0])["retry"]["tier"] == "economy"
    assert record(answers(result)[2])["events"] == ["1 repeated tool call"]
    assert_billed_once_per_request(cb, fake_server)


def test_stream_messages_mode_streams_the_final_answer_once_from_the_escalated_tier(
    router: TieredRouterRunnable, fake_server: FakeOpenAIServer
) -> None:
    agent = agents.create_agent(router, tools=[broken_weather], middleware=[RoutingMiddleware()])
    text: list[str] = []
    updates: list[AIMessage] = []

    with get_globalapi_callback() as cb:
        for mode, payload in agent.stream(
            {"messages": [("human", "use broken_weather for 'Oslo'")]},
            stream_mode=["messages", "updates"],
        ):
            if mode == "messages" and isinstance(payload[0], AIMessageChunk):
                text.append(payload[0].text)
            if mode == "updates" and "model" in payload:
                updates.extend(payload["model"]["messages"])

    final = updates[-1]
    assert "".join(text) == final.text
    assert (
        final.text == "[deepseek-ai/DeepSeek-V4-Flash] Tool result: weather service down for Oslo"
    )
    assert final.response_metadata["routing"]["tier"] == "flash"
    assert record(final)["events"] == ["1 failed tool call"]
    assert_billed_once_per_request(cb, fake_server)


async def test_astream_messages_mode_streams_the_final_answer_once_from_the_escalated_tier(
    router: TieredRouterRunnable,
) -> None:
    agent = agents.create_agent(router, tools=[broken_weather], middleware=[RoutingMiddleware()])
    text: list[str] = []

    async for chunk, _ in agent.astream(
        {"messages": [("human", "use broken_weather for 'Oslo'")]}, stream_mode="messages"
    ):
        if isinstance(chunk, AIMessageChunk):
            text.append(chunk.text)

    assert "".join(text) == (
        "[deepseek-ai/DeepSeek-V4-Flash] Tool result: weather service down for Oslo"
    )
