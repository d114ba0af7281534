"""Exact and semantic caching on SQLite: repeats and rewordings answered for $0.

    python cookbook/caching/caching.py

A `CachedChatModel` answers a repeat before any model call, streams a hit as chunks, and
bills it at $0. `SemanticCache` also answers rewordings, guarded against numbers, negations
and names that differ. Both keep their entries in one SQLite file that every worker on the
host can share (here: a temporary folder). Last, an `LLMVerifier` asks a cheap judge model
to confirm a semantic hit before it is served. Offline, the local test server's embeddings are a
bag of words, so a lower-cased rewording scores 1.0.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from langchain_core.messages import HumanMessage, SystemMessage

from langchain_globalapi import (
    CachedChatModel,
    ChatGlobalAPI,
    ExactCache,
    GlobalAPIEmbeddings,
    LLMVerifier,
    SemanticCache,
    SQLiteStore,
    get_globalapi_callback,
)
from langchain_globalapi.testing import FakeOpenAIServer

SYSTEM = SystemMessage("You are ACME's support assistant.")


def main(server: FakeOpenAIServer | None, folder: Path) -> None:
    """Exact hits, semantic hits, a refused look-alike, a streamed hit, a second worker."""
    llm = ChatGlobalAPI(model="deepseek-ai/DeepSeek-V4-Flash", temperature=0)
    cache = SemanticCache(
        GlobalAPIEmbeddings(),
        SQLiteStore(folder / "cache.db"),  # one file, many workers
        namespace="support-bot",  # tenant: entries never cross namespaces
        ttl_s=24 * 3600,
        threshold=0.8,  # cosine similarity; the default is 0.85
    )
    bot = CachedChatModel(llm, cache=cache)

    with get_globalapi_callback() as cb:
        for question in [
            "How do I reset my password?",
            "How do I reset my password?",  # exact repeat
            "how do i reset my password",  # reworded: semantic hit
            "How do I not reset my password?",  # negation: the guard refuses
        ]:
            info = bot.invoke([SYSTEM, HumanMessage(question)]).response_metadata["cache"]
            print(
                f"{question!r:36} hit={info['hit']!s:5} {info['kind']:8} saved {info['saved_usd']}"
            )
        streamed = list(bot.stream([SYSTEM, HumanMessage("How do I reset my password?")]))
        print(
            "streamed hit:",
            len(streamed),
            "chunks, hit",
            streamed[-1].response_metadata["cache"]["hit"],
        )
    print(
        f"{cb.calls} calls, {cb.cache_hits} from the cache; spent ${cb.total_cost_usd}, "
        f"saved ${cb.saved_by_cache_usd}"
    )
    print(cache.stats.as_dict())

    # Exact only: never a wrong answer. A second worker opening the same file gets the hit.
    worker_a = CachedChatModel(llm, cache=ExactCache(SQLiteStore(folder / "exact.db")))
    worker_b = CachedChatModel(llm, cache=ExactCache(SQLiteStore(folder / "exact.db")))
    worker_a.invoke("What are your opening hours?")
    print("worker b:", worker_b.invoke("What are your opening hours?").response_metadata["cache"])

    # A second opinion: a cheap judge must say "yes" before a semantic hit is served.
    if server is not None:
        server.set_reply("GA-Economy", "yes")  # the offline judge; a real one decides itself
    judge = LLMVerifier(ChatGlobalAPI(model="GA-Economy", temperature=0))
    checked = CachedChatModel(
        llm, cache=SemanticCache(GlobalAPIEmbeddings(), threshold=0.8, verifier=judge)
    )
    checked.invoke("Where is my parcel?")
    print("verified:", checked.invoke("where is my parcel").response_metadata["cache"])


if __name__ == "__main__":
    with FakeOpenAIServer() as server, tempfile.TemporaryDirectory() as folder:
        if not os.environ.get("GLOBAL_API_KEY"):  # no key: a local stand-in for the gateway
            os.environ.update(GLOBAL_API_BASE=server.base_url, GLOBAL_API_KEY="offline")
        main(server if os.environ["GLOBAL_API_KEY"] == "offline" else None, Path(folder))
