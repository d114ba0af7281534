"""Behaviour of the answer checks that read text: arithmetic, final answer, quantities, refusals,
truncation, empty answers and multiple choice (true positives and false-positive guards)."""

from __future__ import annotations

import pytest
from langchain_core.messages import AIMessage

from langchain_globalapi.routing.checks import (
    ArithmeticCheck,
    EmptyAnswerCheck,
    FinalAnswerCheck,
    MultipleChoiceCheck,
    QuantitiesCheck,
    RefusalCheck,
    TruncationCheck,
    arithmetic_statements,
    default_checks,
)

WORD_PROBLEM = "Janet has 16 eggs and eats 3. How many eggs are left?"
CHOICE = "Which number is prime?\nA. 4\nB. 6\nC. 7\nD. 9\nAnswer:"


def say(text: str, **metadata: object) -> AIMessage:
    return AIMessage(content=text, response_metadata=dict(metadata))


# --- arithmetic ------------------------------------------------------------------------------


def test_false_product_is_flagged_with_the_true_value() -> None:
    result = ArithmeticCheck()("What is 17 * 23?", say("17 * 23 = 381"))
    assert result.risk == pytest.approx(0.8)
    assert "17 * 23 = 381" in result.reason
    assert "391" in result.reason


def test_true_product_is_not_flagged() -> None:
    result = ArithmeticCheck()("What is 17 * 23?", say("17 * 23 = 391"))
    assert result.risk == 0.0
    assert result.applied


def test_two_false_statements_carry_more_risk_than_one() -> None:
    one = ArithmeticCheck()("", say("7 * 8 = 57."))
    two = ArithmeticCheck()("", say("7 * 8 = 57. Then 57 + 1 = 60."))
    assert two.risk == pytest.approx(1 - 0.2**2)
    assert two.risk > one.risk


def test_rounded_division_holds() -> None:
    statements = arithmetic_statements("1600 / 60 = 26.67 hours, or 1600 / 60 = 27 hours")
    assert [s.holds for s in statements] == [True, True]


def test_each_link_of_a_chain_is_checked() -> None:
    statements = arithmetic_statements("2 + 1/2 = 5/2 = 4 bolts")
    assert [(s.left, s.right, s.holds) for s in statements] == [
        ("2 + 1/2", "5/2", True),
        ("5/2", "4", False),
    ]


def test_a_written_integer_may_round_up_or_down() -> None:
    statements = arithmetic_statements("8 / 3 = 3 buses, and 8 / 3 = 2 full buses")
    assert [s.holds for s in statements] == [True, True]


@pytest.mark.parametrize(
    "text",
    [
        "half of 8 = 4",  # a verbal operator: the side is an operand of "half of"
        "3 times 4 = 12",
        "f(2) = 3",  # a function call
        "10:30 = 630",  # a time
        "2x + 3 = 7",  # a variable
        "x = 5 and y = 3",
        "count += 1",
        "(P/2 + 4) - 6 + 8 = 25",  # a fragment of an equation with a variable
        "180 meters * 3 = 540",  # a unit inside the expression: only part of it is numeric
        "10 = 100 - 9X",
        "$1 = 100 cents",  # a definition, not a calculation
    ],
)
def test_statements_that_cannot_be_read_whole_are_skipped(text: str) -> None:
    assert arithmetic_statements(text) == []


def test_arithmetic_inside_a_code_fence_is_not_read() -> None:
    answer = say("Run this:\n```python\nprint(2 + 2 == 5)\nx = 2 + 2 = 5\n```\nDone.")
    assert not ArithmeticCheck()("", answer).applied


def test_latex_and_markdown_are_normalised() -> None:
    statements = arithmetic_statements(r"**6 \times 7 = 41** and \frac{3}{4} = 0.75")
    assert [(s.left_value, s.holds) for s in statements] == [(42.0, False), (0.75, True)]


def test_percent_is_read_as_a_fraction_or_a_number() -> None:
    statements = arithmetic_statements("150% * 50,000 = 75,000 and 1/3 = 33%")
    assert [s.holds for s in statements] == [True, True]


def test_answer_without_statements_is_skipped() -> None:
    result = ArithmeticCheck()("", say("Paris is the capital of France."))
    assert not result.applied
    assert result.risk == 0.0


# --- final answer ----------------------------------------------------------------------------


def test_missing_final_number_is_flagged() -> None:
    result = FinalAnswerCheck()(WORD_PROBLEM, say("She eats some of them and keeps the rest."))
    assert result.risk == pytest.approx(0.6)
    assert "no final answer" in result.reason


def test_worked_final_answer_passes() -> None:
    result = FinalAnswerCheck()(WORD_PROBLEM, say("16 - 3 = 13 eggs.\n#### 13"))
    assert result.risk == 0.0
    assert result.reason == "final answer 13"


def test_conflicting_final_answers_are_flagged() -> None:
    answer = say("16 - 3 = 13. The answer is 13.\nOn reflection, final answer: 12")
    result = FinalAnswerCheck()(WORD_PROBLEM, answer)
    assert "final answers disagree (13, 12)" in result.reason


def test_final_answer_naming_several_values_is_flagged() -> None:
    answer = say("60 x 1.5 = 90 minutes.\n#### 90 minutes or 1 hour and 30 minutes")
    result = FinalAnswerCheck()("How long will it take?", answer)
    assert "several values" in result.reason


def test_final_answer_missing_from_the_working_is_flagged() -> None:
    result = FinalAnswerCheck()(WORD_PROBLEM, say("16 - 3 = 13.\nThe answer is 42."))
    assert "42 appears nowhere in the working" in result.reason


def test_fractional_count_is_flagged() -> None:
    result = FinalAnswerCheck()(
        "How many people fit in 5 cars?", say("5 * 4.5 = 22.5. The answer is 22.5")
    )
    assert "'how many' answered with a fraction (22.5)" in result.reason


def test_fractional_amount_of_money_is_fine() -> None:
    answer = say("7 / 2 = 3.5, so each pack costs $3.50.\nThe answer is 3.5")
    assert FinalAnswerCheck()("How much does each pack cost?", answer).risk == 0.0


def test_final_answer_check_skips_questions_that_ask_for_no_value() -> None:
    assert not FinalAnswerCheck()("Write a poem about autumn.", say("Leaves fall.")).applied


def test_code_request_mentioning_compute_is_not_a_quantity_question() -> None:
    question = "Write a Python function to compute the median of a list."
    assert not FinalAnswerCheck()(question, say("Use statistics.median.")).applied


# --- quantities ------------------------------------------------------------------------------


def test_unused_given_number_is_a_weak_finding() -> None:
    question = "Tom has 12 apples, buys 30 more and gives away 7. How many are left?"
    result = QuantitiesCheck()(question, say("12 + 30 = 42. He has 42 left."))
    assert result.risk == pytest.approx(0.1)
    assert "7" in result.reason
    assert not default_checks()(question, say("12 + 30 = 42. He has 42 left.")).escalate


def test_number_from_nowhere_is_a_weak_finding() -> None:
    result = QuantitiesCheck()(WORD_PROBLEM, say("16 - 3 = 13 eggs, and 37 were sold: 13."))
    assert result.risk == pytest.approx(0.1)
    assert "neither given nor computed: 37" in result.reason


def test_common_constants_are_not_numbers_from_nowhere() -> None:
    answer = say("16 - 3 = 13 eggs; over 7 days and 24 hours that is still 13.")
    assert QuantitiesCheck()(WORD_PROBLEM, answer).risk == 0.0


def test_answer_using_every_given_number_has_no_quantity_finding() -> None:
    result = QuantitiesCheck()(WORD_PROBLEM, say("16 - 3 = 13 eggs are left."))
    assert result.risk == 0.0


# --- refusals and hedges ---------------------------------------------------------------------


def test_refusal_at_the_start_is_a_strong_finding() -> None:
    result = RefusalCheck()("Write a haiku", say("I'm sorry, but I can't help with that."))
    assert result.risk >= 0.9
    assert "refuses" in result.reason


def test_refusal_with_a_typographic_apostrophe_is_found() -> None:
    assert RefusalCheck()("Write a haiku", say("I can\u2019t help with that.")).risk >= 0.9


def test_refusal_late_in_the_answer_carries_less_risk() -> None:
    answer = say("Here is the plan. " + "Step one is to measure. " * 20 + "I cannot provide more.")
    result = RefusalCheck()("Plan it", answer)
    assert result.risk == pytest.approx(0.5)


def test_saying_the_question_cannot_be_answered_is_flagged() -> None:
    answer = say("Without the price, the total cannot be determined.")
    assert "cannot answer" in RefusalCheck()("What is the total?", answer).reason


def test_hedge_inside_a_quotation_is_not_the_model_hedging() -> None:
    answer = say('The witness said "I think it was probably blue" and the car was red.')
    assert RefusalCheck()("What colour was the car?", answer).risk == 0.0


def test_hedge_in_own_words_is_a_weak_finding() -> None:
    result = RefusalCheck()("What colour was the car?", say("I think it was probably red."))
    assert result.risk == pytest.approx(1 - 0.85**2)


def test_hedge_word_inside_another_word_is_not_a_hedge() -> None:
    assert RefusalCheck()("Is it likely?", say("That is improbably lucky.")).risk == 0.0


def test_revision_words_count_only_when_a_value_is_asked_for() -> None:
    essay = say("The plan is good. However, it is costly.")
    assert RefusalCheck()("Review this plan.", essay).risk == 0.0
    revised = say("16 - 3 = 13. However, rounding up, 14.")
    assert "revises or rounds" in RefusalCheck()(WORD_PROBLEM, revised).reason


# --- truncation ------------------------------------------------------------------------------


def test_finish_reason_length_is_a_strong_finding() -> None:
    result = TruncationCheck()("Sum it", say("The total is 4", finish_reason="length"))
    assert result.risk == pytest.approx(0.95)


def test_anthropic_stop_reason_max_tokens_is_read() -> None:
    assert TruncationCheck()("Sum it", say("The total", stop_reason="max_tokens")).risk > 0.9


@pytest.mark.parametrize(
    ("ending", "why"),
    [
        ("So, Harald sold 88,00", "half a number"),
        ("so there are 75 - ", "an operator"),
        ("The total is 15 + 25 = <<15+2", "'<<' is never closed"),
        ("He bought it because the price of", "mid-sentence"),
        ("Therefore the remaining budget for the team", "never ends"),
    ],
)
def test_answer_that_stops_mid_thought_looks_cut_off(ending: str, why: str) -> None:
    result = TruncationCheck()("Question?", say(ending, finish_reason="stop"))
    assert result.risk > 0
    assert why in result.reason


@pytest.mark.parametrize(
    "ending",
    [
        "So the total is 42",  # ends on a number: a complete answer without a period
        "#### 18",
        "- use a cache\n- batch the calls",  # a list item
        "Name, Title, Author, 2028",  # a data row
        "See the table above.",
    ],
)
def test_complete_answer_is_not_cut_off(ending: str) -> None:
    assert TruncationCheck()("Question?", say(ending)).risk == 0.0


# --- empty -----------------------------------------------------------------------------------


@pytest.mark.parametrize("content", ["", "   \n\t", "...", [{"type": "text", "text": " "}]])
def test_empty_answer_is_certain_failure(content: object) -> None:
    assert EmptyAnswerCheck()("Hi", AIMessage(content=content)).risk == 1.0  # type: ignore[arg-type]


def test_long_run_of_blanks_is_empty() -> None:
    assert EmptyAnswerCheck()("Hi", say(" \n" * 10_000)).risk == 1.0


def test_answer_that_only_calls_a_tool_is_not_empty() -> None:
    call = AIMessage(content="", tool_calls=[{"name": "search", "args": {}, "id": "1"}])
    assert EmptyAnswerCheck()("Find it", call).risk == 0.0


def test_short_real_answer_is_not_empty() -> None:
    assert EmptyAnswerCheck()("2 + 2?", say("4")).risk == 0.0


# --- multiple choice -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "answer",
    ["C. 7 is prime.", "The answer is C.", "Answer: (C)", "**C**", "(C)", "So, it is: C."],
)
def test_single_clear_choice_passes(answer: str) -> None:
    assert MultipleChoiceCheck()(CHOICE, say(answer)).risk == 0.0


def test_two_choices_are_flagged() -> None:
    result = MultipleChoiceCheck()(CHOICE, say("The answer is B or C."))
    assert result.reason == "several choices: B, C"


def test_no_choice_is_flagged() -> None:
    result = MultipleChoiceCheck()(CHOICE, say("Primes have exactly two divisors."))
    assert result.risk == pytest.approx(0.6)


def test_lowercase_article_is_not_read_as_option_a() -> None:
    result = MultipleChoiceCheck()(CHOICE, say("The answer is a bit subtle: C."))
    assert result.risk == 0.0
    assert "chose C" in result.reason


def test_quoting_one_option_text_counts_as_a_choice() -> None:
    question = "Capital of France?\nA. Berlin\nB. Paris\nC. Rome\nD. Madrid"
    assert MultipleChoiceCheck()(question, say("It is Paris.")).reason == "chose B (option text)"


def test_question_without_options_is_not_multiple_choice() -> None:
    assert not MultipleChoiceCheck()("Name a prime.", say("7")).applied
