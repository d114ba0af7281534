"""The billing core: turn LangChain's callback events into exactly one bill per provider call.

Every cost consumer (the `CostTracker`, a budget's guard, a usage ledger) is a
`BillingHandler`: a callback handler that sees the start and the end of every chat-model
run below it, router, fallback and cache wrappers included, and must bill each provider
call once however the runs nest. Rules of the form "bill only leaf runs found through
parent links" break as soon as a binding's config merge re-parents a run
(`model.bind_tools(...) | parser`, `with_structured_output`, `create_agent`), so billing
here does not look at parent links at all:

- **Each answer carries a billing key**, and a key is billed once per handler. The key is
  the call id the leaf stamped (`ChatGlobalAPI` puts `globalapi_call_id` on every answer
  and on the first chunk of a stream), else the message id (the provider's response id, or
  the `lc_run-...` id LangChain gives the leaf's answer). Wrappers hand the answer up as a
  copy that keeps both, so the wrapper's run presents a key that was already billed.
- **A cache hit is a call of its own at $0**: `CachedChatModel` stamps a fresh key on
  each hit; a hit of LangChain's own cache (`set_llm_cache`, marked by
  `usage_metadata["total_cost"] == 0`) is keyed by the run that produced it, and only a
  model run, never a wrapper run (wrappers do not use LangChain's cache), produces one.
- **A failed call that had streamed part of an answer is billed**, from the usage it
  received or else estimated from the prompt and the delivered text (`estimated=True`):
  the server did the work. A failure with nothing received is an event with no cost.
- **Hard budget limits hold under concurrency**: a handler with a budget reserves the
  worst-case cost of each model call when the call starts (prompt tokens at the input
  price plus `max_tokens`, or the budget's `reserve_output_tokens`, at the output price),
  refuses it by raising `BudgetExceededError` before any request is sent, and settles the
  reservation to the billed cost when the call ends (releases it when nothing was billed).

Wrapper runs are told apart by the marker `globalapi_wrapper` in their invocation params
(`WrapperChatModel` puts it there); they never reserve, and they bill only keys no model
run below them billed (when a handler was attached to the wrapper's run alone).

Example:
    >>> from langchain_globalapi import ChatGlobalAPI
    >>> from langchain_globalapi.testing import FakeOpenAIServer
    >>> seen = []
    >>> class Printer(BillingHandler):
    ...     def on_billed(self, call):
    ...         seen.append((call.model, call.cost.usd > 0, call.error))
    >>> with FakeOpenAIServer() as server:
    ...     llm = ChatGlobalAPI(api_key="k", base_url=server.base_url)
    ...     _ = llm.invoke("Hello", config={"callbacks": [Printer()]})
    >>> seen
    [('deepseek-ai/DeepSeek-V4-Flash', True, None)]
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, GenerationChunk, LLMResult

from langchain_globalapi._pricing import (
    BilledCall,
    CallCost,
    is_cache_hit,
    is_langchain_cache_hit,
    model_name_of,
    price_usage,
)
from langchain_globalapi._tokens import estimate_message_tokens, estimate_tokens
from langchain_globalapi.catalog import Catalog
from langchain_globalapi.errors import BudgetExceededError, BudgetUnavailableError

if TYPE_CHECKING:
    from langchain_globalapi.budgets import Budget, Reservation

__all__ = [
    "CALL_ID_KEY",
    "WRAPPER_MARKER",
    "BillingHandler",
    "bill_key",
    "is_wrapper_run",
    "new_call_id",
]

logger = logging.getLogger("langchain_globalapi.billing")

CALL_ID_KEY = "globalapi_call_id"
"""`response_metadata` key of the billing id a leaf model stamps on its answer."""
WRAPPER_MARKER = "globalapi_wrapper"
"""Invocation-param key that marks a run as a wrapper's (router, fallback, cache)."""

_SEEN_KEYS = 65_536  # keys remembered per handler; one call's runs end within moments
_BILLING_ERRORS = (BudgetExceededError, BudgetUnavailableError)

# The handlers holding a reservation for each model run that has not ended. When one handler
# refuses a run, LangChain stops the call before it starts: no end or error event follows,
# so the holds other handlers (with other budgets) already took for it are given back here.
_HOLDERS: dict[UUID, list[BillingHandler]] = {}
_HOLDERS_LOCK = threading.Lock()


def _release_holders(run_id: UUID) -> None:
    with _HOLDERS_LOCK:
        holders = _HOLDERS.pop(run_id, [])
    for handler in holders:
        with handler._lock:
            start = handler._starts.pop(run_id, None)
        if start is not None and start.reservation is not None and handler.budget is not None:
            handler.budget.release(start.reservation)


def _forget_holder(run_id: UUID, handler: BillingHandler) -> None:
    with _HOLDERS_LOCK:
        holders = _HOLDERS.get(run_id)
        if holders is not None and handler in holders:
            holders.remove(handler)
            if not holders:
                del _HOLDERS[run_id]


class _RefusalLogFilter(logging.Filter):
    """Drops LangChain's log line for a budget refusal raised from a handler on purpose.

    LangChain logs "Error in X.on_chat_model_start callback" for every handler error,
    even one it re-raises because the handler asked for it; a refusal is not a fault.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not any(f"{error.__name__}(" in message for error in _BILLING_ERRORS)


logging.getLogger("langchain_core.callbacks.manager").addFilter(_RefusalLogFilter())


def new_call_id() -> str:
    """A fresh billing id.

    Example:
        >>> len(new_call_id())
        32
    """
    return uuid.uuid4().hex


def is_wrapper_run(invocation_params: Mapping[str, Any] | None) -> bool:
    """Whether a run's invocation params mark it as a wrapper's.

    Example:
        >>> is_wrapper_run({"globalapi_wrapper": True, "_type": "globalapi-fallback"})
        True
        >>> is_wrapper_run({"model": "gpt-4o"})
        False
    """
    return bool(invocation_params and invocation_params.get(WRAPPER_MARKER))


def bill_key(message: BaseMessage, run_id: UUID, *, wrapper: bool) -> str | None:
    """The key `message` is billed under when it ends run `run_id`; `None`: never billed here.

    Example:
        >>> from uuid import UUID
        >>> from langchain_core.messages import AIMessage
        >>> run = UUID(int=1)
        >>> bill_key(AIMessage("hi", response_metadata={"globalapi_call_id": "c1"}), run,
        ...          wrapper=True)
        'call:c1'
        >>> bill_key(AIMessage("hi", id="chatcmpl-9"), run, wrapper=False)
        'msg:chatcmpl-9'
    """
    if is_langchain_cache_hit(message):
        # Produced by the model run that looked it up; a wrapper only passes it on.
        return None if wrapper else f"hit:{run_id}"
    stamped = message.response_metadata.get(CALL_ID_KEY)
    if isinstance(stamped, str) and stamped:
        return f"call:{stamped}"
    if message.id:
        return f"msg:{message.id}"
    return f"run:{run_id}"


@dataclass
class _Start:
    """What a model run's start told us, kept until it ends."""

    wrapper: bool
    started_at: float = 0.0
    started_monotonic: float = 0.0
    model: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)
    messages: Sequence[BaseMessage] = ()
    reservation: Reservation | None = None
    stream_key: str | None = None


def _float_or_none(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _str_or_none(value: Any) -> str | None:
    return str(value) if value is not None and value != "" else None


def _model_from_params(params: Mapping[str, Any], metadata: Mapping[str, Any]) -> str | None:
    for value in (params.get("model"), params.get("model_name"), metadata.get("ls_model_name")):
        if isinstance(value, str) and value:
            return value
    return None


def _max_output_tokens(params: Mapping[str, Any], metadata: Mapping[str, Any]) -> int | None:
    for value in (
        params.get("max_tokens"),
        params.get("max_completion_tokens"),
        metadata.get("ls_max_tokens"),
    ):
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
    return None


def _messages_of(generations: Sequence[Any]) -> list[AIMessage]:
    return [
        generation.message
        for generation in generations
        if isinstance(generation, ChatGeneration) and isinstance(generation.message, AIMessage)
    ]


class BillingHandler(BaseCallbackHandler):
    """A callback handler that bills each provider call once and hands it to `on_billed`.

    Subclasses override `on_billed` (the tracker sums, a ledger appends); a handler with a
    `budget` also reserves each call's worst case before it is sent and refuses calls a
    hard limit cannot take. Sync handlers run inline, so a refusal stops the call before
    any request, in sync and async code alike.

    Args:
        catalog: Prices (default: the built-in catalog).
        reference_model: The counterfactual model (default: the catalog's, GPT-4o).
        budget: Spend limits to reserve against and settle into.
    """

    run_inline = True

    def __init__(
        self,
        catalog: Catalog | None = None,
        *,
        reference_model: str | None = None,
        budget: Budget | None = None,
    ) -> None:
        self.catalog = catalog or Catalog.default()
        self.reference_model = reference_model
        self.budget = budget
        # Only a budget's refusal may escape a handler (LangChain re-raises errors of
        # handlers that set raise_error); everything else is logged, never raised.
        self.raise_error = budget is not None
        self._starts: dict[UUID, _Start] = {}
        self._seen: OrderedDict[str, None] = OrderedDict()
        # Billing keys of model streams still open: a wrapper's run that ends first (an async
        # stream closed early is finalized outside-in) leaves them to the model's own run.
        self._streaming: set[str] = set()
        self._lock = threading.Lock()

    # --- what subclasses implement ------------------------------------------------------

    def on_billed(self, call: BilledCall) -> None:
        """Receive one billed call (or failed attempt) exactly once; must not block."""

    # --- run events ---------------------------------------------------------------------

    def on_chat_model_start(
        self,
        serialized: dict[str, Any],
        messages: list[list[BaseMessage]],
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        """Remember the call; with a budget, reserve its worst case (or refuse it)."""
        params = kwargs.get("invocation_params") or {}
        meta = metadata or {}
        if is_wrapper_run(params):
            start = _Start(wrapper=True)
        else:
            prompt = messages[0] if messages else []
            start = _Start(
                wrapper=False,
                started_at=time.time(),
                started_monotonic=time.monotonic(),
                model=_model_from_params(params, meta),
                metadata=meta,
                messages=prompt,
            )
            if self.budget is not None:
                try:
                    start.reservation = self._reserve(
                        run_id, start, _max_output_tokens(params, meta)
                    )
                except _BILLING_ERRORS:
                    _release_holders(run_id)  # the call will not start: no end event comes
                    raise
        with self._lock:
            self._starts[run_id] = start
        if start.reservation is not None:
            with _HOLDERS_LOCK:
                _HOLDERS.setdefault(run_id, []).append(self)

    def on_llm_start(
        self,
        serialized: dict[str, Any],
        prompts: list[str],
        *,
        run_id: UUID,
        **kwargs: Any,
    ) -> None:
        """Completion models: remembered like chat models (their prompts are not kept)."""
        self.on_chat_model_start(serialized, [], run_id=run_id, **kwargs)

    def on_llm_new_token(
        self,
        token: str | list[str | dict[str, Any]],
        *,
        chunk: GenerationChunk | ChatGenerationChunk | None = None,
        run_id: UUID,
        **kwargs: Any,
    ) -> None:
        """Note the billing key a model's stream carries (its first chunk is stamped)."""
        message = getattr(chunk, "message", None)
        stamped = message.response_metadata.get(CALL_ID_KEY) if message is not None else None
        if not (isinstance(stamped, str) and stamped):
            return
        with self._lock:
            start = self._starts.get(run_id)
            if start is not None and not start.wrapper:
                start.stream_key = f"call:{stamped}"
                self._streaming.add(start.stream_key)

    def _pop_start(self, run_id: UUID) -> _Start:
        with self._lock:
            start = self._starts.pop(run_id, None) or _Start(wrapper=False)
            if start.stream_key is not None:
                self._streaming.discard(start.stream_key)
        return start

    def on_llm_end(self, response: LLMResult, *, run_id: UUID, **kwargs: Any) -> None:
        """Bill the answers of a finished run whose keys were not billed yet."""
        _forget_holder(run_id, self)
        try:
            start = self._pop_start(run_id)
            billed = [
                call
                for message in _messages_of(
                    [g for generations in response.generations for g in generations]
                )
                if (call := self._bill(message, run_id, start)) is not None
            ]
            self._settle(start, billed)
            for call in billed:
                self.on_billed(call)
        except Exception:
            logger.exception("billing: a finished call could not be billed")

    def on_llm_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        """Bill what a failed call had streamed (estimated if no usage came); record the failure."""
        _forget_holder(run_id, self)
        try:
            start = self._pop_start(run_id)
            response = kwargs.get("response")
            partial = (
                _messages_of(response.generations[0])
                if isinstance(response, LLMResult) and response.generations
                else []
            )
            kind = _error_kind(error)
            billed = [
                call
                for message in partial
                if (
                    message.text
                    or message.tool_calls
                    or getattr(message, "tool_call_chunks", None)
                    or message.usage_metadata
                )
                and (call := self._bill(message, run_id, start, error=kind)) is not None
            ]
            if not billed and not start.wrapper:
                billed = [self._failure(run_id, start, kind)]
            self._settle(start, billed)
            for call in billed:
                self.on_billed(call)
        except Exception:
            logger.exception("billing: a failed call could not be recorded")

    def bill_answer(
        self, message: AIMessage, *, run_id: UUID, metadata: Mapping[str, Any] | None = None
    ) -> BilledCall | None:
        """Bill an answer that no model run produced (a wrapper's own cache hit), once.

        Returns the bill, or `None` when its key was billed already or it cannot be priced.
        """
        now = time.time()
        start = _Start(
            wrapper=False,
            started_at=now,
            started_monotonic=time.monotonic(),
            metadata=metadata or {},
        )
        call = self._bill(message, run_id, start)
        if call is not None:
            self.on_billed(call)
        return call

    # --- billing ------------------------------------------------------------------------

    def _first_time(self, key: str, start: _Start | None = None) -> bool:
        with self._lock:
            if key in self._seen or (
                start is not None and start.wrapper and key in self._streaming
            ):
                return False
            self._seen[key] = None
            if len(self._seen) > _SEEN_KEYS:
                self._seen.popitem(last=False)
            return True

    def _bill(
        self, message: AIMessage, run_id: UUID, start: _Start, *, error: str | None = None
    ) -> BilledCall | None:
        key = bill_key(message, run_id, wrapper=start.wrapper)
        model = model_name_of(message) or start.model
        # The name is checked before the key is taken: a wrapper's copy of a stream's first
        # chunk may not name the model yet, and the model's own run must still bill it.
        if key is None or model is None or not self._first_time(key, start):
            return None
        usage: Mapping[str, Any] | None = message.usage_metadata
        estimated = False
        if not usage:
            # No usage reported (a stream cut short, a provider that does not count):
            # estimate from the prompt and the text rather than report $0.
            estimated = True
            usage = {
                "input_tokens": estimate_message_tokens(list(start.messages), []),
                "output_tokens": estimate_tokens(message.text),
            }
        hit = is_cache_hit(message)
        cost = price_usage(
            usage, model, self.catalog, reference_model=self.reference_model, cache_hit=hit
        )
        return self._event(key, run_id, start, model, cost=cost, error=error, estimated=estimated)

    def _failure(self, run_id: UUID, start: _Start, kind: str) -> BilledCall:
        return self._event(f"run:{run_id}", run_id, start, start.model or "unknown", error=kind)

    def _event(
        self,
        key: str,
        run_id: UUID,
        start: _Start,
        model: str,
        *,
        cost: CallCost | None = None,
        error: str | None = None,
        estimated: bool = False,
    ) -> BilledCall:
        meta = start.metadata
        routing = meta.get("routing") if isinstance(meta.get("routing"), Mapping) else {}
        now = time.monotonic()
        attempt = meta.get("globalapi_attempt")
        return BilledCall(
            call_id=key.split(":", 1)[1],
            run_id=str(run_id),
            started_at=start.started_at or time.time(),
            latency_ms=round((now - start.started_monotonic) * 1000, 3)
            if start.started_monotonic
            else 0.0,
            model=model,
            tier=_str_or_none(meta.get("globalapi_tier")),
            task=_str_or_none(meta.get("task") or meta.get("tripwire_task")),
            request_id=_str_or_none(meta.get("request_id")),
            cost=cost,
            error=error,
            estimated=estimated,
            attempt=attempt if isinstance(attempt, int) and attempt > 0 else 1,
            routing_score=_float_or_none((routing or {}).get("score")),
            cascade=_str_or_none(meta.get("globalapi_cascade")),
            shadow=bool(meta.get("globalapi_tripwire")),
            audit=_str_or_none(meta.get("globalapi_audit")),
        )

    # --- budget reservations ----------------------------------------------------------------

    def _reserve(self, run_id: UUID, start: _Start, max_tokens: int | None) -> Reservation | None:
        budget = self.budget
        if budget is None:
            return None
        model = start.model
        tier = _str_or_none(start.metadata.get("globalapi_tier"))
        info = self.catalog.get(model)
        worst = Decimal(0)
        if info is not None:
            output = max_tokens if max_tokens is not None else budget.reserve_output_tokens
            worst = info.cost(
                input_tokens=estimate_message_tokens(list(start.messages), []),
                output_tokens=output,
            )
        return budget.reserve(
            worst, model=model, tier=tier or self.catalog.tier_of(model), key=str(run_id)
        )

    def _settle(self, start: _Start, billed: Sequence[BilledCall]) -> None:
        reservation, budget = start.reservation, self.budget
        if budget is None or start.wrapper:
            return
        spent = sum(
            (call.cost.usd for call in billed if call.cost is not None and call.cost.usd),
            start=Decimal(0),
        )
        if reservation is not None:
            budget.settle(reservation, spent)
        elif spent:
            # Attached after the call started (or the start was not seen): record it plainly.
            model = billed[0].model if billed else start.model
            budget.record(spent, model=model, tier=self.catalog.tier_of(model))


def _error_kind(error: BaseException) -> str:
    if isinstance(error, GeneratorExit):
        return "stopped"  # the consumer stopped reading the stream
    if isinstance(error, _BILLING_ERRORS):
        return "budget"
    from langchain_globalapi.fallbacks._classify import classify_error  # noqa: PLC0415

    return classify_error(error).kind.value
