"""Behaviour of the code, structured-output and tool-argument checks."""

from __future__ import annotations

import pytest
from langchain_core.messages import AIMessage
from pydantic import BaseModel

from langchain_globalapi.errors import RoutingConfigError
from langchain_globalapi.routing.checks import (
    MAX_SCHEMA_NODES,
    PYTHON_PARSE_CHARS,
    CheckContext,
    CodeCheck,
    StructuredOutputCheck,
    ToolArgumentsCheck,
    schema_error,
)

ASK_CODE = "Write a Python function that adds two numbers."
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string"},
                "unit": {"type": "string", "enum": ["c", "f"]},
                "days": {"type": "integer", "minimum": 1},
            },
            "required": ["city"],
            "additionalProperties": False,
        },
    },
}
REPORT = {
    "title": "Report",
    "type": "object",
    "properties": {
        "total": {"type": "number"},
        "items": {"type": "array", "items": {"$ref": "#/$defs/Item"}},
    },
    "required": ["total"],
    "$defs": {
        "Item": {"type": "object", "properties": {"qty": {"type": "integer"}}, "required": ["qty"]}
    },
}


def fenced(code: str, language: str = "python") -> AIMessage:
    return AIMessage(content=f"Here you go:\n\n```{language}\n{code}\n```\n")


def call(name: str, args: dict[str, object]) -> AIMessage:
    return AIMessage(content="", tool_calls=[{"name": name, "args": args, "id": "call-1"}])


# --- code ------------------------------------------------------------------------------------


def test_python_that_does_not_parse_is_flagged() -> None:
    result = CodeCheck()(ASK_CODE, fenced("def add(a, b)\n    return a + b"))
    assert result.risk == pytest.approx(0.8)
    assert "Python does not parse" in result.reason


def test_python_that_parses_passes() -> None:
    result = CodeCheck()(ASK_CODE, fenced("def add(a, b):\n    return a + b"))
    assert result.risk == 0.0
    assert result.applied


def test_unclosed_fence_is_flagged() -> None:
    answer = AIMessage(content="```python\ndef add(a, b):\n    return a + b\n")
    assert "a code fence is never closed" in CodeCheck()(ASK_CODE, answer).reason


def test_closed_fences_are_not_flagged() -> None:
    answer = AIMessage(content="```python\nx = 1\n```\ntext\n```js\nlet y = 2;\n```")
    assert CodeCheck()(ASK_CODE, answer).risk == 0.0


def test_pass_body_is_placeholder_code_when_code_was_asked_for() -> None:
    result = CodeCheck()(ASK_CODE, fenced('def add(a, b):\n    """Add."""\n    pass'))
    assert result.reason == "placeholder code: def add(...): pass"


def test_ellipsis_line_is_placeholder_code() -> None:
    result = CodeCheck()(ASK_CODE, fenced("def add(a, b):\n    # ...\n    return a"))
    assert "placeholder code: # ..." in result.reason


def test_todo_is_placeholder_code() -> None:
    assert "TODO" in CodeCheck()(ASK_CODE, fenced("def add(a, b):\n    return 0  # TODO")).reason


def test_placeholders_are_not_flagged_when_no_code_was_asked_for() -> None:
    question = "Explain what an abstract method looks like."
    answer = fenced("class Base:\n    def run(self):\n        pass")
    assert CodeCheck()(question, answer).risk == 0.0


def test_todo_inside_a_word_is_not_a_placeholder() -> None:
    answer = fenced("const todos = [];\nfunction addTodo(t) { todos.push(t); }", "javascript")
    assert CodeCheck()("Write a JavaScript function to add a todo.", answer).risk == 0.0


def test_unbalanced_braces_in_javascript_are_flagged() -> None:
    result = CodeCheck()(ASK_CODE, fenced("function add(a, b) {\n  return a + b;\n", "js"))
    assert "brackets do not balance: 1 unclosed '{'" in result.reason


def test_brackets_inside_strings_and_comments_do_not_count() -> None:
    code = 'const open = "{[(";\n// a stray ) in a comment\nfunction f() { return open; }'
    assert CodeCheck()(ASK_CODE, fenced(code, "js")).risk == 0.0


def test_rust_lifetimes_are_not_strings() -> None:
    code = "fn first<'a>(s: &'a str) -> &'a str {\n    &s[..1]\n}"
    assert CodeCheck()("Write a Rust function.", fenced(code, "rust")).risk == 0.0


def test_shell_and_prose_fences_are_not_bracket_checked() -> None:
    code = 'case "$1" in\n  start) run ;;\nesac'
    assert CodeCheck()("How do I write a case?", fenced(code, "bash")).risk == 0.0


def test_invalid_json_block_is_flagged() -> None:
    result = CodeCheck()("Give me JSON", fenced('{"a": 1,}', "json"))
    assert "JSON does not parse" in result.reason


def test_no_code_at_all_when_code_was_asked_for_is_flagged() -> None:
    answer = AIMessage(content="You could add the two numbers and return the sum.")
    assert CodeCheck()(ASK_CODE, answer).reason == "code was asked for and the answer has none"


def test_inline_code_without_fences_counts_as_code() -> None:
    answer = AIMessage(content="def add(a, b):\n    return a + b")
    assert CodeCheck()(ASK_CODE, answer).risk == 0.0


def test_long_python_falls_back_to_the_bracket_test() -> None:
    body = "\n".join(f"    total += {i}" for i in range(PYTHON_PARSE_CHARS // 10))
    valid = f"def total():\n    total = 0\n{body}\n    return total"
    assert len(valid) > PYTHON_PARSE_CHARS
    assert CodeCheck()(ASK_CODE, fenced(valid)).risk == 0.0
    broken = valid.replace("return total", "return max(total, 0")
    assert "1 unclosed '('" in CodeCheck()(ASK_CODE, fenced(broken)).reason


def test_answer_without_code_to_a_non_code_question_is_skipped() -> None:
    assert not CodeCheck()("What is the capital of France?", AIMessage(content="Paris.")).applied


# --- structured output -----------------------------------------------------------------------


def test_json_that_fits_the_schema_passes() -> None:
    answer = AIMessage(content='{"total": 3, "items": [{"qty": 3}]}')
    result = StructuredOutputCheck()("Report", answer, context=CheckContext(response_schema=REPORT))
    assert result.risk == 0.0
    assert result.reason == "structured output fits its schema"


def test_output_that_is_not_json_is_flagged() -> None:
    answer = AIMessage(content="The total is 3.")
    result = StructuredOutputCheck()("Report", answer, context=CheckContext(response_schema=REPORT))
    assert result.risk == pytest.approx(0.9)
    assert "not valid JSON" in result.reason


def test_json_missing_a_required_field_is_flagged() -> None:
    answer = AIMessage(content='{"items": []}')
    result = StructuredOutputCheck()("Report", answer, context=CheckContext(response_schema=REPORT))
    assert result.reason == "structured output does not fit its schema: missing required total"


def test_schema_references_are_followed() -> None:
    answer = AIMessage(content='{"total": 3, "items": [{"qty": "three"}]}')
    result = StructuredOutputCheck()("Report", answer, context=CheckContext(response_schema=REPORT))
    assert "items[0].qty should be integer, got str" in result.reason


def test_json_in_a_fence_is_parsed() -> None:
    answer = AIMessage(content='```json\n{"total": 3}\n```')
    result = StructuredOutputCheck()("Report", answer, context=CheckContext(response_schema=REPORT))
    assert result.risk == 0.0


def test_function_calling_structured_output_is_validated() -> None:
    context = CheckContext(response_schema=REPORT)
    assert (
        StructuredOutputCheck()("Report", call("Report", {"total": 1}), context=context).risk == 0
    )
    bad = StructuredOutputCheck()("Report", call("Report", {"total": "one"}), context=context)
    assert (
        bad.reason == "structured output does not fit its schema: total should be number, got str"
    )


def test_pydantic_model_is_accepted_as_schema() -> None:
    class Person(BaseModel):
        name: str
        age: int

    context = CheckContext(response_schema=Person)
    ok = StructuredOutputCheck()(
        "Who?", AIMessage(content='{"name": "Ada", "age": 36}'), context=context
    )
    bad = StructuredOutputCheck()("Who?", AIMessage(content='{"name": "Ada"}'), context=context)
    assert (ok.risk, bad.risk) == (0.0, pytest.approx(0.8))


def test_structured_output_check_is_skipped_without_a_schema() -> None:
    assert not StructuredOutputCheck()("Report", AIMessage(content="{}")).applied


# --- tool arguments --------------------------------------------------------------------------


def test_tool_arguments_that_fit_pass() -> None:
    context = CheckContext(tools=[WEATHER])
    result = ToolArgumentsCheck()(
        "Weather?", call("get_weather", {"city": "Oslo"}), context=context
    )
    assert result.risk == 0.0


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        ({"city": 3}, "get_weather: city should be string, got int"),
        ({}, "get_weather: missing required city"),
        ({"city": "Oslo", "unit": "k"}, "get_weather: unit should be one of ['c', 'f']"),
        ({"city": "Oslo", "days": 0}, "get_weather: days = 0 is below 1"),
        ({"city": "Oslo", "when": "now"}, "get_weather: unexpected property when"),
        ({"city": "Oslo", "days": True}, "get_weather: days should be integer, got bool"),
    ],
)
def test_tool_arguments_off_schema_are_flagged(args: dict[str, object], reason: str) -> None:
    context = CheckContext(tools=[WEATHER])
    result = ToolArgumentsCheck()("Weather?", call("get_weather", args), context=context)
    assert result.risk == pytest.approx(0.8)
    assert result.reason == reason


def test_call_to_an_unknown_tool_is_flagged() -> None:
    context = CheckContext(tools=[WEATHER])
    result = ToolArgumentsCheck()("Weather?", call("get_forecast", {}), context=context)
    assert result.reason == "calls unknown tool 'get_forecast'"


def test_tool_call_with_unparseable_arguments_is_flagged() -> None:
    answer = AIMessage(
        content="",
        invalid_tool_calls=[{"name": "get_weather", "args": "{city:", "id": "1", "error": "bad"}],
    )
    result = ToolArgumentsCheck()("Weather?", answer, context=CheckContext(tools=[WEATHER]))
    assert result.reason == "get_weather: arguments are not valid JSON"


def test_tools_given_as_functions_are_converted_once() -> None:
    def add(a: int, b: int) -> int:
        """Add two integers."""
        return a + b

    context = CheckContext(tools=[add])
    assert ToolArgumentsCheck()("Add", call("add", {"a": 1, "b": "2"}), context=context).risk > 0


def test_tool_check_is_skipped_without_tools() -> None:
    assert not ToolArgumentsCheck()("Weather?", call("get_weather", {"city": "Oslo"})).applied


def test_unreadable_tool_fails_at_construction() -> None:
    with pytest.raises(RoutingConfigError, match="cannot read a JSON schema"):
        CheckContext(tools=[42])


def test_validation_stops_after_its_value_budget() -> None:
    schema = {"type": "array", "items": {"type": "integer"}}
    early = [1] * 100_000
    early[0] = "x"
    late = [1] * 100_000
    late[-1] = "x"
    assert schema_error(early, schema) == "[0] should be integer, got str"
    assert schema_error(late, schema) is None  # past MAX_SCHEMA_NODES: not visited
    assert MAX_SCHEMA_NODES < 1000


def test_non_finite_number_fails_a_number_schema() -> None:
    assert schema_error(float("nan"), {"type": "number"}) == "the value is not a finite number"
