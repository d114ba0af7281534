"""FallbackChatModel.invoke against the local server: one behaviour per failure kind."""

from __future__ import annotations

from collections.abc import Callable

import openai
import pytest
from langchain_core.exceptions import (
    ContextOverflowError,
    ModelAuthenticationError,
    ModelInvalidRequestError,
    ModelRateLimitError,
)

from langchain_globalapi import (
    AllModelsFailedError,
    AllModelsRateLimitedError,
    ChatGlobalAPI,
    FallbackChatModel,
    RetryAfter,
    RetryPolicy,
)
from langchain_globalapi.testing import FakeOpenAIServer, Fault

FLASH = "deepseek-ai/DeepSeek-V4-Flash"  # 128k window, cheapest
PRO = "deepseek-ai/DeepSeek-V4-Pro"  # 200k window
GPT4O = "gpt-4o"  # 128k window, priciest

Member = Callable[..., ChatGlobalAPI]


def chain_of(member: Member, *models: str, **kwargs: object) -> FallbackChatModel:
    return FallbackChatModel([member(model) for model in models], **kwargs)  # type: ignore[arg-type]


def attempts(message: object) -> list[tuple[str, str | None]]:
    fallback = message.response_metadata["fallback"]  # type: ignore[attr-defined]
    return [(a["model"], a["error"]) for a in fallback["attempts"]]


def test_healthy_primary_answers_alone(member: Member, fake_server: FakeOpenAIServer) -> None:
    answer = chain_of(member, FLASH, PRO).invoke("hi")
    assert answer.content == f"[{FLASH}] hi"
    assert attempts(answer) == [(FLASH, None)]
    assert fake_server.calls_for(PRO) == 0


def test_rate_limited_flash_without_retry_after_falls_back_to_pro(
    member: Member, fake_server: FakeOpenAIServer
) -> None:
    fake_server.inject(FLASH, Fault.rate_limit())
    answer = chain_of(member, FLASH, PRO).invoke("hi")
    assert answer.content == f"[{PRO}] hi"
    assert attempts(answer) == [(FLASH, "rate_limit"), (PRO, None)]
    assert answer.response_metadata["fallback"]["attempts"][0]["status"] == 429


def test_short_retry_after_is_waited_out_on_the_same_member(
    member: Member, fake_server: FakeOpenAIServer
) -> None:
    fake_server.inject(FLASH, Fault.rate_limit(retry_after_s=0.1))
    answer = chain_of(member, FLASH, PRO).invoke("hi")
    assert answer.content == f"[{FLASH}] hi"
    assert attempts(answer) == [(FLASH, "rate_limit"), (FLASH, None)]
    assert answer.response_metadata["fallback"]["attempts"][0]["wait_s"] == 0.1
    assert fake_server.calls_for(PRO) == 0


def test_retry_after_ms_is_honoured(member: Member, fake_server: FakeOpenAIServer) -> None:
    fake_server.inject(FLASH, Fault.rate_limit(retry_after_ms=50))
    answer = chain_of(member, FLASH, PRO).invoke("hi")
    assert attempts(answer) == [(FLASH, "rate_limit"), (FLASH, None)]
    assert answer.response_metadata["fallback"]["attempts"][0]["wait_s"] == 0.05


def test_retry_after_longer_than_the_policy_moves_on_at_once(
    member: Member, fake_server: FakeOpenAIServer
) -> None:
    fake_server.inject(FLASH, Fault.rate_limit(retry_after_s=30))
    chain = chain_of(member, FLASH, PRO, retry_policy=RetryPolicy(RetryAfter(max_wait_s=5)))
    answer = chain.invoke("hi")
    assert attempts(answer) == [(FLASH, "rate_limit"), (PRO, None)]
    assert answer.response_metadata["fallback"]["attempts"][0]["wait_s"] == 0.0


def test_retry_after_beyond_the_deadline_moves_on_at_once(
    member: Member, fake_server: FakeOpenAIServer
) -> None:
    fake_server.inject(FLASH, Fault.rate_limit(retry_after_s=3))
    answer = chain_of(member, FLASH, PRO, timeout_s=2.0).invoke("hi")
    assert attempts(answer) == [(FLASH, "rate_limit"), (PRO, None)]


@pytest.mark.parametrize("status", [500, 503])
def test_server_error_falls_back(
    member: Member, fake_server: FakeOpenAIServer, status: int
) -> None:
    fake_server.inject(FLASH, Fault.server_error(status))
    answer = chain_of(member, FLASH, PRO).invoke("hi")
    assert attempts(answer) == [(FLASH, "server_error"), (PRO, None)]
    assert answer.response_metadata["fallback"]["attempts"][0]["status"] == status


def test_members_sdk_retries_are_off_inside_the_chain(
    member: Member, fake_server: FakeOpenAIServer
) -> None:
    fake_server.inject(FLASH, Fault.server_error(503))
    flash = member(FLASH, max_retries=5)
    FallbackChatModel([flash, member(PRO)]).invoke("hi")
    assert fake_server.calls_for(FLASH) == 1  # not 6
    assert flash.root_client.max_retries == 5  # the caller's model is left alone


def test_slow_first_byte_times_out_and_falls_back(
    member: Member, fake_server: FakeOpenAIServer
) -> None:
    fake_server.inject(FLASH, Fault.slow_first_byte(5.0))
    answer = chain_of(member, FLASH, PRO, attempt_timeout_s=0.3).invoke("hi")
    assert attempts(answer) == [(FLASH, "timeout"), (PRO, None)]


def test_connection_dropped_before_the_reply_falls_back(
    member: Member, fake_server: FakeOpenAIServer
) -> None:
    fake_server.inject(FLASH, Fault.drop_before_first_chunk())
    answer = chain_of(member, FLASH, PRO).invoke("hi")
    assert attempts(answer) == [(FLASH, "connection"), (PRO, None)]


def test_bad_request_is_raised_at_once_without_escalation(
    member: Member, fake_server: FakeOpenAIServer
) -> None:
    fake_server.inject(FLASH, Fault.bad_request())
    with pytest.raises(ModelInvalidRequestError):
        chain_of(member, FLASH, PRO, GPT4O).invoke("hi")
    assert fake_server.calls_for(PRO) == fake_server.calls_for(GPT4O) == 0


def test_unauthorized_is_raised_at_once_without_escalation(
    member: Member, fake_server: FakeOpenAIServer
) -> None:
    fake_server.inject(FLASH, Fault.unauthorized())
    with pytest.raises(ModelAuthenticationError):
        chain_of(member, FLASH, PRO).invoke("hi")
    assert fake_server.calls_for(PRO) == 0


def test_context_overflow_moves_only_to_a_larger_window(
    member: Member, fake_server: FakeOpenAIServer
) -> None:
    fake_server.inject(FLASH, Fault.context_overflow(128_000))
    answer = chain_of(member, FLASH, GPT4O, PRO).invoke("hi")
    assert answer.content == f"[{PRO}] hi"
    assert attempts(answer) == [(FLASH, "context_overflow"), (PRO, None)]
    skipped = answer.response_metadata["fallback"]["skipped"]
    assert [(s["model"], s["error"]) for s in skipped] == [(GPT4O, "context_window")]
    assert fake_server.calls_for(GPT4O) == 0


def test_context_overflow_with_no_larger_member_raises_the_overflow(
    member: Member, fake_server: FakeOpenAIServer
) -> None:
    fake_server.inject(PRO, Fault.context_overflow(200_000))
    with pytest.raises(ContextOverflowError):
        chain_of(member, PRO, FLASH, GPT4O).invoke("hi")
    assert fake_server.calls_for(FLASH) == fake_server.calls_for(GPT4O) == 0


def test_all_failing_lists_every_member_and_its_failure(
    member: Member, fake_server: FakeOpenAIServer
) -> None:
    fake_server.inject(FLASH, Fault.server_error(503))
    fake_server.inject(PRO, Fault.rate_limit())
    with pytest.raises(AllModelsFailedError) as caught:
        chain_of(member, FLASH, PRO).invoke("hi")
    error = caught.value
    assert [(f["model"], f["error"]) for f in error.failures] == [
        (FLASH, "server_error"),
        (PRO, "rate_limit"),
    ]
    assert not isinstance(error, ModelRateLimitError)
    assert error.is_retryable
    assert FLASH in str(error)
    assert PRO in str(error)
    assert isinstance(error.__cause__, openai.RateLimitError)


def test_all_rate_limited_is_caught_as_a_rate_limit(
    member: Member, fake_server: FakeOpenAIServer
) -> None:
    fake_server.inject(FLASH, Fault.rate_limit())
    fake_server.inject(PRO, Fault.rate_limit())
    with pytest.raises(openai.RateLimitError) as caught:
        chain_of(member, FLASH, PRO).invoke("hi")
    error = caught.value
    assert isinstance(error, AllModelsRateLimitedError)
    assert isinstance(error, ModelRateLimitError)
    assert error.status_code == 429
    assert error.response is not None
    assert error.response.status_code == 429


def test_answer_carries_the_serving_members_cost(
    member: Member, fake_server: FakeOpenAIServer
) -> None:
    fake_server.inject(FLASH, Fault.server_error(500))
    answer = chain_of(member, FLASH, PRO).invoke("hi")
    assert answer.response_metadata["cost"]["model"] == PRO
    assert answer.response_metadata["cost"]["usd"] is not None
    assert answer.response_metadata["fallback"]["served_by"] == PRO


def test_attempt_records_have_the_documented_fields(
    member: Member, fake_server: FakeOpenAIServer
) -> None:
    fake_server.inject(FLASH, Fault.server_error(500))
    answer = chain_of(member, FLASH, PRO).invoke("hi")
    for record in answer.response_metadata["fallback"]["attempts"]:
        assert {"model", "error", "status", "wait_s", "latency_ms"} <= set(record)
        assert record["latency_ms"] >= 0
