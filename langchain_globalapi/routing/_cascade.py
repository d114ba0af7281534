"""Cascade mode: the routed tier answers first, and checks on its answer decide whether to escalate.

The router picks a tier as usual. With a `Cascade`, a tier that has a stronger tier to
escalate to answers first; the answer checks (`routing.checks.default_checks()` unless given)
look at that answer, and when their combined risk reaches the threshold the request is asked
again on the stronger tier, whose answer is returned. Both calls are billed, once each (the
billing core sees two provider calls; the cheap one is marked `cascade="cheap"`, the second
`cascade="escalated"`). `response_metadata["routing"]["cascade"]` says what was checked, the
risk, the reason, and whether and where it escalated.

Streaming is explicit: with `stream="hold"` (the default) the cheap answer is collected and
checked before any chunk is handed over, so the caller only ever sees the answer that was kept
(the first token arrives when the cheap answer is complete); with `stream="accept"` the cheap
answer streams as it arrives and is never escalated (the checks still run at the end and are
reported, for monitoring).

Example:
    >>> cascade = Cascade(tasks={"math"}, task_thresholds={"math": 0.3})
    >>> cascade.next_tier("economy", ["economy", "flash", "pro"], task="math")
    'flash'
    >>> cascade.next_tier("economy", ["economy", "flash", "pro"], task="chat") is None
    True
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.messages.utils import message_chunk_to_message

from langchain_globalapi.errors import RoutingConfigError
from langchain_globalapi.routing.checks import CheckContext, CheckReport, CheckSet, default_checks

__all__ = ["Cascade", "cascade_metadata", "joined"]

StreamMode = Literal["hold", "accept"]


@dataclass(frozen=True)
class Cascade:
    """How a router cascades: which tiers answer first, which checks judge them, how streams behave.

    Args:
        checks: The answer checks (default: `default_checks()`, threshold 0.5).
        escalate_to: Tier -> the stronger tier it escalates to (default: every tier but the
            strongest escalates to the next one). A tier not in the map never cascades.
        tasks: Only requests whose `task` (from `configurable` or metadata) is one of these
            cascade; `None` (default) cascades every task, untagged requests included.
        task_thresholds: A check threshold per task, e.g. one calibrated on that task's
            golden set with `calibrate_check_threshold`.
        stream: `"hold"` (check the cheap answer before streaming it; escalations are
            invisible) or `"accept"` (stream the cheap answer as it comes; never escalate).
    """

    checks: CheckSet = field(default_factory=default_checks)
    escalate_to: Mapping[str, str] | None = None
    tasks: Collection[str] | None = None
    task_thresholds: Mapping[str, float] = field(default_factory=dict)
    stream: StreamMode = "hold"
    _by_task: dict[str, CheckSet] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        if not isinstance(self.checks, CheckSet):
            msg = (
                f"Cascade(checks=...) must be a CheckSet (default_checks(...)), got {self.checks!r}"
            )
            raise RoutingConfigError(msg)
        if self.stream not in ("hold", "accept"):
            msg = f"Cascade(stream={self.stream!r}): use 'hold' or 'accept'"
            raise RoutingConfigError(msg)
        for task, threshold in self.task_thresholds.items():
            # with_threshold validates the value and says what is allowed.
            self._by_task[task] = self.checks.with_threshold(threshold)

    def validate(self, tiers: Sequence[str]) -> None:
        """Refuse an `escalate_to` that names unknown tiers or does not go to a stronger one."""
        for cheap, strong in (self.escalate_to or {}).items():
            unknown = [name for name in (cheap, strong) if name not in tiers]
            if unknown:
                msg = f"Cascade escalate_to names unknown tier(s) {unknown}; tiers: {list(tiers)}"
                raise RoutingConfigError(msg)
            if tiers.index(strong) <= tiers.index(cheap):
                msg = (
                    f"Cascade escalate_to {cheap!r} -> {strong!r} does not go to a stronger tier "
                    f"(tiers are cheapest first: {list(tiers)})"
                )
                raise RoutingConfigError(msg)

    def next_tier(self, tier: str, tiers: Sequence[str], *, task: str | None) -> str | None:
        """The tier `tier`'s answer escalates to, or `None` when this request does not cascade."""
        if self.tasks is not None and task not in self.tasks:
            return None
        if self.escalate_to is not None:
            return self.escalate_to.get(tier)
        index = tiers.index(tier)
        return tiers[index + 1] if index + 1 < len(tiers) else None

    def check(
        self,
        messages: Sequence[BaseMessage],
        answer: AIMessage,
        *,
        context: CheckContext | None,
        task: str | None,
    ) -> CheckReport:
        """Run the checks (with the task's own threshold, if it has one) on a cheap answer."""
        checks = self._by_task.get(task, self.checks) if task is not None else self.checks
        return checks(list(messages), answer, context=context)


def cascade_metadata(
    report: CheckReport, *, tier: str, to: str | None, note: str = ""
) -> dict[str, Any]:
    """`response_metadata["routing"]["cascade"]`: the check report, and where it went."""
    data = report.as_metadata()
    data.update({"from": tier, "to": to if report.escalate else None})
    if note:
        data["note"] = note
    return data


def joined(chunks: Sequence[BaseMessage]) -> AIMessage:
    """The answer a list of streamed chunks adds up to."""
    parts = [chunk for chunk in chunks if isinstance(chunk, AIMessageChunk)]
    if not parts:
        return AIMessage(content="")
    total = functools.reduce(operator.add, parts)
    message = message_chunk_to_message(total.model_copy(update={"chunk_position": None}))
    return message if isinstance(message, AIMessage) else AIMessage(content=message.content)
