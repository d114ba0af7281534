"""Gateway configuration: timeouts, base URLs, empty input, and no `OPENAI_*` setting read.

Real HTTP against the local server; an unreachable endpoint is a loopback port nobody
listens on.
"""

from __future__ import annotations

import asyncio
import math
import socket
from collections.abc import Callable
from typing import Any

import pytest
from langchain_core.exceptions import ModelConnectionError
from langchain_core.language_models import BaseChatModel
from pydantic import ValidationError

from langchain_globalapi import (
    AllModelsFailedError,
    ChatGlobalAPI,
    FallbackChatModel,
    GlobalAPIEmbeddings,
)
from langchain_globalapi._inputs import ensure_messages
from langchain_globalapi.catalog import fetch_model_ids
from langchain_globalapi.chat_models import (
    DEFAULT_CHUNK_TIMEOUT_S,
    DEFAULT_CONNECT_TIMEOUT_S,
    DEFAULT_REQUEST_TIMEOUT_S,
    DEFAULT_TOTAL_TIMEOUT_S,
)
from langchain_globalapi.errors import (
    EmptyInputError,
    EndpointUnreachableError,
    GlobalAPIError,
    InvalidBaseURLError,
)
from langchain_globalapi.testing import FakeOpenAIServer, Fault

FLASH = "deepseek-ai/DeepSeek-V4-Flash"
PRO = "deepseek-ai/DeepSeek-V4-Pro"
MODES = ("invoke", "stream", "ainvoke", "astream")


def call(model: BaseChatModel, mode: str, prompt: Any = "hello there") -> str:
    async def astream() -> str:
        return "".join([chunk.text async for chunk in model.astream(prompt)])

    if mode == "invoke":
        return model.invoke(prompt).text
    if mode == "ainvoke":
        return asyncio.run(model.ainvoke(prompt)).text
    if mode == "stream":
        return "".join(chunk.text for chunk in model.stream(prompt))
    return asyncio.run(astream())


@pytest.fixture
def dead_url() -> str:
    """A loopback URL nobody listens on: connections are refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


# --- timeouts ---------------------------------------------------------------------------------


def test_default_timeouts_are_finite_and_documented() -> None:
    llm = ChatGlobalAPI(api_key="k")

    assert llm.request_timeout.read == DEFAULT_REQUEST_TIMEOUT_S == 120.0
    assert llm.request_timeout.connect == DEFAULT_CONNECT_TIMEOUT_S == 10.0
    assert llm.chunk_timeout_s == DEFAULT_CHUNK_TIMEOUT_S == 60.0
    assert llm.total_timeout_s == DEFAULT_TOTAL_TIMEOUT_S == 600.0
    assert llm.root_client.timeout == llm.request_timeout


@pytest.mark.parametrize("field", ["chunk_timeout_s", "total_timeout_s", "timeout"])
@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, -1.0, 0, 0.0])
def test_nonsense_timeouts_fail_at_construction_naming_the_range(field: str, value: float) -> None:
    with pytest.raises(ValidationError, match=r"finite number of seconds > 0") as caught:
        ChatGlobalAPI(api_key="k", **{field: value})

    assert field in str(caught.value)


def test_a_timeout_tuple_is_checked_element_by_element() -> None:
    with pytest.raises(ValidationError, match="finite number of seconds > 0"):
        ChatGlobalAPI(api_key="k", timeout=(5.0, math.nan))


@pytest.mark.parametrize("field", ["chunk_timeout_s", "total_timeout_s", "timeout"])
def test_none_turns_a_limit_off(field: str) -> None:
    llm = ChatGlobalAPI(api_key="k", **{field: None})

    assert getattr(llm, "request_timeout" if field == "timeout" else field) is None


@pytest.mark.parametrize("value", [math.nan, math.inf, 0, -3])
def test_embeddings_timeout_is_validated_too(value: float) -> None:
    with pytest.raises(ValidationError, match="finite number of seconds > 0"):
        GlobalAPIEmbeddings(api_key="k", timeout=value)


def test_a_per_call_timeout_can_shorten_but_not_lengthen(
    fake_server: FakeOpenAIServer,
) -> None:
    fake_server.inject(FLASH, Fault.stall_after_chunks())
    llm = ChatGlobalAPI(api_key="k", base_url=fake_server.base_url, max_retries=0, timeout=0.2)

    with pytest.raises(TimeoutError) as caught:
        llm.invoke("hi", timeout=60)  # a FallbackChatModel passes what its deadline leaves

    assert "timeout=0.2" in str(caught.value)


# --- base URLs --------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["global-apis.com/v1", "ftp://global-apis.com/v1", "https://", ""])
def test_a_base_url_that_is_not_http_fails_at_construction(url: str) -> None:
    with pytest.raises(ValidationError, match=r"not an http\(s\) URL.*GLOBAL_API_BASE"):
        ChatGlobalAPI(api_key="k", base_url=url)
    with pytest.raises(ValidationError, match="GlobalAPIEmbeddings"):
        GlobalAPIEmbeddings(api_key="k", base_url=url)


def test_a_bad_base_url_from_the_environment_fails_at_construction(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GLOBAL_API_BASE", "global-apis.com/v1")

    with pytest.raises(ValidationError, match=r"'global-apis\.com/v1' is not an http"):
        ChatGlobalAPI(api_key="k")


@pytest.mark.parametrize("mode", MODES)
def test_unreachable_base_url_is_one_typed_error_naming_url_and_env_var(
    dead_url: str, mode: str
) -> None:
    llm = ChatGlobalAPI(api_key="k", base_url=dead_url)

    with pytest.raises(EndpointUnreachableError) as caught:
        call(llm, mode)

    error = caught.value
    assert error.base_url == dead_url
    assert error.model == FLASH
    assert isinstance(error, ModelConnectionError)
    assert isinstance(error, GlobalAPIError)
    assert dead_url in str(error)
    assert "base_url=" in str(error)
    assert "GLOBAL_API_BASE" in str(error)
    assert "Connection refused" in str(error) or "connection attempts failed" in str(error)


@pytest.mark.parametrize("asynchronous", [False, True])
def test_unreachable_embeddings_endpoint_is_typed(dead_url: str, asynchronous: bool) -> None:
    embeddings = GlobalAPIEmbeddings(api_key="k", base_url=dead_url, max_retries=0)

    embed = embeddings.embed_query
    if asynchronous:
        embed = lambda text: asyncio.run(embeddings.aembed_query(text))  # noqa: E731

    with pytest.raises(EndpointUnreachableError, match="GLOBAL_API_BASE") as caught:
        embed("x")

    assert caught.value.base_url == dead_url


def test_unreachable_model_discovery_is_typed(dead_url: str) -> None:
    with pytest.raises(EndpointUnreachableError, match="GLOBAL_API_BASE") as caught:
        fetch_model_ids(api_key="k", base_url=dead_url)

    assert caught.value.base_url == dead_url


def test_model_discovery_refuses_a_url_without_scheme() -> None:
    with pytest.raises(InvalidBaseURLError, match="GLOBAL_API_BASE"):
        fetch_model_ids(api_key="k", base_url="global-apis.com/v1")


@pytest.mark.parametrize("mode", ["invoke", "astream"])
def test_fallback_whose_members_are_all_unreachable_points_to_the_base_url(
    dead_url: str, mode: str
) -> None:
    members = [ChatGlobalAPI(model=m, api_key="k", base_url=dead_url) for m in (FLASH, PRO)]

    with pytest.raises(AllModelsFailedError) as caught:
        call(FallbackChatModel(members), mode)

    message = str(caught.value)
    assert "No member's endpoint could be reached" in message
    assert dead_url in message
    assert "GLOBAL_API_BASE" in message
    assert "Retry later" not in message
    assert [f["error"] for f in caught.value.failures] == ["connection", "connection"]


def test_fallback_with_one_unreachable_member_keeps_the_usual_advice(
    dead_url: str, fake_server: FakeOpenAIServer
) -> None:
    fake_server.inject(PRO, Fault.server_error(503))
    members = [
        ChatGlobalAPI(model=FLASH, api_key="k", base_url=dead_url),
        ChatGlobalAPI(model=PRO, api_key="k", base_url=fake_server.base_url),
    ]

    with pytest.raises(AllModelsFailedError) as caught:
        FallbackChatModel(members).invoke("hi")

    assert "Retry later" in str(caught.value)
    assert "No member's endpoint" not in str(caught.value)


def test_fallback_moves_past_an_unreachable_member(
    dead_url: str, fake_server: FakeOpenAIServer
) -> None:
    members = [
        ChatGlobalAPI(model=FLASH, api_key="k", base_url=dead_url),
        ChatGlobalAPI(model=PRO, api_key="k", base_url=fake_server.base_url),
    ]

    answer = FallbackChatModel(members).invoke("hi")

    assert answer.text == f"[{PRO}] hi"
    assert answer.response_metadata["fallback"]["attempts"][0]["error"] == "connection"


# --- empty input --------------------------------------------------------------------------------


def run_empty(model: BaseChatModel, how: str) -> Any:
    async def astream() -> list[Any]:
        return [chunk async for chunk in model.astream([])]

    calls: dict[str, Callable[[], Any]] = {
        "invoke": lambda: model.invoke([]),
        "stream": lambda: list(model.stream([])),
        "batch": lambda: model.batch([[]]),
        "ainvoke": lambda: asyncio.run(model.ainvoke([])),
        "astream": lambda: asyncio.run(astream()),
        "abatch": lambda: asyncio.run(model.abatch([[]])),
    }
    return calls[how]()


@pytest.mark.parametrize("how", ["invoke", "stream", "batch", "ainvoke", "astream", "abatch"])
def test_empty_message_list_is_refused_before_any_call(
    fake_server: FakeOpenAIServer, how: str
) -> None:
    llm = ChatGlobalAPI(api_key="k", base_url=fake_server.base_url)

    with pytest.raises(EmptyInputError, match="empty list of messages") as caught:
        run_empty(llm, how)

    assert isinstance(caught.value, ValueError)
    assert fake_server.requests == []


def test_ensure_messages_passes_a_conversation_through() -> None:
    from langchain_core.messages import HumanMessage  # noqa: PLC0415

    messages = [HumanMessage("hi")]

    assert ensure_messages(messages, "Router") is messages
    with pytest.raises(EmptyInputError, match=r"^Router got an empty list"):
        ensure_messages([], "Router")


# --- no OPENAI_* setting reaches the gateway -----------------------------------------------------

OPENAI_ENV = {
    "OPENAI_API_KEY": "sk-openai-leak",
    "OPENAI_ORG_ID": "org-leak",
    "OPENAI_ORGANIZATION": "org-leak-2",
    "OPENAI_PROJECT_ID": "proj-leak",
    "OPENAI_ADMIN_KEY": "sk-admin-leak",
    "OPENAI_CUSTOM_HEADERS": "X-Leak: yes\nAuthorization: Bearer sk-custom-leak",
    "OPENAI_WEBHOOK_SECRET": "whsec-leak",
    "OPENAI_API_VERSION": "2024-01-01",
    "OPENAI_API_TYPE": "azure",
    "LANGCHAIN_OPENAI_STREAM_CHUNK_TIMEOUT_S": "0.001",
}


@pytest.fixture
def openai_env(monkeypatch: pytest.MonkeyPatch, dead_url: str) -> None:
    """Every OPENAI_* setting the SDK or langchain-openai reads, pointing somewhere wrong."""
    for name, value in OPENAI_ENV.items():
        monkeypatch.setenv(name, value)
    # If honoured, these would send the call to a dead port instead of the gateway.
    monkeypatch.setenv("OPENAI_BASE_URL", dead_url)
    monkeypatch.setenv("OPENAI_API_BASE", dead_url)
    monkeypatch.setenv("OPENAI_PROXY", dead_url.removesuffix("/v1"))


def assert_nothing_leaked(server: FakeOpenAIServer, path: str) -> None:
    assert server.requests, "the request never reached the gateway"
    for request in server.requests:
        assert request.path == path
        assert "openai-organization" not in request.headers
        assert "openai-project" not in request.headers
        assert "x-leak" not in request.headers
        assert not any("leak" in value for value in request.headers.values())


@pytest.mark.usefixtures("openai_env")
@pytest.mark.parametrize("mode", MODES)
def test_no_openai_setting_reaches_the_gateway_from_the_chat_model(mode: str) -> None:
    # The server refuses any key but the gateway's: OPENAI_API_KEY / custom auth headers fail.
    with FakeOpenAIServer(api_key="gateway-key") as server:
        llm = ChatGlobalAPI(api_key="gateway-key", base_url=server.base_url, max_retries=0)

        assert call(llm, mode) == f"[{FLASH}] hello there"
        assert_nothing_leaked(server, "/v1/chat/completions")
        assert llm.openai_organization is None
        assert llm.openai_proxy is None


@pytest.mark.usefixtures("openai_env")
@pytest.mark.parametrize("asynchronous", [False, True])
def test_no_openai_setting_reaches_the_gateway_from_embeddings(asynchronous: bool) -> None:
    with FakeOpenAIServer(api_key="gateway-key") as server:
        embeddings = GlobalAPIEmbeddings(api_key="gateway-key", base_url=server.base_url)

        if asynchronous:
            vector = asyncio.run(embeddings.aembed_query("x"))
        else:
            vector = embeddings.embed_query("x")

        assert len(vector) == server.embedding_dim
        assert_nothing_leaked(server, "/v1/embeddings")


@pytest.mark.usefixtures("openai_env")
def test_no_openai_setting_reaches_the_gateway_from_model_discovery() -> None:
    with FakeOpenAIServer(api_key="gateway-key") as server:
        assert FLASH in fetch_model_ids(api_key="gateway-key", base_url=server.base_url)
        assert_nothing_leaked(server, "/v1/models")


def test_an_explicit_organization_is_still_sent(fake_server: FakeOpenAIServer) -> None:
    llm = ChatGlobalAPI(api_key="k", base_url=fake_server.base_url, organization="org-mine")

    llm.invoke("hi")

    assert fake_server.requests[-1].headers["openai-organization"] == "org-mine"


def test_explicit_default_headers_are_still_sent(
    fake_server: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_CUSTOM_HEADERS", "X-Leak: yes")
    llm = ChatGlobalAPI(
        api_key="k", base_url=fake_server.base_url, default_headers={"X-Team": "search"}
    )

    llm.invoke("hi")

    headers = fake_server.requests[-1].headers
    assert headers["x-team"] == "search"
    assert "x-leak" not in headers
