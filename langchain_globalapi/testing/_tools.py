"""Tool calls for the fake OpenAI server: when to call a tool, and with which arguments.

Arguments are a minimal instance of the function's JSON schema, overridden by what the last
user message spells out: `name(3, "x")` call syntax, then quoted strings for string fields.
That is enough for langchain-tests' standard tool-calling tests to pass deterministically.
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["tool_arguments", "tool_to_call", "value_for_schema"]

_FORMAT_EXAMPLES = {
    "date": "2024-01-01",
    "date-time": "2024-01-01T00:00:00Z",
    "time": "00:00:00",
    "email": "x@example.com",
    "uri": "https://example.com",
    "url": "https://example.com",
    "uuid": "00000000-0000-0000-0000-000000000000",
}

# Verbs that say nothing about what a tool is for: `get_weather` is about "weather".
_GENERIC_WORDS = frozenset(
    {"get", "set", "fetch", "find", "lookup", "look", "up", "search", "create", "make", "run"}
    | {"call", "do", "query", "tool", "function"}
)
# A quote that opens after a non-word character and closes before one, so the apostrophe in
# "What's" does not start a string.
_QUOTED = re.compile(r"(?<!\w)'([^']+)'(?!\w)|\"([^\"]+)\"")
_WORDS = re.compile(r"[a-z0-9]+")


def value_for_schema(schema: Any, root: Any = None, depth: int = 0) -> Any:
    """A minimal value that validates against a JSON schema.

    Objects get their required properties (all of them when `required` is absent); strings get
    `"x"`, an enum's first value or an example of their `format`; numbers get 1; booleans True;
    arrays one item. `$ref`s into `$defs`/`definitions` are followed.

    Args:
        schema: The (sub)schema.
        root: The whole schema, for `$ref` lookups; defaults to `schema`.
        depth: Recursion depth, capped so self-referencing schemas terminate.

    Returns:
        A JSON-compatible value.
    """
    root = schema if root is None else root
    if not isinstance(schema, dict) or depth > 10:
        return "x"
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        target: Any = root
        for part in ref[2:].split("/"):
            target = target.get(part, {}) if isinstance(target, dict) else {}
        return value_for_schema(target, root, depth + 1)
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    for combinator in ("anyOf", "oneOf", "allOf"):
        options = schema.get(combinator)
        if isinstance(options, list) and options:
            non_null = [o for o in options if not (isinstance(o, dict) and o.get("type") == "null")]
            return value_for_schema((non_null or options)[0], root, depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind is None and "properties" in schema:
        kind = "object"
    if kind == "object":
        properties = schema.get("properties") or {}
        required = schema.get("required", list(properties))
        return {name: value_for_schema(properties.get(name), root, depth + 1) for name in required}
    if kind == "array":
        items = schema.get("items")
        return [value_for_schema(items, root, depth + 1)] if isinstance(items, dict) else []
    if kind in ("integer", "number"):
        return 1
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    return _FORMAT_EXAMPLES.get(str(schema.get("format")), "x")


def _mentions(function: dict[str, Any], text: str) -> bool:
    """Whether `text` asks for `function`: its name, or every meaningful word of it."""
    name = str(function.get("name", ""))
    if not name:
        return False
    lowered = text.lower()
    if name.lower() in lowered or name.lower().replace("_", " ") in lowered:
        return True
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name).lower()  # camelCase -> camel case
    words = [w for w in _WORDS.findall(spaced) if w not in _GENERIC_WORDS]
    present = set(_WORDS.findall(lowered))
    return bool(words) and all(word in present for word in words)


def tool_to_call(request: dict[str, Any], last_user_text: str | None) -> dict[str, Any] | None:
    """The function to call, following OpenAI's `tool_choice` rules, or None to answer in text.

    Args:
        request: The chat completion request JSON.
        last_user_text: The last message's text if it is a user message, else None (a tool
            result or an assistant turn is answered in text unless a call is forced).

    Returns:
        The chosen `function` object from `tools`, or None.
    """
    functions: list[dict[str, Any]] = [
        tool["function"]
        for tool in request.get("tools") or []
        if isinstance(tool, dict) and isinstance(tool.get("function"), dict)
    ]
    choice = request.get("tool_choice")
    if not functions or choice == "none":
        return None
    if isinstance(choice, dict):
        wanted = (choice.get("function") or {}).get("name")
        return next((f for f in functions if f.get("name") == wanted), functions[0])
    mentioned = None
    if last_user_text is not None:
        mentioned = next((f for f in functions if _mentions(f, last_user_text)), None)
    if choice in ("required", "any"):
        return mentioned or functions[0]
    return mentioned


def _literal(text: str) -> Any:
    text = text.strip()
    try:
        return json.loads(text)
    except ValueError:
        return text.strip("'\"")


def _coerce(value: Any, schema: Any) -> Any:
    kind = schema.get("type") if isinstance(schema, dict) else None
    try:
        if kind == "integer":
            return int(float(value))
        if kind == "number":
            return float(value)
    except (TypeError, ValueError):
        return value
    if kind == "string" and not isinstance(value, str):
        return json.dumps(value)
    return value


def _spelled_out(name: str, properties: dict[str, Any], text: str) -> dict[str, Any]:
    """Arguments written as `name(3, unit="c")` in the text, mapped onto `properties`."""
    match = re.search(re.escape(name) + r"\s*\(([^()]*)\)", text)
    if not match or not match.group(1).strip():
        return {}
    found: dict[str, Any] = {}
    positional = iter(properties)
    for part in match.group(1).split(","):
        key, sep, value = part.partition("=")
        if sep and key.strip() in properties:
            found[key.strip()] = _literal(value)
        else:
            field = next(positional, None)
            if field is not None:
                found[field] = _literal(part)
    return {key: _coerce(value, properties[key]) for key, value in found.items()}


def tool_arguments(function: dict[str, Any], user_text: str) -> Any:
    """Arguments for a call to `function`, taken from `user_text` where it spells them out.

    Starts from `value_for_schema` of the parameters; `name(3, "x")` call syntax in the text
    fills fields in order (or by `key=value`); then quoted strings fill the remaining string
    fields in order.

    Args:
        function: The `function` object of the tool.
        user_text: The last user message.

    Returns:
        The arguments object.
    """
    schema = function.get("parameters") or {"type": "object"}
    arguments = value_for_schema(schema)
    properties = schema.get("properties") if isinstance(schema, dict) else None
    if not isinstance(arguments, dict) or not isinstance(properties, dict):
        return arguments
    spelled = _spelled_out(str(function.get("name", "")), properties, user_text)
    arguments.update(spelled)
    quoted = [single or double for single, double in _QUOTED.findall(user_text)]
    for key in arguments:
        prop = properties.get(key)
        free_text = isinstance(prop, dict) and prop.get("type") == "string" and "enum" not in prop
        if quoted and free_text and key not in spelled:
            arguments[key] = quoted.pop(0)
    return arguments
