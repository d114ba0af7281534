"""A fallback chain under an outage: V4 Flash is down, V4 Pro answers, nobody pays twice.

    python cookbook/fallback_outage/fallback_outage.py

Offline, the local test server fails every V4 Flash call with HTTP 503 (with GLOBAL_API_KEY
set, V4 Flash is pointed at a loopback port where nothing listens: an outage too). The chain
moves on to V4 Pro at once; after five calls with more than half failed, Flash's circuit
opens and it is skipped without a request. Then a rate limit with Retry-After, a stream that
breaks mid-way, and the typed error when every member is down.
"""

from __future__ import annotations

import os

from langchain_core.messages import BaseMessage

from langchain_globalapi import (
    AllModelsFailedError,
    ChatGlobalAPI,
    Cooldowns,
    FallbackChatModel,
    MidStreamError,
    RetryAfter,
    RetryPolicy,
    get_globalapi_callback,
)
from langchain_globalapi.testing import FakeOpenAIServer, Fault

FLASH, PRO, GPT4O = "deepseek-ai/DeepSeek-V4-Flash", "deepseek-ai/DeepSeek-V4-Pro", "gpt-4o"
NOWHERE = "http://127.0.0.1:9/v1"  # the discard port: nothing answers there


def outcome(answer: BaseMessage) -> str:
    """`model:what happened` for each member the chain tried or skipped."""
    fallback = answer.response_metadata["fallback"]
    tried = [f"{a['model'].split('/')[-1]}:{a['error'] or 'ok'}" for a in fallback["attempts"]]
    skipped = [f"{s['model'].split('/')[-1]}:skipped ({s['error']})" for s in fallback["skipped"]]
    return ", ".join(tried + skipped)


def main(server: FakeOpenAIServer | None) -> None:
    """An outage, a short rate limit, a broken stream, and everything down."""
    if server is not None:
        server.inject(FLASH, Fault.server_error(503), times=None)  # Flash is down
        flash = ChatGlobalAPI(model=FLASH)
    else:
        flash = ChatGlobalAPI(model=FLASH, base_url=NOWHERE)
    llm = FallbackChatModel(
        [flash, ChatGlobalAPI(model=PRO), ChatGlobalAPI(model=GPT4O)],
        timeout_s=30,  # one deadline for the whole call, waits included
        retry_policy=RetryPolicy(RetryAfter(max_wait_s=2), max_attempts_per_member=2),
        cooldowns=Cooldowns(failure_rate=0.5, min_calls=5, open_s=30),  # redis_url= for a fleet
    )

    with get_globalapi_callback() as cb:
        for n in range(1, 8):
            print(f"request {n}: {outcome(llm.invoke(f'Summarise ticket #{n}.'))}")
    print(f"billed {cb.calls} calls, all on {', '.join(cb.per_model)}; failed attempts cost $0")

    if server is None:
        return  # the rest injects faults into the local test server
    # A 429 whose Retry-After fits the policy is waited out on the same member.
    server.inject(PRO, Fault.rate_limit(retry_after_ms=200))
    answer = llm.invoke("Hello")
    waited = answer.response_metadata["fallback"]["attempts"][0]["wait_s"]
    print(f"retry-after: {outcome(answer)}; waited {waited} s")

    # Every member down: one typed error that says what happened to each.
    server.inject(PRO, Fault.rate_limit(retry_after_s=60))
    server.inject(GPT4O, Fault.server_error(502))
    try:
        llm.invoke("Hello")
    except AllModelsFailedError as error:
        print(
            type(error).__name__,
            [f"{f['model'].split('/')[-1]}:{f['error']}" for f in error.failures],
        )

    # A stream that breaks after text was delivered is never restarted on another model.
    streaming = FallbackChatModel([ChatGlobalAPI(model=GPT4O), ChatGlobalAPI(model=PRO)])
    server.inject(GPT4O, Fault.drop_after_chunks(1))
    try:
        for _ in streaming.stream("Tell me a story"):
            pass
    except MidStreamError as error:
        print("mid-stream:", repr(error.delivered_text), "from", error.model)


if __name__ == "__main__":
    with FakeOpenAIServer() as server:  # no key: a local stand-in for the gateway
        if not os.environ.get("GLOBAL_API_KEY"):
            os.environ.update(GLOBAL_API_BASE=server.base_url, GLOBAL_API_KEY="offline")
        main(server if os.environ["GLOBAL_API_KEY"] == "offline" else None)
