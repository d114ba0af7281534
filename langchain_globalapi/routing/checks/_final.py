r"""The final-answer check: no final value, several, or one never worked out.

Applies only when the question asks for a computed value ("how many", "how much", "calculate",
"what is the total ...") and is not multiple choice. The final answer is the last explicit one
("the answer is ...", "Answer: ...", "Final answer ...", ``\boxed{...}``, ``#### ...``) or, without
a marker, the last sentence of the prose that holds a number. Findings, each with its own risk:

- **missing**: no number in the final answer (or no final answer at all);
- **conflicting**: explicit final answers that disagree;
- **ambiguous**: one final answer naming several different values ("90 minutes or 2 hours");
- **not derived**: the final value appears nowhere in the working or the question;
- **not a whole count**: "how many ..." answered with a fraction.
"""

from __future__ import annotations

import re

from langchain_globalapi.routing.checks._base import (
    AnswerCheck,
    CheckContext,
    CheckResult,
    result_of_findings,
)
from langchain_globalapi.routing.checks._view import AnswerView, numbers_in

__all__ = ["FinalAnswerCheck", "final_answer"]

# Case spelled out rather than IGNORECASE, which makes Python's re several times slower.
_MARKER = re.compile(
    r"(?:####|\\boxed\{|\b(?:[Ff]inal [Aa]nswer|[Tt]he [Aa]nswer|[Aa]nswer|FINAL ANSWER|"
    r"THE ANSWER|ANSWER)\b(?:[ \t]+is|[ \t]*[:=]|[ \t]+would be))[ \t:*]*(?P<answer>[^\n]{0,120})"
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
_COUNT_QUESTION = re.compile(r"\bhow many\b")  # on the lower-cased question
# A number in the final answer that only qualifies it ("in 2 days", "for the 3 of them") is
# still a number: the check compares values, so units and words around them do not matter.
_LAST_CHARS = 600


def _values(text: str) -> list[float]:
    values: list[float] = []
    for start, _, number in numbers_in(text):
        negative = start and text[start - 1] == "-" and (start < 2 or not text[start - 2].isalnum())
        values.append(-number if negative else number)  # "-3", not "5-3"
    return values


def _distinct(values: list[float]) -> list[float]:
    seen: list[float] = []
    for value in values:
        if all(abs(value - other) > 1e-9 * max(1.0, abs(value)) for other in seen):
            seen.append(value)
    return seen


def _close(value: float, others: list[float]) -> bool:
    """Whether ``value`` equals one of ``others`` up to the rounding of two decimals."""
    return any(abs(value - other) <= max(0.006, 1e-6 * abs(other)) for other in others)


def final_answer(prose: str) -> tuple[str | None, list[str]]:
    r"""The final answer of a worked solution and every explicit one, from its prose.

    Returns:
        ``(final, explicit)``: the text of the last explicit answer, or else of the last sentence
        holding a number (None when there is none); and the text of every explicit answer.

    Example:
        >>> final_answer("16 - 3 = 13 eggs. She sells 9.\n#### 18")
        ('18', ['18'])
        >>> final_answer("So she sells 9 eggs for $18.")
        ('So she sells 9 eggs for $18.', [])
    """
    explicit = (
        [m.group("answer").strip() for m in _MARKER.finditer(prose)]
        if "####" in prose or "boxed" in prose or "nswer" in prose or "NSWER" in prose
        else []
    )
    if explicit:
        return explicit[-1], explicit
    tail = prose[-_LAST_CHARS:]
    for sentence in reversed(_SENTENCE_END.split(tail)):
        if any(c.isdigit() for c in sentence):
            return sentence.strip(), []
    return None, []


class FinalAnswerCheck(AnswerCheck):
    """Flag a missing, conflicting, ambiguous or unworked final answer to a question asking for one.

    Args:
        missing_risk: Risk of no number in the final answer.
        conflicting_risk: Risk of explicit final answers that disagree.
        ambiguous_risk: Risk of one final answer naming several values.
        not_derived_risk: Risk of a final value that appears nowhere in the working.
        not_whole_risk: Risk of a fractional answer to "how many".

    Example:
        >>> from langchain_core.messages import AIMessage
        >>> check = FinalAnswerCheck()
        >>> check("How many eggs are left?", AIMessage(content="She has some eggs left.")).reason
        'no final answer: the question asks for a value and no number ends the answer'
        >>> check("How many eggs are left?", AIMessage(content="16 - 3 = 13, so 13 eggs.")).risk
        0.0
    """

    name = "final_answer"

    def __init__(
        self,
        *,
        missing_risk: float = 0.6,
        conflicting_risk: float = 0.6,
        ambiguous_risk: float = 0.4,
        not_derived_risk: float = 0.4,
        not_whole_risk: float = 0.3,
    ) -> None:
        self.missing_risk = missing_risk
        self.conflicting_risk = conflicting_risk
        self.ambiguous_risk = ambiguous_risk
        self.not_derived_risk = not_derived_risk
        self.not_whole_risk = not_whole_risk

    def evaluate(self, view: AnswerView, context: CheckContext | None = None) -> CheckResult:
        """Find the final answer in the prose window and test it."""
        if not view.asks_quantity or view.options:
            return CheckResult.skipped(self.name, "the question does not ask for one value")
        if not view.text.strip():
            return CheckResult.skipped(self.name, "empty answer (see the empty check)")
        prose = view.prose
        final, explicit = final_answer(prose)
        values = _distinct(_values(final)) if final is not None else []
        if not values:
            return CheckResult(
                self.name,
                self.missing_risk,
                "no final answer: the question asks for a value and no number ends the answer",
            )
        findings: list[tuple[float, str]] = []
        answers = [_distinct(_values(text)) for text in explicit]
        firsts = _distinct([found[0] for found in answers if found])
        if len(firsts) > 1:
            shown = ", ".join(f"{v:g}" for v in firsts[:3])
            findings.append((self.conflicting_risk, f"final answers disagree ({shown})"))
        if explicit and len(values) > 1:
            shown = " / ".join(f"{v:g}" for v in values[:3])
            findings.append(
                (self.ambiguous_risk, f"the final answer names several values ({shown})")
            )
        value = values[-1] if not explicit else values[0]
        position = prose.rfind(final) if final else -1
        working = [abs(v) for start, _, v in view.prose_numbers if start < position]
        working += [v for _, _, v in view.question_numbers]
        if explicit and not _close(abs(value), working):
            findings.append(
                (
                    self.not_derived_risk,
                    f"the final answer {value:g} appears nowhere in the working",
                )
            )
        if value != int(value) and _COUNT_QUESTION.search(view.question_lower):
            findings.append(
                (self.not_whole_risk, f"'how many' answered with a fraction ({value:g})")
            )
        return result_of_findings(self.name, findings, f"final answer {value:g}")
