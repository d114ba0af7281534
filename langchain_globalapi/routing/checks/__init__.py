"""Answer checks for a cascade: does the cheap model's answer look wrong enough to escalate?

A cascade asks a cheap tier first and escalates to a stronger one only when checks on the cheap
answer fail. Each check is a callable ``(input, answer: AIMessage) -> CheckResult`` with a
``risk`` in [0, 1] and a ``reason``; :func:`default_checks` bundles the built-in ones into a
:class:`CheckSet` that combines their risks (noisy-OR) and decides with a threshold. All of
them read bounded windows of the question and the answer (numpy and the standard library only),
so a check costs well under a millisecond whatever the answer's length.

Example:
    >>> from langchain_core.messages import AIMessage
    >>> checks = default_checks()
    >>> report = checks("What is 17 * 23?", AIMessage(content="17 * 23 = 381"))
    >>> report.escalate, report.reason
    (True, 'arithmetic: 1 arithmetic statement does not hold: 17 * 23 = 381 (it is 391)')
"""

from langchain_globalapi.routing.checks._arithmetic import (
    MAX_STATEMENTS,
    ArithmeticCheck,
    ArithmeticStatement,
    arithmetic_statements,
)
from langchain_globalapi.routing.checks._base import (
    AnswerCheck,
    CheckContext,
    CheckResult,
    noisy_or,
)
from langchain_globalapi.routing.checks._calibrate import CheckThreshold, calibrate_check_threshold
from langchain_globalapi.routing.checks._choice import MultipleChoiceCheck, chosen_options
from langchain_globalapi.routing.checks._code import (
    BRACKET_SCAN_CHARS,
    PYTHON_PARSE_CHARS,
    CodeCheck,
)
from langchain_globalapi.routing.checks._final import FinalAnswerCheck, final_answer
from langchain_globalapi.routing.checks._quantities import QuantitiesCheck
from langchain_globalapi.routing.checks._schema import (
    MAX_SCHEMA_NODES,
    StructuredOutputCheck,
    ToolArgumentsCheck,
    schema_error,
)
from langchain_globalapi.routing.checks._set import (
    DEFAULT_CHECK_THRESHOLD,
    AnswerCheckWarning,
    Check,
    CheckReport,
    CheckSet,
    default_checks,
)
from langchain_globalapi.routing.checks._text import (
    EmptyAnswerCheck,
    RefusalCheck,
    TruncationCheck,
)
from langchain_globalapi.routing.checks._view import (
    ANSWER_HEAD_CHARS,
    ANSWER_TAIL_CHARS,
    AnswerView,
    CodeBlock,
    answer_text,
)

__all__ = [
    "ANSWER_HEAD_CHARS",
    "ANSWER_TAIL_CHARS",
    "BRACKET_SCAN_CHARS",
    "DEFAULT_CHECK_THRESHOLD",
    "MAX_SCHEMA_NODES",
    "MAX_STATEMENTS",
    "PYTHON_PARSE_CHARS",
    "AnswerCheck",
    "AnswerCheckWarning",
    "AnswerView",
    "ArithmeticCheck",
    "ArithmeticStatement",
    "Check",
    "CheckContext",
    "CheckReport",
    "CheckResult",
    "CheckSet",
    "CheckThreshold",
    "CodeBlock",
    "CodeCheck",
    "EmptyAnswerCheck",
    "FinalAnswerCheck",
    "MultipleChoiceCheck",
    "QuantitiesCheck",
    "RefusalCheck",
    "StructuredOutputCheck",
    "ToolArgumentsCheck",
    "TruncationCheck",
    "answer_text",
    "arithmetic_statements",
    "calibrate_check_threshold",
    "chosen_options",
    "default_checks",
    "final_answer",
    "noisy_or",
    "schema_error",
]
