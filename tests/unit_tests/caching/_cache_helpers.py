"""Helpers shared by the cache tests: a model factory and a call-counting router stand-in."""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult

from langchain_globalapi import ChatGlobalAPI
from langchain_globalapi._runs import child_config
from langchain_globalapi.testing import FakeOpenAIServer

FLASH = "deepseek-ai/DeepSeek-V4-Flash"


def flash(server: FakeOpenAIServer, **kwargs: Any) -> ChatGlobalAPI:
    kwargs.setdefault("temperature", 0)
    kwargs.setdefault("model", FLASH)
    return ChatGlobalAPI(api_key="k", base_url=server.base_url, max_retries=0, **kwargs)


class CountingRouter(BaseChatModel):
    """Stands in for a router or any wrapper: counts its calls, then calls `tier` as a child run.

    Also the wrapper double of `tests/unit_tests/test_costs.py` (a model answering through
    another one, as router and fallback wrappers do).
    """

    tier: BaseChatModel
    decisions: int = 0

    @property
    def _llm_type(self) -> str:
        return "counting-router"

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        self.decisions += 1
        message = self.tier.invoke(messages, config=child_config(run_manager), stop=stop, **kwargs)
        return ChatResult(generations=[ChatGeneration(message=message)])
