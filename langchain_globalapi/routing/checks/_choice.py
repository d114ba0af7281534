r"""The multiple-choice check: a question with lettered options gets no single clear choice.

Applies when the question lists options ``A.``, ``B.``, ... (or ``(A)``, ``A)``). The choice is
read, in order of precedence, from explicit answers ("the answer is C", "Answer: (C)",
"correct option is C", ``\boxed{C}``), then from a letter opening the answer ("C. ...",
"(C)", "**C**") or closing it ("... so it is: C."), then from the text of exactly one option
quoted in the answer. Several
different explicit letters, or none found at all, is flagged.
"""

from __future__ import annotations

import re

from langchain_globalapi.routing.checks._base import AnswerCheck, CheckContext, CheckResult
from langchain_globalapi.routing.checks._view import AnswerView

__all__ = ["MultipleChoiceCheck", "chosen_options"]

# Letters are matched case-sensitively ("the answer is a bit ..." names no option).
_EXPLICIT = re.compile(
    r"(?:(?i:\b(?:the )?(?:correct |right |best |final )?answer(?: is| would be)?)[ \t]*:?|"
    r"(?i:\bcorrect (?:option|choice) is)|(?i:\bI (?:choose|pick|select))|\\boxed\{)"
    r"[ \t*]*\(?\**([A-J])\b(?![a-z'])"
    r"|(?i:\b(?:option|choice|answer)) \(?([A-J])\)? (?i:is (?:the )?(?:correct|right|best))"
)
_OPENING = re.compile(r"\A[\s*#]*(?:\(([A-J])\)|([A-J])(?:[.):]|\*\*|\s*\Z|\s+-))")
# A lone letter closing the answer: "... so it is: C." / "... (C)".
_CLOSING = re.compile(r"(?:\A|[\s:(*])\(?\**([A-J])\**\)?[.*]*\s*\Z")
_OPTION_TEXT = re.compile(r"(?m)^[ \t]*\(?([A-J])[.)][ \t]+(.+?)[ \t]*$")


def chosen_options(question: str, answer: str, letters: tuple[str, ...]) -> tuple[list[str], str]:
    r"""The option letters an answer commits to, and how they were read.

    Returns:
        ``(letters, how)``: the distinct letters chosen (in order of appearance) and ``"explicit"``,
        ``"opening"``, ``"closing"``, ``"option text"`` or ``"none"``.

    Example:
        >>> chosen_options("Q\nA. red\nB. blue", "The answer is B.", ("A", "B"))
        (['B'], 'explicit')
        >>> chosen_options("Q\nA. red\nB. blue", "It is blue.", ("A", "B"))
        (['B'], 'option text')
    """
    valid = set(letters)
    explicit = [m.group(1) or m.group(2) for m in _EXPLICIT.finditer(answer)]
    explicit = list(dict.fromkeys(letter for letter in explicit if letter in valid))
    if explicit:
        return explicit, "explicit"
    opening = _OPENING.match(answer)
    if opening is not None:
        letter = (opening.group(1) or opening.group(2)).upper()
        if letter in valid:
            return [letter], "opening"
    closing = _CLOSING.search(answer[-40:])
    if closing is not None and closing.group(1) in valid:
        return [closing.group(1)], "closing"
    lowered = answer.lower()
    quoted = [
        letter
        for letter, text in _OPTION_TEXT.findall(question)
        if letter in valid and len(text) >= 3 and text.lower().rstrip(".") in lowered
    ]
    if len(quoted) == 1:
        return quoted, "option text"
    return [], "none"


class MultipleChoiceCheck(AnswerCheck):
    r"""Flag an answer to a lettered multiple-choice question without one clear choice.

    Args:
        no_choice_risk: Risk when no choice can be read.
        several_risk: Risk when the answer commits to several different letters.

    Example:
        >>> from langchain_core.messages import AIMessage
        >>> q = "Which is a prime?\nA. 4\nB. 6\nC. 7\nD. 9\nAnswer:"
        >>> MultipleChoiceCheck()(q, AIMessage(content="C. 7 is prime.")).risk
        0.0
        >>> MultipleChoiceCheck()(q, AIMessage(content="The answer is B or C.")).reason
        'several choices: B, C'
    """

    name = "multiple_choice"

    def __init__(self, *, no_choice_risk: float = 0.6, several_risk: float = 0.7) -> None:
        self.no_choice_risk = no_choice_risk
        self.several_risk = several_risk

    def evaluate(self, view: AnswerView, context: CheckContext | None = None) -> CheckResult:
        """Read the chosen letters from the answer's prose window."""
        letters = view.options
        if not letters:
            return CheckResult.skipped(self.name, "not a multiple-choice question")
        answer = view.prose
        chosen, how = chosen_options(view.question, answer, letters)
        if how == "explicit" and len(chosen) == 1:
            # "The answer is B or C": a second letter right after the explicit one.
            follow = re.search(rf"\b{chosen[0]}\)?\s+(?:or|and|/)\s+\(?([A-J])\b", answer)
            if follow is not None and follow.group(1) in letters:
                chosen = [chosen[0], follow.group(1)]
        if not chosen:
            return CheckResult(self.name, self.no_choice_risk, "no clear choice among the options")
        if len(chosen) > 1:
            return CheckResult(
                self.name, self.several_risk, f"several choices: {', '.join(chosen)}"
            )
        return CheckResult(self.name, 0.0, f"chose {chosen[0]} ({how})")
