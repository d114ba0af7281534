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


@pytest.mark.parametrize(
    ("question", "cached"),
    [
        ("The deploy succeeded, why the old page?", "The deploy failed to run, why the old page?"),
        (
            "What if my employer agrees to give a reference?",
            "What if my employer refuses to give a reference?",
        ),
        ("Why is my card charged?", "Why is my card unable to be charged?"),
        ("How do I receive emails?", "How do I stop receiving emails?"),
        ("How do I get sunburned?", "How do I avoid getting sunburned?"),
    ],
)
def test_negating_verbs_are_negations(question: str, cached: str) -> None:
    assert LexicalGuard().refusal(question, cached) == "negation"


def test_a_negating_verb_matches_a_negator() -> None:
    guard = LexicalGuard()
    assert guard.allows(
        "Why does Python fail to find my module?", "Why doesn't Python find my module?"
    )


@pytest.mark.parametrize(
    ("question", "cached"),
    [
        ("Can I smoke inside the hotel?", "Can I smoke outside the hotel?"),  # in-/out-
        ("How do I upload a file?", "How do I download a file?"),  # up-/down-
        ("How do I encrypt a file?", "How do I decrypt a file?"),  # en-/de-
        ("How do I import contacts?", "How do I export contacts?"),  # im-/ex-
        ("Is the pre-tax amount shown?", "Is the post-tax amount shown?"),  # pre-/post-
        ("Did I overestimate the cost?", "Did I underestimate the cost?"),  # over-/under-
        ("Sort a dictionary by value", "Sort a dictionary by key"),  # table: computing
        ("Why are my sales rising?", "Why are my sales falling?"),  # table, inflected
    ],
)
def test_opposite_words_and_prefixes_are_refused(question: str, cached: str) -> None:
    assert LexicalGuard().refusal(question, cached) == "negation"


@pytest.mark.parametrize(
    ("question", "cached"),
    [
        ("How do I convert 5 kg to pounds?", "How do I convert 5 lb to kilograms?"),
        ("Baking time for a cake at 180°C?", "Baking time for a cake at 180°F?"),
        ("Notice period after 2 years here?", "Notice period after 2 months here?"),
        ("Is $5 enough?", "Is €5 enough?"),
    ],
)
def test_a_shared_number_with_different_units_is_refused(question: str, cached: str) -> None:
    assert LexicalGuard().refusal(question, cached) == "units"


@pytest.mark.parametrize(
    ("question", "cached"),
    [
        ("How do I convert 5 kg to pounds?", "How many pounds is 5 kilograms?"),  # unit alias
        ("Can I bring 2 large bags?", "Can I bring two bags?"),  # a word between
        ("How much is $5 in euros?", "How much is 5 dollars in euros?"),  # currency symbol
        ("How do I merge two dictionaries?", "How do I merge two dicts?"),  # abbreviation
        ("Why was I charged twice this month?", "I see two charges this month, why?"),
    ],
)
def test_a_number_with_the_same_unit_passes(question: str, cached: str) -> None:
    assert LexicalGuard().refusal(question, cached) is None


@pytest.mark.parametrize(
    ("question", "cached"),
    [
        ("Thanks! One more thing: how do I export my contacts?", "How can I export my contacts?"),
        ("Which one should I pick?", "Which should I pick?"),
        ("Can no one see my profile?", "Can nobody see my profile?"),
        ("Once I log in, where are my settings?", "Where are my settings after I log in?"),
    ],
)
def test_number_words_that_do_not_quantify_are_ignored(question: str, cached: str) -> None:
    assert LexicalGuard().refusal(question, cached) is None


def test_number_words_that_quantify_are_compared() -> None:
    assert LexicalGuard().refusal("Add one user", "Add two users") == "numbers"


def test_an_ordinal_counts_only_before_a_noun() -> None:
    guard = LexicalGuard()
    assert guard.allows(
        "Can I take ibuprofen without eating first?", "Can I take ibuprofen without eating?"
    )
    assert (
        guard.refusal("Is the first payment due today?", "Is the second payment due today?")
        == "numbers"
    )
    assert guard.allows("Is the 4th floor accessible?", "Is the fourth floor accessible?")


def test_swapped_quoted_strings_are_refused_for_order() -> None:
    question = 'Rename column "price" to "cost"'
    assert LexicalGuard().refusal(question, 'Rename column "cost" to "price"') == "order"


@pytest.mark.parametrize(
    ("question", "cached"),
    [
        (
            "How do I migrate from PostgreSQL to MySQL?",
            "How do I migrate from MySQL to PostgreSQL?",
        ),
        ("Is Paris bigger than London?", "Is London bigger than Paris?"),
    ],
)
def test_names_joined_in_opposite_directions_are_refused(question: str, cached: str) -> None:
    assert LexicalGuard().refusal(question, cached) == "order"


@pytest.mark.parametrize(
    ("question", "cached"),
    [
        ("Flights from Paris to Rome", "Flights to Rome from Paris"),  # "from" reverses
        ("How far is the Moon from Earth?", "What is the distance from Earth to the Moon?"),
        ("Visa for Japan as a US citizen?", "As an American citizen, visa for Japan?"),  # no link
    ],
)
def test_names_in_the_same_direction_or_unlinked_pass(question: str, cached: str) -> None:
    assert LexicalGuard().refusal(question, cached) is None


@pytest.mark.parametrize(
    ("question", "cached"),
    [
        (
            "Why a null pointer exception in Java?",
            "Why a NullPointerException in Java?",
        ),  # camelCase
        ("Do US citizens need a visa?", "Do American citizens need a visa?"),  # alias
        ("Visa rules for the United States?", "Visa rules for the USA?"),  # multi-word alias
        ("Is this valid in python?", "Is this valid in Python?"),  # case
    ],
)
def test_names_are_normalized_before_comparison(question: str, cached: str) -> None:
    assert LexicalGuard().refusal(question, cached) is None


@pytest.mark.parametrize(
    ("question", "cached"),
    [
        ("How do I convert kilometers to miles?", "How do I convert miles to kilometers?"),
        ("Does state law override federal law?", "Does federal law override state law?"),
        (
            "Can I substitute baking powder for baking soda?",
            "Can I substitute baking soda for baking powder?",
        ),
        ("Does Python 2 code run on Python 3?", "Does Python 3 code run on Python 2?"),
        (
            "If it's noon in London, what time is it in New York?",
            "If it's noon in New York, what time is it in London?",
        ),
        ("Does Bob owe Alice money?", "Does Alice owe Bob money?"),  # no linking word
    ],
)
def test_same_words_with_swapped_roles_are_refused(question: str, cached: str) -> None:
    assert LexicalGuard().refusal(question, cached) == "order"


@pytest.mark.parametrize(
    ("question", "cached"),
    [
        ("How do I convert miles to kilometers?", "how do i convert miles to kilometers"),
        ("Do you encrypt my data?", "Is my data encrypted?"),  # restructured, other words
        ("What's your policy on returns?", "What is your return policy?"),
        ("Flights to Rome from Paris", "Flights from Paris to Rome"),  # links move along
        ("My app crashes after upgrading", "After upgrading my app crashes"),  # clause moved
        ("Difference between const and let?", "Difference between let and const?"),  # symmetric
    ],
)
def test_identical_questions_and_true_paraphrases_pass_the_order_rule(
    question: str, cached: str
) -> None:
    assert LexicalGuard().refusal(question, cached) is None


def test_order_rule_can_be_switched_off() -> None:
    guard = LexicalGuard(order=False)
    assert guard.allows(
        "Does state law override federal law?", "Does federal law override state law?"
    )
