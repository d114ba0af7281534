"""langchain-tests' standard unit suite for ChatGlobalAPI (offline)."""

from __future__ import annotations

from langchain_tests.unit_tests import ChatModelUnitTests

from langchain_globalapi import ChatGlobalAPI


class TestChatGlobalAPIUnit(ChatModelUnitTests):
    @property
    def chat_model_class(self) -> type[ChatGlobalAPI]:
        return ChatGlobalAPI

    @property
    def chat_model_params(self) -> dict:
        return {"model": "deepseek-ai/DeepSeek-V4-Flash", "api_key": "test-key"}

    @property
    def init_from_env_params(self) -> tuple[dict, dict, dict]:
        return (
            {"GLOBAL_API_KEY": "api_key", "GLOBAL_API_BASE": "https://example.test/v1"},
            {"model": "deepseek-ai/DeepSeek-V4-Flash"},
            {"api_key": "api_key", "api_base": "https://example.test/v1"},
        )
