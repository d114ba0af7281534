"""`tool_arguments_check`: tool calls to unknown tools or with arguments off their schema."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import AIMessage
from langchain_core.tools import tool
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import BaseModel

from langchain_globalapi.routing._tool_arguments import tool_arguments_check
from langchain_globalapi.routing.checks import MAX_SCHEMA_NODES

BOOK = {
    "type": "function",
    "function": {
        "name": "book",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string"},
                "nights": {"type": "integer"},
                "class": {"type": "string", "enum": ["economy", "business"]},
                "guests": {"type": "array", "items": {"type": "string"}},
            },
            "required": ["city", "nights"],
            "additionalProperties": False,
        },
    },
}


def calling(name: str, args: Any) -> AIMessage:
    return AIMessage("", tool_calls=[{"name": name, "args": args, "id": "c1"}])


def check(answer: AIMessage, tools: list[dict[str, Any]] | None = None) -> tuple[float, str]:
    return tool_arguments_check("book me a room", answer, tools=[BOOK] if tools is None else tools)


def test_arguments_that_fit_the_schema_pass() -> None:
    answer = calling("book", {"city": "Oslo", "nights": 2.0, "guests": ["Ann"]})

    assert check(answer) == (0.0, "tool arguments fit their schemas")


def test_an_answer_without_tool_calls_is_not_judged() -> None:
    assert check(AIMessage("Booked.")) == (0.0, "no tool calls")


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        ({"city": "Oslo"}, "book: missing required nights"),
        ({"city": "Oslo", "nights": "two"}, "book: nights should be integer, got str"),
        ({"city": "Oslo", "nights": True}, "book: nights should be integer, got bool"),
        ({"city": "Oslo", "nights": 1.5}, "book: nights should be integer, got float"),
        (
            {"city": "Oslo", "nights": 1, "class": "first"},
            "book: class should be one of ['economy', 'business']",
        ),
        ({"city": "Oslo", "nights": 1, "guests": ["Ann", 7]}, "book: guests[1] should be string"),
        ({"city": "Oslo", "nights": 1, "pets": 2}, "book: unexpected property pets"),
    ],
)
def test_arguments_off_the_schema_are_risky(args: Any, reason: str) -> None:
    risk, found = check(calling("book", args))

    assert risk == 1.0
    assert found.startswith(reason)


def test_a_call_to_an_unbound_tool_names_the_tools_there_are() -> None:
    assert check(calling("reserve", {})) == (1.0, "calls unknown tool 'reserve' (tools: book)")


def test_unknown_names_pass_when_a_providers_builtin_tool_is_bound() -> None:
    web_search = {"type": "web_search_preview"}

    assert check(calling("web_search", {"q": "x"}), tools=[BOOK, web_search])[0] == 0.0


def test_unparseable_arguments_are_risky() -> None:
    answer = AIMessage(
        "",
        invalid_tool_calls=[{"name": "book", "args": '{"city": ', "id": "c1", "error": "bad"}],
    )

    assert check(answer) == (1.0, "book: arguments are not valid JSON")


def test_several_problems_are_reported_together_up_to_three() -> None:
    answer = AIMessage(
        "",
        tool_calls=[
            {"name": "book", "args": {}, "id": str(i)} for i in range(5)
        ],  # five identical bad calls
    )

    risk, reason = check(answer)

    assert risk == 1.0
    assert reason.count("missing required city") == 3


class Address(BaseModel):
    """Where a parcel goes."""

    street: str
    number: int


@tool
def ship(to: Address, note: str | None = None) -> str:
    """Ship a parcel."""
    return "ok"


def test_pydantic_tools_with_optional_fields_and_nested_models_are_followed() -> None:
    tools = [convert_to_openai_tool(ship)]

    fine = calling("ship", {"to": {"street": "Main", "number": 1}, "note": None})
    nested = calling("ship", {"to": {"street": "Main", "number": "one"}})
    optional = calling("ship", {"to": {"street": "Main", "number": 1}, "note": 3})

    assert tool_arguments_check("", fine, tools=tools)[0] == 0.0
    assert tool_arguments_check("", nested, tools=tools) == (
        1.0,
        "ship: to.number should be integer, got str",
    )
    assert tool_arguments_check("", optional, tools=tools) == (
        1.0,
        "ship: note matches none of its anyOf schemas",
    )


def test_arguments_left_as_text_are_parsed_or_reported() -> None:
    answer = calling("book", {"city": "Oslo", "nights": 1})
    as_text = answer.model_copy(
        update={"tool_calls": [{**answer.tool_calls[0], "args": '{"city": "Oslo"}'}]}
    )
    broken = answer.model_copy(update={"tool_calls": [{**answer.tool_calls[0], "args": "{"}]})

    assert check(as_text) == (1.0, "book: missing required nights")
    assert check(broken) == (1.0, "book: arguments are not valid JSON")


def test_non_object_arguments_are_risky() -> None:
    answer = calling("book", {"city": "Oslo", "nights": 1})
    listed = answer.model_copy(update={"tool_calls": [{**answer.tool_calls[0], "args": ["x"]}]})

    assert check(listed) == (1.0, "book: the value should be object, got list")


def test_bare_function_dicts_are_accepted_as_tools() -> None:
    bare = dict(BOOK["function"])  # type: ignore[call-overload]

    assert check(calling("book", {"city": "Oslo"}), tools=[bare])[0] == 1.0


def test_validation_is_bounded_on_huge_arguments() -> None:
    guests = ["guest"] * (MAX_SCHEMA_NODES * 5) + [7]  # the bad item lies past the bound

    assert check(calling("book", {"city": "Oslo", "nights": 1, "guests": guests}))[0] == 0.0


def test_self_referencing_refs_terminate() -> None:
    looping = {
        "name": "walk",
        "parameters": {"$ref": "#/$defs/a", "$defs": {"a": {"$ref": "#/$defs/a"}}},
    }

    assert tool_arguments_check("", calling("walk", {"x": 1}), tools=[looping])[0] == 0.0
