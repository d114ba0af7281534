r"""The arithmetic check: equations written in plain text ("17 * 23 = 381") that do not hold.

Models show their working as ``a op b = c`` statements; a false one is the most direct evidence
of a wrong answer that text can give. :func:`arithmetic_statements` finds each ``=`` in the
answer's prose (code fences removed, head-and-tail window, at most :data:`MAX_STATEMENTS`),
reads the purely numeric expression on each side (numbers with ``$``/``%``/thousands commas,
``+ - * / x ^``, the times and division signs, and parentheses; LaTeX ``\times``, ``\frac``
and Markdown bold normalised) and evaluates both with a small parser, never ``eval``. A side
that is not purely numeric, that continues a verbal expression ("half of 8 = 4", "3 times 4 =
12") or that is only part of an expression ("... * 3 = 540" after a unit) is skipped: a
statement is flagged only when it can be read whole. Equality allows the rounding a written
number implies ("8 / 3 = 2.67", "1600 / 60 = 27") and a percent read either as a fraction or
as a plain number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from langchain_globalapi.routing.checks._base import (
    AnswerCheck,
    CheckContext,
    CheckResult,
    risk_of_count,
)
from langchain_globalapi.routing.checks._expression import TIMES, ParseError, read_side
from langchain_globalapi.routing.checks._view import AnswerView

__all__ = [
    "MAX_STATEMENTS",
    "ArithmeticCheck",
    "ArithmeticStatement",
    "arithmetic_statements",
    "statements_of",
]

MINUS_SIGN = "\u2212"  # the typographic minus
#: At most this many statements are read per answer (and twice as many ``=`` signs examined).
MAX_STATEMENTS = 16
#: How far each side of an ``=`` is read (characters).
_SIDE_CHARS = 80
_SIDE_CLASS = r"[0-9 \t.,$€£%()+\-*/\u00d7÷x^·]*"
_LEFT_RUN = re.compile(_SIDE_CLASS)  # matched on the reversed text before an "="
_RIGHT_RUN = re.compile(_SIDE_CLASS)
# A character before "=" that makes it part of ==, <=, >=, !=, :=, +=, -=, *=, /= ...
_COMPOUND_BEFORE = frozenset("<>!=:+-*/%^&|~")
_NUMBER = re.compile(r"-?(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)%?")
_FRAC = re.compile(r"\\[dt]?frac\{([^{}]{1,40})\}\{([^{}]{1,40})\}")
_REPLACEMENTS = (
    ("\\times", TIMES),
    ("\\cdot", "·"),
    ("\\div", "÷"),
    ("\\*", "*"),
    ("\\$", "$"),
    ("\\%", "%"),
    ("\\left", ""),
    ("\\right", ""),
    ("\\(", " "),
    ("\\)", " "),
    ("\\[", " "),
    ("\\]", " "),
    ("{,}", ","),
    ("**", ""),  # Markdown bold around a statement, far more common in prose than a power
    (MINUS_SIGN, "-"),
)
_START_CHARS = frozenset("0123456789($.-€£")
_END_CHARS = frozenset("0123456789)%")
_OPERATORS = frozenset("+-*/÷x^·" + TIMES)
# Where a side may begin: after a space, an opening bracket or a quote (not a letter or ":",
# which make it part of a name, a time or a larger expression).
_SAFE_BEFORE = frozenset(" \t\n([{\"'“<>\u2018")
# A side right after one of these words is an operand of a verbal expression ("half of 8 = 4").
_VERBAL_OPERATORS = frozenset(
    [
        "of",
        "by",
        "from",
        "times",
        "plus",
        "minus",
        "over",
        "per",
        "than",
        "into",
        "half",
        "twice",
        "double",
        "triple",
        "divided",
        "multiplied",
        "percent",
        "squared",
        "cubed",
        "root",
        "less",
        "more",
    ]
)
# These join two operands only when the side is a single number ("add 3 and 4 = 7"); before an
# expression they are conjunctions ("..., and 1600 / 60 = 26.67").
_VERBAL_JOINERS = frozenset(
    ["and", "to", "with", "add", "added", "subtract", "subtracted", "multiply", "divide", "take"]
)


@dataclass(frozen=True)
class ArithmeticStatement:
    """One ``left = right`` statement read from an answer, with both sides' values.

    Example:
        >>> s = arithmetic_statements("so 17 * 23 = 381")[0]
        >>> (s.left, s.right, s.left_value, s.holds)
        ('17 * 23', '381', 391.0, False)
    """

    left: str
    right: str
    left_value: float
    right_value: float
    holds: bool


def _normalize(text: str) -> str:
    if "\\" not in text and "**" not in text and MINUS_SIGN not in text and "{," not in text:
        return text  # nothing to rewrite (the common case: four scans instead of fifteen)
    for old, new in _REPLACEMENTS:
        if old in text:
            text = text.replace(old, new)
    if "frac" in text:
        text = _FRAC.sub(r"((\1)/(\2))", text)
    return text


def _cut_left(side: str) -> str:
    """The part of a left side that belongs to the statement (after '. ', ', ', a list marker)."""
    for separator in (". ", ", ", ".\t", ",\t"):
        cut = side.rfind(separator)
        if cut >= 0:
            side = side[cut + 2 :]
    if ")" not in side and "(" not in side:
        return side.strip()
    depth, start = 0, 0
    for i, char in enumerate(side):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth < 0:
                if i > 3 or side[i + 1 : i + 2] != " ":
                    return ""  # "(P/2 + 4) - 6 + 8": the expression goes on to the left
                depth, start = 0, i + 1  # "1) 16 - 3": a list marker
    side = side[start:]
    if depth > 0:  # "(so 16 - 3": drop up to the last unmatched "("
        opened = 0
        for i in range(len(side) - 1, -1, -1):
            if side[i] == ")":
                opened -= 1
            elif side[i] == "(":
                opened += 1
                if opened > 0:
                    side = side[i + 1 :]
                    break
    return side.strip()


def _cut_right(side: str) -> str:
    """Keep the part of a right side that belongs to the statement (up to '. ', ', ', a ')')."""
    for separator in (". ", ", ", ".\t", ",\t"):
        cut = side.find(separator)
        if cut >= 0:
            side = side[:cut]
    depth = 0
    for i, char in enumerate(side if ")" in side else ""):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth < 0:  # "(16 - 3 = 13)": the statement ends at the ")"
                side = side[:i]
                break
    return side.strip().rstrip(".,").rstrip()


def _left_side(text: str, equals: int, floor: int) -> str | None:
    start = max(floor, equals - _SIDE_CHARS)
    run = _LEFT_RUN.match(text[start:equals][::-1])
    side = run.group()[::-1] if run else ""
    begin = equals - len(side)
    # An "x" glued to a letter is the end of a word ("box 3 x 4"), not a product.
    while side.startswith("x") and begin > 0 and text[begin - 1].isalpha():
        side, begin = side[1:], begin + 1
    side = _cut_left(side)
    if not side or side[0] not in _START_CHARS:
        return None  # nothing, or part of a longer expression ("meters * 3 = 540")
    begin = text.rfind(side, start, equals)
    before = text[begin - 1] if begin > 0 else " "
    if before not in _SAFE_BEFORE:
        return None  # "f(2) = 3", "x2 = 4", "10:30 = 630"
    # The last thing before the side: an operator or a verbal operator makes it a fragment.
    head = text[max(0, begin - 16) : begin].rstrip()
    if head and (head[-1] in _OPERATORS or head[-1] in ")]}"):
        return None
    words = head.rsplit(None, 1)
    word = words[-1].lower().strip("*_") if words else ""
    if word in _VERBAL_OPERATORS or (word in _VERBAL_JOINERS and _is_number(side)):
        return None
    return side


def _is_number(side: str) -> bool:
    return _NUMBER.fullmatch(side.replace("$", "").replace("€", "").replace("£", "")) is not None


def _right_side(text: str, equals: int, ceiling: int) -> str | None:
    end = min(ceiling, equals + 1 + _SIDE_CHARS)
    run = _RIGHT_RUN.match(text, equals + 1, end)
    side = run.group() if run else ""
    stop = equals + 1 + len(side)
    # "= 5 xylophones": the "x" starts a word.
    if side.rstrip().endswith("x") and stop < len(text) and text[stop].isalpha():
        side = side.rstrip()[:-1]
    side = _cut_right(side)
    if not side or side[0] not in _START_CHARS:
        return None
    if side[-1] in _OPERATORS or side[-1] == "(":
        return None  # "= 12 + tax": the side goes on in words
    after = text.find(side, equals + 1, end) + len(side)
    if after < len(text) and text[after].isalpha() and not _is_number(side):
        return None  # "= 100 - 9X": the expression goes on with a variable ("= 10km" is a unit)
    return side


def _values(left: str, right: str) -> tuple[float, float, bool] | None:
    """(left value, right value, holds) or None when a side cannot be read."""
    percent = "%" in left or "%" in right
    readings = (True, False) if percent else (True,)
    first: tuple[float, float] | None = None
    for as_fraction in readings:
        try:
            (left_value, left_decimals), (right_value, right_decimals) = (
                read_side(left, as_fraction),
                read_side(right, as_fraction),
            )
        except ParseError:
            return None
        if left_decimals is not None and right_decimals is not None:
            return None  # "$1 = 100" (cents): a definition, not a calculation
        if first is None:
            first = (left_value, right_value)
        decimals = right_decimals if right_decimals is not None else left_decimals
        scale = max(1.0, abs(left_value), abs(right_value))
        # A written number stands for anything it rounds, truncates or is rounded up from.
        tolerance = 10.0**-decimals if decimals is not None else 0.0
        difference = abs(left_value - right_value)
        if difference <= 1e-9 * scale or difference < tolerance * (1 - 1e-9):
            return left_value, right_value, True
    assert first is not None
    return first[0], first[1], False


def arithmetic_statements(text: str, *, limit: int = MAX_STATEMENTS) -> list[ArithmeticStatement]:
    """The numeric ``left = right`` statements of ``text`` that can be read whole.

    Args:
        text: Prose (the caller bounds its length; code should be removed first).
        limit: At most this many statements are read (and twice as many ``=`` signs examined).

    Returns:
        Each readable statement with both values and whether it holds; ``a = b = c`` gives two.

    Example:
        >>> [s.holds for s in arithmetic_statements("2 + 1/2 = 5/2 = 2.5, and 8 / 3 = 2.67")]
        [True, True, True]
        >>> arithmetic_statements("half of 8 = 4; x = 3")
        []
    """
    if "=" not in text:
        return []
    text = _normalize(text)
    positions: list[int] = []
    found = text.find("=")
    while found >= 0 and len(positions) < 2 * limit:
        positions.append(found)
        found = text.find("=", found + 1)
    statements: list[ArithmeticStatement] = []
    for i, equals in enumerate(positions):
        if len(statements) >= limit:
            break
        floor = positions[i - 1] + 1 if i else 0
        ceiling = positions[i + 1] if i + 1 < len(positions) else len(text)
        if (equals and text[equals - 1] in _COMPOUND_BEFORE) or text[equals + 1 : equals + 2] in (
            "=",
            ">",
        ):
            continue  # ==, <=, >=, !=, :=, +=, => ...
        # Cheap look at the characters next to the sign: "x = y" and "=>" never get parsed.
        before = text[max(floor, equals - 3) : equals].rstrip(" \t")
        after = text[equals + 1 : min(ceiling, equals + 4)].lstrip(" \t")
        if not before or before[-1] not in _END_CHARS or not after or after[0] not in _START_CHARS:
            continue
        left = _left_side(text, equals, floor)
        if left is None:
            continue
        right = _right_side(text, equals, ceiling)
        if right is None:
            continue
        values = _values(left, right)
        if values is not None:
            statements.append(ArithmeticStatement(left, right, *values))
    return statements


def statements_of(view: AnswerView) -> list[ArithmeticStatement]:
    """The arithmetic statements of a view's prose, read once per answer and shared."""
    found = view.memo.get("statements")
    if found is None:
        found = view.memo["statements"] = arithmetic_statements(view.prose)
    return list(found)


def _format(value: float) -> str:
    return f"{value:.6g}" if value != int(value) or abs(value) >= 1e15 else str(int(value))


class ArithmeticCheck(AnswerCheck):
    """Flag arithmetic written in the answer's prose that does not hold ("17 * 23 = 381").

    Each false statement adds ``risk_per_error`` (combined as independent findings). Only
    statements whose both sides are purely numeric are read; see the module docstring.

    Args:
        risk_per_error: The risk one false statement carries.

    Example:
        >>> from langchain_core.messages import AIMessage
        >>> ArithmeticCheck()("", AIMessage(content="17 * 23 = 381")).reason
        '1 arithmetic statement does not hold: 17 * 23 = 381 (it is 391)'
        >>> ArithmeticCheck()("", AIMessage(content="17 * 23 = 391")).risk
        0.0
    """

    name = "arithmetic"

    def __init__(self, risk_per_error: float = 0.8) -> None:
        self.risk_per_error = risk_per_error

    def evaluate(self, view: AnswerView, context: CheckContext | None = None) -> CheckResult:
        """Read every numeric statement of the prose window and count those that do not hold."""
        statements = statements_of(view)
        if not statements:
            return CheckResult.skipped(self.name, "no arithmetic statement to verify")
        wrong = [s for s in statements if not s.holds]
        if not wrong:
            return CheckResult(self.name, 0.0, f"{len(statements)} arithmetic statement(s) hold")
        first = wrong[0]
        shown = f"{first.left} = {first.right} (it is {_format(first.left_value)})"
        count = f"{len(wrong)} arithmetic statement{'s' if len(wrong) > 1 else ''}"
        verb = "do" if len(wrong) > 1 else "does"
        return CheckResult(
            self.name,
            risk_of_count(len(wrong), self.risk_per_error),
            f"{count} {verb} not hold: {shown}",
        )
