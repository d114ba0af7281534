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
from pydantic import ConfigDict, Field, SecretStr, model_validator

from langchain_globalapi._billing import CALL_ID_KEY, new_call_id
from langchain_globalapi._pricing import price_usage
from langchain_globalapi._tokens import estimate_message_tokens, pseudo_token_ids
from langchain_globalapi.catalog import Catalog
from langchain_globalapi.errors import MissingAPIKeyError, ModelNotFoundError

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["DEFAULT_BASE_URL", "DEFAULT_MODEL", "ChatGlobalAPI"]

DEFAULT_BASE_URL = "https://global-apis.com/v1"
DEFAULT_MODEL = "deepseek-ai/DeepSeek-V4-Flash"
PROVIDER = "globalapi"


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
        timeout: float | None
            Timeout for requests.
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
        # base URLs would share answers.
        return f"{super()._get_llm_string(stop=stop, **kwargs)}---base_url={self.api_base}"

    @model_validator(mode="after")
    def validate_environment(self) -> Self:
        """Fail fast without a key, then build the SDK clients with it explicitly."""
        key = self.api_key.get_secret_value() if self.api_key is not None else ""
        if not key:
            msg = (
                "GLOBAL_API_KEY is not set: export GLOBAL_API_KEY=<your key> or pass "
                "api_key=... to ChatGlobalAPI. (OPENAI_API_KEY is never used for Global API.)"
            )
            raise MissingAPIKeyError(msg)
        # Pass the key and URL explicitly so the SDK never falls back to OPENAI_API_KEY.
        self.openai_api_key = self.api_key
        self.openai_api_base = self.api_base
        if self.stream_usage is None:
            self.stream_usage = True
        BaseChatOpenAI.validate_environment(self)  # type: ignore[operator]
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

    # --- errors ----------------------------------------------------------------------

    def _model_not_found(self, error: openai.NotFoundError) -> ModelNotFoundError:
        msg = (
            f"model {self.model_name!r} was rejected by {self.api_base} ({error.status_code}: "
            f"{error.message}). Check the id with `globalapi models`; ids are case-sensitive."
        )
        return ModelNotFoundError(msg, model=self.model_name, base_url=self.api_base)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        try:
            return super()._generate(messages, stop=stop, run_manager=run_manager, **kwargs)
        except openai.NotFoundError as error:
            raise self._model_not_found(error) from error

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        try:
            return await super()._agenerate(messages, stop=stop, run_manager=run_manager, **kwargs)
        except openai.NotFoundError as error:
            raise self._model_not_found(error) from error

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        try:
            yield from _stamped(
                super()._stream(messages, stop=stop, run_manager=run_manager, **kwargs)
            )
        except openai.NotFoundError as error:
            raise self._model_not_found(error) from error

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        try:
            call_id: str | None = new_call_id()
            async for chunk in super()._astream(
                messages, stop=stop, run_manager=run_manager, **kwargs
            ):
                if call_id is not None:
                    chunk.message.response_metadata[CALL_ID_KEY] = call_id
                    call_id = None
                yield chunk
        except openai.NotFoundError as error:
            raise self._model_not_found(error) from error

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
