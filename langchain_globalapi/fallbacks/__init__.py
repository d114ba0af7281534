"""Fallback chains that survive rate limits and outages without paying twice.

`FallbackChatModel` tries its members in order with classified errors, Retry-After,
one deadline, cooldowns / circuit breakers (`Cooldowns`, in-process or Redis) and
budget vetoes; `RetryPolicy` composes when to retry the same member.

Example:
    >>> from langchain_globalapi.fallbacks import RetryAfter, RetryPolicy
    >>> RetryPolicy(RetryAfter(max_wait_s=1.0)).max_attempts_per_member
    2
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from langchain_globalapi._lazy import lazy_exports

if TYPE_CHECKING:
    from langchain_globalapi.fallbacks._chain import FallbackChatModel
    from langchain_globalapi.fallbacks._classify import (
        Failure,
        FailureKind,
        classify_error,
        retry_after_s,
    )
    from langchain_globalapi.fallbacks._cooldowns import Admission, Cooldowns
    from langchain_globalapi.fallbacks._members import Member
    from langchain_globalapi.fallbacks._policy import (
        ExponentialBackoff,
        NoRetry,
        RetryAfter,
        RetryPolicy,
        RetryStrategy,
    )

# Public name -> the submodule that defines it, imported on first use (see `_lazy.py`).
_EXPORTS: dict[str, str] = {
    "FallbackChatModel": "_chain",
    "Failure": "_classify",
    "FailureKind": "_classify",
    "classify_error": "_classify",
    "retry_after_s": "_classify",
    "Admission": "_cooldowns",
    "Cooldowns": "_cooldowns",
    "Member": "_members",
    "ExponentialBackoff": "_policy",
    "NoRetry": "_policy",
    "RetryAfter": "_policy",
    "RetryPolicy": "_policy",
    "RetryStrategy": "_policy",
}

__all__ = [
    "Admission",
    "Cooldowns",
    "ExponentialBackoff",
    "Failure",
    "FailureKind",
    "FallbackChatModel",
    "Member",
    "NoRetry",
    "RetryAfter",
    "RetryPolicy",
    "RetryStrategy",
    "classify_error",
    "retry_after_s",
]

if not TYPE_CHECKING:  # type checkers read the imports above; an unknown name stays an error
    __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, __all__)
