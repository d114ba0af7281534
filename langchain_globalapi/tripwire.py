"""Shadow-evaluate a sample of answers on a reference model and alarm when agreement slips.

`QualityTripwire` watches answers from a router (or any chat model): a deterministic,
hash-based sample of them (a base rate, higher where the routing score sat near a threshold)
is put on a bounded queue and re-asked of a reference model by a background thread, so the
user's call never waits; a full queue drops and counts instead of blocking. Each pair of
answers is compared with an agreement function for its task type (label match with Cohen's
kappa, JSON fields, final number, ROUGE-L, embeddings or a judge: any bench scorer works).
When the lower Wilson 95% bound of the rolling agreement falls below `threshold`, after
`min_samples`, the alarm fires: log, callables, a webhook, and optionally an action that
lowers a router's thresholds so more traffic goes to the stronger tiers.

Attach it to a router with `TieredRouterRunnable(..., tripwire=tripwire)`, to any other chat
model with `config={"callbacks": [tripwire.as_callback()]}` (not both on one call: each
answer would be observed twice), or call `tripwire.observe(messages, answer)` yourself.

It also audits a semantic cache: `CachedChatModel(model, cache=SemanticCache(...),
tripwire=tripwire)` hands it every semantic hit; a sample is re-asked and compared, the
false-hit rate is reported with its Wilson interval in `stats().cache`, and the cache is
tightened when false hits are shown to exceed a target (see `_tripwire_cache.py`).
"""

from __future__ import annotations

import contextvars
import hashlib
import logging
import queue
import threading
from collections import Counter, deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.runnables import RunnableConfig

from langchain_globalapi._billing import BillingHandler
from langchain_globalapi._pricing import price_message
from langchain_globalapi._runs import model_id_of
from langchain_globalapi._tripwire_alarm import (
    DEFAULT_AGREEMENT,
    TripwireAlarm,
    VerdictListeners,
    notify,
)
from langchain_globalapi._tripwire_cache import AUDITING, AuditJob, CacheAudit
from langchain_globalapi._tripwire_hooks import TripwireCallback, shift_toward_stronger
from langchain_globalapi._tripwire_stats import (
    CacheAuditAction,
    CacheAuditStats,
    ScopeAudit,
    TaskAgreement,
    TripwireStats,
)
from langchain_globalapi._validate import positive_int, probability, whole_number
from langchain_globalapi.bench.scorers import (
    Scorer,
    normalize_text,
    run_scorer,
)
from langchain_globalapi.budgets import Budget, SpendLimit
from langchain_globalapi.catalog import Catalog
from langchain_globalapi.costs import CostTracker
from langchain_globalapi.errors import BudgetExceededError, BudgetUnavailableError

if TYPE_CHECKING:
    from langchain_globalapi.bench.stats import Interval
    from langchain_globalapi.caching._audit import SemanticHit

__all__ = [
    "DEFAULT_AGREEMENT",
    "CacheAuditAction",
    "CacheAuditStats",
    "QualityTripwire",
    "ScopeAudit",
    "TaskAgreement",
    "TripwireAlarm",
    "TripwireStats",
    "shift_toward_stronger",
]

logger = logging.getLogger(__name__)


def _unit_hash(salt: str, request_id: str) -> float:
    digest = hashlib.sha256(f"{salt}:{request_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


@dataclass
class _Job:
    request_id: str
    messages: list[BaseMessage]
    cheap_text: str
    task: str
    context: contextvars.Context
    verdict_id: str | None = None  # the id the answer's calls were billed under (for a ledger)
    model: str | None = None
    tier: str | None = None


_DEFAULT_BUDGET_USD = "10"


class QualityTripwire:
    """Re-run a sample of answers on a reference model in the background; alarm on drift.

    Args:
        reference: The model whose answers count as right (e.g. GPT-4o).
        sample_rate: Base share of answers re-run (default 1%).
        near_threshold_rate: Share re-run when the routing score was within
            `near_threshold_margin` of a router threshold (the answers most likely wrong).
        near_threshold_margin: How close to a threshold counts as "near".
        threshold: Alarm when the Wilson 95% lower bound of agreement falls below this.
        min_samples: No alarm before this many samples are in the window (1 to `window`).
        window: Rolling window of the most recent samples the alarm looks at (>= 1).
        agree_at: An agreement score at or above this counts as agreeing.
        agreement: Agreement functions by task type, over `DEFAULT_AGREEMENT`.
        default_task: Task type when `observe` is given none.
        queue_size: Shadow calls waiting at most; more are dropped and counted.
        budget: The tripwire's own spend limit (default: $10 a day, in process). When it
            is reached, sampled answers are skipped and counted.
        cost_tracker: A `CostTracker` that bills the shadow calls (the tracker of an enclosing
            `get_globalapi_callback()` also sees them: the caller's context is carried over).
        catalog: Prices for the spend figures.
        alert: Callable(s) given a `TripwireAlarm` when the alarm fires, and a
            `CacheAuditAction` when the cache audit acts (both have `message`, `as_dict()`).
        webhook_url: URL the alarm (and each cache action) is POSTed to as JSON.
        router: Router whose thresholds move toward the stronger tier on an alarm.
        ledger: A usage ledger (anything with `record_verdict(request_id, agree, ...)`,
            e.g. `Ledger`) told each verdict, keyed by the request id the answer's calls
            were billed under (the router stamps its run id when the caller gave none).
        threshold_step: How far each alarm moves them.
        salt: Mixed into the sampling hash: another salt samples other requests.
        cache_sample_rate: Share of semantic cache hits re-asked (default 10%, ten times the
            answer rate: false hits are rare and each one is a wrong answer, while an
            audit only costs what the hit saved, so it gives back 10% of the semantic
            tier's savings). Exact hits and single-flight shares are never audited.
        cache_max_false_hit_rate: The target: the cache acts when the Wilson 95% lower
            bound of a scope's (or the whole cache's) false-hit rate exceeds it.
        cache_min_samples: No cache action before this many audited hits in the evidence.
        cache_threshold_step: How far one action raises the cache's similarity threshold.
        cache_max_threshold: The highest threshold an action sets; past it, the failing
            scope's semantic hits are turned off instead.
        cache_actions: False: report and alert only, never change the cache.

    Sampling is a hash of `salt` and the request id, so the same request ids (and routing
    scores) always pick the same answers, across runs and processes: pass ids with
    `metadata={"request_id": ...}` in the call's config, or `observe(..., run_id="...")`.
    Without one (LangChain's run ids are random UUIDs, so they are not used), the n-th
    answer this tripwire samples from is keyed by its position, `n`: a script that makes the
    same calls in the same order samples the same ones; concurrent callers without ids get
    the same number of samples in any order when all answers share one rate, but which
    request gets which position depends on timing. `stats().sampled` is what sampling
    decided; `samples` (evaluated) can be lower by the drops, budget skips and errors.

    Rates, margins, thresholds and `agree_at` are finite numbers in [0, 1]; `window` and
    `queue_size` integers >= 1.

    Raises:
        InvalidSettingError: a setting is NaN, infinite, out of its range or not a number;
            the message names the argument and the range.

    Example:
        >>> from langchain_globalapi import ChatGlobalAPI
        >>> from langchain_globalapi.testing import FakeOpenAIServer
        >>> with FakeOpenAIServer() as server:
        ...     server.set_reply("gpt-4o", "positive")
        ...     reference = ChatGlobalAPI(model="gpt-4o", api_key="k", base_url=server.base_url)
        ...     tripwire = QualityTripwire(reference, sample_rate=1.0)
        ...     cheap = ChatGlobalAPI(model="GA-Economy", api_key="k", base_url=server.base_url)
        ...     server.set_reply("GA-Economy", "Positive")
        ...     answer = cheap.invoke("Great film!", config={"callbacks": [tripwire.as_callback()]})
        ...     _ = tripwire.drain()
        ...     stats = tripwire.stats()
        >>> stats.samples, stats.agreement, stats.alarmed
        (1, 1.0, False)
    """

    def __init__(
        self,
        reference: BaseChatModel,
        *,
        sample_rate: float = 0.01,
        near_threshold_rate: float = 0.1,
        near_threshold_margin: float = 0.05,
        threshold: float = 0.85,
        min_samples: int = 50,
        window: int = 500,
        agree_at: float = 0.5,
        agreement: Mapping[str, Scorer] | None = None,
        default_task: str = "free_text",
        queue_size: int = 100,
        budget: Budget | None = None,
        cost_tracker: CostTracker | None = None,
        catalog: Catalog | None = None,
        alert: Callable[[TripwireAlarm | CacheAuditAction], Any]
        | Sequence[Callable[[TripwireAlarm | CacheAuditAction], Any]] = (),
        webhook_url: str | None = None,
        router: Any = None,
        ledger: Any = None,
        threshold_step: float = 0.05,
        salt: str = "globalapi-tripwire",
        cache_sample_rate: float = 0.1,
        cache_max_false_hit_rate: float = 0.05,
        cache_min_samples: int = 30,
        cache_threshold_step: float = 0.05,
        cache_max_threshold: float = 0.95,
        cache_actions: bool = True,
    ) -> None:
        owner = "QualityTripwire"
        sample_rate = probability(owner, "sample_rate", sample_rate)
        window = positive_int(owner, "window", window)
        min_samples = whole_number(owner, "min_samples", min_samples, min=1, max=window)
        self.reference = reference
        self.sample_rate = sample_rate
        self.near_threshold_rate = max(
            probability(owner, "near_threshold_rate", near_threshold_rate), sample_rate
        )
        self.near_threshold_margin = probability(
            owner, "near_threshold_margin", near_threshold_margin
        )
        self.threshold = probability(owner, "threshold", threshold)
        self.min_samples = min_samples
        self.agree_at = probability(owner, "agree_at", agree_at)
        self.agreement: dict[str, Scorer] = {**DEFAULT_AGREEMENT, **(agreement or {})}
        self.default_task = default_task
        self.budget = budget or Budget([SpendLimit.total(_DEFAULT_BUDGET_USD, per="day")])
        self.cost_tracker = cost_tracker
        self.catalog = catalog or Catalog.default()
        self._billing = BillingHandler(self.catalog, budget=self.budget)
        self.alerts: list[Callable[[Any], Any]] = [alert] if callable(alert) else list(alert)
        self.webhook_url = webhook_url
        self.router = router
        self.threshold_step = probability(owner, "threshold_step", threshold_step)
        self.salt = salt
        self.ledger = ledger
        self._listeners = VerdictListeners(ledger)
        self.alarms: list[TripwireAlarm] = []
        self._queue: queue.Queue[_Job | AuditJob | None] = queue.Queue(
            maxsize=positive_int(owner, "queue_size", queue_size)
        )
        self._window: deque[bool] = deque(maxlen=window)
        self._by_task: dict[str, Counter[str]] = {}
        self._labels: dict[str, deque[tuple[str, str]]] = {}
        self._counts: Counter[str] = Counter()
        self._spend = Decimal(0)
        self._alarmed = False
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._unfinished = 0
        self._worker: threading.Thread | None = None
        self._unnamed = 0  # answers observed without a request id: their sampling key
        self.cache_audit = CacheAudit(
            self,
            sample_rate=cache_sample_rate,
            max_false_hit_rate=cache_max_false_hit_rate,
            min_samples=cache_min_samples,
            threshold_step=cache_threshold_step,
            max_threshold=cache_max_threshold,
            act=cache_actions,
            window=window,
        )
        """The semantic-cache audit; `cache_audit.fires(samples=, false_hits=)` is its rule."""

    # --- sampling --------------------------------------------------------------------

    @property
    def reference_model(self) -> str | None:
        """The reference model's name (its own answers are never re-run)."""
        return model_id_of(self.reference)

    def rate_for(self, routing: Mapping[str, Any] | None) -> float:
        """The sampling rate for an answer with this routing metadata."""
        if not routing:
            return self.sample_rate
        score, cuts = routing.get("score"), routing.get("thresholds") or ()
        if isinstance(score, (int, float)) and any(
            abs(float(score) - float(cut)) <= self.near_threshold_margin for cut in cuts
        ):
            return self.near_threshold_rate
        return self.sample_rate

    def should_sample(self, request_id: str, routing: Mapping[str, Any] | None = None) -> bool:
        """Deterministic: the same request id (and routing) always gives the same answer."""
        return _unit_hash(self.salt, request_id) < self.rate_for(routing)

    def _sampling_key(self, request_id: str | UUID | None) -> str:
        # A UUID is LangChain's run id, new on every call: sampling on it would pick other
        # answers on every run. Without a caller's id, the answer's position is the key.
        if isinstance(request_id, str) and request_id:
            return request_id
        with self._lock:
            position, self._unnamed = self._unnamed, self._unnamed + 1
        return f"#{position}"

    # --- observing -------------------------------------------------------------------

    def observe(
        self,
        request_messages: Sequence[BaseMessage],
        response_message: BaseMessage,
        *,
        run_id: str | UUID | None = None,
        task: str | None = None,
    ) -> bool:
        """Consider one answered request; returns whether a shadow call was queued.

        Never blocks and never calls a model itself: a sampled answer is queued for the
        background worker (or dropped and counted when the queue is full). `run_id` is the
        caller's request id (a `str`); a `UUID` is taken for LangChain's random run id and,
        like `None`, replaced by the answer's position (see the class docs).
        """
        if AUDITING.get():  # a cache audit's own re-ask: not a user's answer
            return False
        meta = response_message.response_metadata
        routing = meta.get("routing") if isinstance(meta.get("routing"), Mapping) else None
        answered = (routing or {}).get("model") or meta.get("model_name") or meta.get("model")
        with self._lock:
            self._counts["observed"] += 1
            if answered and answered == self.reference_model:
                self._counts["skipped_reference"] += 1
                return False
        request_id = self._sampling_key(run_id)
        if not self.should_sample(request_id, routing):
            return False
        job = _Job(
            request_id,
            list(request_messages),
            str(response_message.text),
            task or self.default_task,
            contextvars.copy_context(),
            verdict_id=str(run_id) if run_id else None,
            model=str(answered) if answered else None,
            tier=(routing or {}).get("tier"),
        )
        with self._lock:
            self._counts["sampled"] += 1
            if not self._submit(job):
                self._counts["dropped"] += 1
                return False
        return True

    def audit_cache_hit(self, hit: SemanticHit) -> bool:
        """Consider one semantic cache hit; returns whether a re-ask was queued.

        `CachedChatModel(..., tripwire=tripwire)` calls this on every semantic hit. Never
        blocks and never calls a model itself: a sampled hit is queued for the worker (or
        dropped and counted when the queue is full).
        """
        if AUDITING.get():  # a hit inside another audit's re-ask
            return False
        job = self.cache_audit.consider(hit)
        if job is None:
            return False
        with self._lock:
            queued = self._submit(job)
        if not queued:
            self.cache_audit.count("dropped")
        return queued

    def _submit(self, job: _Job | AuditJob) -> bool:
        """Queue a job and start the worker if needed (holding `_lock`); False when full."""
        try:
            self._queue.put_nowait(job)
        except queue.Full:
            return False
        self._unfinished += 1
        if self._worker is None:
            self._worker = threading.Thread(
                target=self._work, name="globalapi-tripwire", daemon=True
            )
            self._worker.start()
        return True

    def as_callback(self) -> BaseCallbackHandler:
        """A callback handler that observes every top-level chat-model answer it sees.

        Put `metadata={"request_id": ...}` in the call's config to make sampling follow the
        request; otherwise the answer's position is the sampling key (see the class docs).
        """
        return TripwireCallback(self)

    def drain(self, timeout_s: float | None = 30.0) -> bool:
        """Wait until every queued shadow call is done (for tests and shutdown)."""
        with self._idle:
            return self._idle.wait_for(lambda: self._unfinished == 0, timeout=timeout_s)

    def close(self) -> None:
        """Stop the worker after the queued shadow calls."""
        worker = self._worker
        if worker is not None:
            self._queue.put(None)
            worker.join(timeout=30)
            self._worker = None

    # --- the background worker -------------------------------------------------------

    def _work(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            try:
                if isinstance(job, AuditJob):
                    self.cache_audit.run(job)
                else:
                    self._shadow(job)
            except Exception:  # the tripwire must never take the process down
                logger.exception("quality tripwire: shadow evaluation failed")
                with self._lock:
                    self._counts["errors"] += 1
            finally:
                with self._idle:
                    self._unfinished -= 1
                    self._idle.notify_all()

    def _shadow(self, job: _Job) -> None:
        answer = self._shadow_call(
            lambda config: self.reference.invoke(job.messages, config),
            job.context,
            model=self.reference_model,
            metadata={"request_id": job.request_id},
            run_name="quality_tripwire",
        )
        if answer is None:
            with self._lock:
                self._counts["skipped_budget"] += 1
            return
        call = price_message(answer, self.catalog)
        question = str(job.messages[-1].text) if job.messages else ""
        agreed = self._agrees(job.task, job.cheap_text, str(answer.text), question)
        self._record(job, agreed, str(answer.text), call.usd if call else None)

    def _shadow_call(
        self,
        ask: Callable[[RunnableConfig], BaseMessage],
        context: contextvars.Context,
        *,
        model: str | None,
        metadata: Mapping[str, Any],
        run_name: str,
    ) -> AIMessage | None:
        """One shadow call in the caller's context, billed under the tripwire's budget.

        `None` when the budget refuses it (before the call, or at its reservation).
        """
        if not self.budget.allows(model=model):
            return None
        # The budget's handler reserves the shadow call's worst case before it is sent and
        # settles it to what it cost; the trackers bill it once, marked as a shadow call.
        callbacks: list[BaseCallbackHandler] = [self._billing]
        if self.cost_tracker is not None:
            callbacks.append(self.cost_tracker)
        config: RunnableConfig = {
            "callbacks": callbacks,
            "metadata": {"globalapi_tripwire": True, **metadata},
            "run_name": run_name,
        }
        try:
            answer = context.run(ask, config)
        except (BudgetExceededError, BudgetUnavailableError):
            return None
        return answer if isinstance(answer, AIMessage) else AIMessage(content=answer.content)

    def _agrees(self, task: str, answer: str, reference: str, question: str) -> bool:
        """Whether `answer` agrees with `reference` by the scorer for `task` (NaN: no)."""
        scorer = self.agreement.get(task, self.agreement[self.default_task])
        return run_scorer(scorer, answer, reference, {}, question) >= self.agree_at

    def add_learner(self, learner: Callable[..., Any]) -> None:
        """Call `learner(messages, agreed=..., tier=..., task=...)` with every verdict.

        A `TieredRouterRunnable` given this tripwire adds itself, so its scorer learns from
        the verdicts (`record_outcome`). Learners run on the tripwire's worker thread, a
        bound method is held weakly (a router that goes away stops learning), and their
        errors are logged and never stop the worker.
        """
        self._listeners.add_learner(learner)

    def _record(self, job: _Job, agreed: bool, reference_text: str, usd: Decimal | None) -> None:
        with self._lock:
            self._counts["samples"] += 1
            self._spend += usd or Decimal(0)
            self._window.append(agreed)
            task = self._by_task.setdefault(job.task, Counter())
            task["samples"] += 1
            task["agreements"] += int(agreed)
            if job.task == "classification":
                pairs = self._labels.setdefault(job.task, deque(maxlen=self._window.maxlen))
                pairs.append((normalize_text(job.cheap_text), normalize_text(reference_text)))
            alarm = self._check_alarm()
        self._listeners.verdict(
            job.verdict_id, job.messages, agreed, model=job.model, tier=job.tier, task=job.task
        )
        if alarm is not None:
            self._fire(alarm)

    def _check_alarm(self) -> TripwireAlarm | None:
        n, k = len(self._window), sum(self._window)
        if n < self.min_samples:
            return None
        interval = _wilson(k, n)
        if interval.low >= self.threshold:
            self._alarmed = False  # recovered: re-arm
            return None
        if self._alarmed:
            return None
        self._alarmed = True
        by_task = {task: counts.as_dict() for task, counts in self._task_stats().items()}
        return TripwireAlarm(n, k, interval, self.threshold, by_task)

    def _fire(self, alarm: TripwireAlarm) -> None:
        self.alarms.append(alarm)
        self._notify(alarm)
        if self.router is not None:
            cuts = shift_toward_stronger(self.router, self.threshold_step)
            logger.warning("quality tripwire: router thresholds moved to %s", cuts)

    def _notify(self, event: TripwireAlarm | CacheAuditAction) -> None:
        """Log `event` and send it to the alert hooks and the webhook."""
        notify(event, self.alerts, self.webhook_url)

    # --- reporting -------------------------------------------------------------------

    def _task_stats(self) -> dict[str, TaskAgreement]:
        out: dict[str, TaskAgreement] = {}
        for task, counts in self._by_task.items():
            n = counts["samples"]
            kappa = None
            if task in self._labels:
                from langchain_globalapi.bench.stats import cohen_kappa  # noqa: PLC0415

                kappa = cohen_kappa(list(self._labels[task]))
            out[task] = TaskAgreement(n, counts["agreements"] / n if n else 0.0, kappa)
        return out

    def stats(self) -> TripwireStats:
        """Samples, agreement with its Wilson interval, drops, skips, spend and alarms.

        Example:
            >>> from langchain_core.language_models import GenericFakeChatModel
            >>> tripwire = QualityTripwire(GenericFakeChatModel(messages=iter([])))
            >>> print(tripwire.stats())  # doctest: +ELLIPSIS
            quality tripwire: no shadow samples yet
              alarm when the lower bound < 85% after 50 samples; 0 alarm(s) so far
            ...
        """
        with self._lock:
            n, k = len(self._window), sum(self._window)
            interval = _wilson(k, n) if n else None
            return TripwireStats(
                observed=self._counts["observed"],
                sampled=self._counts["sampled"],
                samples=self._counts["samples"],
                dropped=self._counts["dropped"],
                skipped_budget=self._counts["skipped_budget"],
                skipped_reference=self._counts["skipped_reference"],
                errors=self._counts["errors"],
                queued=self._queue.qsize(),
                window=n,
                agreement=interval.value if interval else None,
                agreement_low=interval.low if interval else None,
                agreement_high=interval.high if interval else None,
                threshold=self.threshold,
                min_samples=self.min_samples,
                by_task=self._task_stats(),
                spend_usd=self._spend,
                alarms=len(self.alarms),
                alarmed=self._alarmed,
                cache=self.cache_audit.stats(),
            )


def _wilson(successes: int, n: int) -> Interval:
    # Imported on first use: `bench.stats` pulls in the offline routing metrics, which
    # importing a tripwire (or a router that has one) must not.
    from langchain_globalapi.bench.stats import wilson_interval  # noqa: PLC0415

    return wilson_interval(successes, n)
