"""Fault soak for FallbackChatModel: thousands of concurrent calls while the primary fails.

Run from the repo root with the venv active:

    python benchmarks/fallback_soak.py [--breaker default|legacy] [--requests 2000]
        [--concurrency 50] [--fail-rate 0.3]

A local FakeOpenAIServer plays Flash -> Pro -> GPT-4o; a seeded 30% of Flash's calls fail
with mixed faults (429 with and without retry-after-ms, 500, 503, a connection dropped
before the reply, a first byte slower than the attempt timeout, and a 400 that must NOT
escalate). The same run is repeated without faults as the latency baseline. Checks:

- every request was answered, or failed with the typed error its fault calls for (a 400
  raises `ModelInvalidRequestError` at once; nothing else may fail);
- none lost or answered twice: each prompt is unique, each answer echoes its own prompt,
  and the server completed exactly one request per answered prompt (none for failed ones);
- no call went to a member in cooldown: an audit of the cooldown state records every
  cooldown window and every admitted call, and the server saw exactly the admitted calls.

Results go to stdout and `benchmarks/results/fallback_soak.json`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import threading
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

from langchain_core.exceptions import ModelInvalidRequestError

from langchain_globalapi import ChatGlobalAPI, Cooldowns, FallbackChatModel
from langchain_globalapi.fallbacks import Admission, Failure
from langchain_globalapi.testing import FakeOpenAIServer, Fault

FLASH, PRO, GPT4O = "deepseek-ai/DeepSeek-V4-Flash", "deepseek-ai/DeepSeek-V4-Pro", "gpt-4o"
RESULTS = Path(__file__).resolve().parent / "results" / "fallback_soak.json"
FAULTS = (
    Fault.rate_limit(retry_after_ms=200),
    Fault.rate_limit(),
    Fault.server_error(500),
    Fault.server_error(503),
    Fault.drop_before_first_chunk(),
    Fault.slow_first_byte(2.0),
    Fault.bad_request(),
)


class AuditedCooldowns(Cooldowns):
    """Cooldowns that log each cooldown window and each admitted call, for the audit."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.lock = threading.Lock()
        self.windows: dict[str, list[tuple[float, float]]] = {}
        self.admitted: dict[str, list[tuple[float, bool]]] = {}

    def admit(self, key: str, *, probe_lease_s: float = 30.0) -> Admission:
        admission = super().admit(key, probe_lease_s=probe_lease_s)
        if admission.allowed:
            with self.lock:
                self.admitted.setdefault(key, []).append((time.monotonic(), admission.probe))
        return admission

    def record_failure(self, key: str, failure: Failure) -> None:
        super().record_failure(key, failure)
        now, status = time.monotonic(), self.status(key)
        if not status.allowed and status.reason != "probing":
            with self.lock:
                self.windows.setdefault(key, []).append((now, now + status.remaining_s))

    def calls_inside_cooldowns(self) -> int:
        """Admitted calls that started strictly inside a recorded cooldown window."""
        bad = 0
        for key, calls in self.admitted.items():
            windows = self.windows.get(key, [])
            for started, _ in calls:
                # 1 ms of slack: a window is logged just after the state changed.
                bad += any(start + 0.001 < started < end - 0.001 for start, end in windows)
        return bad


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(int(q * len(ordered)), len(ordered) - 1)]


async def soak(
    requests: int,
    concurrency: int,
    fail_rate: float,
    seed: int,
    breaker: dict[str, Any],
) -> dict[str, Any]:
    async with FakeOpenAIServer() as server:
        if fail_rate > 0:
            server.fail_rate(FLASH, fail_rate, FAULTS, seed=seed)
        cooldowns = AuditedCooldowns(**breaker)
        chain = FallbackChatModel(
            [
                ChatGlobalAPI(model=model, api_key="soak", base_url=server.base_url)
                for model in (FLASH, PRO, GPT4O)
            ],
            timeout_s=10.0,
            attempt_timeout_s=0.5,
            cooldowns=cooldowns,
        )
        gate = asyncio.Semaphore(concurrency)
        outcomes: dict[str, Any] = {}
        latencies_ms: list[float] = []

        async def one(i: int) -> None:
            prompt = f"request {i}"
            async with gate:
                started = time.perf_counter()
                try:
                    answer = await chain.ainvoke(prompt)
                except Exception as error:
                    outcomes[prompt] = error
                    return
                latencies_ms.append((time.perf_counter() - started) * 1000)
                outcomes[prompt] = answer

        started = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(requests)))
        wall_s = time.perf_counter() - started
        return check(server, cooldowns, outcomes, latencies_ms, wall_s, requests)


def check(
    server: FakeOpenAIServer,
    cooldowns: AuditedCooldowns,
    outcomes: dict[str, Any],
    latencies_ms: list[float],
    wall_s: float,
    requests: int,
) -> dict[str, Any]:
    completed = Counter(
        r.json["messages"][-1]["content"]
        for r in server.requests
        if r.path.endswith("/chat/completions") and r.fault is None
    )
    answered = {p: a for p, a in outcomes.items() if not isinstance(a, Exception)}
    failed = {p: e for p, e in outcomes.items() if isinstance(e, Exception)}
    wrong_answers = [p for p, a in answered.items() if not str(a.content).endswith(f"] {p}")]
    wrong_errors = [p for p, e in failed.items() if not isinstance(e, ModelInvalidRequestError)]
    double = [p for p in answered if completed[p] != 1] + [p for p in failed if completed[p]]
    served = Counter(a.response_metadata["fallback"]["served_by"] for a in answered.values())
    by_model = Counter(r.model for r in server.requests)
    admitted = {key.split("@")[0]: len(calls) for key, calls in cooldowns.admitted.items()}
    faults = Counter(r.fault for r in server.requests if r.fault)
    cost = sum((Decimal(a.response_metadata["cost"]["usd"]) for a in answered.values()), Decimal(0))
    return {
        "requests": requests,
        "answered": len(answered),
        "failed_typed": len(failed) - len(wrong_errors),
        "lost": requests - len(outcomes),
        "wrong_answers": len(wrong_answers),
        "wrong_errors": len(wrong_errors),
        "answered_twice_or_billed_for_failure": len(double),
        "calls_inside_cooldowns": cooldowns.calls_inside_cooldowns(),
        "server_calls_match_admitted": dict(by_model) == admitted,
        "served_by": dict(served),
        "flash_share": round(served[FLASH] / max(len(answered), 1), 3),
        "cost_usd": str(cost),
        "server_calls": dict(by_model),
        "faults": dict(faults),
        "skipped_for_cooldown": sum(
            1
            for a in answered.values()
            for s in a.response_metadata["fallback"]["skipped"]
            if s["error"] == "cooldown"
        ),
        "p50_ms": round(statistics.median(latencies_ms), 1) if latencies_ms else None,
        "p95_ms": round(percentile(latencies_ms, 0.95), 1),
        "wall_s": round(wall_s, 2),
    }


# "legacy" is the first build's breaker: 3 failures in a row open it, every Retry-After
# benches the member for everyone, no failure-rate rule. "default" is `Cooldowns()`.
BREAKERS: dict[str, dict[str, Any]] = {
    "default": {},
    "legacy": {
        "failure_threshold": 3,
        "open_s": 1.0,
        "bench_retry_after_s": 0.0,
        "min_calls": 10**9,
    },
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--fail-rate", type=float, default=0.3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--breaker", choices=sorted(BREAKERS), default="default")
    args = parser.parse_args()
    breaker = BREAKERS[args.breaker]
    faulty = asyncio.run(soak(args.requests, args.concurrency, args.fail_rate, args.seed, breaker))
    clean = asyncio.run(soak(args.requests, args.concurrency, 0.0, args.seed, breaker))
    results = {"settings": vars(args), "with_faults": faulty, "without_faults": clean}
    print(json.dumps(results, indent=2))
    suffix = "" if args.breaker == "default" else f"_{args.breaker}"
    path = RESULTS.with_name(f"fallback_soak{suffix}.json")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2) + "\n")
    ok = all(
        run["lost"] == run["wrong_answers"] == run["wrong_errors"] == 0
        and run["answered_twice_or_billed_for_failure"] == run["calls_inside_cooldowns"] == 0
        and run["server_calls_match_admitted"]
        for run in (faulty, clean)
    )
    print("PASS" if ok else "FAIL")
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
