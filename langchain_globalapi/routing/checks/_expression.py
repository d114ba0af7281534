"""Evaluate a purely numeric expression read from prose, without ``eval``.

The arithmetic check reads each side of a written statement ("17 * 23", "$1,600.50 + $9.50",
"150% * 50,000") and needs its value. :func:`read_side` takes the common "a", "-a" and "a op b"
shapes directly and hands anything longer to a small recursive-descent parser (numbers with
thousands commas and percent signs; ``+ - * / x ^``, the times and division signs, parentheses
and implicit products); anything else raises :class:`ParseError`.
"""

from __future__ import annotations

import math
import re

__all__ = ["TIMES", "ParseError", "read_side"]

TIMES = "\u00d7"  # the multiplication sign
# A number (thousands commas, decimals, a percent sign), an operator, or a stray character
# (which makes the side unreadable); whitespace between tokens is skipped by findall.
_TOKEN = re.compile(
    r"(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)(%?)|([-+*/\u00d7÷x^·()])|(\S)"
)
# "a", "-a" or "a op b" with plain numbers: most written statements, read without the parser.
_SIMPLE = re.compile(
    r"\s*(-?)(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)(%?)\s*"
    r"(?:([-+*/\u00d7÷x·])\s*(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)(%?)\s*)?\Z"
)
_DIVIDE = frozenset("/÷")
_MULTIPLY = frozenset("*x·" + TIMES)


class ParseError(ValueError):
    """A side that is not a purely numeric expression (a name, a stray symbol, division by 0).

    Example:
        >>> issubclass(ParseError, ValueError)
        True
    """


class _Expression:
    """A recursive-descent evaluator of a numeric expression (no names, no calls, no eval)."""

    def __init__(self, text: str, percent_as_fraction: bool) -> None:
        self.tokens: list[tuple[str, str]] = []
        text = text.replace("$", "").replace("€", "").replace("£", "")
        for number, percent, operator, stray in _TOKEN.findall(text):
            if stray:
                raise ParseError(stray)
            self.tokens.append(
                ("n", number.replace(",", "") + percent) if number else ("o", operator)
            )
        self.index = 0
        self.percent_as_fraction = percent_as_fraction

    @property
    def is_literal(self) -> bool:
        return len(self.tokens) == 1 or (
            len(self.tokens) == 2 and self.tokens[0] == ("o", "-") and self.tokens[1][0] == "n"
        )

    @property
    def decimals(self) -> int:
        """Decimal places of the single literal (its written precision)."""
        literal = self.tokens[-1][1].rstrip("%")
        return len(literal.partition(".")[2])

    def evaluate(self) -> float:
        if not self.tokens:
            raise ParseError("empty")
        value = self._sum()
        if self.index != len(self.tokens):
            raise ParseError("trailing tokens")
        if not math.isfinite(value):
            raise ParseError("not finite")
        return value

    def _peek(self) -> tuple[str, str] | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def _sum(self) -> float:
        value = self._product()
        while (token := self._peek()) is not None and token[1] in ("+", "-") and token[0] == "o":
            self.index += 1
            right = self._product()
            value = value + right if token[1] == "+" else value - right
        return value

    def _product(self) -> float:
        value = self._unary()
        while (token := self._peek()) is not None:
            if token[0] == "o" and (token[1] in _MULTIPLY or token[1] in _DIVIDE):
                self.index += 1
                following = self._peek()
                # "2x + 3": a variable, not a product ("3 x 4" and "3 x (4)" are products)
                if (
                    token[1] == "x"
                    and (following is None or following[0] != "n")
                    and (following != ("o", "("))
                ):
                    raise ParseError("x is a variable here")
                right = self._unary()
                if token[1] in _DIVIDE:
                    if right == 0:
                        raise ParseError("division by zero")
                    value /= right
                else:
                    value *= right
            elif token == ("o", "("):  # implicit product: 2(3 + 4)
                value *= self._unary()
            else:
                break
        return value

    def _unary(self) -> float:
        token = self._peek()
        if token is not None and token[0] == "o" and token[1] in ("-", "+"):
            self.index += 1
            value = self._unary()
            return -value if token[1] == "-" else value
        return self._power()

    def _power(self) -> float:
        base = self._atom()
        token = self._peek()
        if token == ("o", "^"):
            self.index += 1
            exponent = self._unary()
            if abs(exponent) > 64 or abs(base) > 1e12:
                raise ParseError("power too large")
            try:
                return float(base**exponent)
            except (OverflowError, ZeroDivisionError) as error:
                raise ParseError("power") from error
        return base

    def _atom(self) -> float:
        token = self._peek()
        if token is None:
            raise ParseError("missing operand")
        self.index += 1
        if token[0] == "n":
            literal = token[1]
            if literal.endswith("%"):
                value = float(literal[:-1])
                return value / 100 if self.percent_as_fraction else value
            return float(literal)
        if token[1] == "(":
            value = self._sum()
            if self._peek() != ("o", ")"):
                raise ParseError("unclosed parenthesis")
            self.index += 1
            return value
        raise ParseError(f"unexpected {token[1]}")


def _literal(number: str, percent: str, as_fraction: bool) -> float:
    value = float(number.replace(",", ""))
    return value / 100 if percent and as_fraction else value


def read_side(side: str, as_fraction: bool) -> tuple[float, int | None]:
    """A side's value, and its written decimals when it is a single number (else None).

    Args:
        side: The text of one side of a statement (currency signs allowed).
        as_fraction: Read ``25%`` as 0.25 (True) or as 25 (False).

    Raises:
        ParseError: The side is not a purely numeric expression.

    Example:
        >>> read_side("$1,600.50", True)
        (1600.5, 2)
        >>> read_side("2 + 1/2", True)
        (2.5, None)
    """
    if "$" in side or "€" in side or "£" in side:
        side = side.replace("$", "").replace("€", "").replace("£", "")
    simple = _SIMPLE.match(side)
    if simple is None:  # anything longer than "a op b": the full parser
        expression = _Expression(side, as_fraction)
        value = expression.evaluate()
        return value, expression.decimals if expression.is_literal else None
    sign, first, first_percent, operator, second, second_percent = simple.groups()
    value = _literal(first, first_percent, as_fraction) * (-1.0 if sign else 1.0)
    if operator is None:
        return value, len(first.partition(".")[2])
    other = _literal(second, second_percent, as_fraction)
    if operator == "+":
        return value + other, None
    if operator == "-":
        return value - other, None
    if operator in _DIVIDE:
        if other == 0:
            raise ParseError("division by zero")
        return value / other, None
    return value * other, None
