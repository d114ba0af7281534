"""The answer-check interface: a result with a risk and a reason, the optional context, the base.

A check is any callable ``(input, answer: AIMessage) -> CheckResult``: the request that was sent
to a cheap model and the answer it gave. ``risk`` is how likely the answer is wrong or unusable,
in [0, 1]; ``reason`` says why in words a log reader understands. Built-in checks subclass
:class:`AnswerCheck`, which also lets a :class:`~langchain_globalapi.routing.checks.CheckSet`
share one bounded :class:`~langchain_globalapi.routing.checks.AnswerView` between them.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from langchain_core.language_models import LanguageModelInput
from langchain_core.messages import AIMessage
from langchain_core.utils.function_calling import convert_to_json_schema, convert_to_openai_tool

from langchain_globalapi.errors import AnswerCheckError, RoutingConfigError
from langchain_globalapi.routing.checks._view import AnswerView

__all__ = ["AnswerCheck", "CheckContext", "CheckResult"]


@dataclass(frozen=True)
class CheckResult:
    """One check's verdict on one answer.

    Attributes:
        name: The check's name (``"arithmetic"``, ``"refusal"``, a user check's name).
        risk: How likely the answer is wrong or unusable, in [0, 1] (0 = nothing found).
        reason: Why, in words (empty when nothing was found).
        applied: False when the check did not apply (no code to parse, no schema given, ...):
            its risk is 0 and it is listed as skipped, not as passed.

    Raises:
        AnswerCheckError: ``risk`` is not a finite number in [0, 1].

    Example:
        >>> CheckResult("arithmetic", 0.8, "17 * 23 = 381 does not hold (17 * 23 = 391)").risk
        0.8
    """

    name: str
    risk: float
    reason: str = ""
    applied: bool = True

    def __post_init__(self) -> None:
        risk = self.risk
        if isinstance(risk, bool) or not isinstance(risk, int | float) or not 0 <= risk <= 1:
            # NaN fails the range test too (every comparison with NaN is False).
            msg = (
                f"check {self.name!r} returned risk {risk!r}: a risk must be a number in [0, 1] "
                "(0 = nothing found, 1 = certainly wrong)"
            )
            raise AnswerCheckError(msg)
        object.__setattr__(self, "risk", float(risk))

    @classmethod
    def skipped(cls, name: str, reason: str) -> CheckResult:
        """A result for a check that did not apply to this answer (risk 0, ``applied=False``)."""
        return cls(name, 0.0, reason, applied=False)


def _tool_parameters(tool: Any) -> tuple[str, dict[str, Any]]:
    try:
        function = convert_to_openai_tool(tool)["function"]
    except (TypeError, ValueError, KeyError) as error:
        msg = (
            f"CheckContext(tools=...): cannot read a JSON schema from {tool!r} ({error}); pass "
            "what bind_tools accepts: an OpenAI tool dict, a BaseTool, a pydantic model or a "
            "typed function"
        )
        raise RoutingConfigError(msg) from error
    return str(function["name"]), dict(function.get("parameters") or {})


_SCHEMA_KEYS = frozenset(("type", "properties", "$ref", "anyOf", "oneOf", "allOf", "enum", "items"))


def _response_schema(given: Any) -> dict[str, Any] | None:
    """A JSON schema from what ``with_structured_output`` accepts."""
    if given is None:
        return None
    if isinstance(given, Mapping):
        function = given.get("function")
        if given.get("type") == "function" and isinstance(function, Mapping):
            # An OpenAI tool dict: its parameters, titled with its name.
            return {"title": function.get("name"), **dict(function.get("parameters") or {})}
        if _SCHEMA_KEYS & given.keys():
            return dict(given)  # already a JSON schema (a title is optional)
    try:
        return dict(convert_to_json_schema(dict(given) if isinstance(given, Mapping) else given))
    except (TypeError, ValueError) as error:
        msg = (
            f"CheckContext(response_schema=...): cannot read a JSON schema from {given!r} "
            f"({error}); pass a JSON schema dict, a pydantic model or a TypedDict"
        )
        raise RoutingConfigError(msg) from error


@dataclass(frozen=True)
class CheckContext:
    """What a request bound: its tools and its structured-output schema (for the schema checks).

    Give it what ``bind_tools`` and ``with_structured_output`` were given; it is converted to
    JSON schemas once, here, so a check costs no conversion. Without it, the tool-argument and
    structured-output checks are skipped.

    Args:
        tools: The bound tools (OpenAI tool dicts, ``BaseTool``, pydantic models, functions).
        response_schema: The structured-output schema (a JSON schema dict, a pydantic model or
            a ``TypedDict``), or None.

    Raises:
        RoutingConfigError: A tool or schema that cannot be turned into a JSON schema.

    Example:
        >>> ctx = CheckContext(tools=[{"type": "function", "function": {"name": "add",
        ...     "parameters": {"type": "object", "properties": {"a": {"type": "integer"}}}}}])
        >>> list(ctx.tool_schemas)
        ['add']
    """

    tools: Sequence[Any] = ()
    response_schema: Mapping[str, Any] | type | None = None
    tool_schemas: Mapping[str, dict[str, Any]] = field(init=False, repr=False)
    response_json_schema: dict[str, Any] | None = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "tool_schemas", dict(map(_tool_parameters, self.tools or ())))
        object.__setattr__(self, "response_json_schema", _response_schema(self.response_schema))


class AnswerCheck(ABC):
    """Base of the built-in checks: callable as ``check(input, answer)`` like any user check.

    Subclasses set :attr:`name` and implement :meth:`evaluate` on a shared
    :class:`~langchain_globalapi.routing.checks.AnswerView`.

    Example:
        >>> from langchain_core.messages import AIMessage
        >>> class Short(AnswerCheck):
        ...     name = "short"
        ...
        ...     def evaluate(self, view, context=None):
        ...         return CheckResult(self.name, 0.5 if len(view.text) < 3 else 0.0, "very short")
        >>> Short()("What is 2 + 2?", AIMessage(content="4")).risk
        0.5
    """

    name: str = "check"

    def __call__(
        self,
        model_input: LanguageModelInput,
        answer: AIMessage,
        *,
        context: CheckContext | None = None,
    ) -> CheckResult:
        """Check one answer to one request."""
        return self.evaluate(AnswerView(model_input, answer), context)

    @abstractmethod
    def evaluate(self, view: AnswerView, context: CheckContext | None = None) -> CheckResult:
        """Check the answer seen through ``view`` (shared with the other checks of a set)."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def noisy_or(risks: Iterable[float]) -> float:
    """The chance that at least one of several independent findings is right.

    Example:
        >>> noisy_or([0.5, 0.5])
        0.75
    """
    keep = 1.0
    for risk in risks:
        keep *= 1.0 - risk
    return 1.0 - keep


def result_of_findings(
    name: str, findings: Sequence[tuple[float, str]], clean_reason: str = ""
) -> CheckResult:
    """One check's result from its ``(risk, reason)`` findings (noisy-OR of the risks).

    Example:
        >>> result_of_findings("final_answer", [(0.5, "a"), (0.5, "b")])
        CheckResult(name='final_answer', risk=0.75, reason='a; b', applied=True)
    """
    if not findings:
        return CheckResult(name, 0.0, clean_reason)
    return CheckResult(
        name, noisy_or(risk for risk, _ in findings), "; ".join(reason for _, reason in findings)
    )


def risk_of_count(count: int, single: float) -> float:
    """Risk of ``count`` independent findings that each carry ``single`` (noisy-OR).

    Example:
        >>> round(risk_of_count(2, 0.5), 2)
        0.75
    """
    return 1.0 - (1.0 - single) ** max(count, 0) if math.isfinite(single) else 0.0
