"""Learning from routing outcomes: tasks, nearest prompts, the prior, persistence, bad input."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
from langchain_core.messages import HumanMessage, SystemMessage

from langchain_globalapi.errors import OutcomeError
from langchain_globalapi.routing import (
    ComplexityScorer,
    HeuristicScorer,
    InMemoryOutcomeStore,
    LearnedScorer,
    LengthScorer,
    OutcomeMemory,
    RoutingOutcome,
)

CALCULUS = [
    f"Compute the definite integral of x^{i} sin(x) from 0 to pi, integrating by parts."
    for i in range(2, 12)
]
GREETINGS = [f"Say hello to {name} and wish them a good day." for name in ("Ana", "Bo", "Cy")]
UNRELATED = "Translate 'good morning' into Portuguese."


def rescued(prompt: str, task: str | None = None) -> RoutingOutcome:
    return RoutingOutcome(prompt, cheap_ok=False, strong_ok=True, task=task)


def held(prompt: str, task: str | None = None) -> RoutingOutcome:
    return RoutingOutcome(prompt, cheap_ok=True, strong_ok=True, task=task)


@pytest.fixture
def scorer() -> ComplexityScorer:
    return HeuristicScorer()


def test_a_scorer_that_learned_nothing_scores_as_before(scorer) -> None:
    before = scorer.score(CALCULUS[0], task="math")
    assert scorer.outcomes.empty
    assert scorer.score(CALCULUS[0], task="math") == before == scorer.score(CALCULUS[0])


def test_learn_returns_the_scorer(scorer) -> None:
    assert scorer.learn([held("hi")]) is scorer


def test_learning_in_two_batches_equals_learning_at_once() -> None:
    outcomes = [rescued(p, "math") for p in CALCULUS] + [held(p) for p in GREETINGS]
    once = HeuristicScorer().learn(outcomes)
    twice = HeuristicScorer().learn(outcomes[:4]).learn(outcomes[4:])
    for prompt in (CALCULUS[0], GREETINGS[0], UNRELATED):
        assert twice.score(prompt) == pytest.approx(once.score(prompt))
        assert twice.score(prompt, task="math") == once.score(prompt, task="math")


def test_a_task_the_strong_tier_keeps_rescuing_scores_higher(scorer) -> None:
    prior = scorer.score(UNRELATED, task="math")
    scorer.learn([rescued(p, "math") for p in CALCULUS])
    assert scorer.score(UNRELATED, task="math") > prior + 0.2


def test_a_task_the_cheap_tier_handles_scores_lower(scorer) -> None:
    prior = scorer.score(CALCULUS[0], task="chitchat")
    scorer.learn([held(p, "chitchat") for p in GREETINGS * 4])
    assert scorer.score(CALCULUS[0], task="chitchat") < prior / 2


def test_task_score_is_the_beta_binomial_posterior_mean_around_the_prior() -> None:
    scorer = LengthScorer()
    scorer.outcomes = OutcomeMemory(prior_strength=4)
    scorer.learn([rescued("a", "t"), rescued("b", "t"), held("c", "t")])
    prior = LengthScorer().score("x" * 500)
    assert scorer.score("x" * 500, task="t") == pytest.approx((4 * prior + 2) / (4 + 3))


def test_graded_verdicts_count_the_strong_tiers_margin() -> None:
    outcome = RoutingOutcome("q", cheap_ok=0.25, strong_ok=0.75, task="t")
    scorer = LengthScorer()
    scorer.outcomes = OutcomeMemory(prior_strength=1)
    scorer.learn([outcome])
    assert outcome.rescued == 0.5
    assert scorer.score("", task="t") == pytest.approx((1 * 0.0 + 0.5) / 2)


def test_an_unknown_task_falls_back_to_the_untagged_score(scorer) -> None:
    scorer.learn([rescued(p, "math") for p in CALCULUS])
    assert scorer.score(CALCULUS[0], task="never-seen") == scorer.score(CALCULUS[0])


def test_a_blank_task_means_no_task(scorer) -> None:
    scorer.learn([rescued(p, "math") for p in CALCULUS])
    assert scorer.score(CALCULUS[0], task="  ") == scorer.score(CALCULUS[0])
    assert RoutingOutcome("q", True, True, task=" ").task is None


def test_untagged_requests_learn_from_similar_prompts_not_from_unrelated_ones(scorer) -> None:
    similar = "Compute the definite integral of x^3 cos(x) from 0 to pi, integrating by parts."
    before_similar, before_unrelated = scorer.score(similar), scorer.score(UNRELATED)
    scorer.learn([rescued(p) for p in CALCULUS])
    assert scorer.score(similar) > before_similar + 0.2
    assert scorer.score(UNRELATED) == pytest.approx(before_unrelated, abs=0.02)


def test_scores_stay_in_the_unit_interval_at_the_extremes() -> None:
    scorer = LengthScorer()  # scores exactly 0.0 for "" and 1.0 above 2000 characters
    scorer.learn([rescued(p, "up") for p in CALCULUS] + [held(p, "down") for p in CALCULUS])
    scorer.learn([rescued(p) for p in CALCULUS])
    for prompt in ("", "x" * 5000, CALCULUS[0]):
        for task in ("up", "down", None):
            assert 0.0 <= scorer.score(prompt, task=task) <= 1.0


def test_score_with_signals_says_what_the_outcomes_contributed(scorer) -> None:
    scorer.learn([rescued(p, "math") for p in CALCULUS])
    score, signals = scorer.score_with_signals(CALCULUS[0], task="math")
    assert score == scorer.score(CALCULUS[0], task="math")
    assert signals["task_outcomes"] == len(CALCULUS)
    assert signals["neighbour_weight"] == 0.0
    assert signals["prior_score"] == HeuristicScorer().score(CALCULUS[0])
    assert signals["math"] > 0  # the prior's own signals are still there
    _, untagged = scorer.score_with_signals(CALCULUS[0])
    assert (untagged["task_outcomes"], untagged["neighbour_weight"] > 0.5) == (0.0, True)


def test_the_learned_scorer_applies_outcomes_to_chat_inputs_too() -> None:
    scorer = LearnedScorer.load_default().learn([rescued(p, "math") for p in CALCULUS])
    chat = [SystemMessage("Be brief."), HumanMessage(UNRELATED)]
    assert scorer.score(chat, task="math") == scorer.score(UNRELATED, task="math")
    assert scorer.score(chat, task="math") > LearnedScorer.load_default().score(chat)


def test_score_batch_takes_one_task_per_input(scorer) -> None:
    scorer.learn([rescued(p, "math") for p in CALCULUS])
    prompts = [UNRELATED, UNRELATED]
    assert scorer.score_batch(prompts, task=["math", None]) == [
        scorer.score(UNRELATED, task="math"),
        scorer.score(UNRELATED),
    ]
    with pytest.raises(ValueError, match="2 inputs but 1 tasks"):
        scorer.score_batch(prompts, task=["math"])


@pytest.mark.parametrize("verdict", [float("nan"), -0.1, 1.5, "yes", None])
def test_a_malformed_verdict_is_rejected(verdict) -> None:
    with pytest.raises(OutcomeError, match=r"cheap_ok must be a bool or a number in \[0, 1\]"):
        RoutingOutcome("q", cheap_ok=verdict, strong_ok=True)


@pytest.mark.parametrize("model_input", ["", "   ", [("human", "")], [HumanMessage("\n")], []])
def test_an_input_without_text_is_rejected(model_input) -> None:
    with pytest.raises(OutcomeError, match="no text to learn from"):
        RoutingOutcome(model_input, cheap_ok=True, strong_ok=True)


def test_an_input_that_is_not_a_chat_input_is_rejected() -> None:
    with pytest.raises(OutcomeError, match="not a chat input"):
        RoutingOutcome(42, cheap_ok=True, strong_ok=True)  # type: ignore[arg-type]


def test_a_task_that_is_not_a_string_is_rejected() -> None:
    with pytest.raises(OutcomeError, match="task must be a str"):
        RoutingOutcome("q", True, True, task=7)  # type: ignore[arg-type]


def test_learn_rejects_anything_but_outcomes(scorer) -> None:
    with pytest.raises(OutcomeError, match="takes RoutingOutcome objects, got tuple"):
        scorer.learn([("q", True, True)])  # type: ignore[list-item]
    assert scorer.outcomes.empty  # nothing half-learned


def test_learning_nothing_is_a_no_op(scorer) -> None:
    scorer.learn([])
    assert scorer.outcomes.empty


@pytest.mark.parametrize(
    ("setting", "value"),
    [("prior_strength", 0), ("prior_strength", float("nan")), ("neighbours", 1.5),
     ("max_examples", 0), ("dims", True), ("refresh_s", -1)],
)  # fmt: skip
def test_bad_memory_settings_fail_at_construction(setting, value) -> None:
    with pytest.raises(OutcomeError, match=setting):
        OutcomeMemory(**{setting: value})


def test_saved_outcomes_load_back_to_equal_scores(scorer, tmp_path: Path) -> None:
    scorer.learn([rescued(p, "math") for p in CALCULUS] + [held(p) for p in GREETINGS])
    scorer.save_outcomes(tmp_path / "outcomes.npz")
    loaded = HeuristicScorer().load_outcomes(tmp_path / "outcomes.npz")
    for prompt in (CALCULUS[0], GREETINGS[0], UNRELATED):
        for task in ("math", None):
            assert loaded.score(prompt, task=task) == scorer.score(prompt, task=task)


def test_saved_task_totals_stay_exact_when_records_were_trimmed(tmp_path: Path) -> None:
    scorer = HeuristicScorer()
    scorer.outcomes = OutcomeMemory(InMemoryOutcomeStore(max_records=3))
    scorer.learn([rescued(p, "math") for p in CALCULUS])
    scorer.save_outcomes(tmp_path / "outcomes.npz")
    loaded = HeuristicScorer().load_outcomes(tmp_path / "outcomes.npz")
    assert loaded.outcomes.tasks()["math"].outcomes == len(CALCULUS)
    assert len(loaded.outcomes) == 3
    assert loaded.score(UNRELATED, task="math") == scorer.score(UNRELATED, task="math")


def test_loading_replaces_what_was_learned(scorer, tmp_path: Path) -> None:
    HeuristicScorer().learn([held("hi", "greet")]).save_outcomes(tmp_path / "o.npz")
    scorer.learn([rescued(p, "math") for p in CALCULUS]).load_outcomes(tmp_path / "o.npz")
    assert set(scorer.outcomes.tasks()) == {"greet"}
    assert len(scorer.outcomes) == 1


def test_loading_a_file_that_is_not_an_outcomes_file_fails_clearly(tmp_path: Path) -> None:
    np.savez(tmp_path / "weights.npz", bias=np.asarray(1.0))
    (tmp_path / "text.npz").write_text("not a zip")
    for name in ("weights.npz", "text.npz", "missing.npz"):
        with pytest.raises(OutcomeError, match="not an outcomes file"):
            HeuristicScorer().load_outcomes(tmp_path / name)


def test_memory_keeps_only_the_newest_examples_and_exact_task_totals() -> None:
    memory = OutcomeMemory(max_examples=4)
    memory.add([held(p, "math") for p in CALCULUS[:6]])
    memory.add([rescued(p, "math") for p in CALCULUS[6:]])
    assert len(memory) == 4
    assert memory.tasks()["math"].outcomes == len(CALCULUS)
    # Only the 4 newest (all rescued) remain as neighbours: an untagged near-copy is pulled up.
    score, signals = memory.adjust(0.0, CALCULUS[9])
    assert signals["neighbour_weight"] > 0
    assert score > 0


def test_concurrent_learning_from_threads_loses_no_outcome() -> None:
    scorer = HeuristicScorer()
    _ = scorer.outcomes  # created once, before the threads race for it

    def worker(i: int) -> None:
        for j in range(25):
            scorer.learn([rescued(f"question {i}-{j} about integrals", "math")])
            scorer.score(f"question {i} about integrals", task="math")

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert scorer.outcomes.tasks()["math"].outcomes == 200
    assert len(scorer.outcomes) == 200
