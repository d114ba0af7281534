"""langchain-tests' standard integration suite for ChatGlobalAPI, against the local server.

The live gateway is unreachable from CI, so the same suite that runs against Global API
with a key (test_standard_live.py) runs here against FakeOpenAIServer on loopback: real
HTTP, SSE streaming, usage chunks and tool calls, through the real openai SDK.
"""

from __future__ import annotations

import atexit

from langchain_tests.integration_tests import ChatModelIntegrationTests

from langchain_globalapi import ChatGlobalAPI
from langchain_globalapi.testing import FakeOpenAIServer

_SERVER = FakeOpenAIServer().start()
atexit.register(_SERVER.stop)


class TestChatGlobalAPILocal(ChatModelIntegrationTests):
    @property
    def chat_model_class(self) -> type[ChatGlobalAPI]:
        return ChatGlobalAPI

    @property
    def chat_model_params(self) -> dict:
        return {
            "model": "deepseek-ai/DeepSeek-V4-Flash",
            "api_key": "test-key",
            "base_url": _SERVER.base_url,
        }

    @property
    def supports_image_inputs(self) -> bool:
        return False

    @property
    def returns_usage_metadata(self) -> bool:
        return True
