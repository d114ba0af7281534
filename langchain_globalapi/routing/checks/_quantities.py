"""The quantities check: a word problem's given numbers left unused, or numbers from nowhere.

Applies when the question asks for one computed value and gives numbers. Two weak findings:

- **unused**: a number the question gives never appears in the answer (as itself, or as a
  percent written the other way: 25 and 0.25): a step was probably skipped;
- **unexplained**: a number in the answer that the question does not give, no statement in the
  answer computes, and that is not a common constant (1-12, 24, 30, 60, 100, 365, ...): a
  premise the model made up.

Each carries a small risk (at most three of each count), so on its own the check orders answers
for escalation rather than deciding: at the default threshold it never escalates alone.
"""

from __future__ import annotations

from langchain_globalapi.routing.checks._arithmetic import statements_of
from langchain_globalapi.routing.checks._base import (
    AnswerCheck,
    CheckContext,
    CheckResult,
    result_of_findings,
    risk_of_count,
)
from langchain_globalapi.routing.checks._view import AnswerView, NumberAt

__all__ = ["QuantitiesCheck"]

# Unit conversions and counting words a solution may bring in without them being given.
_CONSTANTS = frozenset(
    (0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 0.5, 0.25, 0.75,
     14.0, 16.0, 24.0, 28.0, 30.0, 31.0, 48.0, 52.0, 60.0, 100.0, 360.0, 365.0, 366.0,
     1000.0, 1440.0, 3600.0)
)  # fmt: skip
_MAX_COUNT = 3


def _numbers(text: str, numbers: list[NumberAt]) -> set[float]:
    found: set[float] = set()
    for start, end, number in numbers:
        if (start and (text[start - 1].isalpha() or text[start - 1] in "._")) or (
            end < len(text) and text[end].isalpha()
        ):
            continue  # part of a name or a unit glued to it ("x2", "v1.5", "3rd", "5km")
        value = round(number, 4)
        if not (1900 <= value <= 2100 and value.is_integer()):  # years are context, not data
            found.add(value)
    return found


def _with_percent_forms(values: set[float]) -> set[float]:
    return values | {round(v / 100, 4) for v in values} | {round(v * 100, 4) for v in values}


class QuantitiesCheck(AnswerCheck):
    """Flag given quantities the answer never uses, and numbers it never derives (weak signals).

    Args:
        unused_risk: Risk each unused given number adds (up to three).
        unexplained_risk: Risk each underived number adds (up to three).

    Example:
        >>> from langchain_core.messages import AIMessage
        >>> q = "Tom has 12 apples and buys 30 more, then gives away 7. How many are left?"
        >>> QuantitiesCheck()(q, AIMessage(content="12 + 30 = 42. He has 42 left.")).reason
        "the answer never uses the question's 7"
    """

    name = "quantities"

    def __init__(self, *, unused_risk: float = 0.1, unexplained_risk: float = 0.1) -> None:
        self.unused_risk = unused_risk
        self.unexplained_risk = unexplained_risk

    def evaluate(self, view: AnswerView, context: CheckContext | None = None) -> CheckResult:
        """Compare the question's numbers, the answer's numbers and what the answer computes."""
        if not view.asks_quantity or view.options:
            return CheckResult.skipped(self.name, "the question does not ask for one value")
        given = _numbers(view.question, view.question_numbers)
        used = _numbers(view.prose, view.prose_numbers)
        if not given or not used:
            return CheckResult.skipped(self.name, "no numbers to compare")
        computed: set[float] = set()
        for statement in statements_of(view):
            computed.add(round(statement.left_value, 4))
            computed.add(round(statement.right_value, 4))
        used_forms = _with_percent_forms(used)
        unused = sorted(v for v in given if v not in used_forms)
        explained = _with_percent_forms(given) | computed | _CONSTANTS
        unexplained = sorted(v for v in used if v not in explained)
        findings: list[tuple[float, str]] = []
        if unused:
            shown = ", ".join(f"{v:g}" for v in unused[:_MAX_COUNT])
            many = (
                f"{len(unused)} of the question's numbers" if len(unused) > 1 else "the question's"
            )
            findings.append(
                (
                    risk_of_count(min(len(unused), _MAX_COUNT), self.unused_risk),
                    f"the answer never uses {many} {shown}",
                )
            )
        if unexplained:
            shown = ", ".join(f"{v:g}" for v in unexplained[:_MAX_COUNT])
            findings.append(
                (
                    risk_of_count(min(len(unexplained), _MAX_COUNT), self.unexplained_risk),
                    f"numbers neither given nor computed: {shown}",
                )
            )
        return result_of_findings(self.name, findings, "every given number is used")
