"""Fixtures for the fallback tests: members on the local OpenAI-compatible server."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from langchain_globalapi import ChatGlobalAPI
from langchain_globalapi.testing import FakeOpenAIServer


@pytest.fixture
def member(fake_server: FakeOpenAIServer) -> Callable[..., ChatGlobalAPI]:
    """`member(model, **kwargs)`: a ChatGlobalAPI on the fake server (SDK retries left on)."""

    def build(model: str, **kwargs: Any) -> ChatGlobalAPI:
        return ChatGlobalAPI(model=model, api_key="test", base_url=fake_server.base_url, **kwargs)

    return build
