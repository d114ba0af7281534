"""`RoutingMiddleware`: route every model call of a `create_agent` loop through the router's tiers.

A `TieredRouterRunnable` given to `create_agent` already picks a tier per model call, but
from the prompt alone. An agent loop says more than its prompt: a cheap model that keeps
calling the same tool, whose tool calls fail, or whose structured output does not parse is
stuck, and the next call should go to a stronger tier. The middleware reads those signals
from the agent's messages before each model call (`routing/_agent_signals.py`), and checks
each answer before its tools run:

1. **The first call of a turn** (after a human message) is routed by the router alone:
   scorer, thresholds, hint, thread floor, capability checks, budget.
2. **Later calls** never drop below the strongest tier the turn used, and the floor rises
   one tier when, since the previous call, a tool call failed (`ToolMessage` with
   `status="error"`), the previous answer repeated a tool call (same name and arguments)
   from earlier in the turn, its structured output was invalid, or another `steps_per_tier`
   calls were made. When the router's own choice is below the floor, the call is sent
   with the floor's tier as its `complexity` hint.
3. **Answer checks**: when an answer's tool calls fail `checks` (by default
   `tool_arguments_check`: an unknown tool, arguments that are not JSON or do not fit the
   tool's schema) or its structured output fails its schema, the same call is asked once
   more on the next tier before any tool runs. Both calls are billed, once each.

Every answer says what happened in `response_metadata["routing"]["agent"]`: the step, the
signals, the events that raised the floor, the floor, the tier forced (if any), the router's
own choice, the check result and the retried attempt. The router's own record (`tier`,
`score`, `hint`, `reason`) is beside it.

Conversations: with a checkpointer, LangGraph passes the `thread_id` to the router, whose
thread floor keeps later turns of the conversation at or above the strongest tier an
earlier turn used, escalations included. The turn's own floor is read from the messages,
so a resumed thread continues where it stopped.

Streaming: in `stream_mode="messages"` the tokens come once, from the router's run (its
tier's own run is tagged `nostream`); a retried attempt's tool-call chunks are streamed too
(the state keeps only the answer that passed).
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from langchain_core.messages import AIMessage, BaseMessage, ToolMessage
from langchain_core.runnables import RunnableConfig
from langchain_core.runnables.config import var_child_runnable_config
from langchain_core.utils.function_calling import convert_to_openai_tool

from langchain_globalapi._runs import HINT_KEY
from langchain_globalapi._validate import optional_positive_int, probability
from langchain_globalapi.errors import RoutingConfigError
from langchain_globalapi.routing._agent_signals import (
    AGENT_KEY,
    ESCALATION_EVENTS,
    INVALID_OUTPUT_KEY,
    read_turn,
    turn_floor,
)
from langchain_globalapi.routing._tool_arguments import tool_arguments_check
from langchain_globalapi.routing.router import TieredRouterRunnable

try:
    from langchain.agents.middleware import AgentMiddleware, ModelRequest, ModelResponse
    from langchain.agents.structured_output import StructuredOutputError
except ImportError as error:  # pragma: no cover - exercised only without langchain
    msg = (
        "RoutingMiddleware needs langchain's create_agent: "
        "pip install 'langchain-globalapi[agents]' (or langchain>=1.5)"
    )
    raise ImportError(msg) from error

__all__ = ["AgentCheck", "RoutingMiddleware", "tool_arguments_check"]

_MAX_REASON_CHARS = 300

AgentCheck = Callable[..., Any]
"""`check(model_input, answer: AIMessage, *, tools: Sequence[dict]) -> (risk, reason)`; an
object with `risk` and `reason` attributes is accepted as the result too."""


_T = TypeVar("_T")


class _LastComputed(Generic[_T]):
    """The value computed for the last key, keys compared item by item by identity.

    An agent passes the same router and the same tool objects on every call, so what is
    derived from them (the tools as JSON schemas, the router bound to
    them) is computed once instead of per call.
    """

    def __init__(self) -> None:
        self._entry: tuple[tuple[object, ...], _T] | None = None

    def get(self, key: tuple[object, ...], compute: Callable[[], _T]) -> _T:
        entry = self._entry
        if (
            entry is not None
            and len(entry[0]) == len(key)
            and all(a is b for a, b in zip(entry[0], key, strict=True))
        ):
            return entry[1]
        value = compute()
        self._entry = (key, value)
        return value


@dataclass
class _Plan:
    """How one model call is sent, and what the record of it says."""

    router: TieredRouterRunnable
    record: dict[str, Any]
    hint: str | None = None
    cap: int = 0


@dataclass(frozen=True)
class _Failure:
    check: str
    risk: float
    reason: str


@contextlib.contextmanager
def _hinted(tier: str | None) -> Iterator[None]:
    """Send model calls in this block with `complexity=tier` (no-op for None).

    The agent calls its model with the graph node's config (a context variable), so the
    hint is added there: in `configurable`, where the router reads it, and in `metadata`,
    where traces show it.
    """
    if tier is None:
        yield
        return
    config: RunnableConfig = {**(var_child_runnable_config.get() or {})}
    config["configurable"] = {**(config.get("configurable") or {}), HINT_KEY: tier}
    config["metadata"] = {**(config.get("metadata") or {}), HINT_KEY: tier}
    token = var_child_runnable_config.set(config)
    try:
        yield
    finally:
        var_child_runnable_config.reset(token)


def _answer(response: ModelResponse[Any]) -> AIMessage | None:
    return next((m for m in response.result if isinstance(m, AIMessage)), None)


def _tier_of(message: AIMessage | None) -> str | None:
    routing = message.response_metadata.get("routing") if message is not None else None
    tier = routing.get("tier") if isinstance(routing, Mapping) else None
    return tier if isinstance(tier, str) else None


def _check_name(check: AgentCheck) -> str:
    name = getattr(check, "name", None)
    if isinstance(name, str) and name:
        return name
    return str(getattr(check, "__name__", type(check).__name__))


def _risk_of(result: Any) -> tuple[float, str]:
    if isinstance(result, tuple):
        risk, reason = result
    else:
        risk, reason = result.risk, result.reason
    return float(risk), str(reason)


class RoutingMiddleware(AgentMiddleware):
    """Route each model call of a `create_agent` loop, escalating a stuck loop to a stronger tier.

    Args:
        router: The router whose tiers answer. Default: the agent's own model, which must
            then be a `TieredRouterRunnable` (`create_agent(model=router, ...)`); given, it
            replaces the agent's model on every call.
        steps_per_tier: Every this many model calls in one turn raise the floor one tier
            (a long loop is a stuck loop); None turns it off.
        escalate_on: Which events raise the floor one tier: any of `"failed_tool_call"`,
            `"repeated_tool_call"`, `"invalid_structured_output"` (default: all). Signals
            are reported either way.
        checks: Answer checks run on every answer with tool calls, before the tools run; an
            answer whose risk reaches `check_threshold` is asked again, once, on the next
            tier. Default: `(tool_arguments_check,)`; `()` turns re-asking off (invalid
            structured output is still re-asked).
        check_threshold: The risk in [0, 1] at which an answer is re-asked.
        max_tier: The strongest tier an escalation or re-ask may reach (default: the
            strongest). It does not cap the router's own choice.

    Raises:
        RoutingConfigError: A bad setting (checked here; `max_tier` against the router when
            it is given here, else at the first call).

    Example:
        >>> from langchain.agents import create_agent
        >>> from langchain_globalapi import ChatGlobalAPI
        >>> from langchain_globalapi.routing import TieredRouterRunnable
        >>> from langchain_globalapi.testing import FakeOpenAIServer
        >>> def get_weather(city: str) -> str:
        ...     '''The weather in a city.'''
        ...     return f"sunny in {city}"
        >>> with FakeOpenAIServer() as server:
        ...     server.set_tool_calls("GA-Economy", [{"name": "get_weather", "args": {}}])
        ...     tiers = {name: ChatGlobalAPI(model=model, api_key="k", base_url=server.base_url)
        ...              for name, model in [("economy", "GA-Economy"),
        ...                                  ("flash", "deepseek-ai/DeepSeek-V4-Flash")]}
        ...     router = TieredRouterRunnable(tiers=tiers, thresholds=[0.99])
        ...     agent = create_agent(router, tools=[get_weather],
        ...                          middleware=[RoutingMiddleware()])
        ...     result = agent.invoke({"messages": [("human", "weather in Oslo?")]})
        >>> [m.response_metadata["routing"]["tier"] for m in result["messages"][1::2]]
        ['flash', 'flash']
        >>> result["messages"][1].response_metadata["routing"]["agent"]["retry"]["reason"]
        'get_weather: missing required city'
    """

    def __init__(
        self,
        router: TieredRouterRunnable | None = None,
        *,
        steps_per_tier: int | None = 6,
        escalate_on: Collection[str] = ESCALATION_EVENTS,
        checks: Sequence[AgentCheck] = (tool_arguments_check,),
        check_threshold: float = 0.5,
        max_tier: str | None = None,
    ) -> None:
        super().__init__()
        owner = type(self).__name__
        if router is not None and not isinstance(router, TieredRouterRunnable):
            msg = (
                f"{owner}(router=...) takes a TieredRouterRunnable, got "
                f"{type(router).__name__}: build one with TieredRouterRunnable(tiers=...)"
            )
            raise RoutingConfigError(msg)
        unknown = sorted(set(escalate_on) - set(ESCALATION_EVENTS))
        if isinstance(escalate_on, str) or unknown:
            shown = [escalate_on] if isinstance(escalate_on, str) else unknown
            msg = (
                f"{owner}: escalate_on takes a collection of {list(ESCALATION_EVENTS)}, got {shown}"
            )
            raise RoutingConfigError(msg)
        bad_checks = [c for c in checks if not callable(c)]
        if bad_checks:
            msg = f"{owner}: checks must be callables (input, answer, *, tools), got {bad_checks}"
            raise RoutingConfigError(msg)
        self.router = router
        self.steps_per_tier = optional_positive_int(
            owner, "steps_per_tier", steps_per_tier, error=RoutingConfigError
        )
        self.escalate_on = frozenset(escalate_on)
        self.checks = tuple(checks)
        self.check_threshold = probability(
            owner, "check_threshold", check_threshold, error=RoutingConfigError
        )
        self.max_tier = max_tier
        if router is not None:
            self._cap(router)
        self._bound: _LastComputed[TieredRouterRunnable] = _LastComputed()
        self._schemas: _LastComputed[list[dict[str, Any]]] = _LastComputed()

    # --- planning a call --------------------------------------------------------------------

    def _cap(self, router: TieredRouterRunnable) -> int:
        names = list(router.tiers)
        if self.max_tier is None:
            return len(names) - 1
        if self.max_tier not in names:
            msg = f"{type(self).__name__}: max_tier {self.max_tier!r} is not a tier of {names}"
            raise RoutingConfigError(msg)
        return names.index(self.max_tier)

    def _router_for(self, model: Any) -> TieredRouterRunnable:
        """The router to call: the one given, or the agent's model when it is a router."""
        source = self.router if self.router is not None else model
        if not isinstance(source, TieredRouterRunnable):
            msg = (
                f"{type(self).__name__} routes through a TieredRouterRunnable, and the agent's "
                f"model is a {type(model).__name__}: create_agent(model=router, ...) or "
                f"{type(self).__name__}(router=router)"
            )
            raise RoutingConfigError(msg)
        return source

    def _plan(self, request: ModelRequest[Any]) -> _Plan:
        router = self._router_for(request.model)
        names = list(router.tiers)
        cap = self._cap(router)
        # The state holds the whole loop; `messages` may have been trimmed for the model.
        history = request.state.get("messages") or request.messages
        signals = read_turn(history, names)
        floor, events = turn_floor(
            signals, escalate_on=self.escalate_on, steps_per_tier=self.steps_per_tier, cap=cap
        )
        record: dict[str, Any] = {
            "step": signals.step,
            "signals": signals.as_metadata(),
            "events": events,
            "floor": names[floor] if floor is not None else None,
            "forced": None,
            "router_choice": None,
            "reason": "",
            "check": None,
            "retry": None,
        }
        plan = _Plan(router=router, record=record, cap=cap)
        if floor is None or floor == 0:
            return plan
        own = None
        if floor < len(names) - 1:
            # The router's own choice (score or hint, thread floor, capabilities, budget) on
            # the request as it will be sent: the floor only ever moves it up. At the
            # strongest tier there is nothing above to compare with.
            bound = self._bound.get(
                (router, *request.tools), lambda: router.bind_tools(request.tools)
            )
            own = bound.explain(self._model_input(request), var_child_runnable_config.get()).tier
            record["router_choice"] = own
            if names.index(own) >= floor:
                return plan
        plan.hint = record["forced"] = names[floor]
        why = "; ".join(events) if events else f"the turn already used {names[floor]}"
        moved = f"{own} -> {names[floor]}" if own is not None else f"{names[floor]}, the strongest"
        record["reason"] = f"{why}: {moved}"
        return plan

    @staticmethod
    def _model_input(request: ModelRequest[Any]) -> list[BaseMessage]:
        if request.system_message is None:
            return list(request.messages)
        return [request.system_message, *request.messages]

    # --- checking an answer -----------------------------------------------------------------

    def _tool_dicts(self, request: ModelRequest[Any]) -> list[dict[str, Any]]:
        return self._schemas.get(
            tuple(request.tools), lambda: [convert_to_openai_tool(t) for t in request.tools]
        )

    def _failure(
        self, request: ModelRequest[Any], response: ModelResponse[Any], plan: _Plan
    ) -> _Failure | None:
        """Why this answer should be asked again on the next tier, or None."""
        answer = _answer(response)
        if answer is None:
            return None
        # The agent answers structured-output tool calls itself, in the same response: with
        # no structured response, its ToolMessage holds the schema error it will send back.
        replies = [m for m in response.result if isinstance(m, ToolMessage)]
        structured_calls = {m.tool_call_id for m in replies}
        if replies and response.structured_response is None:
            return _Failure("structured_output", 1.0, replies[0].text[:_MAX_REASON_CHARS])
        calls = [c for c in answer.tool_calls if c.get("id") not in structured_calls]
        if not self.checks or not (calls or answer.invalid_tool_calls):
            return None
        if len(calls) != len(answer.tool_calls):
            answer = answer.model_copy(update={"tool_calls": calls})
        tools = self._tool_dicts(request)
        model_input = self._model_input(request)
        worst: _Failure | None = None
        for check in self.checks:
            risk, reason = _risk_of(check(model_input, answer, tools=tools))
            if worst is None or risk > worst.risk:
                worst = _Failure(_check_name(check), risk, reason)
        assert worst is not None  # for mypy: there is at least one check
        plan.record["check"] = {"name": worst.check, "risk": worst.risk, "reason": worst.reason}
        return worst if worst.risk >= self.check_threshold and worst.risk > 0 else None

    def _next_tier(self, plan: _Plan, answered: str | None) -> str | None:
        names = list(plan.router.tiers)
        if answered not in names:
            return None
        index = names.index(answered) + 1
        return names[index] if index <= plan.cap else None

    def _retry_tier(
        self, request: ModelRequest[Any], response: ModelResponse[Any], plan: _Plan
    ) -> str | None:
        """The tier to ask again when the answer fails its checks (recorded), else None."""
        failure = self._failure(request, response, plan)
        if failure is None:
            return None
        answered = _tier_of(_answer(response))
        retry = self._next_tier(plan, answered)
        if retry is None:  # nothing stronger to ask: keep the answer, the next step escalates
            if failure.check == "structured_output":
                plan.record[INVALID_OUTPUT_KEY] = True
            return None
        plan.record["retry"] = {
            "tier": answered,
            "check": failure.check,
            "risk": failure.risk,
            "reason": failure.reason,
        }
        return retry

    def _retry_tier_after_error(self, error: StructuredOutputError, plan: _Plan) -> str:
        """The tier to ask again after structured output was refused by raising; else raise."""
        answered = _tier_of(error.ai_message)
        retry = self._next_tier(plan, answered)
        if retry is None:
            raise error
        plan.record["retry"] = {
            "tier": answered,
            "check": "structured_output",
            "risk": 1.0,
            "reason": str(error),
        }
        return retry

    def _finish(
        self,
        request: ModelRequest[Any],
        response: ModelResponse[Any],
        plan: _Plan,
        *,
        retried: bool,
    ) -> ModelResponse[Any]:
        """The response with the middleware's record in its answer's routing metadata."""
        if retried:
            failure = self._failure(request, response, plan)
            if failure is not None and failure.check == "structured_output":
                plan.record[INVALID_OUTPUT_KEY] = True
        answer = _answer(response)
        if answer is None:
            return response
        metadata = dict(answer.response_metadata)
        routing = metadata.get("routing")
        metadata["routing"] = {**(routing if isinstance(routing, Mapping) else {})}
        metadata["routing"][AGENT_KEY] = plan.record
        stamped = answer.model_copy(update={"response_metadata": metadata})
        result = [stamped if m is answer else m for m in response.result]
        return ModelResponse(result=result, structured_response=response.structured_response)

    # --- the hooks --------------------------------------------------------------------------

    def wrap_model_call(
        self,
        request: ModelRequest[Any],
        handler: Callable[[ModelRequest[Any]], ModelResponse[Any]],
    ) -> ModelResponse[Any]:
        """Route the call, escalated if the turn is stuck; ask once more if the answer fails."""
        plan = self._plan(request)
        routed = request.override(model=plan.router)
        try:
            with _hinted(plan.hint):
                response = handler(routed)
            retry = self._retry_tier(request, response, plan)
        except StructuredOutputError as error:
            retry = self._retry_tier_after_error(error, plan)
        if retry is None:
            return self._finish(request, response, plan, retried=False)
        with _hinted(retry):
            response = handler(routed)
        return self._finish(request, response, plan, retried=True)

    async def awrap_model_call(
        self,
        request: ModelRequest[Any],
        handler: Callable[[ModelRequest[Any]], Awaitable[ModelResponse[Any]]],
    ) -> ModelResponse[Any]:
        """Async `wrap_model_call`."""
        plan = self._plan(request)
        routed = request.override(model=plan.router)
        try:
            with _hinted(plan.hint):
                response = await handler(routed)
            retry = self._retry_tier(request, response, plan)
        except StructuredOutputError as error:
            retry = self._retry_tier_after_error(error, plan)
        if retry is None:
            return self._finish(request, response, plan, retried=False)
        with _hinted(retry):
            response = await handler(routed)
        return self._finish(request, response, plan, retried=True)
