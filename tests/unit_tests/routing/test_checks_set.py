"""Behaviour of a check set: combining risks, user checks, failing checks, bounded scans,
threshold calibration, and the metrics the cascade benchmark relies on."""

from __future__ import annotations

import json
import math
import warnings
from typing import Any

import numpy as np
import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from langchain_core.prompt_values import ChatPromptValue

from langchain_globalapi.bench.datasets import (
    DEFAULT_DATA_DIR,
    is_held_out,
    load_gsm8k,
    load_gsm8k_answers,
    load_mt_bench_answers,
)
from langchain_globalapi.bench.evaluation import auroc, routing_metrics
from langchain_globalapi.errors import AnswerCheckError, RoutingConfigError
from langchain_globalapi.routing.checks import (
    ANSWER_HEAD_CHARS,
    ANSWER_TAIL_CHARS,
    DEFAULT_CHECK_THRESHOLD,
    MAX_STATEMENTS,
    AnswerCheckWarning,
    CheckContext,
    CheckResult,
    CheckSet,
    calibrate_check_threshold,
    default_checks,
    noisy_or,
)

HAS_DATA = (DEFAULT_DATA_DIR / "routellm").is_dir()
needs_data = pytest.mark.skipif(not HAS_DATA, reason=f"no shared data at {DEFAULT_DATA_DIR}")
MB = 1_000_000


def say(text: str) -> AIMessage:
    return AIMessage(content=text)


def flat(risk: float, name: str = "flat") -> Any:
    def check(model_input: object, answer: AIMessage) -> CheckResult:
        return CheckResult(name, risk, f"always {risk}")

    check.name = name  # type: ignore[attr-defined]
    return check


# --- the set and its report ------------------------------------------------------------------


def test_default_checks_is_callable_and_returns_a_float_risk_and_a_reason() -> None:
    report = default_checks()("What is 17 * 23?", say("17 * 23 = 381"))
    assert isinstance(report.risk, float)
    assert report.risk == pytest.approx(0.8)
    assert report.reason.startswith("arithmetic: 1 arithmetic statement does not hold")
    assert report.escalate


def test_clean_answer_reports_what_was_checked() -> None:
    report = default_checks()("What is 17 * 23?", say("17 * 23 = 391."))
    assert report.risk == 0.0
    assert not report.escalate
    assert "arithmetic" in report.checked
    assert "structured_output" in report.skipped
    assert report.reason.startswith("no problem found (checked: empty, truncation")


def test_risks_combine_by_noisy_or() -> None:
    report = CheckSet([flat(0.5, "a"), flat(0.5, "b")])("q", say("a"))
    assert report.risk == pytest.approx(0.75)
    assert report.reason == "a: always 0.5; b: always 0.5"


def test_skipped_checks_do_not_add_risk() -> None:
    def skipped(model_input: object, answer: AIMessage) -> CheckResult:
        return CheckResult("skipped", 0.9, "ignored", applied=False)

    assert CheckSet([skipped, flat(0.2)])("q", say("a")).risk == pytest.approx(0.2)


def test_threshold_decides_escalation() -> None:
    checks = CheckSet([flat(0.3)])
    assert not checks("q", say("a")).escalate
    assert checks.with_threshold(0.3)("q", say("a")).escalate


def test_default_threshold_is_one_confident_finding() -> None:
    assert default_checks().threshold == DEFAULT_CHECK_THRESHOLD == 0.5


def test_metadata_is_json_serialisable() -> None:
    report = default_checks()("What is 17 * 23?", say("17 * 23 = 381"))
    metadata = json.loads(json.dumps(report.as_metadata()))
    assert metadata["escalated"] is True
    assert metadata["findings"] == {"arithmetic": 0.8}
    assert "arithmetic" in metadata["checked"]


@pytest.mark.parametrize(
    "model_input",
    [
        "What is 17 * 23?",
        [HumanMessage("What is 17 * 23?")],
        [("system", "Be terse."), ("human", "What is 17 * 23?")],
        [{"role": "user", "content": "What is 17 * 23?"}],
        ChatPromptValue(messages=[SystemMessage("Be terse."), HumanMessage("What is 17 * 23?")]),
    ],
)
def test_every_chat_input_form_is_accepted(model_input: Any) -> None:
    assert default_checks()(model_input, say("17 * 23 = 381")).escalate


def test_unreadable_input_still_checks_the_answer() -> None:
    report = default_checks()(object(), say("I'm sorry, but I can't help with that."))  # type: ignore[arg-type]
    assert report.escalate


# --- user checks -----------------------------------------------------------------------------


def test_user_callable_runs_with_the_defaults() -> None:
    def no_apology(model_input: object, answer: AIMessage) -> CheckResult:
        sorry = "sorry" in str(answer.content).lower()
        return CheckResult("no_apology", 0.7 if sorry else 0.0, "apologises")

    checks = default_checks(no_apology)
    assert checks.names[-1] == "no_apology"
    report = checks("Hi", say("Sorry, no."))
    assert report.escalate
    assert report.reason == "no_apology: apologises"


def test_user_check_may_return_a_bare_risk_or_none() -> None:
    def risky(model_input: object, answer: AIMessage) -> float:
        return 0.6

    def not_applicable(model_input: object, answer: AIMessage) -> None:
        return None

    report = CheckSet([risky, not_applicable])("q", say("a"))
    assert report.risk == pytest.approx(0.6)
    assert report.skipped == ("not_applicable",)


def test_user_check_with_a_context_keyword_receives_the_context() -> None:
    seen: list[object] = []

    def wants_context(model_input: object, answer: AIMessage, *, context: object = None) -> float:
        seen.append(context)
        return 0.0

    context = CheckContext()
    CheckSet([wants_context])("q", say("a"), context=context)
    assert seen == [context]


def test_two_checks_with_one_name_stay_apart() -> None:
    checks = CheckSet([flat(0.1, "same"), flat(0.2, "same")])
    assert checks.names == ("same", "same#2")


def test_with_checks_adds_after_the_existing_ones() -> None:
    checks = CheckSet([flat(0.1, "a")]).with_checks(flat(0.2, "b"))
    assert checks.names == ("a", "b")


# --- failing user checks: warn and ignore by default, raise when asked -----------------------


def broken(model_input: object, answer: AIMessage) -> CheckResult:
    msg = "validator is down"
    raise ConnectionError(msg)


@pytest.mark.parametrize(
    ("junk", "name"),
    [
        (lambda i, a: "high", "<lambda>"),
        (lambda i, a: float("nan"), "<lambda>"),
        (lambda i, a: 1.5, "<lambda>"),
        (lambda i, a: True, "<lambda>"),
        (broken, "broken"),
    ],
)
def test_failing_check_is_ignored_with_a_warning(junk: Any, name: str) -> None:
    checks = CheckSet([junk, flat(0.2)])
    with pytest.warns(AnswerCheckWarning, match=f"answer check '{name}' failed and is ignored"):
        report = checks("q", say("a"))
    assert report.errors == (name,)
    assert report.risk == pytest.approx(0.2)
    assert name in report.skipped


def test_failing_check_raises_when_on_error_is_raise() -> None:
    checks = CheckSet([broken], on_error="raise")
    with pytest.raises(AnswerCheckError, match="check 'broken' raised ConnectionError"):
        checks("q", say("a"))


def test_junk_result_raises_a_clear_error_when_on_error_is_raise() -> None:
    checks = CheckSet([lambda i, a: "high"], on_error="raise")
    with pytest.raises(AnswerCheckError, match="return a CheckResult, a float risk in"):
        checks("q", say("a"))


@pytest.mark.parametrize("risk", [float("nan"), -0.1, 1.01, float("inf")])
def test_check_result_rejects_a_risk_outside_the_unit_interval(risk: float) -> None:
    with pytest.raises(AnswerCheckError, match="must be a number in"):
        CheckResult("mine", risk)


def test_non_callable_check_fails_at_construction() -> None:
    with pytest.raises(RoutingConfigError, match="a check must be callable"):
        CheckSet(["arithmetic"])


@pytest.mark.parametrize("threshold", [0, -1, 1.5, float("nan"), True])
def test_bad_threshold_fails_at_construction(threshold: Any) -> None:
    with pytest.raises(RoutingConfigError, match="threshold must be a number in"):
        CheckSet([], threshold=threshold)


def test_unknown_error_policy_fails_at_construction() -> None:
    with pytest.raises(RoutingConfigError, match="on_error must be"):
        CheckSet([], on_error="ignore")  # type: ignore[arg-type]


# --- adversarial answers: finite risks in [0, 1], no exception -------------------------------


ADVERSARIAL = [
    "",
    "nan = nan",
    "inf * 2 = inf",
    "9^99999 = 1",
    "10^10^10 = 5",
    "5 / 0 = 3",
    "((((((((((1)))))))))) = 2",
    "(" * 500 + "1" + ")" * 500 + " = 1",
    "1e308 * 1e308 = 1",
    "999999999999999999999999 * 999999999999999999 = 1",
    "= = = = =",
    "\x00\x01\x02 17 * 23 = 381",
    "```python\n" + "(" * 200 + "\n```",
    "```python\nx = '\\N{BAD}'\n```",
    "```json\n" + "[" * 10_000 + "\n```",
    "### ** ** `",
    "数学: 3 \u00d7 4 = 12。答案是 12",
    "😀" * 1000,
]


@pytest.mark.parametrize("text", ADVERSARIAL, ids=range(len(ADVERSARIAL)))
def test_adversarial_answers_get_a_finite_risk_in_the_unit_interval(text: str) -> None:
    context = CheckContext(response_schema={"type": "object"})
    report = default_checks()("How many? Write a Python function.", say(text), context=context)
    assert math.isfinite(report.risk)
    assert 0.0 <= report.risk <= 1.0
    assert all(0.0 <= r.risk <= 1.0 and math.isfinite(r.risk) for r in report.results)
    assert report.errors == ()


def test_deeply_nested_json_output_is_rejected_not_crashed() -> None:
    context = CheckContext(response_schema={"type": "object"})
    report = default_checks()("Report", say("[" * 100_000 + "]" * 100_000), context=context)
    assert report.errors == ()
    assert report.risk >= 0.8


# --- bounded scans: a 5 MB answer is read only at its ends -----------------------------------


def huge(head: str, middle: str, tail: str) -> str:
    filler = "The quarterly numbers were in line with the plan. "
    half = (5 * MB - len(middle)) // 2
    pad = (filler * (half // len(filler) + 1))[:half]
    return head + pad + middle + pad + tail


def test_middle_of_a_5mb_answer_is_not_read() -> None:
    middle = "Note: 17 * 23 = 381. I'm sorry, but I can't help. ```python\ndef f(:\n```"
    report = default_checks()("Summarise the report.", say(huge("Summary.", middle, " Done.")))
    assert report.risk == 0.0, report.reason


def test_head_and_tail_of_a_5mb_answer_are_read() -> None:
    report = default_checks()(
        "Summarise the report.", say(huge("17 * 23 = 381. ", "", " I'm sorry, I can't help."))
    )
    assert {r.name for r in report.results if r.risk > 0} == {"arithmetic", "refusal"}


def test_window_is_head_and_tail() -> None:
    assert ANSWER_HEAD_CHARS + ANSWER_TAIL_CHARS < 10_000


def test_unclosed_fence_is_not_claimed_for_an_answer_too_long_to_count() -> None:
    report = default_checks()(
        "Write a Python function.", say("```python\nx = 1\n```\n" + "y" * 5 * MB + "\n```")
    )
    assert "never closed" not in report.reason


def test_statements_read_per_answer_are_capped() -> None:
    answer = say("1 + 1 = 3. " * 100_000)
    result = default_checks()("Check this.", answer).results
    arithmetic = next(r for r in result if r.name == "arithmetic")
    assert arithmetic.reason.startswith(f"{MAX_STATEMENTS} arithmetic statements do not hold")


def test_huge_question_is_read_at_its_ends() -> None:
    question = "How many apples are left? " + "Context. " * 500_000
    report = default_checks()(question, say("She has some apples left."))
    assert "final_answer" in report.checked


# --- calibration -----------------------------------------------------------------------------


def test_calibrate_for_an_escalation_rate() -> None:
    risks = [0.0] * 6 + [0.1, 0.3, 0.6, 0.9]
    chosen = calibrate_check_threshold(risks, escalation_rate=0.2)
    assert (chosen.threshold, chosen.escalation_rate, chosen.reached) == (0.6, 0.2, True)


def test_ties_are_not_split_and_the_realized_rate_is_reported() -> None:
    chosen = calibrate_check_threshold([0.0, 0.5, 0.5, 0.5], escalation_rate=0.5)
    assert chosen.escalation_rate == 0.75
    assert chosen.reached is False


def test_calibrate_for_a_quality_target() -> None:
    risks = [0.9, 0.6, 0.3, 0.1, 0.0, 0.0]
    cheap = [0, 0, 1, 0, 1, 1]
    strong = [1, 1, 1, 1, 1, 1]
    chosen = calibrate_check_threshold(
        risks, target_quality=0.95, cheap_quality=cheap, strong_quality=strong
    )
    assert chosen.threshold == 0.1
    assert chosen.quality_fraction == 1.0
    assert chosen.escalation_rate == pytest.approx(4 / 6)


def test_unreachable_quality_target_returns_the_best_and_says_so() -> None:
    chosen = calibrate_check_threshold(
        [0.5, 0.0], target_quality=1.0, cheap_quality=[0, 0], strong_quality=[1, 1]
    )
    assert chosen.reached is False
    assert chosen.quality_fraction == 0.5


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"risks": [0.1]}, "exactly one of"),
        ({"risks": [0.1], "escalation_rate": 0.1, "target_quality": 0.9}, "exactly one of"),
        ({"risks": [], "escalation_rate": 0.1}, "empty"),
        ({"risks": [float("nan")], "escalation_rate": 0.1}, "NaN"),
        ({"risks": [1.5], "escalation_rate": 0.1}, "must lie in"),
        ({"risks": [0.1], "escalation_rate": 2.0}, "escalation_rate must be"),
        ({"risks": [0.1], "target_quality": 0.9}, "needs cheap_quality"),
        (
            {"risks": [0.1], "target_quality": 0.9, "cheap_quality": [1, 0], "strong_quality": [1]},
            "one entry per answer",
        ),
    ],
)
def test_calibration_rejects_bad_input(kwargs: dict[str, Any], match: str) -> None:
    risks = kwargs.pop("risks")
    with pytest.raises(RoutingConfigError, match=match):
        calibrate_check_threshold(risks, **kwargs)


def test_noisy_or_of_nothing_is_zero() -> None:
    assert noisy_or([]) == 0.0


# --- metrics the cascade benchmark uses ------------------------------------------------------


def test_auroc_counts_ties_as_half_and_is_nan_without_both_labels() -> None:
    assert auroc([1, 2, 3, 4], [0, 0, 1, 1]) == 1.0
    assert auroc([4, 3, 2, 1], [0, 0, 1, 1]) == 0.0
    assert auroc([1, 1, 1, 1], [0, 1, 0, 1]) == 0.5
    assert math.isnan(auroc([1, 2], [1, 1]))


def test_cascade_cost_counts_the_weak_call_on_every_prompt() -> None:
    scores, weak, strong = np.array([1.0, 0.0]), np.array([0.0, 1.0]), np.ones(2)
    routed = routing_metrics(scores, weak, strong, strong_cost=10.0, weak_cost=1.0)
    cascade = routing_metrics(scores, weak, strong, strong_cost=10.0, weak_cost=1.0, cascade=True)
    assert routed.strong_share_at_95 == cascade.strong_share_at_95
    share = routed.strong_share_at_95
    assert routed.cost_cut_at_95 == pytest.approx(1 - (share * 10 + (1 - share)) / 10)
    assert cascade.cost_cut_at_95 == pytest.approx(1 - (share * 10 + 1) / 10)


@pytest.mark.data
@needs_data
def test_recorded_gsm8k_answers_align_with_the_labelled_rows() -> None:
    answered, labelled = load_gsm8k_answers(DEFAULT_DATA_DIR), load_gsm8k(DEFAULT_DATA_DIR)
    assert [(r.prompt, r.weak, r.group) for r in answered] == [
        (r.prompt, r.weak, r.group) for r in labelled
    ]
    assert all(r.weak_answer and r.strong_answer for r in answered)


@pytest.mark.data
@needs_data
def test_mt_bench_answers_are_first_turn_answers() -> None:
    rows = load_mt_bench_answers(DEFAULT_DATA_DIR)
    assert len(rows) == 72
    assert all("[The End of" not in r.weak_answer and r.weak_answer.strip() for r in rows)


@pytest.mark.data
@needs_data
def test_checks_find_weak_failures_on_gsm8k_training_rows() -> None:
    rows = [r for r in load_gsm8k_answers(DEFAULT_DATA_DIR) if not is_held_out(r)]
    checks = default_checks()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        risks = np.asarray([checks(r.prompt, say(r.weak_answer)).risk for r in rows])
    failed = np.asarray([r.weak == 0 for r in rows])
    escalated = risks >= checks.threshold
    assert auroc(risks, failed) > 0.7
    assert failed[escalated].mean() > 0.85  # an escalation is usually a real failure
