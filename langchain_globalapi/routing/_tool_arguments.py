"""The tool-call check: does an answer call a tool that exists, with arguments its schema takes?

A cheap model that calls `get_weather` without `city`, passes `"three"` for an integer, or
calls a tool nobody bound has not done the job: the tool would fail and the agent would
spend a step on the error. `tool_arguments_check` finds that before the tool runs, so the
agent middleware can ask the next tier instead. It has the shape of an answer check,
`(input, answer, *, tools) -> (risk, reason)`, so it sits beside the general cascade checks.

Arguments are validated by the cascade checks' `schema_error` (the JSON Schema keywords tool
schemas use, within a bounded number of visited values).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from langchain_core.messages import AIMessage

from langchain_globalapi.routing.checks import schema_error

__all__ = ["tool_arguments_check"]

_MAX_TOOL_CALLS = 16
_MAX_REASONS = 3


def _function_schemas(tools: Sequence[Mapping[str, Any]]) -> tuple[dict[str, Any], bool]:
    """Parameters schema by function name, and whether every tool was a named function."""
    schemas: dict[str, Any] = {}
    all_named = True
    for tool in tools:
        function = tool.get("function") if tool.get("type") == "function" else tool
        name = function.get("name") if isinstance(function, Mapping) else None
        if not isinstance(name, str) or not name:
            all_named = False  # a provider's built-in tool: its calls cannot be judged here
            continue
        assert isinstance(function, Mapping)  # for mypy: a name was found in it
        schemas[name] = function.get("parameters") or {"type": "object"}
    return schemas, all_named


def tool_arguments_check(
    model_input: Any, answer: AIMessage, *, tools: Sequence[Mapping[str, Any]]
) -> tuple[float, str]:
    """Risk 1.0 when a tool call names an unknown tool or has arguments its schema refuses.

    Args:
        model_input: What the model was asked (unused here; the shape of an answer check).
        answer: The model's answer; its `tool_calls` and `invalid_tool_calls` are checked
            (at most 16 of each).
        tools: The bound tools as OpenAI tool dicts (`{"type": "function", "function":
            {"name", "parameters"}}`) or bare function dicts (`{"name", "parameters"}`).
            With a tool that has no name (a provider's built-in), unknown names pass.

    Returns:
        `(risk, reason)`: `(0.0, ...)` when every call fits or there is none, else `(1.0,
        reason)` naming up to three problems, e.g. `"get_weather: missing required
        argument 'city'"`.

    Example:
        >>> weather = {"type": "function", "function": {"name": "get_weather", "parameters": {
        ...     "type": "object", "properties": {"city": {"type": "string"},
        ...     "days": {"type": "integer"}}, "required": ["city"]}}}
        >>> def call(**args):
        ...     return AIMessage("", tool_calls=[{"name": "get_weather", "args": args, "id": "1"}])
        >>> tool_arguments_check("", call(city="Oslo", days=3), tools=[weather])
        (0.0, 'tool arguments fit their schemas')
        >>> tool_arguments_check("", call(days="three"), tools=[weather])
        (1.0, 'get_weather: missing required city')
        >>> tool_arguments_check("", call(city="Oslo", days="three"), tools=[weather])
        (1.0, 'get_weather: days should be integer, got str')
    """
    if not answer.tool_calls and not answer.invalid_tool_calls:
        return 0.0, "no tool calls"
    schemas, all_named = _function_schemas(tools)
    problems: list[str] = []
    for bad in answer.invalid_tool_calls[:_MAX_TOOL_CALLS]:
        problems.append(f"{bad.get('name') or 'a tool call'}: arguments are not valid JSON")
    for call in answer.tool_calls[:_MAX_TOOL_CALLS]:
        name = call["name"]
        schema = schemas.get(name)
        if schema is None:
            if all_named:
                known = ", ".join(sorted(schemas)) or "none"
                problems.append(f"calls unknown tool {name!r} (tools: {known})")
            continue
        args = call.get("args")
        if isinstance(args, str):  # some providers leave arguments as text
            try:
                args = json.loads(args)
            except ValueError:
                problems.append(f"{name}: arguments are not valid JSON")
                continue
        error = schema_error(args, schema)
        if error is not None:
            problems.append(f"{name}: {error}")
    if not problems:
        return 0.0, "tool arguments fit their schemas"
    return 1.0, "; ".join(problems[:_MAX_REASONS])
