"""How an agent's turn is going, read from its messages, and the tier floor that follows.

An agent turn is everything after the last human message: model calls (`AIMessage`s) and
tool results (`ToolMessage`s). Before each model call, `read_turn` counts what the loop did
since the previous call: tool results with `status="error"`, tool calls the previous answer
repeated verbatim (same name, same arguments) from earlier in the turn, and an answer the
middleware marked as invalid structured output. Each answer in the turn also says which tier
gave it (`response_metadata["routing"]["tier"]`), so the state is all in the messages: a
checkpointed thread resumes with the same floor, and nothing is kept between calls.

`turn_floor` is the policy. Within a turn the floor never drops: it is the strongest tier
an earlier call of the turn used, and it rises one tier above that when something went wrong
since the previous call (any enabled event: a failed tool call, a repeated tool call, invalid
structured output, or another `steps_per_tier` model calls), at most to the cap. Several
events at once still raise it one tier: each step can escalate only once.

Example:
    >>> from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
    >>> call = {"name": "search", "args": {"q": "x"}, "id": "1"}
    >>> economy = {"routing": {"tier": "economy"}}
    >>> turn = [HumanMessage("find x"),
    ...         AIMessage("", tool_calls=[call], response_metadata=economy),
    ...         ToolMessage("boom", tool_call_id="1", status="error")]
    >>> signals = read_turn(turn, ["economy", "flash", "pro"])
    >>> signals.step, signals.failed_tool_calls, signals.highest_tier
    (2, 1, 0)
    >>> turn_floor(signals, escalate_on=ESCALATION_EVENTS, steps_per_tier=None, cap=2)
    (1, ['1 failed tool call'])
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage

__all__ = [
    "AGENT_KEY",
    "ESCALATION_EVENTS",
    "INVALID_OUTPUT_KEY",
    "TurnSignals",
    "read_turn",
    "turn_floor",
]

AGENT_KEY = "agent"
"""Key of the middleware's record inside `response_metadata["routing"]`."""
INVALID_OUTPUT_KEY = "invalid_structured_output"
"""Set (True) in that record on a kept answer whose structured output failed its schema."""
ESCALATION_EVENTS = ("failed_tool_call", "repeated_tool_call", "invalid_structured_output")
"""Events that raise the floor one tier (the step count is `steps_per_tier`)."""


@dataclass(frozen=True)
class TurnSignals:
    """What the current turn did before this model call.

    Attributes:
        step: This call's number in the turn (1 for the first call after the human message).
        failed_tool_calls: Tool results with `status="error"` since the previous call.
        repeated_tool_calls: Tool calls of the previous answer already made, with the same
            arguments, earlier in the turn.
        invalid_structured_output: The previous answer's structured output failed its schema.
        highest_tier: Index of the strongest tier an earlier call of the turn used, or None.
    """

    step: int
    failed_tool_calls: int = 0
    repeated_tool_calls: int = 0
    invalid_structured_output: bool = False
    highest_tier: int | None = None

    def as_metadata(self) -> dict[str, Any]:
        """The counts, for `response_metadata["routing"]["agent"]["signals"]`."""
        return {
            "failed_tool_calls": self.failed_tool_calls,
            "repeated_tool_calls": self.repeated_tool_calls,
            "invalid_structured_output": self.invalid_structured_output,
        }


def _turn(messages: Sequence[BaseMessage]) -> Sequence[BaseMessage]:
    for index in range(len(messages) - 1, -1, -1):
        if isinstance(messages[index], HumanMessage):
            return messages[index + 1 :]
    return messages


def _call_key(call: Mapping[str, Any]) -> str:
    try:
        args = json.dumps(call.get("args"), sort_keys=True, default=str)
    except (TypeError, ValueError):  # keys of mixed types cannot be sorted
        args = repr(call.get("args"))
    return f"{call.get('name')}\x00{args}"


def _agent_record(message: AIMessage) -> Mapping[str, Any]:
    routing = message.response_metadata.get("routing")
    record = routing.get(AGENT_KEY) if isinstance(routing, Mapping) else None
    return record if isinstance(record, Mapping) else {}


def read_turn(messages: Sequence[BaseMessage], tiers: Sequence[str]) -> TurnSignals:
    """The signals of the turn that `messages` (the agent's state) ends with.

    Args:
        messages: The conversation as the agent holds it (system message excluded or not).
        tiers: The router's tier names, cheapest first (answers from other tiers are ignored).

    Returns:
        The signals before the next model call.
    """
    turn = _turn(messages)
    answers = [(i, m) for i, m in enumerate(turn) if isinstance(m, AIMessage)]
    if not answers:
        return TurnSignals(step=1)
    rank = {name: index for index, name in enumerate(tiers)}
    used = [
        rank[tier]
        for _, answer in answers
        if isinstance(routing := answer.response_metadata.get("routing"), Mapping)
        and (tier := routing.get("tier")) in rank
    ]
    last_index, last = answers[-1]
    seen: set[str] = set()
    for _, answer in answers[:-1]:
        seen.update(_call_key(call) for call in answer.tool_calls)
    repeated = 0
    for call in last.tool_calls:
        key = _call_key(call)
        repeated += key in seen
        seen.add(key)
    failed = sum(
        1
        for message in turn[last_index + 1 :]
        if isinstance(message, ToolMessage) and message.status == "error"
    )
    return TurnSignals(
        step=len(answers) + 1,
        failed_tool_calls=failed,
        repeated_tool_calls=repeated,
        invalid_structured_output=bool(_agent_record(last).get(INVALID_OUTPUT_KEY)),
        highest_tier=max(used) if used else None,
    )


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def turn_floor(
    signals: TurnSignals,
    *,
    escalate_on: Collection[str],
    steps_per_tier: int | None,
    cap: int,
) -> tuple[int | None, list[str]]:
    """The lowest tier index this call may use (None: no floor) and the events that raised it.

    Args:
        signals: What the turn did so far (`read_turn`).
        escalate_on: The events that raise the floor (a subset of `ESCALATION_EVENTS`).
        steps_per_tier: Every this many model calls in a turn raise the floor (None: never).
        cap: The highest index an escalation may reach (it never lowers the tier used).
    """
    events: list[str] = []
    if "failed_tool_call" in escalate_on and signals.failed_tool_calls:
        events.append(_plural(signals.failed_tool_calls, "failed tool call"))
    if "repeated_tool_call" in escalate_on and signals.repeated_tool_calls:
        events.append(_plural(signals.repeated_tool_calls, "repeated tool call"))
    if "invalid_structured_output" in escalate_on and signals.invalid_structured_output:
        events.append("invalid structured output")
    done = signals.step - 1
    if steps_per_tier is not None and done and done % steps_per_tier == 0:
        events.append(f"{_plural(done, 'model call')} in this turn")
    if signals.highest_tier is None:
        # No earlier answer came from a known tier: escalate from the cheapest.
        return (min(1, cap) if events else None), events
    if not events:
        return signals.highest_tier, events
    return max(signals.highest_tier, min(signals.highest_tier + 1, cap)), events
