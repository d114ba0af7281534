"""Each provider call is billed exactly once, at the catalog price of the usage the server reported.

For each composition (a plain model, each wrapper, wrappers nested both ways, the whole stack)
and each way of calling it (invoke, stream, batch, sync and async, tools bound before or after
wrapping, structured output, LCEL, `create_agent`, a tripwire's shadow call), four books are
compared with what the FakeOpenAIServer saw: `get_globalapi_callback()`, a `CostTracker`
passed in the call's config, a `Budget` fed by the callback, and LangChain's own
`get_usage_metadata_callback()`. Cache hits are calls at $0 counted as hits; failed fallback
attempts cost nothing and are counted in `failures`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import pytest
from langchain_core.callbacks import UsageMetadataCallbackHandler, get_usage_metadata_callback
from langchain_core.globals import set_llm_cache
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, ToolMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import Runnable, RunnableConfig
from pydantic import BaseModel

from langchain_globalapi import (
    Budget,
    CachedChatModel,
    CostTracker,
    ExactCache,
    FallbackChatModel,
    QualityTripwire,
    SpendLimit,
    get_globalapi_callback,
)
from langchain_globalapi.testing import FakeOpenAIServer, Fault
from tests.unit_tests.billing._billing_helpers import (
    COMPOSITIONS,
    FLASH,
    GPT4O,
    PRO,
    PROMPT,
    chat_requests,
    merge,
    model,
    router,
    served,
)

agents = pytest.importorskip("langchain.agents", reason="langchain (create_agent) not installed")

MODES = ["invoke", "ainvoke", "stream", "astream", "batch", "abatch"]
TOOL_PROMPT = 'call get_weather("Paris")'
STRUCTURED_PROMPT = 'The weather in "Paris"'
CACHED = ["cached_router", "cached_fallback", "router_of_caches", "stack"]
FALLING_BACK = ["fallback", "cached_fallback", "router_of_fallbacks", "stack"]
# The shapes the issue saw double-billed (fallback, router, each under a cache) and the nestings.
FORM_KINDS = [k for k in COMPOSITIONS if k not in ("router_of_caches", "cached_fallback")]


def get_weather(city: str) -> str:
    """Get the weather for a city."""
    return f"sunny in {city}"


class Weather(BaseModel):
    """The weather in a city."""

    city: str
    sunny: bool


WEATHER_SCHEMA: dict[str, Any] = {
    "title": "weather",
    "description": "The weather in a city.",
    "type": "object",
    "properties": {"city": {"type": "string"}, "sunny": {"type": "boolean"}},
    "required": ["city", "sunny"],
}


async def run(runnable: Runnable[Any, Any], mode: str, inputs: list[Any], **config: Any) -> Any:
    """Call `runnable` in `mode`: one input, or all of them for a batch."""
    cfg: RunnableConfig = dict(config)  # type: ignore[assignment]
    if mode == "invoke":
        return runnable.invoke(inputs[0], cfg)
    if mode == "ainvoke":
        return await runnable.ainvoke(inputs[0], cfg)
    if mode == "stream":
        return list(runnable.stream(inputs[0], cfg))
    if mode == "astream":
        return [chunk async for chunk in runnable.astream(inputs[0], cfg)]
    if mode == "batch":
        return runnable.batch(inputs, cfg)
    return await runnable.abatch(inputs, cfg)


class Books:
    """The four books a call is entered in, opened around the calls of one test."""

    def __init__(self) -> None:
        self.limit = SpendLimit.total("100")
        self.budget = Budget([self.limit])
        self.config_tracker = CostTracker()
        self.cb = CostTracker()  # replaced by the fixture's get_globalapi_callback() tracker
        self.usage = UsageMetadataCallbackHandler()  # and by get_usage_metadata_callback()'s

    def config(self) -> dict[str, Any]:
        return {"callbacks": [self.config_tracker]}

    def check(
        self,
        server: FakeOpenAIServer,
        *,
        hits: int = 0,
        config_tracker: bool = True,
        replies: dict[str, str] | None = None,
    ) -> None:
        truth = served(server, replies=replies)
        assert truth.calls >= 1
        trackers = [self.cb, self.config_tracker] if config_tracker else [self.cb]
        for tracker in trackers:
            assert tracker.calls - tracker.cache_hits == truth.calls, tracker.summary()
            assert tracker.cache_hits == hits
            assert tracker.total_cost_usd == truth.usd, tracker.summary()
            if not hits:
                assert tracker.input_tokens == truth.input_tokens
            assert tracker.estimated_calls == 0
        assert self.budget.spent(self.limit) == truth.usd
        assert self.budget.reserved(self.limit) == 0
        langchain_tokens = sum(u["total_tokens"] for u in self.usage.usage_metadata.values())
        assert langchain_tokens == truth.total_tokens


@pytest.fixture
def books() -> Iterator[Books]:
    opened = Books()
    with (
        get_globalapi_callback(budget=opened.budget) as cb,
        get_usage_metadata_callback() as usage,
    ):
        opened.cb = cb
        opened.usage = usage
        yield opened


def build(kind: str, server: FakeOpenAIServer) -> BaseChatModel:
    return COMPOSITIONS[kind](server)


# --- the matrix: composition x call mode -----------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("kind", list(COMPOSITIONS))
async def test_each_call_is_billed_once_at_the_servers_usage(
    fake_server: FakeOpenAIServer, books: Books, kind: str, mode: str
) -> None:
    await run(build(kind, fake_server), mode, [PROMPT, "Name a prime number."], **books.config())
    books.check(fake_server)
    assert served(fake_server).calls == (2 if "batch" in mode else 1)


# --- tools, structured output, LCEL --------------------------------------------------------


def _bound_before(kind: str, server: FakeOpenAIServer) -> Runnable[Any, Any]:
    """The composition built from leaves that already have the tool bound."""

    def leaf(name: str = FLASH) -> Any:
        return model(server, name).bind_tools(tools)

    tools = [get_weather]
    tiers = {"flash": leaf(), "pro": leaf(PRO)}
    shapes: dict[str, Callable[[], Runnable[Any, Any]]] = {
        "plain": leaf,
        "fallback": lambda: FallbackChatModel([leaf(), leaf(PRO)]),
        "router": lambda: router(tiers),
        "cached_router": lambda: CachedChatModel(router(tiers), cache=ExactCache()),
        "cached_fallback": lambda: CachedChatModel(
            FallbackChatModel([leaf(), leaf(PRO)]), cache=ExactCache()
        ),
        "router_of_fallbacks": lambda: router(
            {"flash": FallbackChatModel([leaf(), leaf(PRO)]), "pro": leaf(PRO)}
        ),
        "fallback_of_routers": lambda: FallbackChatModel([router(tiers), leaf(GPT4O)]),
        # CachedChatModel takes a chat model, not a binding: its tools are bound through it.
        "router_of_caches": lambda: router(
            {
                "flash": CachedChatModel(model(server), cache=ExactCache()).bind_tools(tools),
                "pro": CachedChatModel(model(server, PRO), cache=ExactCache()).bind_tools(tools),
            }
        ),
        "stack": lambda: CachedChatModel(
            router({"flash": FallbackChatModel([leaf(), leaf(PRO)]), "pro": leaf(PRO)}),
            cache=ExactCache(),
        ),
    }
    return shapes[kind]()


FORMS: dict[str, Callable[[str, FakeOpenAIServer], tuple[Runnable[Any, Any], Any]]] = {
    "bind_tools_before_wrapping": lambda k, s: (_bound_before(k, s), TOOL_PROMPT),
    "bind_tools_after_wrapping": lambda k, s: (build(k, s).bind_tools([get_weather]), TOOL_PROMPT),
    "structured_pydantic": lambda k, s: (
        build(k, s).with_structured_output(Weather),
        STRUCTURED_PROMPT,
    ),
    "structured_dict_include_raw": lambda k, s: (
        build(k, s).with_structured_output(WEATHER_SCHEMA, include_raw=True),
        STRUCTURED_PROMPT,
    ),
    "prompt_pipe_bound_model": lambda k, s: (
        ChatPromptTemplate.from_messages([("human", "{q}")])
        | build(k, s).bind_tools([get_weather]),
        {"q": TOOL_PROMPT},
    ),
    "bound_model_pipe_parser": lambda k, s: (
        build(k, s).bind_tools([get_weather]) | StrOutputParser(),
        PROMPT,
    ),
}


@pytest.mark.parametrize("form", list(FORMS))
@pytest.mark.parametrize("kind", FORM_KINDS)
async def test_tools_structured_output_and_lcel_are_billed_once(
    fake_server: FakeOpenAIServer, books: Books, kind: str, form: str
) -> None:
    runnable, value = FORMS[form](kind, fake_server)
    result = await run(runnable, "invoke", [value], **books.config())
    books.check(fake_server)
    assert served(fake_server).calls == 1
    if form.startswith("structured"):
        parsed = result["parsed"] if isinstance(result, dict) and "raw" in result else result
        city = parsed["city"] if isinstance(parsed, dict) else parsed.city
        assert city == "Paris"


@pytest.mark.parametrize("kind", list(COMPOSITIONS))
def test_an_agents_tool_loop_is_billed_once_per_step(
    fake_server: FakeOpenAIServer, books: Books, kind: str
) -> None:
    agent = agents.create_agent(build(kind, fake_server), tools=[get_weather])
    result = agent.invoke({"messages": [("human", TOOL_PROMPT)]}, books.config())
    tools = [m for m in result["messages"] if isinstance(m, ToolMessage)]
    assert [t.content for t in tools] == ["sunny in Paris"]
    assert served(fake_server).calls == 2
    books.check(fake_server)


@pytest.mark.parametrize("form", ["bind_tools_after_wrapping", "structured_dict_include_raw"])
@pytest.mark.parametrize("kind", ["fallback", "router", "stack"])
async def test_tools_and_structured_output_streamed_async_are_billed_once(
    fake_server: FakeOpenAIServer, books: Books, kind: str, form: str
) -> None:
    runnable, value = FORMS[form](kind, fake_server)
    await run(runnable, "astream", [value], **books.config())
    books.check(fake_server)
    assert served(fake_server).calls == 1


@pytest.mark.parametrize("kind", ["fallback", "router", "stack"])
async def test_an_agent_streamed_async_is_billed_once_per_step(
    fake_server: FakeOpenAIServer, books: Books, kind: str
) -> None:
    agent = agents.create_agent(build(kind, fake_server), tools=[get_weather])
    updates = [
        update
        async for update in agent.astream(
            {"messages": [("human", TOOL_PROMPT)]}, books.config(), stream_mode="updates"
        )
    ]
    assert updates
    assert served(fake_server).calls == 2
    books.check(fake_server)


# --- cache hits at $0 ----------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["ainvoke", "stream"])
@pytest.mark.parametrize("kind", CACHED)
async def test_each_cache_hit_is_a_call_at_zero_dollars(
    fake_server: FakeOpenAIServer, books: Books, kind: str, mode: str
) -> None:
    cached = build(kind, fake_server)
    await run(cached, mode, [PROMPT], **books.config())
    for _ in range(2):
        again = await run(cached, mode, [PROMPT], **books.config())
        answer = merge(again) if isinstance(again, list) else again
        assert answer.response_metadata["cache"]["hit"] is True
    assert served(fake_server).calls == 1
    books.check(fake_server, hits=2)
    assert books.cb.saved_by_cache_usd == 2 * served(fake_server).usd


@pytest.fixture
def langchain_cache() -> Iterator[Callable[[Any], None]]:
    """`use(cache)`: set LangChain's global cache for this test only."""
    yield set_llm_cache
    set_llm_cache(None)


@pytest.mark.parametrize(
    ("store", "mode"), [("langchain_memory", "invoke"), ("exact_cache", "abatch")]
)
async def test_a_langchain_cache_hit_on_a_plain_model_is_a_call_at_zero_dollars(
    fake_server: FakeOpenAIServer, langchain_cache: Callable[[Any], None], store: str, mode: str
) -> None:
    from langchain_core.caches import InMemoryCache  # noqa: PLC0415

    langchain_cache(InMemoryCache() if store == "langchain_memory" else ExactCache())
    llm = model(fake_server, temperature=0)
    tracker = CostTracker()
    with get_globalapi_callback() as cb:
        await run(llm, mode, [PROMPT], callbacks=[tracker])
        await run(llm, mode, [PROMPT], callbacks=[tracker])
    truth = served(fake_server)
    assert truth.calls == 1
    for books in (cb, tracker):
        assert (books.calls, books.cache_hits) == (2, 1)
        assert books.total_cost_usd == truth.usd
        assert books.saved_by_cache_usd == truth.usd


# --- failed fallback attempts ------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "kind_name", "mode"),
    [
        (Fault.rate_limit(), "rate_limit", "ainvoke"),
        (Fault.server_error(503), "server_error", "stream"),
    ],
)
@pytest.mark.parametrize("kind", FALLING_BACK)
async def test_failed_attempts_are_counted_not_billed(
    fake_server: FakeOpenAIServer,
    books: Books,
    kind: str,
    fault: Fault,
    kind_name: str,
    mode: str,
) -> None:
    fake_server.inject(FLASH, fault)
    result = await run(build(kind, fake_server), mode, [PROMPT], **books.config())
    answer = merge(result) if isinstance(result, list) else result
    assert answer.text.startswith(f"[{PRO}]")
    assert chat_requests(fake_server) == 2
    books.check(fake_server)
    assert served(fake_server).models == (PRO,)
    assert dict(books.cb.failures) == {kind_name: 1}
    assert dict(books.config_tracker.failures) == {kind_name: 1}
    assert books.cb.successful_requests == 1


# --- the tripwire's shadow call ---------------------------------------------------------------


def _with_a_shadow_call(
    server: FakeOpenAIServer, call: Callable[[QualityTripwire], object]
) -> tuple[CostTracker, QualityTripwire]:
    """Run `call` with a tripwire that re-asks GPT-4o every answer; wait for the shadow call."""
    tripwire = QualityTripwire(model(server, GPT4O), sample_rate=1.0)
    try:
        with get_globalapi_callback() as cb:
            call(tripwire)
            assert tripwire.drain(timeout_s=10)
    finally:
        tripwire.close()
    truth = served(server)
    assert truth.models == (FLASH, GPT4O)
    assert (cb.calls, cb.total_cost_usd) == (2, truth.usd)
    return cb, tripwire


def test_a_routers_tripwire_shadow_call_is_billed_once(fake_server: FakeOpenAIServer) -> None:
    def call(tripwire: QualityTripwire) -> object:
        tiers = {"flash": model(fake_server), "pro": model(fake_server, PRO)}
        return router(tiers, tripwire=tripwire).invoke(PROMPT)

    _, tripwire = _with_a_shadow_call(fake_server, call)
    assert tripwire.stats()["samples"] == 1


@pytest.mark.parametrize("mode", ["invoke", "stream"])
def test_a_callback_tripwire_shadow_call_is_billed_once(
    fake_server: FakeOpenAIServer, mode: str
) -> None:
    def call(tripwire: QualityTripwire) -> object:
        config: RunnableConfig = {"callbacks": [tripwire.as_callback()]}
        llm = FallbackChatModel([model(fake_server), model(fake_server, PRO)])
        return llm.invoke(PROMPT, config) if mode == "invoke" else list(llm.stream(PROMPT, config))

    cb, _ = _with_a_shadow_call(fake_server, call)
    assert cb.successful_requests == 2


# --- one budget on several guards -----------------------------------------------------------


@pytest.mark.parametrize("kind", ["fallback", "router", "fallback_of_routers", "stack"])
async def test_one_budget_on_the_wrapper_and_the_callback_counts_each_call_once(
    fake_server: FakeOpenAIServer, kind: str
) -> None:
    mode = "astream" if "cache" in kind else "invoke"
    limit = SpendLimit.total("100")
    budget = Budget([limit])
    wrapper = build(kind, fake_server).model_copy(update={"budget": budget})
    with get_globalapi_callback(budget=budget) as cb:
        await run(wrapper, mode, [PROMPT])
    truth = served(fake_server)
    assert cb.total_cost_usd == truth.usd
    assert budget.spent(limit) == truth.usd
    assert budget.reserved(limit) == Decimal(0)


def test_costs_add_up_to_the_message_cost_stamps(fake_server: FakeOpenAIServer) -> None:
    answers: list[BaseMessage] = []
    with get_globalapi_callback() as cb:
        for kind in COMPOSITIONS:
            answers.append(build(kind, fake_server).invoke(f"{kind}: {PROMPT}"))
    stamped = sum(
        (Decimal(a.response_metadata["cost"]["usd"]) for a in answers if isinstance(a, AIMessage)),
        start=Decimal(0),
    )
    assert stamped == cb.total_cost_usd == served(fake_server).usd


# --- concurrency and LangChain's own wrappers ------------------------------------------------


@pytest.mark.parametrize("kind", ["router_of_fallbacks", "stack", "fallback_of_routers"])
async def test_fifty_concurrent_calls_are_each_billed_once(
    fake_server: FakeOpenAIServer, books: Books, kind: str
) -> None:
    wrapped = build(kind, fake_server)
    fake_server.inject(FLASH, Fault.server_error(503), times=10)
    prompts = [f"Question {i}: {PROMPT}" for i in range(50)]
    await asyncio.gather(
        *(wrapped.ainvoke(p, books.config()) for p in prompts[:25]),
        *(_astream_all(wrapped, p, books.config()) for p in prompts[25:]),
    )
    assert served(fake_server).calls == 50
    books.check(fake_server)
    assert books.cb.failures["server_error"] == 10


async def _astream_all(runnable: Runnable[Any, Any], prompt: str, config: Any) -> list[Any]:
    return [chunk async for chunk in runnable.astream(prompt, config)]


def test_fifty_calls_from_a_thread_pool_are_each_billed_once(
    fake_server: FakeOpenAIServer,
) -> None:
    # A pool thread does not inherit the caller's context (get_globalapi_callback's tracker,
    # like get_openai_callback's): the tracker goes in the config.
    wrapped, tracker = build("stack", fake_server), CostTracker()
    config: RunnableConfig = {"callbacks": [tracker]}
    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(lambda i: wrapped.invoke(f"Question {i}", config), range(50)))
    truth = served(fake_server)
    assert truth.calls == 50
    assert (tracker.calls, tracker.total_cost_usd) == (50, truth.usd)


@pytest.mark.parametrize("mode", ["invoke", "astream"])
async def test_langchains_with_fallbacks_and_with_retry_bill_only_the_answer(
    fake_server: FakeOpenAIServer, books: Books, mode: str
) -> None:
    fake_server.inject(FLASH, Fault.server_error(503), times=2)
    chained = (
        model(fake_server)
        .with_retry(stop_after_attempt=2, wait_exponential_jitter=False)
        .with_fallbacks([model(fake_server, PRO)])
    )
    await run(chained, mode, [PROMPT], **books.config())
    assert served(fake_server).models == (PRO,)
    books.check(fake_server)
    # RunnableRetry retries invoke, not streams: a stream falls back at the first failure.
    assert books.cb.failures["server_error"] == (2 if mode == "invoke" else 1)


# --- a cascade's two calls, and single-flight followers --------------------------------------

REFUSAL = "I'm sorry, but I can't help with that."


@pytest.mark.parametrize("mode", ["invoke", "astream", "abatch"])
@pytest.mark.parametrize("cached", [False, True])
async def test_a_cascade_that_escalates_bills_both_calls_once_each(
    fake_server: FakeOpenAIServer, books: Books, mode: str, cached: bool
) -> None:
    fake_server.set_reply(FLASH, REFUSAL)  # the refusal check escalates to pro
    routed: BaseChatModel = router(
        {"flash": model(fake_server), "pro": model(fake_server, PRO)}, cascade=True
    )
    if cached:
        routed = CachedChatModel(routed, cache=ExactCache())
    await run(routed, mode, [PROMPT, "Name a prime number."], **books.config())
    calls = 4 if mode == "abatch" else 2
    assert served(fake_server, replies={FLASH: REFUSAL}).calls == calls
    assert served(fake_server, replies={FLASH: REFUSAL}).models.count(PRO) == calls // 2
    books.check(fake_server, replies={FLASH: REFUSAL})


@pytest.mark.parametrize("kind", ["cached_router", "stack"])
async def test_single_flight_followers_are_hits_at_zero_dollars(
    fake_server: FakeOpenAIServer, books: Books, kind: str
) -> None:
    cached = build(kind, fake_server)
    await cached.abatch(["Is 7 prime?", "Is 9 prime?", "Is 7 prime?"], books.config())
    assert served(fake_server).calls == 2
    books.check(fake_server, hits=1)
