"""Tiers that are wrappers: the pre-call checks look through fallback chains, caches, bindings."""

from __future__ import annotations

from typing import Any

import pytest

from langchain_globalapi import (
    CachedChatModel,
    Catalog,
    ChatGlobalAPI,
    ExactCache,
    FallbackChatModel,
)
from langchain_globalapi.errors import NoCapableTierError
from langchain_globalapi.routing import TieredRouterRunnable
from langchain_globalapi.routing._tiers import tier_model_name, tier_profile
from langchain_globalapi.testing import FakeOpenAIServer

SMALL, LARGE = "GA-Economy", "deepseek-ai/DeepSeek-V4-Flash"
PRO = "deepseek-ai/DeepSeek-V4-Pro"
IMAGE = {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}


@pytest.fixture
def catalog() -> Catalog:
    """GA-Economy holds 100 tokens, V4 Flash 1,000, V4 Pro 10,000."""
    return Catalog.default().with_overrides(
        {
            SMALL: {"context_window": 100},
            LARGE: {"context_window": 1_000},
            PRO: {"context_window": 10_000},
        }
    )


@pytest.fixture
def chat(fake_server: FakeOpenAIServer) -> Any:
    def build(model: str) -> ChatGlobalAPI:
        return ChatGlobalAPI(model=model, api_key="k", base_url=fake_server.base_url, max_retries=0)

    return build


@pytest.fixture
def make(prompt_scorer: Any) -> Any:
    """A two-tier router over `tiers`, cut at 0.5, scores read from the prompt."""

    def build(catalog: Catalog | None, **tiers: Any) -> TieredRouterRunnable:
        return TieredRouterRunnable(
            tiers=tiers, scorer=prompt_scorer, thresholds=[0.5], catalog=catalog
        )

    return build


def test_a_fallback_tier_takes_a_prompt_that_fits_its_largest_member(
    make: Any, catalog: Catalog, chat: Any
) -> None:
    chain = FallbackChatModel([chat(SMALL), chat(LARGE)])
    router = make(catalog, cheap=chain, strong=chat(PRO))
    decision = router.explain("[0.1] " + "word " * 300)  # over 100 tokens, under 1,000
    assert decision.tier == "cheap"
    assert decision.model == SMALL  # the member that serves normally


def test_a_fallback_tier_moves_up_when_no_member_can_hold_the_prompt(
    make: Any, catalog: Catalog, chat: Any
) -> None:
    chain = FallbackChatModel([chat(SMALL), chat(LARGE)])
    router = make(catalog, cheap=chain, strong=chat(PRO))
    decision = router.explain("[0.1] " + "word " * 3_000)
    assert decision.tier == "strong"
    assert "1,000-token window" in decision.reason


def test_a_cached_tier_is_checked_against_the_model_it_caches(
    make: Any, catalog: Catalog, chat: Any
) -> None:
    cached = CachedChatModel(chat(SMALL), cache=ExactCache())
    router = make(catalog, cheap=cached, strong=chat(PRO))
    decision = router.explain("[0.1] " + "word " * 300)
    assert decision.tier == "strong"
    assert "100-token window" in decision.reason


def test_a_bound_tier_is_checked_and_answers_with_its_bound_kwargs(
    make: Any, catalog: Catalog, chat: Any, fake_server: FakeOpenAIServer
) -> None:
    router = make(catalog, cheap=chat(SMALL).bind(max_tokens=7), strong=chat(PRO))
    assert router.explain("[0.1] " + "word " * 300).tier == "strong"
    reply = router.invoke("[0.1] hi")
    assert reply.response_metadata["routing"]["model"] == SMALL
    assert fake_server.requests[-1].json["max_tokens"] == 7


def test_a_bound_tier_keeps_its_kwargs_when_tools_are_bound(
    make: Any, chat: Any, fake_server: FakeOpenAIServer
) -> None:
    def lookup(order_id: str) -> str:
        """Look up an order."""
        return order_id

    tiers = {"cheap": chat(SMALL).bind(max_tokens=7), "strong": chat(PRO)}
    router = make(None, **tiers)
    bound = router.bind_tools([lookup])
    assert type(bound.tiers["cheap"]) is type(tiers["cheap"])
    bound.invoke("[0.1] where is order 12?")
    body = fake_server.requests[-1].json
    assert body["max_tokens"] == 7
    assert body["tools"][0]["function"]["name"] == "lookup"


def test_tool_support_of_a_fallback_tier_is_its_first_members(chat: Any) -> None:
    catalog = Catalog.default().with_overrides({SMALL: {"supports_tools": False}})
    primary_lacks = tier_profile(FallbackChatModel([chat(SMALL), chat(LARGE)]), catalog)
    primary_has = tier_profile(FallbackChatModel([chat(LARGE), chat(SMALL)]), catalog)
    assert (primary_lacks.supports_tools, primary_has.supports_tools) == (False, True)


def test_images_skip_a_fallback_tier_whose_first_member_is_text_only(
    make: Any, catalog: Catalog, chat: Any
) -> None:
    catalog = catalog.with_overrides({PRO: {"supports_images": True}})
    chain = FallbackChatModel([chat(SMALL), chat(PRO)])
    router = make(catalog, cheap=chain, strong=chat(PRO))
    message = [("human", [{"type": "text", "text": "[0.1] what is this?"}, IMAGE])]
    assert router.explain(message).tier == "strong"


def test_wrappers_nest(catalog: Catalog, chat: Any) -> None:
    nested = CachedChatModel(
        FallbackChatModel([chat(SMALL).bind(max_tokens=5), chat(LARGE)]), cache=ExactCache()
    )
    profile = tier_profile(nested, catalog)
    assert profile.model == SMALL
    assert profile.models == (SMALL, LARGE)
    assert profile.context_window == 1_000
    assert tier_model_name(nested) == SMALL


def test_no_tier_fits_even_through_wrappers_is_a_clear_error(
    make: Any, catalog: Catalog, chat: Any
) -> None:
    chain = FallbackChatModel([chat(SMALL), chat(LARGE)])
    router = make(catalog, cheap=chain, strong=chain)
    with pytest.raises(NoCapableTierError, match="1,000-token window"):
        router.explain("[0.1] " + "word " * 3_000)
