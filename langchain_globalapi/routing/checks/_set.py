"""Run answer checks as one set that decides keep or escalate: `CheckSet`, `default_checks`.

The set runs every check on one answer, combines their risks into one (noisy-OR: the chance
that at least one finding is right, treating checks as independent), and compares it with a
threshold: ``risk >= threshold`` escalates. Noisy-OR needs no fitting, so it carries over to
task types the set was never measured on: a check that does not apply contributes nothing, and
each check's risk keeps the meaning it was given.

User checks are plain callables ``(input, answer) -> CheckResult`` (a bare float risk, or None
for "does not apply", are accepted too). A check that raises or returns anything else is a bug
in the check, and the policy is explicit: with ``on_error="warn"`` (the default) it is reported
with an :class:`AnswerCheckWarning`, recorded in the report's ``errors`` and ignored for that
answer (the cheap answer is judged by the other checks, not lost); with ``on_error="raise"`` an
:class:`~langchain_globalapi.errors.AnswerCheckError` is raised.
"""

from __future__ import annotations

import inspect
import math
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

from langchain_core.language_models import LanguageModelInput
from langchain_core.messages import AIMessage

from langchain_globalapi.errors import AnswerCheckError, RoutingConfigError
from langchain_globalapi.routing.checks._arithmetic import ArithmeticCheck
from langchain_globalapi.routing.checks._base import (
    AnswerCheck,
    CheckContext,
    CheckResult,
    noisy_or,
)
from langchain_globalapi.routing.checks._choice import MultipleChoiceCheck
from langchain_globalapi.routing.checks._code import CodeCheck
from langchain_globalapi.routing.checks._final import FinalAnswerCheck
from langchain_globalapi.routing.checks._quantities import QuantitiesCheck
from langchain_globalapi.routing.checks._schema import StructuredOutputCheck, ToolArgumentsCheck
from langchain_globalapi.routing.checks._text import EmptyAnswerCheck, RefusalCheck, TruncationCheck
from langchain_globalapi.routing.checks._view import AnswerView

__all__ = [
    "DEFAULT_CHECK_THRESHOLD",
    "AnswerCheckWarning",
    "Check",
    "CheckReport",
    "CheckSet",
    "default_checks",
]

#: Escalate when the combined risk reaches this. Chosen on GSM8K's even rows only (see
#: BENCHMARKS.md, "Cascade checks"): a single confident finding (a false statement, a refusal, a
#: cut-off answer, code that does not parse) escalates; a lone hedge does not.
DEFAULT_CHECK_THRESHOLD = 0.5

#: A user check: ``(input, answer) -> CheckResult`` (or a float risk, or None = not applicable).
Check: TypeAlias = Callable[..., Any]
OnError = Literal["warn", "raise"]


class AnswerCheckWarning(UserWarning):
    """A check raised or returned something that is not a risk; it was ignored for that answer."""


@dataclass(frozen=True)
class CheckReport:
    """What a :class:`CheckSet` found on one answer, and whether to escalate.

    Attributes:
        risk: The combined risk in [0, 1] (noisy-OR of the checks that applied).
        reason: The findings, strongest first, or what was checked when nothing was found.
        escalate: ``risk >= threshold``.
        threshold: The threshold the decision used.
        results: Every check's result, in the set's order (skipped ones included).
        errors: Names of checks that raised or returned junk (ignored, ``on_error="warn"``).
        elapsed_ms: Time the checks took.

    Example:
        >>> from langchain_core.messages import AIMessage
        >>> report = default_checks()("What is 17 * 23?", AIMessage(content="17 * 23 = 381"))
        >>> report.escalate, "arithmetic" in report.checked, report.results[0].name
        (True, True, 'empty')
    """

    risk: float
    reason: str
    escalate: bool
    threshold: float
    results: tuple[CheckResult, ...]
    errors: tuple[str, ...] = ()
    elapsed_ms: float = 0.0

    @property
    def checked(self) -> tuple[str, ...]:
        """Names of the checks that applied to this answer."""
        return tuple(r.name for r in self.results if r.applied)

    @property
    def skipped(self) -> tuple[str, ...]:
        """Names of the checks that did not apply (or failed and were ignored)."""
        return tuple(r.name for r in self.results if not r.applied)

    def as_metadata(self) -> dict[str, Any]:
        """A JSON-ready summary for ``response_metadata["routing"]["cascade"]``."""
        return {
            "risk": round(self.risk, 6),
            "reason": self.reason,
            "escalated": self.escalate,
            "threshold": self.threshold,
            "checked": list(self.checked),
            "findings": {r.name: round(r.risk, 6) for r in self.results if r.risk > 0},
            "errors": list(self.errors),
            "elapsed_ms": round(self.elapsed_ms, 3),
        }


def _check_name(check: Check) -> str:
    name = getattr(check, "name", None)
    if isinstance(name, str) and name:
        return name
    return str(getattr(check, "__name__", type(check).__name__))


def _accepts_context(check: Check) -> bool:
    try:
        parameters = inspect.signature(check).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(
        p.kind is inspect.Parameter.VAR_KEYWORD
        or (p.name == "context" and p.kind is not inspect.Parameter.POSITIONAL_ONLY)
        for p in parameters
    )


def _validate_threshold(threshold: float) -> float:
    if (
        isinstance(threshold, bool)
        or not isinstance(threshold, int | float)
        or not math.isfinite(threshold)
        or not 0 < threshold <= 1
    ):
        msg = (
            f"threshold must be a number in (0, 1] (risk >= threshold escalates), got "
            f"{threshold!r}; calibrate one with calibrate_check_threshold(...)"
        )
        raise RoutingConfigError(msg)
    return float(threshold)


class CheckSet:
    """Run checks on a cheap answer, combine their risks, and decide keep or escalate.

    Args:
        checks: Built-in :class:`AnswerCheck` instances and/or user callables
            ``(input, answer) -> CheckResult``; a callable with a ``context`` keyword also gets
            the :class:`CheckContext`.
        threshold: Escalate when the combined risk is at least this, in (0, 1].
        on_error: ``"warn"`` (ignore a check that raises or returns junk, with a warning) or
            ``"raise"`` (raise :class:`~langchain_globalapi.errors.AnswerCheckError`).

    Raises:
        RoutingConfigError: A check that is not callable, a threshold outside (0, 1], or an
            unknown ``on_error``.

    Example:
        >>> from langchain_core.messages import AIMessage
        >>> def no_apology(model_input, answer):
        ...     sorry = "sorry" in str(answer.content).lower()
        ...     return CheckResult("no_apology", 0.7 if sorry else 0.0, "apologises")
        >>> checks = default_checks(no_apology)
        >>> checks("Hi", AIMessage(content="Sorry, no.")).reason
        'no_apology: apologises'
    """

    def __init__(
        self,
        checks: Sequence[Check],
        *,
        threshold: float = DEFAULT_CHECK_THRESHOLD,
        on_error: OnError = "warn",
    ) -> None:
        if on_error not in ("warn", "raise"):
            msg = f"on_error must be 'warn' or 'raise', got {on_error!r}"
            raise RoutingConfigError(msg)
        entries: list[tuple[str, Check, bool]] = []
        seen: set[str] = set()
        for check in checks:
            if not callable(check):
                msg = (
                    f"a check must be callable as check(input, answer) -> CheckResult, got "
                    f"{check!r} ({type(check).__name__})"
                )
                raise RoutingConfigError(msg)
            name, suffix = _check_name(check), 2
            base = name
            while name in seen:  # two checks of one name stay apart in reports
                name, suffix = f"{base}#{suffix}", suffix + 1
            seen.add(name)
            entries.append((name, check, _accepts_context(check)))
        self._entries = tuple(entries)
        self.threshold = _validate_threshold(threshold)
        self.on_error: OnError = on_error

    @property
    def names(self) -> tuple[str, ...]:
        """The checks' names, in order."""
        return tuple(name for name, _, _ in self._entries)

    @property
    def checks(self) -> tuple[Check, ...]:
        """The checks, in order."""
        return tuple(check for _, check, _ in self._entries)

    def with_checks(self, *checks: Check) -> CheckSet:
        """A new set with ``checks`` added after these (same threshold and error policy)."""
        return CheckSet([*self.checks, *checks], threshold=self.threshold, on_error=self.on_error)

    def with_threshold(self, threshold: float) -> CheckSet:
        """A new set with the same checks and another threshold."""
        return CheckSet(self.checks, threshold=threshold, on_error=self.on_error)

    def __repr__(self) -> str:
        return f"CheckSet({list(self.names)}, threshold={self.threshold:g})"

    def _run(
        self,
        name: str,
        check: Check,
        takes_context: bool,
        view: AnswerView,
        context: CheckContext | None,
    ) -> CheckResult:
        if isinstance(check, AnswerCheck):
            result: Any = check.evaluate(view, context)
        elif takes_context:
            result = check(view.model_input, view.answer, context=context)
        else:
            result = check(view.model_input, view.answer)
        if isinstance(result, CheckResult):
            return result if result.name else CheckResult(name, result.risk, result.reason)
        if result is None:
            return CheckResult.skipped(name, "returned None (does not apply)")
        if isinstance(result, int | float) and not isinstance(result, bool):
            return CheckResult(name, float(result))  # validates the range
        msg = (
            f"check {name!r} returned {result!r} ({type(result).__name__}); return a "
            "CheckResult, a float risk in [0, 1], or None when the check does not apply"
        )
        raise AnswerCheckError(msg)

    def __call__(
        self,
        model_input: LanguageModelInput,
        answer: AIMessage,
        *,
        context: CheckContext | None = None,
    ) -> CheckReport:
        """Check one cheap answer to one request.

        Args:
            model_input: What was sent to the cheap model (str, messages, PromptValue).
            answer: The cheap model's answer.
            context: The bound tools and structured-output schema, for the schema checks.

        Returns:
            The combined risk, the reason, the decision and every check's result.

        Raises:
            AnswerCheckError: A check failed and ``on_error="raise"``.
        """
        started = time.perf_counter()
        view = AnswerView(model_input, answer)
        results: list[CheckResult] = []
        errors: list[str] = []
        for name, check, takes_context in self._entries:
            try:
                results.append(self._run(name, check, takes_context, view, context))
            except Exception as error:
                if self.on_error == "raise":
                    if isinstance(error, AnswerCheckError):
                        raise
                    msg = f"check {name!r} raised {type(error).__name__}: {error}"
                    raise AnswerCheckError(msg) from error
                warnings.warn(
                    f"answer check {name!r} failed and is ignored for this answer "
                    f"({type(error).__name__}: {error}); fix the check, or pass "
                    "on_error='raise' to fail instead",
                    AnswerCheckWarning,
                    stacklevel=2,
                )
                errors.append(name)
                results.append(CheckResult.skipped(name, f"failed: {type(error).__name__}"))
        risk = noisy_or(r.risk for r in results if r.applied)
        found = sorted((r for r in results if r.risk > 0), key=lambda r: -r.risk)
        if found:
            reason = "; ".join(f"{r.name}: {r.reason or f'risk {r.risk:.2f}'}" for r in found)
        else:
            checked = [r.name for r in results if r.applied]
            reason = f"no problem found (checked: {', '.join(checked) or 'nothing applied'})"
        return CheckReport(
            risk=risk,
            reason=reason,
            escalate=risk >= self.threshold,
            threshold=self.threshold,
            results=tuple(results),
            errors=tuple(errors),
            elapsed_ms=(time.perf_counter() - started) * 1000.0,
        )


def default_checks(
    *extra: Check, threshold: float = DEFAULT_CHECK_THRESHOLD, on_error: OnError = "warn"
) -> CheckSet:
    """The built-in answer checks as one callable set, plus any ``extra`` user checks.

    Built in: empty answer, truncation, refusals and hedges, arithmetic that does not hold, a
    missing or inconsistent final answer, given quantities unused or numbers from nowhere (weak:
    they order answers, never escalate alone), code (parse, fences, placeholders, missing), a
    multiple-choice answer without one clear choice, structured output and tool arguments
    against their schemas (these two only with a :class:`CheckContext`).

    Args:
        *extra: User checks to run after the built-in ones.
        threshold: Escalate when the combined risk is at least this.
        on_error: What a failing user check does: ``"warn"`` (ignored) or ``"raise"``.

    Example:
        >>> from langchain_core.messages import AIMessage
        >>> checks = default_checks()
        >>> checks("What is 17 * 23?", AIMessage(content="17 * 23 = 391")).risk
        0.0
        >>> checks("Write a haiku", AIMessage(content="I'm sorry, but I can't do that.")).escalate
        True
    """
    built_in: list[Check] = [
        EmptyAnswerCheck(),
        TruncationCheck(),
        RefusalCheck(),
        ArithmeticCheck(),
        FinalAnswerCheck(),
        QuantitiesCheck(),
        CodeCheck(),
        MultipleChoiceCheck(),
        StructuredOutputCheck(),
        ToolArgumentsCheck(),
    ]
    return CheckSet([*built_in, *extra], threshold=threshold, on_error=on_error)
