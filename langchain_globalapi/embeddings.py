"""Embeddings from the Global API gateway's `/v1/embeddings` endpoint."""

from __future__ import annotations

from typing import TYPE_CHECKING

from langchain_core.utils import from_env, secret_from_env
from langchain_openai import OpenAIEmbeddings
from pydantic import ConfigDict, Field, SecretStr, model_validator

from langchain_globalapi.chat_models import DEFAULT_BASE_URL
from langchain_globalapi.errors import MissingAPIKeyError

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["DEFAULT_EMBEDDING_MODEL", "GlobalAPIEmbeddings"]

DEFAULT_EMBEDDING_MODEL = "text-embedding-3-small"


class GlobalAPIEmbeddings(OpenAIEmbeddings):
    """Embeddings through Global API (or any OpenAI-compatible embeddings endpoint).

    The key comes from `api_key=` or `GLOBAL_API_KEY`, never from `OPENAI_API_KEY`.
    Inputs are sent as text (`check_embedding_ctx_length=False`), so no tokenizer is
    downloaded; the semantic cache embeds one short user message at a time.

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
    check_embedding_ctx_length: bool = False

    model_config = ConfigDict(populate_by_name=True, extra="forbid", protected_namespaces=())

    @model_validator(mode="after")
    def validate_environment(self) -> Self:
        """Fail fast without a key, then build the SDK clients with it explicitly."""
        if self.api_key is None or not self.api_key.get_secret_value():
            msg = (
                "GLOBAL_API_KEY is not set: export GLOBAL_API_KEY=<your key> or pass "
                "api_key=... to GlobalAPIEmbeddings."
            )
            raise MissingAPIKeyError(msg)
        self.openai_api_key = self.api_key
        self.openai_api_base = self.api_base
        OpenAIEmbeddings.validate_environment(self)  # type: ignore[operator]
        return self
