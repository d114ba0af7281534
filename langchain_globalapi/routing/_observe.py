"""The router's answer hook: hand each successful answer to an observer such as a tripwire.

The observer sees the request and the answer with `response_metadata["routing"]` on it
(a `QualityTripwire` reads the score and thresholds there to oversample answers near a
cut). Observing is monitoring, so it must never cost the user the answer: errors are
logged and swallowed.

Example:
    >>> from langchain_core.messages import AIMessage, HumanMessage
    >>> class Seen:
    ...     def observe(self, request_messages, response_message, *, run_id=None, task=None):
    ...         print(response_message.text, run_id, task)
    ...         return True
    >>> observe_safely(Seen(), [HumanMessage("hi")], AIMessage("hello"), "req-1", None)
    hello req-1 None
    >>> isinstance(Seen(), AnswerObserver)
    True
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Protocol, runtime_checkable
from uuid import UUID

from langchain_core.messages import BaseMessage

__all__ = ["REQUEST_ID_KEY", "TASK_KEY", "TRIPWIRE_TASK_KEY", "AnswerObserver", "observe_safely"]

logger = logging.getLogger("langchain_globalapi.routing")

#: Run metadata keys passed on to the observer (`request_id` as the tripwire callback reads it).
REQUEST_ID_KEY = "request_id"
TRIPWIRE_TASK_KEY = "tripwire_task"
TASK_KEY = "task"
"""`configurable`/metadata key of the request's task type (cascade, learned outcomes, tripwire)."""


@runtime_checkable
class AnswerObserver(Protocol):
    """Sees each answer the router returns, e.g. a `QualityTripwire`; must not block."""

    def observe(
        self,
        request_messages: Sequence[BaseMessage],
        response_message: BaseMessage,
        *,
        run_id: str | UUID | None = None,
        task: str | None = None,
    ) -> bool:
        """Consider one answered request; return whether it was sampled."""
        ...


def observe_safely(
    observer: AnswerObserver | None,
    messages: Sequence[BaseMessage],
    answer: BaseMessage,
    request_id: str | UUID | None,
    task: str | None,
) -> None:
    """Call `observer.observe(...)`; log and continue if it raises."""
    if observer is None:
        return
    try:
        observer.observe(messages, answer, run_id=request_id, task=task)
    except Exception:
        # A monitoring hook must never cost the user their answer.
        logger.exception(
            "%s.observe failed; the answer was returned anyway", type(observer).__name__
        )
