"""Budgets: spend limits per scope and period, soft and hard, in memory."""

from __future__ import annotations

from decimal import Decimal

import pytest

from langchain_globalapi import Budget, BudgetExceededError, GlobalAPIError, SpendLimit

PRO = "deepseek-ai/DeepSeek-V4-Pro"


def test_soft_limit_reached_disallows_without_raising() -> None:
    budget = Budget([SpendLimit.tier("pro", "1.00", per="day")])
    budget.record("0.60", model=PRO, tier="pro")
    assert budget.allows(tier="pro")
    with pytest.warns(UserWarning, match="budget reached"):
        budget.record("0.40", model=PRO, tier="pro")
    check = budget.ensure(tier="pro")
    assert not check.allowed
    assert "tier 'pro' per day" in check.reason


def test_hard_limit_raises_on_ensure() -> None:
    budget = Budget([SpendLimit.total("0.01", hard=True)])
    with pytest.warns(UserWarning, match="budget reached"):
        budget.record(Decimal("0.02"), model="gpt-4o")
    with pytest.raises(BudgetExceededError, match=r"total per month \(\$0.01\)") as info:
        budget.ensure(model="gpt-4o")
    assert info.value.limits[0].hard


def test_limits_apply_only_to_their_scope() -> None:
    budget = Budget([SpendLimit.model("gpt-4o", "1"), SpendLimit.tier("pro", "1")])
    budget.record("5", model="deepseek-ai/DeepSeek-V4-Flash", tier="flash")
    assert budget.allows(model="gpt-4o")
    assert budget.allows(tier="pro")


def test_estimated_cost_counts_before_the_call() -> None:
    budget = Budget([SpendLimit.total("1")])
    budget.record("0.90")
    assert budget.check(estimated_usd=Decimal("0.05")).allowed
    assert not budget.check(estimated_usd=Decimal("0.20")).allowed


def test_periods_roll_over() -> None:
    now = [1_700_000_000.0]
    budget = Budget([SpendLimit.total("1", per="hour")], clock=lambda: now[0])
    with pytest.warns(UserWarning, match="budget reached"):
        budget.record("1")
    assert not budget.allows()
    now[0] += 3600
    assert budget.allows()
    assert budget.remaining(budget.limits[0]) == Decimal("1")


def test_on_limit_hook_fires_once_per_period() -> None:
    seen: list[str] = []
    budget = Budget(
        [SpendLimit.total("1")], on_limit=lambda limit, spent: seen.append(f"{limit.label}:{spent}")
    )
    with pytest.warns(UserWarning, match="budget reached"):
        budget.record("1")
    budget.record("1")
    assert seen == ["total per month:1"]


def test_amounts_stay_exact() -> None:
    budget = Budget([SpendLimit.total("1")])
    for _ in range(10):
        budget.record("0.1")
    assert budget.spent(budget.limits[0]) == Decimal("1")


@pytest.mark.parametrize("bad", ["-1", "0", "abc"])
def test_bad_limit_is_a_clear_error(bad: str) -> None:
    with pytest.raises(GlobalAPIError, match="USD amount"):
        SpendLimit.total(bad)


def test_budget_needs_a_limit() -> None:
    with pytest.raises(GlobalAPIError, match="at least one SpendLimit"):
        Budget([])


def test_unknown_period_is_a_clear_error() -> None:
    with pytest.raises(GlobalAPIError, match="not a period"):
        SpendLimit.total("1", per="week")  # type: ignore[arg-type]
