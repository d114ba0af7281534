"""Budgets shared through a real Redis: two processes' spend adds up."""

from __future__ import annotations

from decimal import Decimal

import pytest

from langchain_globalapi import Budget, SpendLimit


def test_two_budgets_on_one_redis_share_spend(redis_url: str) -> None:
    limits = [SpendLimit.total("1.00", per="day")]
    worker_a = Budget(limits, redis_url=redis_url, namespace="team")
    worker_b = Budget(limits, redis_url=redis_url, namespace="team")
    worker_a.record("0.60")
    with pytest.warns(UserWarning, match="budget reached"):
        worker_b.record("0.40")
    assert worker_a.spent(limits[0]) == Decimal("1")
    assert not worker_a.allows()


def test_namespaces_keep_budgets_apart(redis_url: str) -> None:
    limits = [SpendLimit.total("1.00")]
    Budget(limits, redis_url=redis_url, namespace="a").record("0.50")
    assert Budget(limits, redis_url=redis_url, namespace="b").spent(limits[0]) == 0


def test_reset_clears_redis_counters(redis_url: str) -> None:
    budget = Budget([SpendLimit.total("1.00")], redis_url=redis_url)
    budget.record("0.25")
    budget.reset()
    assert budget.spent(budget.limits[0]) == 0
