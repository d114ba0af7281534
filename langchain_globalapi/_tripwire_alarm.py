"""The tripwire's outputs: the alarm, where it is sent, and who hears each verdict.

`TripwireAlarm` is what fires when agreement slips; `notify` logs an event (an alarm or a
cache-audit action) and sends it to the alert hooks and the webhook; `VerdictListeners` tells
each verdict to a usage ledger and to the routers that learn from it. `DEFAULT_AGREEMENT`
says how two answers are compared per task type.

Example:
    >>> from langchain_globalapi.bench.stats import wilson_interval
    >>> alarm = TripwireAlarm(50, 40, wilson_interval(40, 50), 0.85)
    >>> alarm.message
    'quality tripwire: agreement 80.0% over 50 shadow samples (95% lower bound 67.0%) fell below 85%'
"""  # noqa: E501

from __future__ import annotations

import inspect
import json
import logging
import urllib.request
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from langchain_core.messages import BaseMessage

from langchain_globalapi.bench.scorers import (
    Scorer,
    json_fields,
    label_match,
    normalize_text,
    numeric_answer,
    parse_json_object,
    rouge_l,
)

if TYPE_CHECKING:
    from langchain_globalapi.bench.stats import Interval

__all__ = [
    "DEFAULT_AGREEMENT",
    "Notice",
    "TripwireAlarm",
    "VerdictListeners",
    "json_agreement",
    "notify",
]

logger = logging.getLogger("langchain_globalapi.tripwire")


def json_agreement(cheap: str, reference: str, **_: Any) -> float:
    """Share of the reference answer's JSON fields the cheap answer matches."""
    expected = parse_json_object(reference)
    if not isinstance(expected, dict):
        return float(normalize_text(cheap) == normalize_text(reference))
    return json_fields(cheap, expected)


#: Agreement per task type; any bench scorer `(cheap, reference, **options) -> float` fits.
DEFAULT_AGREEMENT: dict[str, Scorer] = {
    "classification": label_match,
    "extraction": json_agreement,
    "reasoning": numeric_answer,
    "summarization": rouge_l,
    "free_text": rouge_l,
}


@dataclass(frozen=True)
class TripwireAlarm:
    """Why the alarm fired: the rolling agreement, its Wilson interval and the threshold."""

    samples: int
    agreements: int
    agreement: Interval
    threshold: float
    by_task: dict[str, dict[str, float]] = field(default_factory=dict)

    @property
    def message(self) -> str:
        """One line for logs and pages."""
        return (
            f"quality tripwire: agreement {self.agreement.value:.1%} over {self.samples} shadow "
            f"samples (95% lower bound {self.agreement.low:.1%}) fell below {self.threshold:.0%}"
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready payload (what the webhook receives)."""
        return {
            "event": "globalapi.quality_tripwire.alarm",
            "message": self.message,
            "samples": self.samples,
            "agreements": self.agreements,
            "agreement": self.agreement.value,
            "agreement_low": self.agreement.low,
            "agreement_high": self.agreement.high,
            "threshold": self.threshold,
            "by_task": self.by_task,
        }


class Notice(Protocol):
    """What `notify` sends: an alarm or a cache-audit action."""

    @property
    def message(self) -> str:
        """One line for logs and pages."""
        ...

    def as_dict(self) -> dict[str, Any]:
        """The JSON payload for the webhook."""
        ...


def notify(event: Notice, hooks: Sequence[Callable[[Any], Any]], webhook_url: str | None) -> None:
    """Log `event`, call every hook with it (one failing does not stop the others), POST it."""
    logger.warning(event.message)
    for hook in hooks:
        try:
            hook(event)
        except Exception:  # one broken hook must not silence the others
            logger.exception("quality tripwire: alert hook %r failed", hook)
    if webhook_url:
        _post(event, webhook_url)


def _post(event: Notice, webhook_url: str) -> None:
    request = urllib.request.Request(  # noqa: S310 - the URL is the operator's own setting
        str(webhook_url),
        data=json.dumps(event.as_dict()).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=5):  # noqa: S310
            pass
    except OSError:
        logger.exception("quality tripwire: webhook %s failed", webhook_url)


class VerdictListeners:
    """Who hears each verdict: a usage ledger (`record_verdict`) and learners (routers).

    Listeners run on the tripwire's worker thread; their errors are logged, never raised.
    """

    def __init__(self, ledger: Any = None) -> None:
        self.ledger = ledger
        self._learners: list[Callable[[], Callable[..., Any] | None]] = []

    def add_learner(self, learner: Callable[..., Any]) -> None:
        """Call `learner(messages, agreed=..., tier=..., task=...)` with every verdict."""
        # A bound method is held weakly: a router that goes away stops learning, and the
        # tripwire does not keep it alive.
        ref: Callable[[], Callable[..., Any] | None] = (
            weakref.WeakMethod(learner) if inspect.ismethod(learner) else (lambda: learner)
        )
        if all(existing() != learner for existing in self._learners):
            self._learners.append(ref)

    def verdict(
        self,
        request_id: str | None,
        messages: Sequence[BaseMessage],
        agreed: bool,
        *,
        model: str | None,
        tier: str | None,
        task: str | None,
    ) -> None:
        """Tell the ledger (when the answer's request id is known) and every learner."""
        if self.ledger is not None and request_id is not None:
            try:
                self.ledger.record_verdict(request_id, agreed, model=model, tier=tier, task=task)
            except Exception:  # monitoring must never take the worker down
                logger.exception("quality tripwire: the ledger refused a verdict")
        for ref in list(self._learners):
            learner = ref()
            if learner is None:
                continue
            try:
                learner(messages, agreed=agreed, tier=tier, task=task)
            except Exception:
                logger.exception("quality tripwire: a learner failed on a verdict")
