"""`TieredRouterRunnable`: send each chat request to the cheapest tier that will answer it well.

The router is a chat model whose tiers are chat models, cheapest first. Per call it scores the
request (a `ComplexityScorer`), cuts the score into a tier with thresholds, lets an explicit
`complexity` hint override the score, and then applies the checks that may move the request:
up, when a conversation already used a stronger tier or a tier cannot take the prompt (context
window, tools, images); down, when a budget's soft limit is reached. The chosen tier answers
(streaming from it directly), and every answer says what happened in
`response_metadata["routing"]`. The decision logic lives in `routing/_route.py`.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from typing import Any, ClassVar, NamedTuple
from uuid import UUID

from langchain_core.callbacks import (
    AsyncCallbackManagerForLLMRun,
    CallbackManagerForLLMRun,
)
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable, RunnableBinding, RunnableConfig
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import ConfigDict, Field, PrivateAttr, field_validator, model_validator
from typing_extensions import Self

from langchain_globalapi._runs import THREAD_KEY, lift_routing_keys
from langchain_globalapi._streams import aclose_stream, close_stream
from langchain_globalapi._tokens import estimate_message_tokens, pseudo_token_ids
from langchain_globalapi._validate import positive_int
from langchain_globalapi._wrapper import InnerKind, WrapperChatModel, bind_tools_through
from langchain_globalapi.catalog import Catalog
from langchain_globalapi.errors import RoutingConfigError, SettingError
from langchain_globalapi.routing._affinity import ThreadAffinity
from langchain_globalapi.routing._cascade import Cascade, cascade_metadata, joined
from langchain_globalapi.routing._decision import RoutingDecision
from langchain_globalapi.routing._observe import (
    REQUEST_ID_KEY,
    TASK_KEY,
    TRIPWIRE_TASK_KEY,
    AnswerObserver,
    observe_safely,
)
from langchain_globalapi.routing._route import Router
from langchain_globalapi.routing._streaming import StreamUsage
from langchain_globalapi.routing._thresholds import (
    calibrate_thresholds,
    default_thresholds,
    realized_mix,
    validate_thresholds,
)
from langchain_globalapi.routing.checks import CheckContext
from langchain_globalapi.routing.learned import LearnedScorer
from langchain_globalapi.routing.scorers import ComplexityScorer, to_messages

__all__ = ["TieredRouterRunnable"]

# Unparametrized: pydantic would rebuild a `RunnableBinding[Any, Any]` from a subclass
# instance (`llm.bind(...)` is a `_ChatModelBinding`) instead of keeping it.
Tier = BaseChatModel | RunnableBinding  # type: ignore[type-arg]


class _Routed(NamedTuple):
    decision: RoutingDecision
    runnable: Runnable[LanguageModelInput, BaseMessage]
    config: RunnableConfig
    request_id: str | UUID | None
    task: str | None
    escalate_to: str | None = None  # the cascade's next tier, when this request cascades
    thread: Any = None
    cascade: dict[str, Any] | None = None  # the cascade's report, once checked


@functools.cache
def _field_names(model_class: type[BaseChatModel]) -> frozenset[str]:
    names = set(model_class.model_fields)
    names.update(
        field.alias for field in model_class.model_fields.values() if field.alias is not None
    )
    return frozenset(names)


@functools.cache
def _shipped_scorer() -> LearnedScorer:
    # Loading the shipped weights takes milliseconds: load them once per process.
    return LearnedScorer.load_default()


def _default_scorer() -> LearnedScorer:
    # Each router gets its own copy (the weights are shared, read-only): what one router
    # learns from outcomes must not change the routing of every other router.
    return _shipped_scorer().without_outcomes()


class TieredRouterRunnable(WrapperChatModel):
    """A chat model that routes each request to one of its tiers by complexity.

    Args:
        tiers: Chat models by tier name, **cheapest first** (`{"economy": ..., "flash": ...,
            "pro": ...}`); any number, any chat models, also wrapped (`FallbackChatModel`,
            `CachedChatModel`, `.bind(...)`): the checks look through wrappers and use the
            largest context window a fallback chain can reach.
        scorer: Scores requests in [0, 1] (default: `LearnedScorer.load_default()`).
        thresholds: `len(tiers) - 1` increasing cut points in [0, 1]; default: rough cuts for
            the scorer. Calibrate them on your traffic with `calibrate`.
        catalog: Context windows and tool/image support of the tiers' models, and prices for
            budgets (default: the built-in catalog).
        context_windows: Per-tier context window overrides in tokens (for models the catalog
            does not know, or to leave headroom).
        budget: Spend limits. A reached soft limit moves requests to a cheaper tier (with a
            warning, the reason in metadata and `on_downgrade`); a hard one raises
            `BudgetExceededError`, checked when the tier is chosen and again, atomically,
            when each model call reserves its worst case, so concurrent calls cannot all
            slip under it. The same budget may also be given to a `CostTracker`: each call
            is still counted once.
        ledger: A usage ledger fed every model call below the router.
        on_downgrade: Called with the `RoutingDecision` whenever a budget moved a request down.
        max_threads: How many conversation threads the affinity map remembers (LRU).
        cascade: `True` or a `Cascade`: the routed tier answers first, and the answer checks
            (`default_checks()`) decide whether to ask the next tier instead (both calls are
            billed; `response_metadata["routing"]["cascade"]` says what was checked and why).
            Off by default: it adds a cheap call on every escalation and, for streams, holds
            the first token until the cheap answer is checked (see `Cascade`).
        tripwire: Sees every successful answer, routing metadata included, after invoke and
            at the end of a stream (e.g. `QualityTripwire`, which oversamples answers whose
            score sat near a threshold). Its errors are logged, never raised. Metadata
            `request_id` (default: the run id) and `tripwire_task` are passed on.

    Hints: `config={"configurable": {"complexity": ...}}` or the same key in `metadata`:
    `"low"` is the cheapest tier, `"high"` the strongest, `"auto"` (default) uses the score,
    and a tier name picks that tier. A hint skips scoring and thread affinity; capability
    checks and budgets still apply.

    Conversations: with `config={"configurable": {"thread_id": ...}}`, a turn scored lower than
    an earlier turn of the same thread stays on the earlier turn's tier.

    Example:
        >>> from langchain_globalapi import ChatGlobalAPI
        >>> from langchain_globalapi.routing import HeuristicScorer, TieredRouterRunnable
        >>> from langchain_globalapi.testing import FakeOpenAIServer
        >>> with FakeOpenAIServer() as server:
        ...     tiers = {name: ChatGlobalAPI(model=model, api_key="k", base_url=server.base_url)
        ...              for name, model in [("economy", "GA-Economy"),
        ...                                  ("pro", "deepseek-ai/DeepSeek-V4-Pro")]}
        ...     router = TieredRouterRunnable(tiers=tiers, scorer=HeuristicScorer(),
        ...                                   thresholds=[0.5])
        ...     easy = router.invoke("What is the capital of France?")
        ...     hard = router.invoke("hi", config={"configurable": {"complexity": "high"}})
        >>> easy.text
        '[GA-Economy] What is the capital of France?'
        >>> hard.response_metadata["routing"]["tier"], hard.response_metadata["routing"]["hint"]
        ('pro', 'high')
    """

    tiers: dict[str, Tier]
    scorer: ComplexityScorer = Field(default_factory=_default_scorer, exclude=True)
    thresholds: tuple[float, ...] | None = None
    context_windows: dict[str, int] = Field(default_factory=dict)
    on_downgrade: Callable[[RoutingDecision], Any] | None = Field(default=None, exclude=True)
    max_threads: int = 10_000
    tripwire: AnswerObserver | None = Field(default=None, exclude=True)
    cascade: Cascade | None = None
    """Answer with the routed tier first and escalate when checks on its answer fail (off by
    default; `cascade=True` for the built-in checks, or a `Cascade`)."""
    bound_tools: list[Any] = Field(default_factory=list, exclude=True)
    """Tools every tier is bound with (set by `bind_tools`)."""
    tool_kwargs: dict[str, Any] = Field(default_factory=dict, exclude=True)
    """Keyword arguments of that `bind_tools` call (`tool_choice`, ...)."""

    _affinity: ThreadAffinity = PrivateAttr()
    _runnables: dict[str, Runnable[LanguageModelInput, BaseMessage]] = PrivateAttr(
        default_factory=dict
    )

    _route_cache: Router | None = PrivateAttr(default=None)
    _check_context: CheckContext | None = PrivateAttr(default=None)

    model_config = ConfigDict(arbitrary_types_allowed=True)

    inner_kind: ClassVar[InnerKind] = "any"

    def __init__(self, **data: Any) -> None:
        # Validated before pydantic runs: it would wrap our ValueErrors in a ValidationError.
        tiers = data.get("tiers") or {}
        if not tiers:
            msg = "TieredRouterRunnable needs a tier, e.g. tiers={'flash': ChatGlobalAPI()}"
            raise RoutingConfigError(msg)
        names = list(tiers)
        if data.get("thresholds") is not None:
            data["thresholds"] = validate_thresholds(data["thresholds"], names)
        if data.get("cascade") is True:
            data["cascade"] = Cascade()
        elif data.get("cascade") is False:
            data["cascade"] = None
        if isinstance(data.get("cascade"), Cascade):
            data["cascade"].validate(names)
        elif data.get("cascade") is not None:
            msg = f"cascade must be True, False, None or a Cascade(...), got {data['cascade']!r}"
            raise RoutingConfigError(msg)
        unknown = sorted(set(data.get("context_windows") or {}) - set(names))
        if unknown:
            msg = f"context_windows names unknown tier(s) {unknown}; the tiers are {names}"
            raise RoutingConfigError(msg)
        super().__init__(**data)

    @field_validator("max_threads", mode="before")
    @classmethod
    def _max_threads_is_positive(cls, value: object) -> int:
        return positive_int("TieredRouterRunnable", "max_threads", value, error=SettingError)

    @model_validator(mode="after")
    def _set_defaults(self) -> Self:
        if self.thresholds is None:
            self.thresholds = default_thresholds(type(self.scorer).__name__, len(self.tiers))
        self._affinity = ThreadAffinity(self.max_threads)
        add_learner = getattr(self.tripwire, "add_learner", None)
        if callable(add_learner):
            add_learner(self._learn_from_verdict)
        return self

    @classmethod
    def from_defaults(
        cls,
        api_key: str | None = None,
        base_url: str | None = None,
        *,
        catalog: Catalog | None = None,
        **options: Any,
    ) -> TieredRouterRunnable:
        """The Global API tiers of the catalog (GA-Economy, V4 Flash, V4 Pro) as `ChatGlobalAPI`s.

        Args:
            api_key: Global API key (default: `GLOBAL_API_KEY`).
            base_url: Endpoint (default: `GLOBAL_API_BASE` or Global API's).
            catalog: Catalog whose `tiers` name the models (default: built-in); it also
                prices the tiers' answers.
            **options: Any router option (`scorer`, `thresholds`, `budget`, `tripwire`,
                `ledger`, `context_windows`, `on_downgrade`, `max_threads`, ...) and any
                `ChatGlobalAPI` option, given to every tier (`temperature`, `max_tokens`,
                `max_retries`, `timeout`, ...).

        Raises:
            RoutingConfigError: An option that is neither (a typo would otherwise reach the
                gateway as a request parameter and fail at call time).

        Example:
            >>> router = TieredRouterRunnable.from_defaults(api_key="k", temperature=0,
            ...                                             thresholds=[0.3, 0.6])
            >>> router.thresholds, router.tiers["pro"].temperature
            ((0.3, 0.6), 0.0)
            >>> TieredRouterRunnable.from_defaults(api_key="k", tripwrie=None)
            Traceback (most recent call last):
            ...
            langchain_globalapi.errors.RoutingConfigError: from_defaults got an unknown ...
        """
        from langchain_globalapi.chat_models import ChatGlobalAPI  # noqa: PLC0415 - cycle

        catalog = catalog or Catalog.default()
        router_options = {"catalog": catalog}
        client: dict[str, Any] = {"catalog": catalog}
        if api_key is not None:
            client["api_key"] = api_key
        if base_url is not None:
            client["base_url"] = base_url
        model_names = _field_names(ChatGlobalAPI)
        for name, value in options.items():
            if name in cls.model_fields and name not in ("tiers", "bound_tools", "tool_kwargs"):
                router_options[name] = value
            elif name in model_names:
                client[name] = value
            else:
                valid = sorted(
                    {
                        n
                        for n in cls.model_fields
                        if n not in ("tiers", "bound_tools", "tool_kwargs")
                    }
                )
                msg = (
                    f"from_defaults got an unknown option {name!r}: use a router option "
                    f"({', '.join(valid)}) or a ChatGlobalAPI option (temperature, max_tokens, "
                    "timeout, max_retries, ...)"
                )
                raise RoutingConfigError(msg)
        tiers: dict[str, BaseChatModel] = {
            name: ChatGlobalAPI(model=model, **client) for name, model in catalog.tiers.items()
        }
        return cls(tiers=tiers, **router_options)

    # --- LangChain plumbing -----------------------------------------------------------------

    @property
    def _llm_type(self) -> str:
        return "globalapi-tiered-router"

    @property
    def _wrapper_params(self) -> dict[str, Any]:
        # LangChain reads this on every call: the model names come from the cached tier profiles.
        router = self._router()
        return {
            "tiers": {name: router.model_of(name) for name in self.tiers},
            "thresholds": list(self.thresholds or ()),
            "scorer": type(self.scorer).__name__,
        }

    def inner_models(self) -> list[Runnable[LanguageModelInput, BaseMessage]]:
        """The tiers as they are called (with the bound tools), cheapest first."""
        return [self._runnable(name) for name in self.tiers]

    def with_inner_models(
        self, models: Sequence[Runnable[LanguageModelInput, BaseMessage]]
    ) -> Self:
        """The same router (scorer, thresholds, budget, thread floors) over other tier models."""
        if len(models) != len(self.tiers):
            msg = (
                f"with_inner_models needs {len(self.tiers)} models, one per tier, got {len(models)}"
            )
            raise RoutingConfigError(msg)
        tiers = dict(zip(self.tiers, models, strict=True))
        return self._copy(tiers=tiers, bound_tools=[], tool_kwargs={})

    def bind_tools(
        self,
        tools: Sequence[Any],
        *,
        tool_choice: str | None = None,
        **kwargs: Any,
    ) -> TieredRouterRunnable:
        """A router whose every tier is bound with `tools` (a router, so `create_agent` takes it).

        Tools also enter the score (agentic requests lean stronger) and the capability check:
        a tier whose model lacks tool support is skipped.
        """
        tool_kwargs = dict(kwargs)
        if tool_choice is not None:
            tool_kwargs["tool_choice"] = tool_choice
        return self._copy(bound_tools=list(tools), tool_kwargs=tool_kwargs)

    def _copy(self, **update: Any) -> Self:
        # Shares the thread floors and the billing handler; routing caches start afresh.
        copy = self.model_copy(update=update)
        copy._runnables = {}
        copy._route_cache = None
        copy._check_context = None
        copy._affinity = self._affinity
        copy._billing = self._billing
        return copy

    def with_structured_output(
        self, schema: dict[str, Any] | type, *, include_raw: bool = False, **kwargs: Any
    ) -> Runnable[LanguageModelInput, dict[str, Any] | Any]:
        """Structured output from whichever tier answers, through tool calling on every tier.

        `method="function_calling"` (the default) is the one method every tool-capable tier
        shares; others raise `RoutingConfigError`.
        """
        method = kwargs.pop("method", None)
        kwargs.pop("strict", None)
        if method not in (None, "function_calling"):
            msg = (
                f"TieredRouterRunnable supports with_structured_output(method='function_calling') "
                f"only (the method every tier shares), got method={method!r}"
            )
            raise RoutingConfigError(msg)
        return super().with_structured_output(schema, include_raw=include_raw, **kwargs)

    def get_token_ids(self, text: str) -> list[int]:
        """Offline pseudo token ids (no tokenizer download)."""
        return pseudo_token_ids(text)

    def get_num_tokens_from_messages(
        self, messages: list[BaseMessage], tools: Sequence[Any] | None = None
    ) -> int:
        """Offline estimate of a request's prompt tokens."""
        schemas = [convert_to_openai_tool(tool) for tool in tools or ()]
        return estimate_message_tokens(messages, schemas)

    # --- routing ---------------------------------------------------------------------------

    def _router(self) -> Router:
        cached = self._route_cache
        if cached is not None and cached.thresholds is self.thresholds:
            return cached
        self._route_cache = Router(
            tiers=self.tiers,
            scorer=self.scorer,
            thresholds=self.thresholds or (),
            catalog=self.catalog or Catalog.default(),
            context_windows=self.context_windows,
            budget=self.budget,
            tools=[convert_to_openai_tool(tool) for tool in self.bound_tools],
            affinity=self._affinity,
        )
        return self._route_cache

    def explain(
        self, input: LanguageModelInput, config: RunnableConfig | None = None
    ) -> RoutingDecision:
        """The decision `invoke` would make for `input`, without calling a model.

        Example:
            >>> from langchain_globalapi.routing import LengthScorer
            >>> router = TieredRouterRunnable.from_defaults(api_key="k", scorer=LengthScorer())
            >>> router.explain("x" * 3000).tier
            'pro'
        """
        metadata = lift_routing_keys(config).get("metadata") or {}
        return self._router().decide(to_messages(input), metadata, record=False)

    def record_outcome(
        self,
        input: LanguageModelInput,
        *,
        cheap_ok: bool | float,
        strong_ok: bool | float,
        task: str | None = None,
    ) -> None:
        """Teach the scorer what happened on one request (did the cheap tier's answer hold?).

        The same as `router.scorer.learn([RoutingOutcome(...)])`: with a `task`, later
        requests of that task are scored by what it learned; without one, by the nearest
        labelled prompts. A `QualityTripwire` given to the router records one outcome per
        verdict on an answer from a cheaper tier; `globalapi bench` results give more
        (`langchain_globalapi.bench.outcomes_from_records`).

        Example:
            >>> router = TieredRouterRunnable.from_defaults(api_key="k")
            >>> router.record_outcome("Prove that there are infinitely many primes.",
            ...                       cheap_ok=False, strong_ok=True, task="proofs")
            >>> router.scorer.outcomes.tasks()["proofs"].rescued
            1.0
        """
        from langchain_globalapi.routing.outcomes import RoutingOutcome  # noqa: PLC0415

        self.scorer.learn([RoutingOutcome(input, cheap_ok, strong_ok, task)])

    def _learn_from_verdict(
        self,
        messages: Sequence[BaseMessage],
        *,
        agreed: bool,
        tier: str | None,
        task: str | None,
    ) -> None:
        # A tripwire verdict on an answer from a cheaper tier says whether that tier held
        # (the reference is taken as right); the strongest tier's answers teach nothing here.
        names = list(self.tiers)
        if tier is None or tier not in names or tier == names[-1]:
            return
        self.record_outcome(list(messages), cheap_ok=agreed, strong_ok=True, task=task)

    def calibrate(
        self, sample_inputs: Sequence[LanguageModelInput], target_mix: Mapping[str, float]
    ) -> dict[str, float]:
        """Set the thresholds so that `sample_inputs` split into `target_mix`; return the real mix.

        Ties in the scores can make the realized mix differ from the target: check it.

        Example:
            >>> from langchain_globalapi.routing import LengthScorer
            >>> router = TieredRouterRunnable.from_defaults(api_key="k", scorer=LengthScorer())
            >>> router.calibrate(["a" * n for n in range(1, 11)],
            ...                  {"economy": 0.5, "flash": 0.4, "pro": 0.1})
            {'economy': 0.5, 'flash': 0.4, 'pro': 0.1}
        """
        tools = self._router().tools
        scores = self.scorer.score_batch(list(sample_inputs), tools=tools or None)
        names = list(self.tiers)
        self.thresholds = calibrate_thresholds(scores, names, target_mix)
        return realized_mix(scores, self.thresholds, names)

    def _decide(
        self,
        messages: list[BaseMessage],
        run_manager: CallbackManagerForLLMRun | AsyncCallbackManagerForLLMRun | None,
        *,
        is_async: bool = False,
    ) -> _Routed:
        config = self._child_config(run_manager, is_async=is_async)
        if run_manager is not None:
            metadata: Mapping[str, Any] = run_manager.metadata
            run_id: UUID | None = run_manager.run_id
        else:
            # Under stream(), WrapperRunMixin made the callbacks a child of this run:
            # they carry its metadata (hints, thread) and its id.
            manager = config.get("callbacks")
            metadata = getattr(manager, "inheritable_metadata", None) or {}
            run_id = getattr(manager, "parent_run_id", None)
        decision = self._router().decide(messages, metadata, record=True)
        if decision.downgraded and self.on_downgrade is not None:
            self.on_downgrade(decision)
        task_value = metadata.get(TASK_KEY) or metadata.get(TRIPWIRE_TASK_KEY)
        task = str(task_value) if task_value is not None else None
        escalate_to = (
            self.cascade.next_tier(decision.tier, list(self.tiers), task=task)
            if self.cascade is not None
            else None
        )
        request_id = metadata.get(REQUEST_ID_KEY) or run_id
        config["metadata"] = {"routing": decision.as_metadata(), "globalapi_tier": decision.tier}
        if request_id is not None:
            # The calls below are billed under the id the tripwire's verdict will name.
            config["metadata"][REQUEST_ID_KEY] = str(request_id)
        if escalate_to is not None:
            config["metadata"]["globalapi_cascade"] = "cheap"
        return _Routed(
            decision,
            self._runnable(decision.tier),
            config,
            request_id,
            task,
            escalate_to,
            metadata.get(THREAD_KEY),
        )

    # --- cascade ---------------------------------------------------------------------------

    def _checked(self, messages: list[BaseMessage], cheap: AIMessage, routed: _Routed) -> _Routed:
        """`routed` with the cascade's report on the cheap answer."""
        assert self.cascade is not None
        if self._check_context is None:
            self._check_context = CheckContext(tools=self.bound_tools)
        report = self.cascade.check(messages, cheap, context=self._check_context, task=routed.task)
        metadata = cascade_metadata(report, tier=routed.decision.tier, to=routed.escalate_to)
        return routed._replace(cascade=metadata)

    def _escalated(
        self,
        routed: _Routed,
        run_manager: CallbackManagerForLLMRun | AsyncCallbackManagerForLLMRun | None,
        *,
        is_async: bool = False,
    ) -> _Routed:
        """The same request routed to the cascade's next tier, as a new child run."""
        target = routed.escalate_to
        assert target is not None
        assert routed.cascade is not None
        decision = dataclasses.replace(
            routed.decision,
            tier=target,
            model=self._router().model_of(target),
            reason=(
                f"{routed.decision.reason}; cascade: the {routed.decision.tier} answer failed "
                f"its checks ({routed.cascade['reason']}), escalated to {target}"
            ),
        )
        if routed.thread is not None:
            self._affinity.record(routed.thread, list(self.tiers).index(target))
        config = self._child_config(run_manager, is_async=is_async)
        config["metadata"] = {
            "routing": decision.as_metadata(),
            "globalapi_tier": target,
            "globalapi_cascade": "escalated",
        }
        if routed.request_id is not None:
            config["metadata"][REQUEST_ID_KEY] = str(routed.request_id)
        return routed._replace(decision=decision, runnable=self._runnable(target), config=config)

    def _runnable(self, tier: str) -> Runnable[LanguageModelInput, BaseMessage]:
        runnable = self._runnables.get(tier)
        if runnable is None:
            runnable = self.tiers[tier]
            if self.bound_tools:
                runnable = bind_tools_through(runnable, self.bound_tools, self.tool_kwargs)
            self._runnables[tier] = runnable
        return runnable

    def _finish(
        self, messages: list[BaseMessage], message: BaseMessage, routed: _Routed
    ) -> ChatResult:
        routing = self._routing_metadata(routed)
        message = self.answer_copy(message, routing=routing)
        observe_safely(self.tripwire, messages, message, routed.request_id, routed.task)
        return ChatResult(
            generations=[ChatGeneration(message=message)], llm_output={"routing": routing}
        )

    @staticmethod
    def _routing_metadata(routed: _Routed) -> dict[str, Any]:
        routing = routed.decision.as_metadata()
        if routed.cascade is not None:
            routing["cascade"] = routed.cascade
        return routing

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        self._check_input(messages)
        routed = self._decide(messages, run_manager)
        message = routed.runnable.invoke(messages, config=routed.config, stop=stop, **kwargs)
        if routed.escalate_to is not None and isinstance(message, AIMessage):
            routed = self._checked(messages, message, routed)
            if routed.cascade is not None and routed.cascade["escalated"]:
                routed = self._escalated(routed, run_manager)
                message = routed.runnable.invoke(
                    messages, config=routed.config, stop=stop, **kwargs
                )
        return self._finish(messages, message, routed)

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        self._check_input(messages)
        routed = self._decide(messages, run_manager, is_async=True)
        message = await routed.runnable.ainvoke(messages, config=routed.config, stop=stop, **kwargs)
        if routed.escalate_to is not None and isinstance(message, AIMessage):
            routed = self._checked(messages, message, routed)
            if routed.cascade is not None and routed.cascade["escalated"]:
                routed = self._escalated(routed, run_manager, is_async=True)
                message = await routed.runnable.ainvoke(
                    messages, config=routed.config, stop=stop, **kwargs
                )
        return self._finish(messages, message, routed)

    def _last_chunk(
        self, messages: list[BaseMessage], routed: _Routed, usage: StreamUsage
    ) -> ChatGenerationChunk:
        # Routing goes on one chunk only: merging chunks would otherwise concatenate its strings.
        routing = self._routing_metadata(routed)
        if self.tripwire is not None:
            # Observed before the last chunk is handed over: a consumer that stops reading
            # after it never resumes this generator.
            answer = usage.message(text=True, routing=routing)
            observe_safely(self.tripwire, messages, answer, routed.request_id, routed.task)
        chunk = AIMessageChunk(
            content=[] if usage.list_content else "",
            response_metadata={"routing": routing},
            chunk_position="last",
        )
        return ChatGenerationChunk(message=chunk)

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        self._check_input(messages)
        routed = self._decide(messages, run_manager)
        usage = StreamUsage(keep_text=self.tripwire is not None)
        stream = routed.runnable.stream(messages, config=routed.config, stop=stop, **kwargs)
        if routed.escalate_to is not None and self._holds_streams():
            held = list(stream)  # checked before any chunk is handed over
            routed = self._checked(messages, joined(held), routed)
            if routed.cascade is not None and routed.cascade["escalated"]:
                routed = self._escalated(routed, run_manager)
                stream = routed.runnable.stream(messages, config=routed.config, stop=stop, **kwargs)
            else:
                stream = iter(held)
        seen: list[BaseMessage] = []
        try:
            for chunk in stream:
                seen.append(chunk)
                yield ChatGenerationChunk(message=usage.see(chunk))
        finally:
            close_stream(stream)  # a consumer that stopped early ends the tier's call now
        if routed.escalate_to is not None and routed.cascade is None:
            routed = self._accepted(messages, seen, routed)
        yield self._last_chunk(messages, routed, usage)

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        self._check_input(messages)
        routed = self._decide(messages, run_manager, is_async=True)
        usage = StreamUsage(keep_text=self.tripwire is not None)
        stream = routed.runnable.astream(messages, config=routed.config, stop=stop, **kwargs)
        if routed.escalate_to is not None and self._holds_streams():
            held = [chunk async for chunk in stream]  # checked before any chunk is handed over
            routed = self._checked(messages, joined(held), routed)
            if routed.cascade is not None and routed.cascade["escalated"]:
                routed = self._escalated(routed, run_manager, is_async=True)
                stream = routed.runnable.astream(
                    messages, config=routed.config, stop=stop, **kwargs
                )
            else:
                stream = _replayed(held)
        seen: list[BaseMessage] = []
        try:
            async for chunk in stream:
                seen.append(chunk)
                yield ChatGenerationChunk(message=usage.see(chunk))
        finally:
            await aclose_stream(stream)
        if routed.escalate_to is not None and routed.cascade is None:
            routed = self._accepted(messages, seen, routed)
        yield self._last_chunk(messages, routed, usage)

    def _holds_streams(self) -> bool:
        return self.cascade is not None and self.cascade.stream == "hold"

    def _accepted(
        self, messages: list[BaseMessage], seen: list[BaseMessage], routed: _Routed
    ) -> _Routed:
        """A streamed cheap answer (`stream="accept"`): checked for the record, never escalated."""
        checked = self._checked(messages, joined(seen), routed)
        if checked.cascade is not None:
            verdict = "failed" if checked.cascade["escalated"] else "passed"
            checked.cascade.update(
                escalated=False,
                to=None,
                note=f"streamed as it came (stream='accept'); checks {verdict}",
            )
        return checked


async def _replayed(chunks: list[BaseMessage]) -> AsyncIterator[BaseMessage]:
    for chunk in chunks:
        yield chunk
