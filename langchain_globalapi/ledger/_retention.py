"""How long a ledger keeps each kind of data: raw calls briefly, roll-ups longer, days forever."""

from __future__ import annotations

from dataclasses import dataclass

from langchain_globalapi._validate import positive_int, positive_number
from langchain_globalapi.errors import LedgerError

__all__ = ["Retention"]

_DAY_S = 86400.0


@dataclass(frozen=True)
class Retention:
    """What a ledger keeps, and for how long. Totals never change when old data goes.

    Every call also adds to per-minute, per-hour and per-day roll-ups when it is written,
    so pruning raw calls (by age and by count) or old minute and hour roll-ups leaves
    every total and every chart right; only the priciest-calls table and the per-call
    detail of old periods are lost. Day roll-ups are kept forever (a few rows a day).

    Args:
        calls_days: Raw call rows older than this are deleted.
        max_calls: At most this many raw call rows are kept (the oldest go first).
        minute_rollups_days: Per-minute roll-ups (for the 1 h and 6 h views) are kept this long.
        hour_rollups_days: Per-hour roll-ups (for views up to 30 days) are kept this long.

    Example:
        >>> Retention(calls_days=7).keep_s(60)
        172800.0
        >>> Retention(max_calls=0)
        Traceback (most recent call last):
        ...
        langchain_globalapi.errors.LedgerError: Retention: max_calls must be an integer >= 1, got 0
    """

    calls_days: float = 30.0
    max_calls: int = 2_000_000
    minute_rollups_days: float = 2.0
    hour_rollups_days: float = 90.0

    def __post_init__(self) -> None:
        for name in ("calls_days", "minute_rollups_days", "hour_rollups_days"):
            object.__setattr__(
                self,
                name,
                positive_number("Retention", name, getattr(self, name), error=LedgerError),
            )
        positive_int("Retention", "max_calls", self.max_calls, error=LedgerError)

    @property
    def calls_s(self) -> float:
        """How long raw call rows are kept, in seconds."""
        return self.calls_days * _DAY_S

    def keep_s(self, span: int) -> float | None:
        """How long roll-ups of `span` seconds are kept, in seconds (`None`: forever)."""
        if span <= 60:
            return self.minute_rollups_days * _DAY_S
        if span <= 3600:
            return self.hour_rollups_days * _DAY_S
        return None
