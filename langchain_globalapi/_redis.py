"""One way to open a Redis connection for the parts that can share state through Redis.

Budgets, fallback cooldowns and the cache's `RedisStore` each take a `redis://` URL. They
check it, import the optional client and connect the same way, with the same messages.

Example:
    >>> try:
    ...     redis_client("http://localhost", owner="Budget", timeout_s=1.0)
    ... except GlobalAPIError as error:
    ...     print(str(error).split(";")[0])
    Budget: unsupported URL scheme 'http' in 'http://localhost'
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from langchain_globalapi.errors import GlobalAPIError

__all__ = ["REDIS_SCHEMES", "redis_client"]

REDIS_SCHEMES = frozenset({"redis", "rediss", "unix"})


def redis_client(
    url: str,
    *,
    owner: str,
    timeout_s: float,
    error: type[GlobalAPIError] = GlobalAPIError,
) -> Any:
    """A `redis.Redis` client for `url`; `error` (naming `owner`) for a bad URL or no client.

    Typed loosely: redis-py's stubs type replies as a wide union that callers check at run time.
    """
    scheme = urlsplit(url).scheme
    if scheme not in REDIS_SCHEMES:
        msg = (
            f"{owner}: unsupported URL scheme {scheme!r} in {url!r}; use "
            "redis://host:port/db, rediss:// (TLS) or unix:///path.sock"
        )
        raise error(msg)
    try:
        import redis  # noqa: PLC0415 - optional dependency
    except ImportError as exc:  # pragma: no cover - depends on the environment
        msg = f'{owner} needs the redis client: pip install "langchain-globalapi[redis]"'
        raise error(msg) from exc
    return redis.Redis.from_url(url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s)
