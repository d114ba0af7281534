"""Fixtures for the router tests: three tiers on the local fake server and a readable scorer."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from langchain_core.language_models import LanguageModelInput

from langchain_globalapi import ChatGlobalAPI
from langchain_globalapi.routing import Conversation, TieredRouterRunnable
from langchain_globalapi.routing.scorers import ComplexityScorer
from langchain_globalapi.testing import FakeOpenAIServer

TIER_MODELS = {
    "economy": "GA-Economy",
    "flash": "deepseek-ai/DeepSeek-V4-Flash",
    "pro": "deepseek-ai/DeepSeek-V4-Pro",
}
_SCORE = re.compile(r"^\[(\d(?:\.\d+)?)\]")


class PromptScorer(ComplexityScorer):
    """Reads the score from the prompt: `"[0.9] question"` scores 0.9, anything else 0.1."""

    def score_conversation(self, conversation: Conversation) -> float:
        match = _SCORE.match(conversation.text)
        return float(match.group(1)) if match else 0.1

    def signals(self, model_input: LanguageModelInput, *, tools: Any = None) -> dict[str, float]:
        return {"declared": self.score(model_input, tools=tools)}


def make_tiers(server: FakeOpenAIServer, **kwargs: Any) -> dict[str, ChatGlobalAPI]:
    return {
        name: ChatGlobalAPI(model=model, api_key="k", base_url=server.base_url, max_retries=0,
                            **kwargs)
        for name, model in TIER_MODELS.items()
    }  # fmt: skip


@pytest.fixture
def router(fake_server: FakeOpenAIServer) -> TieredRouterRunnable:
    """economy below 0.3, flash below 0.7, pro above; scores come from the prompt."""
    return TieredRouterRunnable(
        tiers=make_tiers(fake_server), scorer=PromptScorer(), thresholds=[0.3, 0.7]
    )


@pytest.fixture
def make_router(fake_server: FakeOpenAIServer) -> Callable[..., TieredRouterRunnable]:
    """Build a router like `router`, with extra fields (`budget=`, `context_windows=`, ...)."""

    def build(**fields: Any) -> TieredRouterRunnable:
        return TieredRouterRunnable(
            tiers=make_tiers(fake_server), scorer=PromptScorer(), thresholds=[0.3, 0.7], **fields
        )

    return build


@pytest.fixture
def tiers(fake_server: FakeOpenAIServer) -> dict[str, ChatGlobalAPI]:
    """The three tiers on the fake server."""
    return make_tiers(fake_server)


@pytest.fixture
def prompt_scorer() -> PromptScorer:
    """The scorer that reads `[0.9]`-style scores from the prompt."""
    return PromptScorer()
