"""Verifiers on SemanticCache: a second check before a semantic hit is served."""

from __future__ import annotations

import logging

import pytest

from langchain_globalapi import (
    CacheConfigError,
    CachedChatModel,
    ChatGlobalAPI,
    GlobalAPIEmbeddings,
    LLMVerifier,
    SemanticCache,
    get_globalapi_callback,
)
from langchain_globalapi.caching import CacheVerifier
from langchain_globalapi.testing import FakeOpenAIServer, Fault
from tests.unit_tests.caching._cache_helpers import FLASH, flash

JUDGE = "GA-Economy"
RESET = "How do I reset my password?"
RESET_REWORDED = "how do i reset my password"


def _judge(server: FakeOpenAIServer, reply: str) -> LLMVerifier:
    server.set_reply(JUDGE, reply)
    model = ChatGlobalAPI(
        model=JUDGE, api_key="k", base_url=server.base_url, temperature=0, max_retries=0
    )
    return LLMVerifier(model)


def _bot(server: FakeOpenAIServer, verifier: CacheVerifier | None) -> CachedChatModel:
    cache = SemanticCache(
        GlobalAPIEmbeddings(api_key="k", base_url=server.base_url),
        threshold=0.8,
        verifier=verifier,
    )
    return CachedChatModel(flash(server), cache=cache)


def test_verifier_yes_serves_the_semantic_hit_stamped_verified(
    fake_server: FakeOpenAIServer,
) -> None:
    bot = _bot(fake_server, _judge(fake_server, "yes"))
    first = bot.invoke(RESET)
    hit = bot.invoke(RESET_REWORDED)
    assert hit.text == first.text
    assert hit.response_metadata["cache"]["hit"] is True
    assert hit.response_metadata["cache"]["verified"] is True
    assert fake_server.calls_for(FLASH) == 1
    assert fake_server.calls_for(JUDGE) == 1


def test_verifier_is_asked_about_both_questions(fake_server: FakeOpenAIServer) -> None:
    bot = _bot(fake_server, _judge(fake_server, "yes"))
    bot.invoke(RESET)
    bot.invoke(RESET_REWORDED)
    (judged,) = [r for r in fake_server.requests if r.model == JUDGE]
    prompt = judged.json["messages"][-1]["content"]
    assert RESET in prompt
    assert RESET_REWORDED in prompt
    assert prompt.endswith("Answer yes or no.")


def test_verifier_no_refuses_the_hit_and_the_model_answers(fake_server: FakeOpenAIServer) -> None:
    bot = _bot(fake_server, _judge(fake_server, "No."))
    bot.invoke(RESET)
    answer = bot.invoke(RESET_REWORDED)
    assert answer.response_metadata["cache"]["hit"] is False
    assert fake_server.calls_for(FLASH) == 2


@pytest.mark.parametrize("reply", ["Yes, because both ask about passwords.", "maybe", ""])
def test_anything_but_a_plain_yes_or_no_refuses(fake_server: FakeOpenAIServer, reply: str) -> None:
    assert _judge(fake_server, reply)(RESET_REWORDED, RESET) is False


def test_verifier_error_is_a_logged_miss_not_a_failed_call(
    fake_server: FakeOpenAIServer, caplog: pytest.LogCaptureFixture
) -> None:
    bot = _bot(fake_server, _judge(fake_server, "yes"))
    bot.invoke(RESET)
    fake_server.inject(JUDGE, Fault.server_error(503), times=None)
    with caplog.at_level(logging.WARNING, logger="langchain_globalapi.caching"):
        answer = bot.invoke(RESET_REWORDED)
    assert answer.response_metadata["cache"]["hit"] is False
    assert fake_server.calls_for(FLASH) == 2
    assert "verification" in caplog.text


def test_verifier_call_is_billed_as_an_ordinary_call(fake_server: FakeOpenAIServer) -> None:
    bot = _bot(fake_server, _judge(fake_server, "yes"))
    with get_globalapi_callback() as cb:
        bot.invoke(RESET)
        bot.invoke(RESET_REWORDED)
    assert set(cb.per_model) == {FLASH, JUDGE}
    assert cb.per_model[JUDGE].calls == 1
    assert cb.per_model[JUDGE].cost_usd > 0
    assert cb.cache_hits == 1


def test_without_a_verifier_semantic_hits_are_stamped_unverified(
    fake_server: FakeOpenAIServer,
) -> None:
    bot = _bot(fake_server, None)
    bot.invoke(RESET)
    assert bot.invoke(RESET_REWORDED).response_metadata["cache"]["verified"] is False


def test_exact_hits_never_call_the_verifier(fake_server: FakeOpenAIServer) -> None:
    bot = _bot(fake_server, _judge(fake_server, "yes"))
    bot.invoke(RESET)
    assert bot.invoke(RESET).response_metadata["cache"]["kind"] == "exact"
    assert fake_server.calls_for(JUDGE) == 0


def test_plain_callable_verifier_decides(fake_server: FakeOpenAIServer) -> None:
    asked: list[tuple[str, str]] = []

    def refuse(question: str, cached_question: str) -> bool:
        asked.append((question, cached_question))
        return False

    bot = _bot(fake_server, refuse)
    bot.invoke(RESET)
    assert bot.invoke(RESET_REWORDED).response_metadata["cache"]["hit"] is False
    assert asked == [(RESET_REWORDED, RESET)]


async def test_async_path_awaits_the_llm_verifier(fake_server: FakeOpenAIServer) -> None:
    bot = _bot(fake_server, _judge(fake_server, "yes"))
    await bot.ainvoke(RESET)
    hit = await bot.ainvoke(RESET_REWORDED)
    assert hit.response_metadata["cache"]["verified"] is True
    assert fake_server.calls_for(JUDGE) == 1


async def test_async_path_refuses_on_a_failing_sync_verifier(
    fake_server: FakeOpenAIServer,
) -> None:
    def broken(question: str, cached_question: str) -> bool:
        raise RuntimeError("judge unavailable")

    bot = _bot(fake_server, broken)
    await bot.ainvoke(RESET)
    answer = await bot.ainvoke(RESET_REWORDED)
    assert answer.response_metadata["cache"]["hit"] is False


def test_prompt_without_both_placeholders_fails_at_construction(
    fake_server: FakeOpenAIServer,
) -> None:
    judge = ChatGlobalAPI(model=JUDGE, api_key="k", base_url=fake_server.base_url)
    with pytest.raises(CacheConfigError, match="cached_question"):
        LLMVerifier(judge, prompt="Same answer for {question}? yes or no")
