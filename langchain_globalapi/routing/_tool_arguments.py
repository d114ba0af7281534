"""The tool-call check: does an answer call a tool that exists, with arguments its schema takes?

A cheap model that calls `get_weather` without `city`, passes `"three"` for an integer, or
calls a tool nobody bound has not done the job: the tool would fail and the agent would
spend a step on the error. `tool_arguments_check` finds that before the tool runs, so the
agent middleware can ask the next tier instead. It has the shape of an answer check,
`(input, answer, *, tools) -> (risk, reason)`, so it sits beside the general cascade checks.

The validator reads the JSON Schema keywords that tool schemas use (`type`, `properties`,
`required`, `additionalProperties: false`, `items`, `enum`, `const`, `anyOf`/`oneOf`/`allOf`,
local `$ref`), within `MAX_SCHEMA_NODES` visited values; other keywords are not checked,
so it may accept what a full validator rejects, never the reverse for the keywords it reads.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from langchain_core.messages import AIMessage

__all__ = ["MAX_SCHEMA_NODES", "tool_arguments_check"]

#: Validation stops (and accepts what it has not reached) after this many values.
MAX_SCHEMA_NODES = 2000
_MAX_TOOL_CALLS = 16
_MAX_REASONS = 3
_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "boolean": (bool,),
    "null": (type(None),),
}


def _is_type(value: Any, kind: str) -> bool:
    if kind == "integer":
        return not isinstance(value, bool) and (
            isinstance(value, int) or (isinstance(value, float) and value.is_integer())
        )
    if kind == "number":
        return not isinstance(value, bool) and isinstance(value, int | float)
    types = _TYPES.get(kind)
    return True if types is None else isinstance(value, types)


class _Validator:
    def __init__(self, root: Mapping[str, Any]) -> None:
        self.root = root
        self.budget = MAX_SCHEMA_NODES

    def _resolve(self, schema: Mapping[str, Any]) -> Mapping[str, Any]:
        for _ in range(32):
            ref = schema.get("$ref")
            if not isinstance(ref, str):
                return schema
            if not ref.startswith("#/"):
                return {}  # remote references are not fetched: accept
            target: Any = self.root
            for part in ref[2:].split("/"):
                target = target.get(part, {}) if isinstance(target, Mapping) else {}
            schema = target if isinstance(target, Mapping) else {}
        return {}

    def error(self, value: Any, schema: Any, path: str, depth: int = 0) -> str | None:
        """Why `value` does not fit `schema`, or None."""
        self.budget -= 1
        if not isinstance(schema, Mapping) or depth > 64 or self.budget < 0:
            return None
        schema = self._resolve(schema)
        where = path or "the arguments"
        kind = schema.get("type")
        kinds = [k for k in (kind if isinstance(kind, list) else [kind]) if isinstance(k, str)]
        if kinds and not any(_is_type(value, k) for k in kinds):
            return f"{where} should be {'/'.join(kinds)}, got {type(value).__name__}"
        if "const" in schema and value != schema["const"]:
            return f"{where} should be {schema['const']!r}"
        enum = schema.get("enum")
        if isinstance(enum, list) and value not in enum:
            return f"{where} should be one of {enum[:5]!r}"
        for keyword in ("anyOf", "oneOf"):
            options = schema.get(keyword)
            if (
                isinstance(options, list)
                and options
                and all(self.error(value, o, path, depth + 1) is not None for o in options)
            ):
                return f"{where} matches none of its {keyword} schemas"
        for option in schema.get("allOf") or ():
            found = self.error(value, option, path, depth + 1)
            if found is not None:
                return found
        if isinstance(value, dict):
            return self._object_error(value, schema, path, depth)
        items = schema.get("items")
        if isinstance(value, list) and isinstance(items, Mapping):
            for index, item in enumerate(value):
                found = self.error(item, items, f"{path}[{index}]", depth + 1)
                if found is not None:
                    return found
        return None

    def _object_error(
        self, value: dict[str, Any], schema: Mapping[str, Any], path: str, depth: int
    ) -> str | None:
        properties = schema.get("properties")
        properties = properties if isinstance(properties, Mapping) else {}
        prefix = f"{path}." if path else ""
        for name in schema.get("required") or ():
            if name not in value:
                return f"missing required argument {prefix}{name!r}"
        if schema.get("additionalProperties") is False:
            extra = sorted(str(name) for name in value if name not in properties)
            if extra:
                return f"unexpected argument {prefix}{extra[0]!r}"
        for name, item in value.items():
            if name in properties:
                found = self.error(item, properties[name], f"{prefix}{name}", depth + 1)
                if found is not None:
                    return found
        return None


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
        (1.0, "get_weather: missing required argument 'city'")
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
        error = _Validator(schema).error(args, schema, "")
        if error is not None:
            problems.append(f"{name}: {error}")
    if not problems:
        return 0.0, "tool arguments fit their schemas"
    return 1.0, "; ".join(problems[:_MAX_REASONS])
