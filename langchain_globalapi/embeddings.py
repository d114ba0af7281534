"""Embeddings from the Global API gateway's `/v1/embeddings` endpoint."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from langchain_core.utils import from_env, secret_from_env
from langchain_openai import OpenAIEmbeddings
from pydantic import ConfigDict, Field, SecretStr, field_validator, model_validator

from langchain_globalapi._failures import translate, typed_errors
from langchain_globalapi._guard import check_request_timeout
from langchain_globalapi._http import check_gateway_settings, sdk_clients_of
from langchain_globalapi.chat_models import DEFAULT_BASE_URL, DEFAULT_REQUEST_TIMEOUT_S

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["DEFAULT_EMBEDDING_MODEL", "GlobalAPIEmbeddings"]

DEFAULT_EMBEDDING_MODEL = "text-embedding-3-small"


class GlobalAPIEmbeddings(OpenAIEmbeddings):
    """Embeddings through Global API (or any OpenAI-compatible embeddings endpoint).

    The key comes from `api_key=` or `GLOBAL_API_KEY`, never from `OPENAI_API_KEY`, and
    no other `OPENAI_*` setting is read either. Inputs are sent as text
    (`check_embedding_ctx_length=False`), so no tokenizer is downloaded; the semantic
    cache embeds one short user message at a time. Requests time out after 120 s
    (`timeout=`); an endpoint that cannot be reached raises `EndpointUnreachableError`.
    Async calls work across repeated `asyncio.run()` calls (one connection pool per loop).

    Example:
        >>> from langchain_globalapi.testing import FakeOpenAIServer
        >>> with FakeOpenAIServer() as server:
        ...     embeddings = GlobalAPIEmbeddings(api_key="k", base_url=server.base_url)
        ...     len(embeddings.embed_query("How do I reset my password?")) > 0
        True
    """

    model: str = DEFAULT_EMBEDDING_MODEL
    api_key: SecretStr | None = Field(
        default_factory=secret_from_env("GLOBAL_API_KEY", default=None)
    )
    api_base: str = Field(
        alias="base_url", default_factory=from_env("GLOBAL_API_BASE", default=DEFAULT_BASE_URL)
    )
    openai_api_key: SecretStr | None = None
    openai_api_base: str | None = None
    # Re-declared without their OPENAI_* defaults (org id, proxy, Azure settings).
    openai_organization: str | None = Field(default=None, alias="organization")
    openai_proxy: str | None = None
    openai_api_version: str | None = Field(default=None, alias="api_version")
    openai_api_type: str | None = None
    request_timeout: float | tuple[float, float] | Any | None = Field(
        default=DEFAULT_REQUEST_TIMEOUT_S, alias="timeout"
    )
    check_embedding_ctx_length: bool = False

    model_config = ConfigDict(populate_by_name=True, extra="forbid", protected_namespaces=())

    @field_validator("request_timeout")
    @classmethod
    def _check_request_timeout(cls, value: Any) -> Any:
        return check_request_timeout(value)

    @model_validator(mode="after")
    def validate_environment(self) -> Self:
        """Fail fast without a key, then build the SDK clients with it explicitly."""
        check_gateway_settings(self, "GlobalAPIEmbeddings")
        if self.client is None or self.async_client is None:
            sync, async_ = sdk_clients_of(self)
            self.client, self.async_client = sync.embeddings, async_.embeddings
        OpenAIEmbeddings.validate_environment(self)  # type: ignore[operator]
        return self

    def embed_documents(
        self, texts: list[str], chunk_size: int | None = None, **kwargs: Any
    ) -> list[list[float]]:
        """Embed `texts` (see `OpenAIEmbeddings.embed_documents`); typed endpoint errors."""
        with typed_errors(self._typed):
            return super().embed_documents(texts, chunk_size, **kwargs)

    async def aembed_documents(
        self, texts: list[str], chunk_size: int | None = None, **kwargs: Any
    ) -> list[list[float]]:
        """Embed `texts` asynchronously; typed endpoint errors."""
        with typed_errors(self._typed):
            return await super().aembed_documents(texts, chunk_size, **kwargs)

    def _typed(self, error: Exception) -> BaseException | None:
        timeout = self.request_timeout
        return translate(
            error,
            model=self.model,
            base_url=self.api_base,
            request_timeout_s=float(timeout) if isinstance(timeout, int | float) else None,
        )
