"""Cache keys see a conversation as the model does: a replayed turn keys like a fresh one."""

from __future__ import annotations

from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

from langchain_globalapi.caching.identity import normalized_prompt


def _turns(answer: AIMessage) -> list:
    return [HumanMessage("weather in Paris?"), answer, ToolMessage("sunny", tool_call_id="c1")]


def test_metadata_and_ids_of_earlier_turns_do_not_change_the_key() -> None:
    call = {"name": "get_weather", "args": {"city": "Paris"}, "id": "c1"}
    fresh = AIMessage("", tool_calls=[call], id="run-1", response_metadata={"id": "cmpl-1"})
    replayed = AIMessage(
        "",
        tool_calls=[call],
        id="run-2",
        response_metadata={"cache": {"hit": True}},
        usage_metadata={"input_tokens": 1, "output_tokens": 1, "total_tokens": 2},
    )
    assert normalized_prompt(_turns(fresh)) == normalized_prompt(_turns(replayed))


def test_what_the_model_sees_does_change_the_key() -> None:
    paris = AIMessage(
        "", tool_calls=[{"name": "get_weather", "args": {"city": "Paris"}, "id": "c1"}]
    )
    rome = AIMessage("", tool_calls=[{"name": "get_weather", "args": {"city": "Rome"}, "id": "c1"}])
    assert normalized_prompt(_turns(paris)) != normalized_prompt(_turns(rome))
    assert normalized_prompt([HumanMessage("a")]) != normalized_prompt([HumanMessage("b")])
    assert normalized_prompt([HumanMessage("a", name="x")]) != normalized_prompt(
        [HumanMessage("a")]
    )
