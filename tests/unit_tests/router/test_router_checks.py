"""What moves a request off its scored tier: context windows, tools, images, threads, budgets."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from langchain_globalapi import Budget, Catalog, SpendLimit
from langchain_globalapi.errors import BudgetExceededError, NoCapableTierError, RoutingConfigError
from langchain_globalapi.routing import (
    BudgetDowngradeWarning,
    RoutingDecision,
    TieredRouterRunnable,
)
from langchain_globalapi.routing._affinity import ThreadAffinity
from langchain_globalapi.testing import FakeOpenAIServer

IMAGE = {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}


MakeRouter = Callable[..., TieredRouterRunnable]


# --- thresholds ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cuts", "message"),
    [
        ([0.5], "3 tiers .* need 2 cut point"),
        ([0.7, 0.3], "strictly increasing"),
        ([0.3, 1.5], r"in \[0, 1\]"),
    ],
)
def test_invalid_thresholds_are_rejected_with_a_fix(
    tiers: dict[str, Any], prompt_scorer: Any, cuts: list[float], message: str
) -> None:
    with pytest.raises(RoutingConfigError, match=message):
        TieredRouterRunnable(tiers=tiers, scorer=prompt_scorer, thresholds=cuts)


def test_default_thresholds_fit_the_tier_count(tiers: dict[str, Any], prompt_scorer: Any) -> None:
    router = TieredRouterRunnable(tiers=tiers, scorer=prompt_scorer)
    assert len(router.thresholds or ()) == 2


def test_calibrate_hits_the_target_mix_and_reports_it(make_router: MakeRouter) -> None:
    router = make_router()
    sample = [f"[0.{n}] q" for n in range(10)]
    mix = router.calibrate(sample, {"economy": 0.5, "flash": 0.4, "pro": 0.1})
    assert mix == {"economy": 0.5, "flash": 0.4, "pro": 0.1}
    assert router.explain("[0.4] q").tier == "economy"
    assert router.explain("[0.9] q").tier == "pro"


def test_calibrate_rejects_a_mix_that_does_not_sum_to_one(make_router: MakeRouter) -> None:
    with pytest.raises(RoutingConfigError, match="sum to 1"):
        make_router().calibrate(["a"], {"economy": 0.5, "pro": 0.1})


# --- capability checks -----------------------------------------------------------------------


def test_prompt_over_a_tiers_context_window_moves_up(make_router: MakeRouter) -> None:
    router = make_router(context_windows={"economy": 50})
    reply = router.invoke("[0.1] " + "word " * 100)
    routing = reply.response_metadata["routing"]
    assert routing["tier"] == "flash"
    assert "exceed its 50-token window" in routing["reason"]


def test_prompt_no_tier_can_hold_is_a_clear_error(
    make_router: MakeRouter, fake_server: FakeOpenAIServer
) -> None:
    router = make_router(context_windows={"economy": 10, "flash": 10, "pro": 10})
    with pytest.raises(NoCapableTierError, match=r"no tier at or above 'economy'.*10-token window"):
        router.invoke("[0.1] " + "word " * 50)
    assert fake_server.requests == []


def test_tools_skip_a_tier_without_tool_support(make_router: MakeRouter) -> None:
    catalog = Catalog.default().with_overrides({"GA-Economy": {"supports_tools": False}})
    router = make_router(catalog=catalog)

    def lookup(order_id: str) -> str:
        """Look up an order."""
        return order_id

    decision = router.bind_tools([lookup]).explain("[0.1] where is my order?")
    assert decision.tier == "flash"
    assert "does not support tools" in decision.reason
    assert router.explain("[0.1] where is my order?").tier == "economy"


def test_images_go_to_a_tier_that_supports_them(make_router: MakeRouter) -> None:
    catalog = Catalog.default().with_overrides(
        {"deepseek-ai/DeepSeek-V4-Pro": {"supports_images": True}}
    )
    router = make_router(catalog=catalog)
    message = [("human", [{"type": "text", "text": "[0.1] what is this?"}, IMAGE])]
    assert router.explain(message).tier == "pro"


def test_images_with_no_vision_tier_are_a_clear_error(make_router: MakeRouter) -> None:
    message = [("human", [{"type": "text", "text": "what is this?"}, IMAGE])]
    with pytest.raises(NoCapableTierError, match="does not support images"):
        make_router().explain(message)


def test_a_hint_still_moves_up_for_capability(make_router: MakeRouter) -> None:
    router = make_router(context_windows={"economy": 20})
    decision = router.explain("word " * 40, config={"configurable": {"complexity": "low"}})
    assert decision.tier == "flash"


# --- conversations -----------------------------------------------------------------------------


def test_later_turns_of_a_thread_keep_the_highest_tier(make_router: MakeRouter) -> None:
    router = make_router()
    thread = {"configurable": {"thread_id": "t-1"}}
    assert (
        router.invoke("[0.9] hard first turn", config=thread).response_metadata["routing"]["tier"]
        == "pro"
    )
    later = router.invoke("[0.1] thanks!", config=thread).response_metadata["routing"]
    assert later["tier"] == "pro"
    assert "thread 't-1' used pro earlier" in later["reason"]


def test_other_threads_are_not_affected(make_router: MakeRouter) -> None:
    router = make_router()
    router.invoke("[0.9] hard", config={"configurable": {"thread_id": "a"}})
    other = router.invoke("[0.1] easy", config={"configurable": {"thread_id": "b"}})
    assert other.response_metadata["routing"]["tier"] == "economy"


def test_explain_does_not_change_a_threads_floor(make_router: MakeRouter) -> None:
    router = make_router()
    router.explain("[0.9] hard", config={"configurable": {"thread_id": "t"}})
    assert router.explain("[0.1] easy", config={"configurable": {"thread_id": "t"}}).tier == (
        "economy"
    )


def test_thread_map_forgets_the_least_recently_used_thread() -> None:
    affinity = ThreadAffinity(max_threads=2)
    affinity.record("a", 2)
    affinity.record("b", 1)
    affinity.floor("a")  # touch a: b is now the oldest
    affinity.record("c", 0)
    assert (affinity.floor("a"), affinity.floor("b"), affinity.floor("c")) == (2, None, 0)


# --- budgets --------------------------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore:budget reached:UserWarning")
def test_soft_tier_limit_downgrades_and_says_so(make_router: MakeRouter) -> None:
    budget = Budget([SpendLimit.tier("pro", "0.01")])
    budget.record(Decimal("0.02"), model="deepseek-ai/DeepSeek-V4-Pro", tier="pro")
    seen: list[RoutingDecision] = []
    router = make_router(budget=budget, on_downgrade=seen.append)
    with pytest.warns(BudgetDowngradeWarning, match="downgraded pro -> flash"):
        reply = router.invoke("[0.9] hard")
    routing = reply.response_metadata["routing"]
    assert (routing["tier"], routing["downgraded"]) == ("flash", True)
    assert "tier 'pro'" in routing["reason"]
    assert [d.tier for d in seen] == ["flash"]


@pytest.mark.filterwarnings("ignore:budget reached:UserWarning")
def test_soft_total_limit_settles_on_the_cheapest_tier(make_router: MakeRouter) -> None:
    budget = Budget([SpendLimit.total("0.01")])
    budget.record(Decimal("0.02"))
    router = make_router(budget=budget)
    with pytest.warns(BudgetDowngradeWarning):
        assert router.explain("[0.9] hard").tier == "economy"


@pytest.mark.filterwarnings("ignore:budget reached:UserWarning")
def test_hard_limit_raises_before_any_call(
    make_router: MakeRouter, fake_server: FakeOpenAIServer
) -> None:
    budget = Budget([SpendLimit.tier("pro", "0.01", hard=True)])
    budget.record(Decimal("0.02"), tier="pro")
    router = make_router(budget=budget)
    with pytest.raises(BudgetExceededError, match="hard spend limit"):
        router.invoke("[0.9] hard")
    assert fake_server.requests == []


def test_router_records_its_spend_in_the_budget(make_router: MakeRouter) -> None:
    budget = Budget([SpendLimit.tier("flash", "100")])
    router = make_router(budget=budget)
    router.invoke("[0.5] one")
    list(router.stream("[0.5] two"))
    assert budget.spent(budget.limits[0]) > 0
