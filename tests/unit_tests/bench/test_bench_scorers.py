"""Scorers: labels, JSON fields, numbers, ROUGE-L, embeddings and the order-swapped judge."""

from __future__ import annotations

import pytest
from langchain_core.embeddings import DeterministicFakeEmbedding
from langchain_core.language_models import GenericFakeChatModel

from langchain_globalapi.bench import (
    EmbeddingSimilarity,
    PairwiseJudge,
    final_number,
    json_fields,
    label_match,
    numeric_answer,
    rouge_l,
)
from langchain_globalapi.bench.scorers import exact_match, run_scorer


def test_label_is_found_inside_a_chatty_answer() -> None:
    assert label_match("I'd say this is Negative.", "negative", labels=["positive", "negative"])


def test_label_without_label_list_needs_the_whole_answer() -> None:
    assert label_match("  Billing! ", "billing") == 1.0
    assert label_match("billing issue", "billing") == 0.0


def test_label_accepts_a_list_of_acceptable_answers() -> None:
    assert label_match("neutral", ["neutral", "mixed"]) == 1.0


def test_exact_match_is_strict_about_case() -> None:
    assert exact_match("Yes", "yes") == 0.0


def test_json_fields_scores_the_share_of_correct_fields() -> None:
    output = '```json\n{"name": "Ada Lovelace", "year": 1843, "city": "Paris"}\n```'
    expected = {"name": "ada lovelace", "year": "1843", "city": "London", "fever": False}
    assert json_fields(output, expected) == 0.5


def test_json_fields_finds_an_object_after_chatter() -> None:
    assert json_fields('Sure! {"a": 1} hope that helps', {"a": 1}) == 1.0


def test_json_fields_can_score_a_subset_of_fields() -> None:
    assert json_fields('{"a": 1, "b": 3}', {"a": 1, "b": 2}, fields=["a"]) == 1.0


def test_final_number_prefers_the_marked_answer() -> None:
    assert final_number("First 3 + 4 = 7, then 7 * 2 = 14.\n#### 14") == 14.0
    assert final_number("The answer is $1,250.") == 1250.0
    assert final_number("no digits") is None


def test_numeric_answer_compares_with_tolerance() -> None:
    assert numeric_answer("#### 54.857", 54.857142857, rel_tol=1e-3) == 1.0
    assert numeric_answer("#### 55", 54.857142857, rel_tol=1e-3) == 0.0


def test_numeric_answer_reads_a_gsm8k_style_expected_string() -> None:
    assert numeric_answer("so 18 dollars", "9 * 2 = 18\n#### 18") == 1.0


def test_rouge_l_is_one_for_identical_text_and_zero_for_disjoint() -> None:
    assert rouge_l("The cat sat.", "the cat sat") == 1.0
    assert rouge_l("dogs bark", "the cat sat") == 0.0


def test_embedding_similarity_with_threshold_is_pass_fail() -> None:
    scorer = EmbeddingSimilarity(DeterministicFakeEmbedding(size=32), threshold=0.99)
    assert scorer("hello", "hello") == 1.0
    assert scorer("hello", "goodbye") == 0.0


def test_judge_asks_in_both_orders_and_cancels_position_bias() -> None:
    # A judge that always prefers the first answer: the candidate wins once and loses once.
    judge = PairwiseJudge(GenericFakeChatModel(messages=iter(["[[A]]", "[[A]]"])))
    verdict = judge.compare("q", "candidate", "reference")
    assert (verdict.candidate_first, verdict.candidate_second, verdict.score) == ("A", "A", 0.5)


def test_judge_scores_a_consistent_win_as_one() -> None:
    judge = PairwiseJudge(GenericFakeChatModel(messages=iter(["[[A]]", "[[B]]"])))
    assert judge("good", "bad", question="q") == 1.0


def test_judge_unparseable_verdict_counts_as_tie() -> None:
    judge = PairwiseJudge(GenericFakeChatModel(messages=iter(["hmm", "[[C]]"])))
    assert judge.compare("q", "a", "b").score == 0.5


def test_custom_scorer_gets_options_and_result_is_clamped() -> None:
    def generous(output: str, expected: object, *, bonus: float) -> float:
        return 0.9 + bonus

    assert run_scorer(generous, "x", "y", {"bonus": 0.5}, "q") == 1.0


def test_custom_scorer_receives_the_question_when_it_asks_for_it() -> None:
    seen: list[str] = []

    def scorer(output: str, expected: object, question: str) -> bool:
        seen.append(question)
        return True

    assert run_scorer(scorer, "x", "y", {}, "what?") == 1.0
    assert seen == ["what?"]


@pytest.mark.parametrize("value", [float("nan"), -3.0])
def test_scores_outside_the_unit_interval_become_zero(value: float) -> None:
    assert run_scorer(lambda *_a, **_k: value, "x", "y", {}, "q") == 0.0
