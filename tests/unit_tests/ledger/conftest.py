"""Fixtures for the ledger tests: billed calls as the billing core would hand them over."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from langchain_globalapi.costs import BilledCall, CallCost, price_usage

_ids = itertools.count(1)

#: 2025-01-06 00:00:00 UTC, a Monday: bucket arithmetic in the tests starts from here.
T0 = 1736121600.0

MakeCall = Callable[..., BilledCall]


def make_call(
    model: str = "deepseek-ai/DeepSeek-V4-Flash",
    *,
    input_tokens: int = 1000,
    output_tokens: int = 200,
    at: float = T0,
    cache_hit: bool = False,
    cost: CallCost | str | None = "priced",
    **fields: Any,
) -> BilledCall:
    """A `BilledCall` priced from the catalog (or with the given `cost`), with a fresh id."""
    number = next(_ids)
    if cost == "priced":
        cost = price_usage(
            {"input_tokens": input_tokens, "output_tokens": output_tokens}, model,
            cache_hit=cache_hit,
        )  # fmt: skip
    fields.setdefault("call_id", f"call-{number}")
    fields.setdefault("run_id", f"run-{number}")
    fields.setdefault("latency_ms", 250.0)
    return BilledCall(started_at=at, model=model, cost=cost, **fields)  # type: ignore[arg-type]


@pytest.fixture
def billed() -> MakeCall:
    """The `make_call` factory."""
    return make_call


@pytest.fixture
def t0() -> float:
    """A fixed Monday midnight (UTC) that the tests' calls start from."""
    return T0


@pytest.fixture
def usd_of() -> Callable[[list[BilledCall]], Decimal]:
    """What a list of calls cost, exactly."""

    def total(calls: list[BilledCall]) -> Decimal:
        return sum((c.cost.usd for c in calls if c.cost and c.cost.usd), Decimal(0))

    return total
