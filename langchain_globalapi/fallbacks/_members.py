"""Fallback members: their identity, context window, price, SDK retries off, tools bound.

A member is any chat model, or a chat model with tools bound (a `RunnableBinding`).
Inside a chain its SDK must not retry on its own: the openai SDK's two retries per
member would multiply with the chain's attempts. OpenAI-compatible members (ChatGlobalAPI,
ChatOpenAI, anything built on `BaseChatOpenAI`) are copied with `max_retries=0` and fresh
SDK clients; members whose retries cannot be changed are used as given, with a warning.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

from langchain_core.language_models import LanguageModelInput
from langchain_core.messages import BaseMessage
from langchain_core.runnables import Runnable, RunnableBinding
from langchain_openai.chat_models.base import BaseChatOpenAI

from langchain_globalapi._runs import model_id_of
from langchain_globalapi._wrapper import innermost
from langchain_globalapi.catalog import Catalog

__all__ = ["Member", "describe_member", "without_sdk_retries"]

MemberRunnable = Runnable[LanguageModelInput, BaseMessage]


@dataclass(frozen=True)
class Member:
    """One member as the chain sees it.

    Attributes:
        runnable: What is called (retries off, tools bound).
        model: The model name, for metadata and the catalog.
        key: The cooldown key: model name and endpoint, stable across processes.
        takes_timeout: Accepts a per-call `timeout=` (the openai SDK's request option).
        context_window: From the catalog, None when unknown.
        price_per_mtok: Input plus output price per million tokens, None when unknown.
    """

    runnable: MemberRunnable
    model: str
    key: str
    takes_timeout: bool
    context_window: int | None
    price_per_mtok: Decimal | None


def _model_name(runnable: Runnable[Any, Any], index: int) -> str:
    inner = innermost(runnable)
    return model_id_of(inner) or f"{type(inner).__name__}#{index}"


def describe_member(runnable: MemberRunnable, index: int, catalog: Catalog) -> Member:
    """The chain's view of `runnable`, the `index`-th member."""
    inner = innermost(runnable)
    model = _model_name(runnable, index)
    endpoint = getattr(inner, "openai_api_base", None) or getattr(inner, "api_base", None)
    info = catalog.get(model)
    return Member(
        runnable=runnable,
        model=model,
        key=f"{model}@{endpoint}" if endpoint else model,
        takes_timeout=isinstance(inner, BaseChatOpenAI),
        context_window=info.context_window if info is not None else None,
        price_per_mtok=(info.input_per_mtok + info.output_per_mtok) if info is not None else None,
    )


def _openai_without_retries(model: BaseChatOpenAI) -> BaseChatOpenAI:
    copy = model.model_copy(update={"max_retries": 0})
    # model_copy keeps the SDK clients built with the old max_retries; `with_options`
    # derives new ones that share the same connection pool.
    if model.root_client is not None:
        copy.root_client = model.root_client.with_options(max_retries=0)
        copy.client = copy.root_client.chat.completions
    if model.root_async_client is not None:
        copy.root_async_client = model.root_async_client.with_options(max_retries=0)
        copy.async_client = copy.root_async_client.chat.completions
    return copy


def without_sdk_retries(runnable: MemberRunnable, index: int) -> MemberRunnable:
    """`runnable` with its SDK retries turned off, or as given with a warning if impossible.

    Example:
        >>> from langchain_globalapi import ChatGlobalAPI
        >>> flash = ChatGlobalAPI(api_key="test", max_retries=2)
        >>> without_sdk_retries(flash, 0).root_client.max_retries
        0
    """
    if isinstance(runnable, RunnableBinding):
        bound = without_sdk_retries(cast("MemberRunnable", runnable.bound), index)
        return bound if bound is runnable.bound else runnable.model_copy(update={"bound": bound})
    if isinstance(runnable, BaseChatOpenAI):
        return _openai_without_retries(runnable)
    retries = getattr(runnable, "max_retries", None)
    if isinstance(retries, int) and retries > 0:
        warnings.warn(
            f"fallback member {_model_name(runnable, index)!r} ({type(runnable).__name__}) "
            f"retries {retries} time(s) on its own, which multiplies the chain's attempts: "
            "construct it with max_retries=0",
            stacklevel=4,
        )
    return runnable
