"""Test your own chain against the local OpenAI-compatible server, with injected faults.

    python cookbook/testing_your_chain/testing_your_chain.py   # runs these tests with pytest

`FakeOpenAIServer` is the server this package's own tests use: real HTTP on 127.0.0.1, SSE
streaming with usage, tool calls, embeddings, and failures injected per model. Point your
chain at `server.base_url` and assert on what it did. This file is a pytest test module;
run as a script, it runs itself under pytest.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from langchain_globalapi import ChatGlobalAPI, FallbackChatModel
from langchain_globalapi.testing import FakeOpenAIServer, Fault

FLASH, PRO = "deepseek-ai/DeepSeek-V4-Flash", "deepseek-ai/DeepSeek-V4-Pro"


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    """A fresh local server per test."""
    with FakeOpenAIServer() as s:
        yield s


def test_my_chain_survives_a_rate_limit(server: FakeOpenAIServer) -> None:
    server.inject(FLASH, Fault.rate_limit(retry_after_s=0.1))
    llm = ChatGlobalAPI(model=FLASH, api_key="test", base_url=server.base_url, max_retries=1)
    assert "hello" in llm.invoke("hello").text  # the SDK retried after 0.1 s
    assert server.calls_for(FLASH) == 2


def test_my_chain_falls_back_when_flash_is_down(server: FakeOpenAIServer) -> None:
    server.inject(FLASH, Fault.server_error(503), times=None)
    chain = FallbackChatModel(
        [ChatGlobalAPI(model=m, api_key="test", base_url=server.base_url) for m in (FLASH, PRO)]
    )
    answer = chain.invoke("Summarise ticket #1.")
    assert answer.response_metadata["model"] == PRO
    assert [r.fault for r in server.requests] == ["server_error", None]


def test_my_chain_streams_every_word(server: FakeOpenAIServer) -> None:
    server.set_reply(FLASH, "one two three")
    llm = ChatGlobalAPI(model=FLASH, api_key="test", base_url=server.base_url)
    assert "".join(chunk.text for chunk in llm.stream("count")) == "one two three"


if __name__ == "__main__":
    # Only pytest's own plugins, no project settings (-c devnull), nothing written beside us.
    quiet = {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "PYTHONDONTWRITEBYTECODE": "1", "COLUMNS": "80"}
    command = [
        sys.executable,
        "-m",
        "pytest",
        __file__,
        "-q",
        "-p",
        "no:cacheprovider",
        "-c",
        os.devnull,
    ]
    sys.exit(subprocess.run(command, env={**os.environ, **quiet}, check=False).returncode)
