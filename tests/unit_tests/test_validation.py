"""Every numeric setting is checked when its object is built: range, NaN, infinity, type.

Each bad value must raise the package's own error (a `SettingError`; a `ValueError` too
outside pydantic models) with a message naming the class, the argument and the range.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from langchain_core.embeddings import DeterministicFakeEmbedding

from langchain_globalapi import (
    ChatGlobalAPI,
    Cooldowns,
    ExactCache,
    FallbackChatModel,
    GoldenSet,
    InMemoryStore,
    ModelInfo,
    RedisStore,
    RetryAfter,
    RetryPolicy,
    SemanticCache,
    SQLiteStore,
    run_benchmark,
)
from langchain_globalapi.errors import (
    CacheConfigError,
    CatalogError,
    GlobalAPIError,
    InvalidSettingError,
    SettingError,
)
from langchain_globalapi.fallbacks import ExponentialBackoff
from langchain_globalapi.tripwire import QualityTripwire

NAN, INF = math.nan, math.inf
_OFFLINE = "http://127.0.0.1:9/v1"


def _model() -> ChatGlobalAPI:
    return ChatGlobalAPI(api_key="k", base_url=_OFFLINE)


def _tripwire(**kwargs: Any) -> QualityTripwire:
    return QualityTripwire(_model(), **kwargs)


def _fallback(**kwargs: Any) -> FallbackChatModel:
    return FallbackChatModel([_model()], **kwargs)


def _semantic(**kwargs: Any) -> SemanticCache:
    return SemanticCache(DeterministicFakeEmbedding(size=8), **kwargs)


def _sqlite(tmp_path: Any, **kwargs: Any) -> SQLiteStore:
    return SQLiteStore(tmp_path / "c.db", **kwargs)


def _model_info(**kwargs: Any) -> ModelInfo:
    fields: dict[str, Any] = {"input_per_mtok": Decimal("1"), "output_per_mtok": Decimal("2")}
    fields.update(kwargs)
    return ModelInfo("acme/model", **fields)


def _benchmark(**kwargs: Any) -> Any:
    golden = GoldenSet.parse(['{"id": "q", "task": "free_text", "prompt": "hi", "expected": "x"}'])
    return run_benchmark(golden, {"m": _model()}, progress=False, **kwargs)


# (builder, argument, bad value, the error class it must raise, range text in the message)
CASES: list[tuple[Callable[..., Any], str, Any, type[Exception], str]] = [
    (_tripwire, "sample_rate", 2, InvalidSettingError, "[0, 1]"),
    (_tripwire, "sample_rate", -1, InvalidSettingError, "[0, 1]"),
    (_tripwire, "sample_rate", NAN, InvalidSettingError, "[0, 1]"),
    (_tripwire, "sample_rate", "0.5", InvalidSettingError, "[0, 1]"),
    (_tripwire, "near_threshold_rate", INF, InvalidSettingError, "[0, 1]"),
    (_tripwire, "near_threshold_margin", -0.1, InvalidSettingError, "[0, 1]"),
    (_tripwire, "threshold", NAN, InvalidSettingError, "[0, 1]"),
    (_tripwire, "agree_at", 1.5, InvalidSettingError, "[0, 1]"),
    (_tripwire, "window", 0, InvalidSettingError, ">= 1"),
    (_tripwire, "window", 2.5, InvalidSettingError, ">= 1"),
    (_tripwire, "min_samples", -5, InvalidSettingError, "[1, 500]"),
    (_tripwire, "min_samples", 501, InvalidSettingError, "[1, 500]"),
    (_tripwire, "queue_size", 0, InvalidSettingError, ">= 1"),
    (_tripwire, "threshold_step", NAN, InvalidSettingError, "[0, 1]"),
    (_fallback, "timeout_s", -1, SettingError, "None or a finite number > 0"),
    (_fallback, "timeout_s", NAN, SettingError, "None or a finite number > 0"),
    (_fallback, "timeout_s", INF, SettingError, "None or a finite number > 0"),
    (_fallback, "attempt_timeout_s", 0, SettingError, "None or a finite number > 0"),
    (_fallback, "attempt_timeout_s", NAN, SettingError, "None or a finite number > 0"),
    (_fallback, "first_chunk_timeout_s", -0.5, SettingError, "None or a finite number > 0"),
    (_fallback, "first_chunk_timeout_s", "abc", SettingError, "None or a finite number > 0"),
    (ExactCache, "ttl_s", NAN, CacheConfigError, "None or a finite number > 0"),
    (ExactCache, "ttl_s", INF, CacheConfigError, "None or a finite number > 0"),
    (ExactCache, "ttl_s", 0, CacheConfigError, "None or a finite number > 0"),
    (_semantic, "ttl_s", NAN, CacheConfigError, "None or a finite number > 0"),
    (_semantic, "threshold", NAN, CacheConfigError, "[0, 1]"),
    (_semantic, "threshold", 1.01, CacheConfigError, "[0, 1]"),
    (_semantic, "candidates", 0, CacheConfigError, ">= 1"),
    (_semantic, "candidates", 2.0, CacheConfigError, ">= 1"),
    (InMemoryStore, "max_entries", 0, CacheConfigError, "None or an integer >= 1"),
    (InMemoryStore, "max_entries", INF, CacheConfigError, "None or an integer >= 1"),
    (RetryAfter, "max_wait_s", NAN, InvalidSettingError, ">= 0"),
    (RetryAfter, "max_wait_s", -1, InvalidSettingError, ">= 0"),
    (ExponentialBackoff, "initial_s", 0, InvalidSettingError, "> 0"),
    (ExponentialBackoff, "max_s", INF, InvalidSettingError, ">= 0.2"),
    (ExponentialBackoff, "jitter", 2, InvalidSettingError, "[0, 1]"),
    (Cooldowns, "failure_rate", 1, InvalidSettingError, "[0, 1)"),
    (Cooldowns, "failure_rate", NAN, InvalidSettingError, "[0, 1)"),
    (Cooldowns, "min_calls", 0, InvalidSettingError, ">= 1"),
    (Cooldowns, "failure_window_s", NAN, InvalidSettingError, "> 0"),
    (Cooldowns, "failure_threshold", 0, InvalidSettingError, "None or an integer >= 1"),
    (Cooldowns, "open_s", INF, InvalidSettingError, "> 0"),
    (Cooldowns, "bench_retry_after_s", -1, InvalidSettingError, ">= 0"),
    (Cooldowns, "max_cooldown_s", NAN, InvalidSettingError, "> 0"),
    (_model_info, "input_per_mtok", "abc", CatalogError, "non-negative USD amount"),
    (_model_info, "output_per_mtok", Decimal("NaN"), CatalogError, "non-negative USD amount"),
    (_model_info, "output_per_mtok", -1, CatalogError, "non-negative USD amount"),
    (_model_info, "cached_input_per_mtok", INF, CatalogError, "non-negative USD amount"),
    (_model_info, "context_window", 0, CatalogError, "None or an integer >= 1"),
    (_model_info, "context_window", True, CatalogError, "None or an integer >= 1"),
    (_model_info, "max_output_tokens", 1.5, CatalogError, "None or an integer >= 1"),
    (_benchmark, "concurrency", 0, InvalidSettingError, ">= 1"),
    (_benchmark, "requests_per_s", 0, InvalidSettingError, "> 0"),
    (_benchmark, "requests_per_s", NAN, InvalidSettingError, "> 0"),
]


@pytest.mark.parametrize(
    ("build", "name", "value", "error", "allowed"),
    CASES,
    ids=[f"{getattr(c[0], '__name__', c[0])}-{c[1]}={c[2]!r}" for c in CASES],
)
def test_bad_numeric_setting_fails_at_construction_naming_argument_and_range(
    build: Callable[..., Any], name: str, value: Any, error: type[Exception], allowed: str
) -> None:
    with pytest.raises(error) as caught:
        build(**{name: value})
    assert isinstance(caught.value, GlobalAPIError)
    message = str(caught.value)
    assert f"{name} must be" in message
    assert allowed in message
    assert repr(value) in message


@pytest.mark.parametrize("value", [0, -1, NAN, INF])
def test_redis_store_socket_timeout_must_be_positive_seconds(value: float) -> None:
    with pytest.raises(CacheConfigError, match=r"RedisStore: socket_timeout_s must be"):
        RedisStore("redis://127.0.0.1:6379/0", socket_timeout_s=value)


@pytest.mark.parametrize("value", [-1, NAN, INF])
def test_sqlite_busy_timeout_must_be_finite_and_not_negative(tmp_path, value: float) -> None:
    with pytest.raises(CacheConfigError, match=r"SQLiteStore: busy_timeout_s must be"):
        _sqlite(tmp_path, busy_timeout_s=value)


@pytest.mark.parametrize("value", [0, -2, 1.5, True])
def test_retry_policy_attempts_must_be_a_positive_integer(value: Any) -> None:
    with pytest.raises(InvalidSettingError, match="RetryPolicy: max_attempts_per_member"):
        RetryPolicy(max_attempts_per_member=value)


def test_class_errors_are_value_errors_and_pydantic_model_errors_are_not_wrapped() -> None:
    with pytest.raises(ValueError, match="QualityTripwire: sample_rate"):
        _tripwire(sample_rate=NAN)
    # FallbackChatModel is a pydantic model: a ValueError would become a ValidationError.
    with pytest.raises(SettingError, match="FallbackChatModel: timeout_s") as caught:
        _fallback(timeout_s=NAN)
    assert not isinstance(caught.value, ValueError)
    assert (caught.value.owner, caught.value.name) == ("FallbackChatModel", "timeout_s")


def test_valid_settings_are_kept_and_normalized() -> None:
    tripwire = _tripwire(sample_rate=1, threshold=0.9, window=20, min_samples=20)
    assert (tripwire.sample_rate, tripwire.threshold, tripwire.min_samples) == (1.0, 0.9, 20)
    assert _fallback(timeout_s=None, attempt_timeout_s=5).attempt_timeout_s == 5.0
    assert ExactCache(ttl_s=60).ttl_s == 60.0
    assert _model_info(input_per_mtok=0.27).input_per_mtok == Decimal("0.27")
