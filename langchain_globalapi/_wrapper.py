"""`WrapperChatModel`: the one base of the chat models that answer by calling chat models.

The router, the fallback chain and the cache wrapper share everything about being a
wrapper, and it lives here once:

- **Runs.** Inner calls are child runs (`_runs.child_config`), routing hints reach nested
  routers, and a stream knows its own run (`_runs.WrapperRunMixin`).
- **Inner models.** `inner_models()` lists what the wrapper may call and `inner_kind` says
  how (`"single"`: one model; `"chain"`: tried in order, the first serves; `"any"`: one is
  chosen per request). Binding tools, the router's capability checks and cache keys all
  look through wrappers with this one protocol instead of guessing from attribute names.
- **Money.** Wrappers never price or bill: the billing core bills the leaf's call by its
  billing key. A wrapper's answer is a copy of the inner answer (`answer_copy`) that keeps
  that key and names the model `model`, not `model_name`, so LangChain's own usage
  handlers count the tokens once too. `budget=` and `ledger=` attach a billing handler
  to the wrapper's inner calls: the budget's hard limits are reserved against before each
  model call below the wrapper, and the ledger receives every billed call.
- **LangChain's cache is off.** A wrapper's answer depends on members, endpoints, bound
  tools and parameters that LangChain's `llm_string` does not see, so wrappers never use
  `set_llm_cache`'s cache at their level (the models inside still do, under their own
  complete keys). Put `CachedChatModel` in front to cache a wrapper's answers.
- **Empty input** is refused with `EmptyInputError` before anything is called.

Example:
    >>> from langchain_globalapi import ChatGlobalAPI, FallbackChatModel
    >>> flash, gpt4o = ChatGlobalAPI(api_key="k"), ChatGlobalAPI(model="gpt-4o", api_key="k")
    >>> chain = FallbackChatModel([flash, gpt4o])
    >>> chain.inner_kind, [model_id_of(m) for m in chain.inner_models()]
    ('chain', ['deepseek-ai/DeepSeek-V4-Flash', 'gpt-4o'])
    >>> chain.invoke([])
    Traceback (most recent call last):
    ...
    langchain_globalapi.errors.EmptyInputError: FallbackChatModel got an empty list of messages: ...
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Literal
from uuid import uuid4

from langchain_core.callbacks import (
    AsyncCallbackManagerForLLMRun,
    BaseCallbackManager,
    CallbackManagerForLLMRun,
)
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.runnables import Runnable, RunnableBinding, RunnableConfig
from langchain_core.tools import BaseTool
from pydantic import Field, PrivateAttr, model_validator

from langchain_globalapi._billing import WRAPPER_MARKER, BillingHandler
from langchain_globalapi._inputs import ensure_messages
from langchain_globalapi._pricing import BilledCall, price_message
from langchain_globalapi._runs import (
    WrapperRunMixin,
    as_wrapper_message,
    child_config,
    model_id_of,
    run_metadata,
)
from langchain_globalapi.budgets import Budget
from langchain_globalapi.catalog import Catalog
from langchain_globalapi.errors import CacheConfigError, GlobalAPIError

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = [
    "InnerKind",
    "WrapperChatModel",
    "bind_tools_through",
    "ensure_messages",
    "innermost",
    "model_id_of",
]

InnerKind = Literal["single", "chain", "any"]
RunManager = CallbackManagerForLLMRun | AsyncCallbackManagerForLLMRun | None
ToolLike = dict[str, Any] | type | Callable[..., Any] | BaseTool


def innermost(runnable: Runnable[Any, Any]) -> Runnable[Any, Any]:
    """The model under any `bind`/`bind_tools` bindings."""
    while isinstance(runnable, RunnableBinding):
        runnable = runnable.bound
    return runnable


def bind_tools_through(
    runnable: Runnable[Any, Any], tools: Sequence[ToolLike], kwargs: Mapping[str, Any]
) -> Runnable[Any, Any]:
    """`runnable` with `tools` bound to the model inside it, keeping its other bound kwargs.

    A binding (`llm.bind(stop=...)`, an earlier `bind_tools`) keeps what it bound except
    old tools; a wrapper binds its own inner models.

    Raises:
        GlobalAPIError: The model inside cannot bind tools.
    """
    if isinstance(runnable, RunnableBinding):
        inner = bind_tools_through(runnable.bound, tools, kwargs)
        kept = {k: v for k, v in runnable.kwargs.items() if k not in ("tools", "tool_choice")}
        return runnable.model_copy(update={"bound": inner, "kwargs": kept})
    bind_tools = getattr(runnable, "bind_tools", None)
    if bind_tools is None:
        msg = f"{type(runnable).__name__} cannot bind tools; use a chat model that supports them"
        raise GlobalAPIError(msg)
    bound: Runnable[Any, Any] = bind_tools(tools, **kwargs)
    return bound


def _refuse_langchain_cache(owner: str, cache: Any) -> None:
    if cache is not None and cache is not False:
        msg = (
            f"{owner} does not use LangChain's cache (cache={cache!r}): its answers depend on "
            "models, endpoints and bound tools that LangChain's key does not see. Wrap it "
            "instead: CachedChatModel(model, cache=ExactCache())"
        )
        raise CacheConfigError(msg)


class _WrapperBilling(BillingHandler):
    """The billing handler a wrapper's `budget=`/`ledger=` attach to its inner calls."""

    def __init__(self, catalog: Catalog | None, budget: Budget | None, ledger: Any) -> None:
        super().__init__(catalog, budget=budget)
        self.ledger = ledger

    def on_billed(self, call: BilledCall) -> None:
        if self.ledger is not None:
            self.ledger.on_billed(call)


class WrapperChatModel(WrapperRunMixin, BaseChatModel):
    """Base of chat models that answer by calling other chat models (see the module doc).

    Subclasses set `inner_kind`, implement `inner_models()`, `with_inner_models()` and
    `_wrapper_params`, call `ensure_messages` and `_child_config` around their inner calls,
    and return `answer_copy(...)` of what the inner model said.
    """

    inner_kind: ClassVar[InnerKind] = "single"

    catalog: Catalog | None = Field(default=None, exclude=True)
    """Prices, context windows and tiers; the built-in catalog when None."""
    budget: Budget | None = Field(default=None, exclude=True)
    """Spend limits enforced on every model call below this wrapper (see `Budget`)."""
    ledger: Any = Field(default=None, exclude=True)
    """A usage ledger (anything with `on_billed(BilledCall)`) fed every call below."""

    _billing: _WrapperBilling | None = PrivateAttr(default=None)

    def __init__(self, **data: Any) -> None:
        # Checked before pydantic runs: it would wrap the (ValueError) CacheConfigError in a
        # ValidationError, and `except CacheConfigError` would miss it.
        _refuse_langchain_cache(type(self).__name__, data.get("cache"))
        super().__init__(**data)

    @model_validator(mode="before")
    @classmethod
    def _no_langchain_cache(cls, data: Any) -> Any:
        if isinstance(data, dict):
            _refuse_langchain_cache(cls.__name__, data.get("cache"))
            data = {**data, "cache": False}
        return data

    # --- the inner-models protocol ----------------------------------------------------------

    def inner_models(self) -> list[Runnable[LanguageModelInput, BaseMessage]]:
        """The models this wrapper may call, in its order."""
        raise NotImplementedError

    def with_inner_models(
        self, models: Sequence[Runnable[LanguageModelInput, BaseMessage]]
    ) -> Self:
        """A copy of this wrapper over `models` (same length and order as `inner_models()`)."""
        raise NotImplementedError

    @property
    def _wrapper_params(self) -> dict[str, Any]:
        """What identifies this wrapper besides its inner models (for traces and keys)."""
        return {}

    @property
    def _identifying_params(self) -> dict[str, Any]:
        # The marker tells the billing core this run passes answers on and never bills.
        return {WRAPPER_MARKER: True, **self._wrapper_params}

    def bind_tools(
        self,
        tools: Sequence[ToolLike],
        *,
        tool_choice: str | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """This wrapper over its inner models with `tools` bound to each (each formats them)."""
        options = dict(kwargs)
        if tool_choice is not None:
            options["tool_choice"] = tool_choice
        return self.with_inner_models(
            [bind_tools_through(model, tools, options) for model in self.inner_models()]
        )

    # --- calls ------------------------------------------------------------------------------

    def _billing_handler(self) -> _WrapperBilling | None:
        if self.budget is None and self.ledger is None:
            return None
        if self._billing is None:
            self._billing = _WrapperBilling(self.catalog, self.budget, self.ledger)
        return self._billing

    def _child_config(
        self,
        run_manager: RunManager,
        metadata: dict[str, Any] | None = None,
        *,
        is_async: bool = False,
    ) -> RunnableConfig:
        """A config that makes an inner call a child run, with this wrapper's billing attached."""
        config = child_config(run_manager, metadata, is_async=is_async)
        handler = self._billing_handler()
        if handler is not None:
            callbacks = config.get("callbacks")
            if isinstance(callbacks, BaseCallbackManager):
                callbacks.add_handler(handler, inherit=True)
            else:
                config["callbacks"] = [handler]
        return config

    def _bill_own_answers(self, generations: Sequence[Any], run_manager: RunManager) -> None:
        """Bill answers this wrapper produced without an inner call (cache hits) to its ledger.

        Handlers attached by the caller see them when this run ends; this wrapper's own
        `ledger=`/`budget=` handler sits on inner calls only, so it is handed them here.
        """
        handler = self._billing_handler()
        if handler is None:
            return
        run_id = run_manager.run_id if run_manager is not None else uuid4()
        for generation in generations:
            message = getattr(generation, "message", None)
            if isinstance(message, AIMessage):
                handler.bill_answer(message, run_id=run_id, metadata=run_metadata(run_manager))

    def _check_input(self, messages: Sequence[BaseMessage]) -> None:
        ensure_messages(messages, type(self).__name__)

    def answer_copy(self, message: BaseMessage, **stamps: Any) -> AIMessage:
        """The wrapper's copy of an inner answer, with `stamps` added to its metadata.

        It keeps the billing key and names the model `model` (see `as_wrapper_message`);
        `cost` is stamped from the catalog when the model inside did not stamp one.
        """
        if not isinstance(message, AIMessage):  # pragma: no cover - chat models answer so
            message = AIMessage(content=message.content)
        if "cost" not in message.response_metadata and "cost" not in stamps:
            call = price_message(message, self.catalog)
            if call is not None:
                stamps["cost"] = call.as_metadata()
        return as_wrapper_message(message, **stamps)
