"""Fallback chains that survive rate limits and outages without paying twice.

`FallbackChatModel` tries its members in order with classified errors, Retry-After,
one deadline, cooldowns / circuit breakers (`Cooldowns`, in-process or Redis) and
budget vetoes; `RetryPolicy` composes when to retry the same member.

Example:
    >>> from langchain_globalapi.fallbacks import RetryAfter, RetryPolicy
    >>> RetryPolicy(RetryAfter(max_wait_s=1.0)).max_attempts_per_member
    2
"""

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
