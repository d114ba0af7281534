"""langchain-tests' standard integration suite and live checks against the real Global API.

Runs only with GLOBAL_API_KEY set; without it every test here is reported as skipped.
"""

from __future__ import annotations

import os

import pytest
from langchain_tests.integration_tests import ChatModelIntegrationTests

from langchain_globalapi import ChatGlobalAPI, ModelNotFoundError, get_globalapi_callback

pytestmark = pytest.mark.skipif(
    not os.environ.get("GLOBAL_API_KEY"),
    reason="live: GLOBAL_API_KEY is not set, so the real gateway is not called",
)


class TestChatGlobalAPILive(ChatModelIntegrationTests):
    @property
    def chat_model_class(self) -> type[ChatGlobalAPI]:
        return ChatGlobalAPI

    @property
    def chat_model_params(self) -> dict:
        return {"model": os.environ.get("GLOBALAPI_LIVE_MODEL", "deepseek-ai/DeepSeek-V4-Flash")}

    @property
    def supports_image_inputs(self) -> bool:
        return False


def test_live_call_is_priced() -> None:
    llm = ChatGlobalAPI(temperature=0)
    with get_globalapi_callback() as cb:
        llm.invoke("Reply with the single word: pong")
    assert cb.calls == 1
    assert cb.unpriced_calls == 0


def test_live_unknown_model_names_model_and_url() -> None:
    llm = ChatGlobalAPI(model="no-such-vendor/no-such-model-xyz", max_retries=0)
    with pytest.raises((ModelNotFoundError, Exception)) as info:
        llm.invoke("hi")
    assert "no-such-vendor/no-such-model-xyz" in str(info.value)
