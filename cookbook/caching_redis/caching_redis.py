"""Exact and semantic caching on Redis: what one worker paid for, every worker gets for $0.

    python cookbook/caching_redis/caching_redis.py            # starts a redis-server
    REDIS_URL=redis://127.0.0.1:6379/0 python cookbook/caching_redis/caching_redis.py

Two workers, each with its own `RedisStore` connection (as two processes or hosts would
have), share one cache: worker B is answered from what worker A cached, exact repeats and
guarded rewordings alike. Plain Redis 7 is enough (no RediSearch): each scope's vectors are
kept in Redis and compared client-side. Without REDIS_URL the script starts Debian's
`redis-server` on a free loopback port and stops it at the end.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager

from langchain_globalapi import (
    CachedChatModel,
    ChatGlobalAPI,
    GlobalAPIEmbeddings,
    RedisStore,
    SemanticCache,
    get_globalapi_callback,
)
from langchain_globalapi.testing import FakeOpenAIServer


@contextmanager
def local_redis() -> Iterator[str]:
    """A throwaway redis-server on 127.0.0.1 (no persistence); yields its URL."""
    import redis  # noqa: PLC0415 - the [redis] extra

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with tempfile.TemporaryDirectory() as folder:
        process = subprocess.Popen(
            [
                shutil.which("redis-server") or "redis-server",
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                folder,
            ],
            stdout=subprocess.DEVNULL,
        )
        url = f"redis://127.0.0.1:{port}/0"
        try:
            for _ in range(200):  # up to ~10 s
                try:
                    redis.Redis.from_url(url).ping()
                    break
                except redis.ConnectionError:
                    time.sleep(0.05)
            yield url
        finally:
            process.terminate()
            process.wait(timeout=10)


PREFIX = "globalapi-cookbook:cache"  # this recipe's keys only, cleared before and after


def worker(url: str) -> CachedChatModel:
    """One worker's cached model: its own Redis connection, the shared cache namespace."""
    store = RedisStore(url, prefix=PREFIX)
    cache = SemanticCache(GlobalAPIEmbeddings(), store, namespace="support-bot", threshold=0.8)
    return CachedChatModel(
        ChatGlobalAPI(model="deepseek-ai/DeepSeek-V4-Flash", temperature=0), cache=cache
    )


def main(url: str) -> None:
    """Worker A pays for two answers; worker B gets them, and a look-alike, from Redis."""
    RedisStore(url, prefix=PREFIX).clear()
    worker_a, worker_b = worker(url), worker(url)
    with get_globalapi_callback() as cb:
        for bot, name, question in [
            (worker_a, "a", "How do I reset my password?"),
            (worker_a, "a", "Do you ship to Canada?"),
            (worker_b, "b", "How do I reset my password?"),  # exact, cached by worker a
            (worker_b, "b", "do you ship to canada"),  # reworded
            (worker_b, "b", "Do you ship to Mexico?"),  # a different name: guarded, a miss
        ]:
            info = bot.invoke(question).response_metadata["cache"]
            print(f"worker {name}: {question!r:32} hit={info['hit']!s:5} {info['kind']}")
    print(f"{cb.calls} calls, {cb.cache_hits} from Redis at $0, saved ${cb.saved_by_cache_usd}")
    RedisStore(url, prefix=PREFIX).clear()


if __name__ == "__main__":
    with FakeOpenAIServer() as server:
        if not os.environ.get("GLOBAL_API_KEY"):  # no key: a local stand-in for the gateway
            os.environ.update(GLOBAL_API_BASE=server.base_url, GLOBAL_API_KEY="offline")
        if os.environ.get("REDIS_URL"):
            main(os.environ["REDIS_URL"])
        elif shutil.which("redis-server") is None:
            print(
                "skipped: redis-server is not installed (apt-get install -y redis-server), "
                "and REDIS_URL is not set"
            )
            sys.exit(0)
        else:
            with local_redis() as url:
                main(url)
