"""The schema checks: structured output and tool-call arguments that do not fit their JSON schema.

Both need a :class:`~langchain_globalapi.routing.checks.CheckContext` (the bound tools, the
structured-output schema) and are skipped without one. :func:`schema_error` validates the JSON
Schema keywords that tool and response schemas use (``type``, ``properties``, ``required``,
``additionalProperties``, ``items``, ``enum``, ``const``, ``anyOf``/``oneOf``/``allOf``, local
``$ref``, string, number and array bounds, ``pattern``) within :data:`MAX_SCHEMA_NODES` visited
values; unknown keywords are ignored, so it may accept what a full validator rejects, never the
reverse for the keywords it reads.
"""

from __future__ import annotations

import json
import math
import operator
import re
from collections.abc import Callable, Mapping
from typing import Any

from langchain_globalapi.routing.checks._base import (
    AnswerCheck,
    CheckContext,
    CheckResult,
    result_of_findings,
)
from langchain_globalapi.routing.checks._view import AnswerView

__all__ = [
    "MAX_SCHEMA_NODES",
    "STRUCTURED_OUTPUT_CHARS",
    "StructuredOutputCheck",
    "ToolArgumentsCheck",
    "schema_error",
]

#: Validation stops (and passes what it has not reached) after this many values.
MAX_SCHEMA_NODES = 300
#: Structured output longer than this is not parsed (reported as not checked).
STRUCTURED_OUTPUT_CHARS = 200_000
_MAX_TOOL_CALLS = 16
_JSON_FENCE = re.compile(r"\A\s*```(?:json)?\s*\n(.*?)\n?```\s*\Z", re.DOTALL)
# (keyword, test that fails the value against the bound, how the failure reads)
_BOUNDS: tuple[tuple[str, Callable[[float, float], bool], str], ...] = (
    ("minimum", operator.lt, "below"),
    ("maximum", operator.gt, "above"),
    ("exclusiveMinimum", operator.le, "not above"),
    ("exclusiveMaximum", operator.ge, "not below"),
)
_EXACT_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "boolean": (bool,),
    "null": (type(None),),
}
_STRING_KEYWORDS = frozenset(("minLength", "maxLength", "pattern"))
_COMBINED = frozenset(("const", "enum", "anyOf", "oneOf", "allOf"))
_NUMBER_KEYWORDS = frozenset(("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"))
#: A value's place in the document, as its keys and indexes (formatted only for a message).
Path = tuple[str | int, ...]


def _is_type(value: Any, kind: str) -> bool:
    # Exact type tests: JSON values are plain dict/list/str/int/float/bool/None, and bool is
    # not an integer in JSON Schema (type(True) is bool, not int).
    value_type = type(value)
    if kind == "integer":
        return value_type is int or (value_type is float and value.is_integer())
    if kind == "number":
        return value_type is int or value_type is float
    types = _EXACT_TYPES.get(kind)
    return True if types is None else value_type in types or isinstance(value, types)


def _where(path: Path) -> str:
    if not path:
        return "the value"
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


class _Validator:
    """One validation: the root (for references) and the budget of values left to visit."""

    def __init__(self, root: dict[str, Any]) -> None:
        self.root = root
        self.budget = MAX_SCHEMA_NODES

    def _resolve(self, schema: dict[str, Any], depth: int) -> dict[str, Any]:
        while isinstance(schema.get("$ref"), str) and depth < 32:
            ref = schema["$ref"]
            if not ref.startswith("#"):
                return {}  # remote references are not fetched: accept
            target: Any = self.root
            for part in ref[2:].split("/") if len(ref) > 1 else []:
                key = part.replace("~1", "/").replace("~0", "~")
                target = target.get(key, {}) if isinstance(target, dict) else {}
            schema = target if isinstance(target, dict) else {}
            depth += 1
        return schema

    def error(self, value: Any, schema: Any, path: Path, depth: int = 0) -> str | None:
        if not isinstance(schema, dict) or depth > 64:
            return None
        self.budget -= 1
        if self.budget < 0:
            return None
        if "$ref" in schema:
            schema = self._resolve(schema, depth)
        kind = schema.get("type")
        if kind is not None:
            if type(kind) is str:
                fits = _is_type(value, kind)
            else:
                fits = any(_is_type(value, k) for k in kind if isinstance(k, str))
            if not fits:
                shown = kind if type(kind) is str else "/".join(str(k) for k in kind)
                return f"{_where(path)} should be {shown}, got {type(value).__name__}"
        if not _COMBINED.isdisjoint(schema.keys()):
            found = self._combined_error(value, schema, path, depth)
            if found is not None:
                return found
        value_type = type(value)
        if value_type is dict:
            return self._object_error(value, schema, path, depth)
        if value_type is list:
            return self._array_error(value, schema, path, depth)
        if value_type is str:
            return (
                self._string_error(value, schema, path)
                if _STRING_KEYWORDS & schema.keys()
                else None
            )
        if value_type is int or value_type is float:
            return self._number_error(value, schema, path)
        return None

    def _combined_error(
        self, value: Any, schema: dict[str, Any], path: Path, depth: int
    ) -> str | None:
        """``const``, ``enum``, ``anyOf``/``oneOf`` (as any-of) and ``allOf``."""
        if "const" in schema and value != schema["const"]:
            return f"{_where(path)} should be {schema['const']!r}"
        enum = schema.get("enum")
        if isinstance(enum, list) and value not in enum:
            return f"{_where(path)} should be one of {enum[:5]!r}"
        for keyword in ("anyOf", "oneOf"):
            options = schema.get(keyword)
            if (
                isinstance(options, list)
                and options
                and all(self.error(value, o, path, depth + 1) is not None for o in options)
            ):
                return f"{_where(path)} matches none of its {keyword} schemas"
        for option in schema.get("allOf") or ():
            found = self.error(value, option, path, depth + 1)
            if found is not None:
                return found
        return None

    def _object_error(
        self, value: dict[str, Any], schema: dict[str, Any], path: Path, depth: int
    ) -> str | None:
        properties = schema.get("properties")
        if not isinstance(properties, dict):
            properties = {}
        for name in schema.get("required") or ():
            if name not in value:
                return f"missing required {_where((*path, name))}"
        extra = schema.get("additionalProperties", True)
        for name, item in value.items():
            if name in properties:
                found = self.error(item, properties[name], (*path, name), depth + 1)
            elif extra is False:
                found = f"unexpected property {_where((*path, name))}"
            elif isinstance(extra, dict):
                found = self.error(item, extra, (*path, name), depth + 1)
            else:
                continue
            if found is not None or self.budget < 0:
                return found
        return None

    def _array_error(
        self, value: list[Any], schema: dict[str, Any], path: Path, depth: int
    ) -> str | None:
        low, high = schema.get("minItems"), schema.get("maxItems")
        if isinstance(low, int) and len(value) < low:
            return f"{_where(path)} has {len(value)} items, fewer than {low}"
        if isinstance(high, int) and len(value) > high:
            return f"{_where(path)} has {len(value)} items, more than {high}"
        items = schema.get("items")
        if isinstance(items, dict):
            for index, item in enumerate(value):
                found = self.error(item, items, (*path, index), depth + 1)
                if found is not None or self.budget < 0:
                    return found
        return None

    @staticmethod
    def _string_error(value: str, schema: dict[str, Any], path: Path) -> str | None:
        low, high = schema.get("minLength"), schema.get("maxLength")
        if isinstance(low, int) and len(value) < low:
            return f"{_where(path)} is shorter than {low} characters"
        if isinstance(high, int) and len(value) > high:
            return f"{_where(path)} is longer than {high} characters"
        pattern = schema.get("pattern")
        if isinstance(pattern, str):
            try:
                if re.search(pattern, value[:10_000]) is None:
                    return f"{_where(path)} does not match {pattern!r}"
            except re.error:
                return None
        return None

    @staticmethod
    def _number_error(value: float, schema: dict[str, Any], path: Path) -> str | None:
        if isinstance(value, float) and not math.isfinite(value):
            return f"{_where(path)} is not a finite number"
        if not _NUMBER_KEYWORDS & schema.keys():
            return None
        for keyword, fails, word in _BOUNDS:
            bound = schema.get(keyword)
            if (
                isinstance(bound, int | float)
                and not isinstance(bound, bool)
                and fails(value, bound)
            ):
                return f"{_where(path)} = {value!r} is {word} {bound!r}"
        return None


def schema_error(value: Any, schema: Mapping[str, Any]) -> str | None:
    """The first way ``value`` fails ``schema`` (a JSON schema dict), or None when it fits.

    Example:
        >>> schema = {"type": "object", "properties": {"a": {"type": "integer"}},
        ...           "required": ["a"]}
        >>> schema_error({"a": "3"}, schema)
        'a should be integer, got str'
        >>> schema_error({"a": 3}, schema) is None
        True
    """
    root = dict(schema)
    return _Validator(root).error(value, root, ())


def _parse_json(text: str) -> tuple[Any, str | None]:
    fenced = _JSON_FENCE.match(text)
    if fenced is not None:
        text = fenced.group(1)
    try:
        return json.loads(text), None
    except ValueError as error:
        return None, f"not valid JSON ({error})"
    except RecursionError:
        return None, "nested too deep to parse"


class StructuredOutputCheck(AnswerCheck):
    """Flag structured output that is not JSON or does not fit the requested schema.

    The output is the tool call named like the schema (``with_structured_output``'s function
    calling), else the single tool call when no bound tool has its name, else the text content
    (a JSON document, optionally in a ```` ```json ```` fence).

    Args:
        invalid_json_risk: Risk of output that is not valid JSON.
        schema_risk: Risk of JSON that does not fit the schema.

    Example:
        >>> from langchain_core.messages import AIMessage
        >>> ctx = CheckContext(response_schema={"title": "Answer", "type": "object",
        ...     "properties": {"value": {"type": "number"}}, "required": ["value"]})
        >>> StructuredOutputCheck()("2+2?", AIMessage(content='{"value": 4}'), context=ctx).risk
        0.0
        >>> StructuredOutputCheck()("2+2?", AIMessage(content='{"v": 4}'), context=ctx).reason
        'structured output does not fit its schema: missing required value'
    """

    name = "structured_output"

    def __init__(self, *, invalid_json_risk: float = 0.9, schema_risk: float = 0.8) -> None:
        self.invalid_json_risk = invalid_json_risk
        self.schema_risk = schema_risk

    def evaluate(self, view: AnswerView, context: CheckContext | None = None) -> CheckResult:
        """Find the structured output, parse it if it is text, and validate it."""
        schema = context.response_json_schema if context is not None else None
        if schema is None:
            return CheckResult.skipped(self.name, "no structured-output schema given")
        title = schema.get("title")
        answer = view.answer
        tool_names = context.tool_schemas if context is not None else {}
        calls = [c for c in answer.tool_calls if c.get("name") == title]
        if (
            not calls
            and len(answer.tool_calls) == 1
            and answer.tool_calls[0]["name"] not in tool_names
        ):
            calls = list(answer.tool_calls)
        if calls:
            value: Any = calls[0].get("args")
        elif any(c.get("name") == title for c in answer.invalid_tool_calls):
            return CheckResult(
                self.name, self.invalid_json_risk, "structured output is not valid JSON"
            )
        else:
            text = view.text
            if len(text) > STRUCTURED_OUTPUT_CHARS:
                return CheckResult.skipped(self.name, "structured output too long to check")
            if not text.strip():
                return CheckResult(self.name, self.invalid_json_risk, "no structured output")
            value, problem = _parse_json(text)
            if problem is not None:
                return CheckResult(
                    self.name, self.invalid_json_risk, f"structured output is {problem}"
                )
        error = schema_error(value, schema)
        if error is not None:
            return CheckResult(
                self.name, self.schema_risk, f"structured output does not fit its schema: {error}"
            )
        return CheckResult(self.name, 0.0, "structured output fits its schema")


class ToolArgumentsCheck(AnswerCheck):
    """Flag tool calls to unknown tools, with unparseable arguments, or arguments off-schema.

    Args:
        unknown_tool_risk: Risk of a call to a tool that was not bound.
        invalid_json_risk: Risk of arguments that are not valid JSON.
        schema_risk: Risk of arguments that do not fit the tool's schema.

    Example:
        >>> from langchain_core.messages import AIMessage
        >>> ctx = CheckContext(tools=[{"type": "function", "function": {"name": "add",
        ...     "parameters": {"type": "object", "properties": {"a": {"type": "integer"}},
        ...                    "required": ["a"]}}}])
        >>> call = AIMessage(
        ...     content="", tool_calls=[{"name": "add", "args": {"a": "x"}, "id": "1"}]
        ... )
        >>> ToolArgumentsCheck()("add", call, context=ctx).reason
        'add: a should be integer, got str'
    """

    name = "tool_arguments"

    def __init__(
        self,
        *,
        unknown_tool_risk: float = 0.9,
        invalid_json_risk: float = 0.9,
        schema_risk: float = 0.8,
    ) -> None:
        self.unknown_tool_risk = unknown_tool_risk
        self.invalid_json_risk = invalid_json_risk
        self.schema_risk = schema_risk

    def evaluate(self, view: AnswerView, context: CheckContext | None = None) -> CheckResult:
        """Validate every tool call (up to 16) against the bound tools' schemas."""
        tools = context.tool_schemas if context is not None else {}
        if not tools:
            return CheckResult.skipped(self.name, "no tool schemas given")
        answer = view.answer
        if not answer.tool_calls and not answer.invalid_tool_calls:
            return CheckResult.skipped(self.name, "no tool call")
        schema = context.response_json_schema if context is not None else None
        structured = schema.get("title") if schema is not None else None
        findings: list[tuple[float, str]] = []
        for bad in answer.invalid_tool_calls[:_MAX_TOOL_CALLS]:
            name = bad.get("name") or "a tool call"
            findings.append((self.invalid_json_risk, f"{name}: arguments are not valid JSON"))
        for call in answer.tool_calls[:_MAX_TOOL_CALLS]:
            name = call["name"]
            if name not in tools:
                if name != structured:
                    findings.append((self.unknown_tool_risk, f"calls unknown tool {name!r}"))
                continue
            error = schema_error(call.get("args"), tools[name])
            if error is not None:
                findings.append((self.schema_risk, f"{name}: {error}"))
        return result_of_findings(self.name, findings, "tool arguments fit their schemas")
