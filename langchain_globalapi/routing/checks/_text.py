"""Checks on the answer as text: empty, cut off, refused, or hedged.

- :class:`EmptyAnswerCheck`: no text and no tool call (or only whitespace and punctuation).
- :class:`TruncationCheck`: the provider says the answer hit its token limit
  (``finish_reason``/``stop_reason`` ``"length"``/``"max_tokens"``), or the answer stops where no
  finished text stops: inside an open bracket, after an operator, on half a number ("130,00").
- :class:`RefusalCheck`: the model declines ("I'm sorry, but I can't ..."), says the question
  cannot be answered ("cannot be determined", "there must be a mistake in the problem"), or
  hedges and corrects itself ("I think", "probably", "actually,"). Only the model's own words
  count: a phrase inside a quotation or inline code on its line is not a finding.
"""

from __future__ import annotations

import re

from langchain_globalapi.routing.checks._base import (
    AnswerCheck,
    CheckContext,
    CheckResult,
    result_of_findings,
    risk_of_count,
)
from langchain_globalapi.routing.checks._phrases import Phrases
from langchain_globalapi.routing.checks._view import AnswerView

__all__ = ["EmptyAnswerCheck", "RefusalCheck", "TruncationCheck"]

_LENGTH_REASONS = frozenset(("length", "max_tokens", "max_output_tokens", "model_length"))
_PUNCTUATION_ONLY = re.compile(r"[\W_]*")
# How the last characters of a cut-off answer look (its last 16 characters, stripped).
_CUT_OFF = (
    (re.compile(r"\d,\d{0,2}\Z"), "it ends on half a number"),
    (
        re.compile(r"(?:[=+\-*/\u00d7÷(\[{,:]|<<|\d x)\Z"),
        "it ends on an operator or an open bracket",
    ),
    (
        re.compile(
            r"\b(?:the|a|an|and|or|of|to|is|are|was|were|with|for|in|by|that|which|so|then|"
            r"because|but)\Z",
            re.IGNORECASE,
        ),
        "it ends mid-sentence",
    ),
)
_OPENERS = (("(", ")"), ("[", "]"), ("<<", ">>"))
# A last line that is a list item, heading, quote, table or data row may end without a stop.
_NOT_A_SENTENCE = re.compile(r"\A\s*(?:[-*+#|>•]|\d+[.)]|[A-Za-z][.)]\s)")

_REFUSAL = Phrases(
    "(i'm|i am) (sorry|afraid|unable|not able)",
    "i (apologize|apologise)",
    "i (can't|cannot|won't|will not|must decline to) (help|assist|provide|answer|comply|do|"
    "fulfil|fulfill|complete|write|create|generate|share|give)",
    "i (don't|do not) have (access|the ability)",
)
_CANNOT_ANSWER = Phrases(
    "(not possible|impossible) to (determine|answer|know|say|calculate|tell)",
    "(cannot|can't) be (determined|answered|calculated|solved)",
    "(insufficient|not enough) information",
    "(don't have|do not have|without) enough information",
    "there (must be|is|seems to be) (a |an |)(mistake|error|typo|inconsistency)",
    "(doesn't|does not) make sense",
    "the (problem|question) is (ambiguous|unclear|flawed)",
    "has no (valid |)solution",
    "no (valid |)solution exists",
)
_HEDGES = Phrases(
    "i (think|believe|guess)",
    "(i'm|i am|) not (sure|certain)",
    "(probably|perhaps|possibly)",
    "(it seems|seems like|might be|may be)",
    "(assuming|if we assume)",
    "(it is unclear|it's unclear|unclear whether)",
    "as an ai",
    "actually,",
    "on second thought",
    "let me (recheck|re-check|recalculate|correct|try again)",
    "i made (a|an) (mistake|error)",
    "(correction:|my mistake|my apologies)",
)
# In an answer to a question that asks for one value, these mark the model revising itself or
# bending its result ("However, since you can't have half a bolt, ...", "rounded to").
_REVISIONS = Phrases(
    "(however|but|instead|actually|wait)",
    "(round|rounded|rounding)",
    "whole number",
    "(can't|cannot) (have|be) (a |an |)(half|fraction|partial|negative)",
    "(approximately|roughly|about)",
)
_START_CHARS = 300


class EmptyAnswerCheck(AnswerCheck):
    """Flag an answer with no text and no tool call, or only whitespace and punctuation.

    Example:
        >>> from langchain_core.messages import AIMessage
        >>> EmptyAnswerCheck()("Hi", AIMessage(content="  ")).risk
        1.0
        >>> EmptyAnswerCheck()("Hi", AIMessage(content="Hello!")).risk
        0.0
    """

    name = "empty"

    def evaluate(self, view: AnswerView, context: CheckContext | None = None) -> CheckResult:
        """Empty when nothing but whitespace and punctuation came back, and no tool call."""
        if view.answer.tool_calls or view.answer.invalid_tool_calls:
            return CheckResult(self.name, 0.0, "the answer calls a tool")
        # The head first (cheap); then the whole window, so a long run of blanks is empty too.
        if _PUNCTUATION_ONLY.fullmatch(view.window[:200]) and _PUNCTUATION_ONLY.fullmatch(
            view.window
        ):
            return CheckResult(self.name, 1.0, "empty answer")
        return CheckResult(self.name, 0.0, "")


class TruncationCheck(AnswerCheck):
    """Flag an answer cut off by its token limit, or one that stops mid-thought.

    Args:
        length_risk: Risk when the provider reports the token limit (``finish_reason``).
        cut_off_risk: Risk when the text ends on an operator, half a number or an open bracket.
        mid_sentence_risk: Risk when the last line is a sentence with no closing punctuation.

    Example:
        >>> from langchain_core.messages import AIMessage
        >>> msg = AIMessage(content="The total is", response_metadata={"finish_reason": "length"})
        >>> TruncationCheck()("Sum it", msg).reason
        "cut off at the token limit (finish_reason 'length')"
        >>> TruncationCheck()("Sum it", AIMessage(content="She has 88,00")).reason
        'looks cut off: it ends on half a number'
    """

    name = "truncation"

    def __init__(
        self,
        *,
        length_risk: float = 0.95,
        cut_off_risk: float = 0.6,
        mid_sentence_risk: float = 0.5,
    ) -> None:
        self.length_risk = length_risk
        self.cut_off_risk = cut_off_risk
        self.mid_sentence_risk = mid_sentence_risk

    def evaluate(self, view: AnswerView, context: CheckContext | None = None) -> CheckResult:
        """Read the finish reason, then the answer's last line."""
        metadata = view.response_metadata
        for key in ("finish_reason", "stop_reason"):
            reason = metadata.get(key)
            if isinstance(reason, str) and reason.lower() in _LENGTH_REASONS:
                return CheckResult(
                    self.name, self.length_risk, f"cut off at the token limit ({key} {reason!r})"
                )
        if view.answer.tool_calls:
            return CheckResult(self.name, 0.0, "the answer calls a tool")
        ending = view.text[-200:].rstrip()
        if not ending:
            return CheckResult.skipped(self.name, "empty answer (see the empty check)")
        tail = ending[-16:]  # every pattern is anchored at the end: no need to scan more
        for pattern, why in _CUT_OFF:
            if pattern.search(tail):
                return CheckResult(self.name, self.cut_off_risk, f"looks cut off: {why}")
        last_line = ending.rsplit("\n", 1)[-1].strip()
        for opener, closer in _OPENERS:
            if last_line.count(opener) > last_line.count(closer):
                return CheckResult(
                    self.name, self.cut_off_risk, f"looks cut off: {opener!r} is never closed"
                )
        words = last_line.split()
        if (
            last_line[-1].isalpha()  # "... is 42" may end an answer; "... the price of" not
            and sum(any(c.isalpha() for c in word) for word in words) >= 4
            and last_line.count(",") < 3
            and "\t" not in last_line
            and not _NOT_A_SENTENCE.match(last_line)
            and view.fence_count != 1  # an unclosed fence is the code check's finding
        ):
            return CheckResult(
                self.name, self.mid_sentence_risk, "looks cut off: its last sentence never ends"
            )
        return CheckResult(self.name, 0.0, "")


class RefusalCheck(AnswerCheck):
    """Flag refusals, "this cannot be answered", and hedging or self-correcting answers.

    Args:
        refusal_risk: Risk of a refusal in the answer's first sentences.
        late_refusal_risk: Risk of a refusal later in the answer.
        cannot_answer_risk: Risk of "cannot be determined", "there must be a mistake", ...
        hedge_risk: Risk each distinct hedge adds (combined as independent findings).
        revision_risk: Risk each distinct revision word ("however", "but", "rounded",
            "approximately") adds in an answer to a question asking for one value.

    Example:
        >>> from langchain_core.messages import AIMessage
        >>> RefusalCheck()("Tell me a joke", AIMessage(content="I'm sorry, but I can't help.")).risk
        0.9
        >>> RefusalCheck()("Quote it", AIMessage(content='He said "I think so" twice.')).risk
        0.0
    """

    name = "refusal"

    def __init__(
        self,
        *,
        refusal_risk: float = 0.9,
        late_refusal_risk: float = 0.5,
        cannot_answer_risk: float = 0.6,
        hedge_risk: float = 0.15,
        revision_risk: float = 0.3,
    ) -> None:
        self.refusal_risk = refusal_risk
        self.late_refusal_risk = late_refusal_risk
        self.cannot_answer_risk = cannot_answer_risk
        self.hedge_risk = hedge_risk
        self.revision_risk = revision_risk

    def evaluate(self, view: AnswerView, context: CheckContext | None = None) -> CheckResult:
        """Search the model's own words (quotations removed) for each kind of phrase."""
        lower, words = view.prose_lower, view.prose_words
        if not words:
            return CheckResult.skipped(self.name, "no prose to read")
        findings: list[tuple[float, str]] = []
        refusal = _REFUSAL.first(lower, words)
        if refusal is not None:
            early = refusal[0] < _START_CHARS
            risk = self.refusal_risk if early else self.late_refusal_risk
            findings.append((risk, f"refuses: {refusal[1]!r}"))
        cannot = _CANNOT_ANSWER.find(lower, words, first_only=True)
        if cannot:
            findings.append((self.cannot_answer_risk, f"says it cannot answer: {cannot[0]!r}"))
        hedges = _HEDGES.find(lower, words)
        if hedges:
            shown = ", ".join(repr(h.rstrip(",:")) for h in hedges[:3])
            findings.append((risk_of_count(len(hedges), self.hedge_risk), f"hedges: {shown}"))
        if view.asks_quantity:
            revisions = _REVISIONS.find(lower, words)
            if revisions:
                shown = ", ".join(repr(r) for r in revisions[:3])
                findings.append(
                    (
                        risk_of_count(len(revisions), self.revision_risk),
                        f"revises or rounds its result: {shown}",
                    )
                )
        return result_of_findings(self.name, findings)
