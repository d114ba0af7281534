"""LexicalGuard: what may and may not answer for another question."""

from __future__ import annotations

import pytest

from langchain_globalapi import LexicalGuard


@pytest.mark.parametrize(
    ("question", "cached"),
    [
        ("How do I reset my password?", "How can I reset my password?"),
        ("What is the capital of France?", "What's France's capital city?"),
        ("Why isn't my code working?", "Why is my code not working?"),
        ("Convert 5 km to miles", "convert five km into miles"),
        ("How much is 1,000 dollars in euros?", "1000 dollars in euros?"),
    ],
)
def test_paraphrases_pass(question: str, cached: str) -> None:
    assert LexicalGuard().refusal(question, cached) is None


@pytest.mark.parametrize(
    ("question", "cached", "reason"),
    [
        ("Is it safe to eat raw eggs?", "Is it not safe to eat raw eggs?", "negation"),
        ("Is it safe to eat raw eggs?", "Is it unsafe to eat raw eggs?", "negation"),
        ("Can I travel with a passport?", "Can I travel without a passport?", "negation"),
        ("Is the token valid?", "Is the token invalid?", "negation"),
        ("Convert 5 km to miles", "Convert 50 km to miles", "numbers"),
        ("What is 2 + 2?", "What is 2 + 3?", "numbers"),
        ('Translate "hello" to Spanish', 'Translate "goodbye" to Spanish', "quoted"),
        ("What is the weather in Paris?", "What is the weather in London?", "names"),
        ("Is the bridge open to traffic?", "Is the bridge closed to traffic?", "negation"),
        ("What is the maximum upload size?", "What is the minimum upload size?", "negation"),
    ],
)
def test_look_alikes_are_refused_with_a_reason(question: str, cached: str, reason: str) -> None:
    assert LexicalGuard().refusal(question, cached) == reason


def test_unknown_cached_question_is_refused() -> None:
    assert not LexicalGuard().allows("anything", None)
