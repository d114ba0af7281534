"""The escalation signals of an agent turn (`read_turn`) and the floor policy (`turn_floor`)."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage

from langchain_globalapi.routing._agent_signals import (
    ESCALATION_EVENTS,
    TurnSignals,
    read_turn,
    turn_floor,
)

TIERS = ["economy", "flash", "pro"]


def answer(tier: str | None, *calls: tuple[str, dict[str, Any]], **agent: Any) -> AIMessage:
    routing: dict[str, Any] = {} if tier is None else {"tier": tier}
    if agent:
        routing["agent"] = agent
    return AIMessage(
        "",
        tool_calls=[{"name": n, "args": a, "id": f"{n}{i}"} for i, (n, a) in enumerate(calls)],
        response_metadata={"routing": routing} if routing else {},
    )


def result(status: str = "success") -> ToolMessage:
    return ToolMessage("r", tool_call_id="x", status=status)  # type: ignore[arg-type]


def floor(signals: TurnSignals, steps_per_tier: int | None = None, cap: int = 2) -> Any:
    return turn_floor(
        signals, escalate_on=ESCALATION_EVENTS, steps_per_tier=steps_per_tier, cap=cap
    )


def test_a_fresh_turn_is_step_one_with_no_floor() -> None:
    messages: list[BaseMessage] = [SystemMessage("be brief"), HumanMessage("hi")]

    signals = read_turn(messages, TIERS)

    assert signals == TurnSignals(step=1)
    assert floor(signals) == (None, [])


def test_earlier_turns_are_not_counted() -> None:
    messages = [
        HumanMessage("first"),
        answer("pro", ("search", {"q": "a"})),
        result("error"),
        answer("pro"),
        HumanMessage("second"),
        answer("economy", ("search", {"q": "a"})),
        result(),
    ]

    signals = read_turn(messages, TIERS)

    assert signals == TurnSignals(step=2, highest_tier=0)
    assert floor(signals) == (0, [])


def test_only_failures_since_the_previous_call_count() -> None:
    messages = [
        HumanMessage("go"),
        answer("economy", ("a", {}), ("b", {})),
        result("error"),
        result(),
        answer("flash", ("c", {})),
        result("error"),
        result("error"),
    ]

    signals = read_turn(messages, TIERS)

    assert (signals.step, signals.failed_tool_calls, signals.highest_tier) == (3, 2, 1)
    assert floor(signals) == (2, ["2 failed tool calls"])


def test_a_repeat_is_the_same_name_and_arguments_in_any_key_order() -> None:
    messages = [
        HumanMessage("go"),
        answer("economy", ("search", {"q": "x", "page": 1})),
        result(),
        answer("economy", ("search", {"page": 1, "q": "x"}), ("search", {"q": "y"})),
        result(),
        result(),
    ]

    assert read_turn(messages, TIERS).repeated_tool_calls == 1


def test_a_call_repeated_once_is_not_counted_again_later() -> None:
    messages = [
        HumanMessage("go"),
        answer("economy", ("search", {"q": "x"})),
        result(),
        answer("economy", ("search", {"q": "x"})),
        result(),
        answer("flash", ("search", {"q": "z"})),
        result(),
    ]

    assert read_turn(messages, TIERS).repeated_tool_calls == 0


def test_unserializable_arguments_still_compare() -> None:
    weird = {"where": {1: "a", "b": 2}}  # nested keys of mixed types cannot be sorted
    messages = [HumanMessage("go"), answer("economy", ("f", weird)), result()]
    messages += [answer("economy", ("f", dict(weird))), result()]

    assert read_turn(messages, TIERS).repeated_tool_calls == 1


def test_invalid_structured_output_is_read_from_the_previous_answers_record() -> None:
    marked = answer("flash", invalid_structured_output=True)
    messages = [HumanMessage("go"), marked, ToolMessage("fix it", tool_call_id="x")]

    signals = read_turn(messages, TIERS)

    assert signals.invalid_structured_output is True
    assert floor(signals) == (2, ["invalid structured output"])


def test_answers_from_unknown_tiers_or_without_routing_set_no_floor() -> None:
    messages = [HumanMessage("go"), answer("ultra"), result("error")]

    signals = read_turn(messages, TIERS)

    assert signals.highest_tier is None
    assert floor(signals) == (1, ["1 failed tool call"])


@pytest.mark.parametrize(
    ("step", "expected"),
    [
        (3, (0, [])),
        (4, (1, ["3 model calls in this turn"])),
        (7, (1, ["6 model calls in this turn"])),
    ],
)
def test_every_steps_per_tier_calls_raise_the_floor_once(step: int, expected: Any) -> None:
    assert floor(TurnSignals(step=step, highest_tier=0), steps_per_tier=3) == expected


def test_several_events_raise_the_floor_only_one_tier() -> None:
    signals = TurnSignals(step=4, failed_tool_calls=1, repeated_tool_calls=1, highest_tier=0)

    assert floor(signals, steps_per_tier=3) == (
        1,
        ["1 failed tool call", "1 repeated tool call", "3 model calls in this turn"],
    )


def test_the_cap_limits_escalation_but_never_lowers_the_tier_used() -> None:
    signals = TurnSignals(step=3, failed_tool_calls=1, highest_tier=2)

    assert floor(signals, cap=0) == (2, ["1 failed tool call"])
    assert floor(TurnSignals(step=2, failed_tool_calls=1, highest_tier=0), cap=0)[0] == 0


def test_disabled_events_are_not_escalated() -> None:
    signals = TurnSignals(step=2, failed_tool_calls=1, repeated_tool_calls=2, highest_tier=0)

    assert turn_floor(signals, escalate_on=(), steps_per_tier=None, cap=2) == (0, [])
