"""Checks for numeric constructor arguments: one place, one message shape, one error type.

Every class that takes a number (a rate, a threshold, a timeout, a size, a price) checks it
here when it is built, so nonsense (`NaN`, infinity, a negative window, a string, `True`)
fails at once with a message that names the class, the argument and the allowed range,
instead of silently disabling a feature later (a NaN TTL that never expires, a NaN rate
that never samples). Each check returns the value normalized (`float`, `int`, `Decimal`).

The error is `InvalidSettingError` (a `GlobalAPIError` and a `ValueError`) unless the
caller passes its own: caches pass `CacheConfigError`, the catalog `CatalogError`, and
pydantic models `SettingError`, which pydantic does not wrap in its `ValidationError`.

Example:
    >>> probability("QualityTripwire", "sample_rate", 0.25)
    0.25
    >>> probability("QualityTripwire", "sample_rate", float("nan"))
    Traceback (most recent call last):
    ...
    langchain_globalapi.errors.InvalidSettingError: QualityTripwire: sample_rate must be a finite number in [0, 1], got nan
"""  # noqa: E501

from __future__ import annotations

import math
import numbers
from decimal import Decimal, InvalidOperation

from langchain_globalapi.errors import GlobalAPIError, InvalidSettingError, SettingError

__all__ = [
    "finite_number",
    "non_negative_int",
    "non_negative_number",
    "optional_positive_int",
    "optional_seconds",
    "positive_int",
    "positive_number",
    "probability",
    "seconds",
    "usd_amount",
    "whole_number",
]

ErrorType = type[GlobalAPIError]


def _fail(error: ErrorType, owner: str, name: str, expected: str, value: object) -> GlobalAPIError:
    shown = repr(value)
    if isinstance(value, bool):
        shown += " (a bool)"
    elif isinstance(value, str):
        shown += " (a string)"
    message = f"{owner}: {name} must be {expected}, got {shown}"
    if issubclass(error, SettingError):
        return error(message, owner=owner, name=name, value=value)
    return error(message)


def _interval(
    low: float | None, high: float | None, low_inclusive: bool, high_inclusive: bool
) -> str:
    def show(bound: float) -> str:
        return str(int(bound)) if float(bound).is_integer() else str(bound)

    if low is not None and high is not None:
        return (
            f"in {'[' if low_inclusive else '('}{show(low)}, {show(high)}"
            f"{']' if high_inclusive else ')'}"
        )
    if low is not None:
        return f"{'>=' if low_inclusive else '>'} {show(low)}"
    if high is not None:
        return f"{'<=' if high_inclusive else '<'} {show(high)}"
    return ""


def _as_float(value: object) -> float | None:
    """The value as a float, or None when it is not a real number (bools and strings aren't)."""
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, Decimal)):
        return None
    return float(value)


def finite_number(
    owner: str,
    name: str,
    value: object,
    *,
    min: float | None = None,
    max: float | None = None,
    min_inclusive: bool = True,
    max_inclusive: bool = True,
    error: ErrorType = InvalidSettingError,
) -> float:
    """`value` as a float: a real number, not NaN or infinite, within the given bounds.

    Example:
        >>> finite_number("Cooldowns", "failure_rate", 0.5, min=0, max=1, max_inclusive=False)
        0.5
        >>> finite_number("Cooldowns", "failure_rate", 1, min=0, max=1, max_inclusive=False)
        Traceback (most recent call last):
        ...
        langchain_globalapi.errors.InvalidSettingError: Cooldowns: failure_rate must be a finite number in [0, 1), got 1
    """  # noqa: E501
    expected = " ".join(
        part
        for part in ("a finite number", _interval(min, max, min_inclusive, max_inclusive))
        if part
    )
    number = _as_float(value)
    if number is None or not math.isfinite(number):
        raise _fail(error, owner, name, expected, value)
    too_low = min is not None and (number < min or (not min_inclusive and number == min))
    too_high = max is not None and (number > max or (not max_inclusive and number == max))
    if too_low or too_high:
        raise _fail(error, owner, name, expected, value)
    return number


def probability(
    owner: str, name: str, value: object, *, error: ErrorType = InvalidSettingError
) -> float:
    """A share or rate: a finite number in [0, 1].

    Example:
        >>> probability("QualityTripwire", "threshold", 0.85)
        0.85
    """
    return finite_number(owner, name, value, min=0.0, max=1.0, error=error)


def positive_number(
    owner: str, name: str, value: object, *, error: ErrorType = InvalidSettingError
) -> float:
    """A finite number > 0.

    Example:
        >>> positive_number("run_benchmark", "requests_per_s", 2)
        2.0
    """
    return finite_number(owner, name, value, min=0.0, min_inclusive=False, error=error)


def non_negative_number(
    owner: str, name: str, value: object, *, error: ErrorType = InvalidSettingError
) -> float:
    """A finite number >= 0.

    Example:
        >>> non_negative_number("Cooldowns", "bench_retry_after_s", 0)
        0.0
    """
    return finite_number(owner, name, value, min=0.0, error=error)


def seconds(
    owner: str, name: str, value: object, *, error: ErrorType = InvalidSettingError
) -> float:
    """A duration: a finite number of seconds > 0.

    Example:
        >>> seconds("Cooldowns", "open_s", -1)
        Traceback (most recent call last):
        ...
        langchain_globalapi.errors.InvalidSettingError: Cooldowns: open_s must be a finite number > 0, got -1
    """  # noqa: E501
    return positive_number(owner, name, value, error=error)


def optional_seconds(
    owner: str, name: str, value: object, *, error: ErrorType = InvalidSettingError
) -> float | None:
    """`None` (no limit) or a finite number of seconds > 0; infinity is refused: use `None`.

    Example:
        >>> optional_seconds("ExactCache", "ttl_s", None) is None
        True
        >>> optional_seconds("ExactCache", "ttl_s", float("inf"))
        Traceback (most recent call last):
        ...
        langchain_globalapi.errors.InvalidSettingError: ExactCache: ttl_s must be None or a finite number > 0 (seconds), got inf
    """  # noqa: E501
    if value is None:
        return None
    number = _as_float(value)
    if number is None or not math.isfinite(number) or number <= 0:
        raise _fail(error, owner, name, "None or a finite number > 0 (seconds)", value)
    return number


def whole_number(
    owner: str,
    name: str,
    value: object,
    *,
    min: int | None = None,
    max: int | None = None,
    error: ErrorType = InvalidSettingError,
) -> int:
    """`value` as an int: an integer (not a bool, not a float) within the given bounds.

    Example:
        >>> whole_number("QualityTripwire", "window", 500, min=1)
        500
        >>> whole_number("QualityTripwire", "window", 2.5, min=1)
        Traceback (most recent call last):
        ...
        langchain_globalapi.errors.InvalidSettingError: QualityTripwire: window must be an integer >= 1, got 2.5
    """  # noqa: E501
    expected = " ".join(part for part in ("an integer", _interval(min, max, True, True)) if part)
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise _fail(error, owner, name, expected, value)
    number = int(value)
    if (min is not None and number < min) or (max is not None and number > max):
        raise _fail(error, owner, name, expected, value)
    return number


def positive_int(
    owner: str, name: str, value: object, *, error: ErrorType = InvalidSettingError
) -> int:
    """An integer >= 1.

    Example:
        >>> positive_int("SemanticCache", "candidates", 4)
        4
    """
    return whole_number(owner, name, value, min=1, error=error)


def non_negative_int(
    owner: str, name: str, value: object, *, error: ErrorType = InvalidSettingError
) -> int:
    """An integer >= 0.

    Example:
        >>> non_negative_int("GlobalAPIEmbeddings", "max_retries", 0)
        0
    """
    return whole_number(owner, name, value, min=0, error=error)


def optional_positive_int(
    owner: str, name: str, value: object, *, error: ErrorType = InvalidSettingError
) -> int | None:
    """`None` (no limit) or an integer >= 1.

    Example:
        >>> optional_positive_int("InMemoryStore", "max_entries", 0)
        Traceback (most recent call last):
        ...
        langchain_globalapi.errors.InvalidSettingError: InMemoryStore: max_entries must be None or an integer >= 1, got 0
    """  # noqa: E501
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or int(value) < 1:
        raise _fail(error, owner, name, "None or an integer >= 1", value)
    return int(value)


def usd_amount(
    owner: str,
    name: str,
    value: object,
    *,
    smallest: Decimal | None = None,
    error: ErrorType = InvalidSettingError,
) -> Decimal:
    """A dollar amount as an exact `Decimal`: finite, >= 0, from a str, int, float or Decimal.

    A float keeps its shortest repr (`0.27` is `Decimal('0.27')`). With `smallest`, a
    non-zero amount below it is refused (a store that counts nano-dollars cannot hold
    `1e-12`).

    Example:
        >>> usd_amount("ModelInfo", "input_per_mtok", "0.27")
        Decimal('0.27')
        >>> usd_amount("SpendLimit", "usd", "1e-12", smallest=Decimal("1e-9"))
        Traceback (most recent call last):
        ...
        langchain_globalapi.errors.InvalidSettingError: SpendLimit: usd must be 0 or a finite USD amount >= 1E-9, got '1e-12' (a string)
    """  # noqa: E501
    expected = "a finite, non-negative USD amount (a decimal string, int or Decimal)"
    if smallest is not None:
        expected = f"0 or a finite USD amount >= {smallest}"
    if isinstance(value, bool):
        raise _fail(error, owner, name, expected, value)
    text = repr(value) if isinstance(value, float) else value
    try:
        amount = Decimal(str(text)) if isinstance(text, (str, int, Decimal)) else None
    except (InvalidOperation, ValueError):
        amount = None
    if amount is None or not amount.is_finite() or amount < 0:
        raise _fail(error, owner, name, expected, value)
    if smallest is not None and 0 < amount < smallest:
        raise _fail(error, owner, name, expected, value)
    return amount
