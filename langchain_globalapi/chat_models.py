"""The Global API chat model: a thin `BaseChatOpenAI` subclass for an OpenAI-compatible gateway."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import openai
from langchain_core.callbacks import (
    AsyncCallbackManagerForLLMRun,
    CallbackManagerForLLMRun,
)
from langchain_core.language_models import LangSmithParams
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from langchain_core.utils import from_env, secret_from_env
from langchain_core.utils.function_calling import convert_to_openai_tool
from langchain_openai.chat_models.base import BaseChatOpenAI
from pydantic import (
    ConfigDict,
    Field,
    SecretStr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from langchain_globalapi._billing import CALL_ID_KEY, new_call_id
from langchain_globalapi._failures import typed_errors
from langchain_globalapi._guard import (
    CallGuard,
    aguard_stream,
    check_request_timeout,
    check_seconds,
    guard_stream,
    within,
)
from langchain_globalapi._http import (
    DEFAULT_BASE_URL,
    check_gateway_settings,
    deadline_scope,
    httpx,
    sdk_clients_of,
    shortest_timeout,
)
from langchain_globalapi._inputs import ensure_messages
from langchain_globalapi._pricing import price_usage
from langchain_globalapi._tokens import estimate_message_tokens, pseudo_token_ids
from langchain_globalapi.catalog import Catalog
from langchain_globalapi.errors import MalformedResponseError

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_CHUNK_TIMEOUT_S",
    "DEFAULT_CONNECT_TIMEOUT_S",
    "DEFAULT_MODEL",
    "DEFAULT_REQUEST_TIMEOUT_S",
    "DEFAULT_TOTAL_TIMEOUT_S",
    "ChatGlobalAPI",
]

DEFAULT_MODEL = "deepseek-ai/DeepSeek-V4-Flash"
PROVIDER = "globalapi"

#: Per HTTP attempt: the longest wait for a non-streamed answer (and between its bytes).
DEFAULT_REQUEST_TIMEOUT_S = 120.0
#: Per HTTP attempt: the longest wait for a connection to the endpoint.
DEFAULT_CONNECT_TIMEOUT_S = 10.0
#: The longest a stream may stay silent, before its first chunk or between two.
DEFAULT_CHUNK_TIMEOUT_S = 60.0
#: The longest a whole call may take, the SDK's retries and a whole stream included.
DEFAULT_TOTAL_TIMEOUT_S = 600.0


def _default_request_timeout() -> httpx.Timeout:
    return httpx.Timeout(DEFAULT_REQUEST_TIMEOUT_S, connect=DEFAULT_CONNECT_TIMEOUT_S)


class ChatGlobalAPI(BaseChatOpenAI):
    r"""Chat model for Global API, or any OpenAI-compatible endpoint.

    Setup:
        Install `langchain-globalapi` and export your key:

        ```bash
        pip install -U langchain-globalapi
        export GLOBAL_API_KEY="your-key"
        ```

    Key init args — completion params:
        model: str
            Gateway model id. Default `deepseek-ai/DeepSeek-V4-Flash`. Unknown ids are sent
            as given; one the gateway rejects raises `ModelNotFoundError`.
        temperature: float | None
            Sampling temperature.
        max_tokens: int | None
            Max number of tokens to generate.

    Key init args — client params:
        api_key: SecretStr | None
            Global API key. Read from `GLOBAL_API_KEY` if not passed; never from
            `OPENAI_API_KEY`. Missing: construction raises `MissingAPIKeyError`.
        base_url: str
            Default `https://global-apis.com/v1`, or `GLOBAL_API_BASE`.
        timeout: float | httpx.Timeout | None
            Per HTTP attempt: default 120 s to answer, 10 s to connect.
        chunk_timeout_s: float | None
            Longest silence of a stream, before its first chunk or between two
            (default 60 s).
        total_timeout_s: float | None
            Longest a whole call may take, the SDK's retries and a whole stream included
            (default 600 s). Past any limit the call raises `CallTimeoutError`.
        max_retries: int | None
            The openai SDK's retries (set 0 inside a `FallbackChatModel`).
        catalog: Catalog | None
            Prices used for `response_metadata["cost"]` (default: the built-in catalog).

    Instantiate:
        ```python
        from langchain_globalapi import ChatGlobalAPI

        llm = ChatGlobalAPI(model="deepseek-ai/DeepSeek-V4-Flash", temperature=0)
        ```

    Invoke:
        ```python
        msg = llm.invoke([("system", "Answer in French."), ("human", "I love programming.")])
        msg.text  # "J'adore la programmation."
        msg.response_metadata["cost"]  # {"model": ..., "usd": "0.0000213", "reference_usd": ...}
        ```

    Stream:
        ```python
        for chunk in llm.stream("Write a haiku about the sea"):
            print(chunk.text, end="", flush=True)
        ```
        Usage arrives on the last chunk (`stream_usage` is on by default).

    Tool calling:
        ```python
        from pydantic import BaseModel, Field


        class GetWeather(BaseModel):
            '''Get the current weather in a given location'''

            location: str = Field(..., description="The city, e.g. Paris")


        llm_with_tools = llm.bind_tools([GetWeather])
        llm_with_tools.invoke("What's the weather in Paris?").tool_calls
        ```

    Structured output:
        ```python
        class Joke(BaseModel):
            setup: str
            punchline: str


        llm.with_structured_output(Joke).invoke("Tell me a joke about cats")
        ```
        The default method is `function_calling`, which every OpenAI-compatible
        model with tools supports.

    Token usage:
        ```python
        msg.usage_metadata  # {"input_tokens": 28, "output_tokens": 5, "total_tokens": 33}
        llm.get_num_tokens("Hello")  # offline estimate, no tokenizer download
        ```

    Reasoning:
        DeepSeek-style `reasoning_content` is kept in
        `additional_kwargs["reasoning_content"]` and shows as a reasoning block in
        `msg.content_blocks`.

    Errors:
        Each names the model and the base URL (all in `langchain_globalapi.errors`):
        `MalformedResponseError` for a 200 that is not an answer (empty or null
        `choices`, not JSON, an HTML page; `EmptyResponseError` for a stream without an
        answer), `CallTimeoutError` past a timeout, `EndpointUnreachableError` when
        nothing answers at the base URL, `ModelNotFoundError` for an id the gateway
        rejects, `EmptyInputError` for an empty message list (nothing is sent). The
        first three are LangChain's `ModelAPIError`, `ModelTimeoutError` and
        `ModelConnectionError`, so a `FallbackChatModel` moves on after them.

    Example:
        >>> from langchain_globalapi.testing import FakeOpenAIServer
        >>> with FakeOpenAIServer() as server:
        ...     llm = ChatGlobalAPI(api_key="test", base_url=server.base_url)
        ...     llm.invoke("Hello").response_metadata["model_provider"]
        'globalapi'
    """

    model_name: str = Field(default=DEFAULT_MODEL, alias="model")
    """Gateway model id."""
    api_key: SecretStr | None = Field(
        default_factory=secret_from_env("GLOBAL_API_KEY", default=None)
    )
    """Global API key, from `GLOBAL_API_KEY` when not passed."""
    api_base: str = Field(
        alias="base_url",
        default_factory=from_env("GLOBAL_API_BASE", default=DEFAULT_BASE_URL),
    )
    """Base URL of the OpenAI-compatible endpoint."""
    # Re-declared without aliases: the parent's aliases (`api_key`, `base_url`) would
    # otherwise fill these too and make the model unserializable.
    openai_api_key: SecretStr | None = None
    openai_api_base: str | None = None
    # Re-declared without their OPENAI_* defaults: an OpenAI account's org id and proxy
    # are no business of another gateway.
    openai_organization: str | None = Field(default=None, alias="organization")
    """Sent as `OpenAI-Organization` only when given here (never from `OPENAI_ORG_ID`)."""
    openai_proxy: str | None = None
    """An explicit proxy URL (never from `OPENAI_PROXY`; `HTTPS_PROXY` applies as usual)."""
    request_timeout: float | tuple[float, float] | Any | None = Field(
        default_factory=_default_request_timeout, alias="timeout"
    )
    """Per HTTP attempt: seconds, an `httpx.Timeout`, or None (default 120 s, connect 10 s)."""
    chunk_timeout_s: float | None = Field(default=DEFAULT_CHUNK_TIMEOUT_S, exclude=True)
    """Longest silence of a stream, before its first chunk or between two (None: no limit)."""
    total_timeout_s: float | None = Field(default=DEFAULT_TOTAL_TIMEOUT_S, exclude=True)
    """Longest a whole call may take, retries and stream included (None: no limit)."""
    stream_chunk_timeout: float | None = Field(default=None, exclude=True)
    """langchain-openai's async-only chunk timeout, off: `chunk_timeout_s` does its job."""
    use_responses_api: bool | None = False
    """The gateway speaks Chat Completions; `/v1/responses` is opt-in."""
    catalog: Catalog | None = Field(default=None, exclude=True)
    """Prices for `response_metadata["cost"]`; the built-in catalog when `None`."""

    model_config = ConfigDict(populate_by_name=True, arbitrary_types_allowed=True)

    @property
    def _llm_type(self) -> str:
        return "chat-globalapi"

    @property
    def lc_secrets(self) -> dict[str, str]:
        """Secrets and the environment variables they come from."""
        return {"api_key": "GLOBAL_API_KEY"}

    @classmethod
    def is_lc_serializable(cls) -> bool:
        """Not serializable: langchain-core only revives classes it lists itself."""
        return False

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        params = super()._get_ls_params(stop=stop, **kwargs)
        params["ls_provider"] = PROVIDER
        return params

    def _get_llm_string(self, stop: list[str] | None = None, **kwargs: Any) -> str:
        # LangChain's cache key leaves out the endpoint: the same model id behind two
        # base URLs would share answers. A per-call `timeout` (a fallback chain passes what
        # its deadline leaves) does not change the answer, so it must not change the key.
        kwargs.pop("timeout", None)
        return f"{super()._get_llm_string(stop=stop, **kwargs)}---base_url={self.api_base}"

    @field_validator("chunk_timeout_s", "total_timeout_s")
    @classmethod
    def _check_seconds(cls, value: float | None, info: ValidationInfo) -> float | None:
        return check_seconds(value, str(info.field_name))

    @field_validator("request_timeout")
    @classmethod
    def _check_request_timeout(cls, value: Any) -> Any:
        return check_request_timeout(value)

    @model_validator(mode="after")
    def validate_environment(self) -> Self:
        """Fail fast without a key, then build the SDK clients with it explicitly."""
        check_gateway_settings(self, "ChatGlobalAPI")
        if self.stream_usage is None:
            self.stream_usage = True
        if self.client is None or self.async_client is None:
            self.root_client, self.root_async_client = sdk_clients_of(self)
            self.client = self.root_client.chat.completions
            self.async_client = self.root_async_client.chat.completions
        # The parent reads OPENAI_ORG_ID into the organization (it only builds clients
        # when none are set, so nothing would send it; keep the field honest too).
        organization = self.openai_organization
        BaseChatOpenAI.validate_environment(self)  # type: ignore[operator]
        self.openai_organization = organization
        return self

    # --- results -------------------------------------------------------------------

    def _cost_metadata(self, message: AIMessage, served_model: object) -> dict[str, Any] | None:
        # The parent fills `model_name` only after this point; price under the served model.
        if not message.usage_metadata:
            return None
        model = str(served_model or self.model_name)
        return price_usage(message.usage_metadata, model, self.catalog).as_metadata()

    def _create_chat_result(
        self,
        response: dict[str, Any] | openai.BaseModel,
        generation_info: dict[str, Any] | None = None,
    ) -> ChatResult:
        self._check_completion(response)
        result = super()._create_chat_result(response, generation_info)
        choices = (
            response.get("choices")
            if isinstance(response, dict)
            else getattr(response, "choices", None)
        ) or []
        served = (
            response.get("model")
            if isinstance(response, dict)
            else getattr(response, "model", None)
        )
        call_id = new_call_id()  # one provider call: one bill, however many choices
        for generation, choice in zip(result.generations, choices, strict=False):
            message = generation.message
            message.response_metadata["model_provider"] = PROVIDER
            message.response_metadata[CALL_ID_KEY] = call_id
            raw = choice.get("message") if isinstance(choice, dict) else choice.message
            reasoning = _reasoning_of(raw)
            if reasoning:
                message.additional_kwargs["reasoning_content"] = reasoning
            if isinstance(message, AIMessage) and (cost := self._cost_metadata(message, served)):
                message.response_metadata["cost"] = cost
        return result

    def _check_completion(self, response: object) -> None:
        # A 200 that is not a chat completion is a server fault, reported as one error
        # (the parent raises IndexError, TypeError or ValueError, depending).
        where = f"{self.model_name} at {self.api_base}"
        if not isinstance(response, dict | openai.BaseModel):
            problem = f"a {type(response).__name__} body, not JSON: {str(response)[:80]!r}"
        else:
            # Attributes, not model_dump(): a parsed structured output may not dump cleanly.
            def field(name: str) -> Any:
                if isinstance(response, dict):
                    return response.get(name)
                return getattr(response, name, None)

            if error := field("error"):
                problem = f"an error with status 200: {str(error)[:200]}"
            elif not (choices := field("choices")):
                problem = f"no choices (choices={choices!r})"
            else:
                return
        msg = f"{where} answered with {problem}: a server fault"
        raise MalformedResponseError(msg, model=self.model_name, base_url=self.api_base)

    def _convert_chunk_to_generation_chunk(
        self,
        chunk: dict[str, Any],
        default_chunk_class: type,
        base_generation_info: dict[str, Any] | None,
    ) -> ChatGenerationChunk | None:
        generation = super()._convert_chunk_to_generation_chunk(
            chunk, default_chunk_class, base_generation_info
        )
        if generation is None:
            return None
        message = generation.message
        message.response_metadata["model_provider"] = PROVIDER
        choices = chunk.get("choices") or []
        if choices and (reasoning := _reasoning_of(choices[0].get("delta"))):
            message.additional_kwargs["reasoning_content"] = reasoning
        if isinstance(message, AIMessageChunk) and message.usage_metadata:
            cost = self._cost_metadata(message, chunk.get("model"))
            if cost is not None:
                message.response_metadata["cost"] = cost
        return generation

    # --- calls: limits, typed errors, empty input ------------------------------------------

    def _guard(self, timeout: httpx.Timeout) -> CallGuard:
        return CallGuard.start(
            model=self.model_name,
            base_url=self.api_base,
            request_timeout_s=timeout.read,
            chunk_timeout_s=self.chunk_timeout_s,
            total_timeout_s=self.total_timeout_s,
        )

    def _timeout(self, kwargs: dict[str, Any], *, streaming: bool) -> httpx.Timeout:
        """This call's SDK timeout: the model's own, shortened by a per-call `timeout=`.

        A stream's reads also wait at most `chunk_timeout_s`: the longest silence, the
        first chunk included. A per-call timeout (a FallbackChatModel passes the time its
        deadline leaves) can shorten these limits, never lengthen them.
        """
        own: Any = self.request_timeout
        timeout = httpx.Timeout(own)
        if streaming and self.chunk_timeout_s is not None:
            timeout = shortest_timeout(timeout, httpx.Timeout(None, read=self.chunk_timeout_s))
        given = kwargs.get("timeout")
        return timeout if given is None else shortest_timeout(timeout, httpx.Timeout(given))

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        ensure_messages(messages, "ChatGlobalAPI")
        timeout = self._timeout(kwargs, streaming=False)
        guard = self._guard(timeout)
        with typed_errors(guard.typed), deadline_scope(guard.sync_deadline):
            return super()._generate(
                messages, stop=stop, run_manager=run_manager, **{**kwargs, "timeout": timeout}
            )

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        ensure_messages(messages, "ChatGlobalAPI")
        timeout = self._timeout(kwargs, streaming=False)
        guard = self._guard(timeout)
        call = super()._agenerate(
            messages, stop=stop, run_manager=run_manager, **{**kwargs, "timeout": timeout}
        )
        with typed_errors(
            lambda error: guard.past_deadline() if guard.fired(error) else guard.typed(error)
        ):
            return await within(call, guard.remaining_s())

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        ensure_messages(messages, "ChatGlobalAPI")
        timeout = self._timeout(kwargs, streaming=True)
        stream = super()._stream(
            messages, stop=stop, run_manager=run_manager, **{**kwargs, "timeout": timeout}
        )
        yield from _stamped(guard_stream(self._guard(timeout), stream))

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        ensure_messages(messages, "ChatGlobalAPI")
        timeout = self._timeout(kwargs, streaming=True)
        stream = super()._astream(
            messages, stop=stop, run_manager=run_manager, **{**kwargs, "timeout": timeout}
        )
        call_id: str | None = new_call_id()
        async for chunk in aguard_stream(self._guard(timeout), stream):
            if call_id is not None:
                # The billing id rides on the first chunk only (see `_stamped`).
                chunk.message.response_metadata[CALL_ID_KEY] = call_id
                call_id = None
            yield chunk

    # --- offline token counting ----------------------------------------------------------

    def get_token_ids(self, text: str) -> list[int]:
        """Pseudo token ids from an offline estimate (`custom_get_token_ids` wins)."""
        if self.custom_get_token_ids is not None:
            return self.custom_get_token_ids(text)
        return pseudo_token_ids(text)

    def get_num_tokens_from_messages(
        self,
        messages: Sequence[BaseMessage],
        tools: Sequence[Any] | None = None,
        *,
        allow_fetching_images: bool = False,
    ) -> int:
        """Estimated prompt tokens, offline, for any model name (no tiktoken download)."""
        schemas = [convert_to_openai_tool(tool) for tool in tools or ()]
        return estimate_message_tokens(list(messages), schemas)


def _stamped(chunks: Iterator[ChatGenerationChunk]) -> Iterator[ChatGenerationChunk]:
    # The billing id rides on the first chunk only: merged chunks concatenate strings.
    call_id: str | None = new_call_id()
    for chunk in chunks:
        if call_id is not None:
            chunk.message.response_metadata[CALL_ID_KEY] = call_id
            call_id = None
        yield chunk


def _reasoning_of(raw: object) -> str | None:
    if raw is None:
        return None
    if isinstance(raw, dict):
        value = raw.get("reasoning_content") or raw.get("reasoning")
    else:
        extra = getattr(raw, "model_extra", None) or {}
        value = (
            getattr(raw, "reasoning_content", None)
            or extra.get("reasoning_content")
            or (extra.get("reasoning"))
        )
    return value if isinstance(value, str) and value else None
