"""Run a golden set through chat models and routers, concurrently, resumably, and score it.

Each (model, item) pair is streamed, so time to first token is measured, then scored; its
:class:`BenchmarkRecord` (output, score, latency, TTFT, tokens, tokens/s, USD, and which tier and
model answered) is appended to a JSONL results file the moment it arrives. An interrupted run
loses nothing: rerun with the same file and only the missing or failed pairs are called.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.rate_limiters import InMemoryRateLimiter

from langchain_globalapi._pricing import price_message
from langchain_globalapi._runs import model_id_of
from langchain_globalapi._validate import positive_int, positive_number
from langchain_globalapi.bench.golden import GoldenItem, GoldenSet
from langchain_globalapi.bench.scorers import (
    BUILTIN_SCORERS,
    NEEDS_CONFIGURATION,
    Scorer,
    run_scorer,
)
from langchain_globalapi.catalog import Catalog
from langchain_globalapi.errors import GoldenSetError

if TYPE_CHECKING:
    from rich.progress import Progress

__all__ = ["BenchmarkRecord", "BenchmarkResults", "arun_benchmark", "load_results", "run_benchmark"]

logger = logging.getLogger(__name__)


@dataclass
class BenchmarkRecord:
    """One model's answer to one golden item, scored and measured (one JSONL line).

    ``usd`` and ``reference_usd`` are exact decimal strings (``None`` when unpriced); ``tier``
    and ``answered_model`` say who answered (a router's choice, or the model itself).

    Example:
        >>> record = BenchmarkRecord(item_id="q1", task="reasoning", model="flash", score=1.0)
        >>> BenchmarkRecord.from_json(record.to_json()) == record
        True
    """

    item_id: str
    task: str
    model: str
    score: float | None = None
    output: str | None = None
    scorer: str | None = None
    latency_s: float | None = None
    ttft_s: float | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    tokens_per_s: float | None = None
    usd: str | None = None
    reference_usd: str | None = None
    answered_model: str | None = None
    tier: str | None = None
    routing_score: float | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the call and the scoring both succeeded."""
        return self.error is None and self.score is not None

    def to_json(self) -> str:
        """One JSON line."""
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, line: str) -> BenchmarkRecord:
        """Parse one JSON line (unknown keys ignored, so old files stay readable)."""
        data = json.loads(line)
        if not isinstance(data, dict):
            msg = f"a result line must be a JSON object, got {type(data).__name__}"
            raise TypeError(msg)
        names = {f.name for f in fields(cls)}
        return cls(**{key: value for key, value in data.items() if key in names})


def load_results(path: str | Path) -> list[BenchmarkRecord]:
    """Read a results file; a torn last line (the process died mid-write) is skipped."""
    path = Path(path)
    if not path.exists():
        return []
    records: list[BenchmarkRecord] = []
    lines = path.read_bytes().splitlines()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            records.append(BenchmarkRecord.from_json(line.decode("utf-8")))
        except (ValueError, TypeError) as error:  # JSON, UTF-8 and shape errors alike
            if number < len(lines):  # a torn last line is expected after a crash
                logger.warning(
                    "%s:%d: skipping an unreadable result (%s); that pair runs again",
                    path, number, error,
                )  # fmt: skip
    return records


class BenchmarkResults:
    """All records of a run (resumed ones included), with shortcuts to reports.

    Example:
        >>> results = BenchmarkResults([BenchmarkRecord("q1", "reasoning", "flash", score=1.0)])
        >>> results.models, results.mean_score("flash")
        (['flash'], 1.0)
    """

    def __init__(self, records: Iterable[BenchmarkRecord]) -> None:
        self.records = list(records)

    @property
    def models(self) -> list[str]:
        """Model labels in first-seen order."""
        return list(dict.fromkeys(record.model for record in self.records))

    def for_model(self, model: str) -> list[BenchmarkRecord]:
        """The records of one model label."""
        return [record for record in self.records if record.model == model]

    def mean_score(self, model: str) -> float:
        """Mean score of one model over its successful records (``nan`` if none)."""
        scores = [r.score for r in self.for_model(model) if r.ok and r.score is not None]
        return sum(scores) / len(scores) if scores else float("nan")

    def report(self, **kwargs: Any) -> Any:
        """A :class:`~langchain_globalapi.bench.report.BenchmarkReport` of these records."""
        from langchain_globalapi.bench.report import BenchmarkReport  # noqa: PLC0415

        return BenchmarkReport(self.records, **kwargs)


class _ResultsFile:
    """Append-only JSONL writer shared by concurrent tasks; each line is flushed at once."""

    def __init__(self, path: Path | None, *, truncate: bool) -> None:
        self.path = path
        self._lock = threading.Lock()
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            if truncate:
                path.write_text("", encoding="utf-8")

    def append(self, record: BenchmarkRecord) -> None:
        if self.path is None:
            return
        with self._lock, self.path.open("a", encoding="utf-8") as fh:
            fh.write(record.to_json() + "\n")
            fh.flush()


def _label(model: BaseChatModel) -> str:
    return model_id_of(model) or type(model).__name__


def _resolve_scorers(
    golden: GoldenSet,
    scorers: Mapping[str, Scorer] | None,
    task_scorers: Mapping[str, Scorer] | None,
) -> dict[str, Scorer]:
    """One scorer per item id: the task override, else the item's named scorer."""
    available: dict[str, Scorer] = {**BUILTIN_SCORERS, **(scorers or {})}
    chosen: dict[str, Scorer] = {}
    for item in golden:
        if task_scorers and item.task in task_scorers:
            chosen[item.id] = task_scorers[item.task]
        elif item.scorer in available:
            chosen[item.id] = available[item.scorer]
        else:
            hint = NEEDS_CONFIGURATION.get(item.scorer, f"scorers={{{item.scorer!r}: callable}}")
            msg = f"item {item.id!r} uses scorer {item.scorer!r}, not configured: pass {hint}"
            raise GoldenSetError(msg)
    return chosen


def _measure(
    record: BenchmarkRecord,
    message: BaseMessage,
    latency_s: float,
    ttft_s: float | None,
    catalog: Catalog,
) -> None:
    meta = message.response_metadata
    raw_routing = meta.get("routing")
    routing: Mapping[str, Any] = raw_routing if isinstance(raw_routing, Mapping) else {}
    answered = routing.get("model") or meta.get("model_name") or meta.get("model")
    record.answered_model = str(answered) if answered else None
    tier = routing.get("tier") or catalog.tier_of(record.answered_model)
    record.tier = str(tier) if tier else None
    score = routing.get("score")
    record.routing_score = float(score) if isinstance(score, (int, float)) else None
    record.latency_s, record.ttft_s = latency_s, ttft_s
    usage = getattr(message, "usage_metadata", None) or {}
    if usage:
        record.input_tokens = int(usage.get("input_tokens", 0))
        record.output_tokens = int(usage.get("output_tokens", 0))
        generating_s = latency_s - (ttft_s or 0.0)
        if record.output_tokens and generating_s > 0:
            record.tokens_per_s = record.output_tokens / generating_s
    call = price_message(message, catalog) if isinstance(message, AIMessage) else None
    if call is not None:
        record.usd = None if call.usd is None else str(call.usd)
        record.reference_usd = None if call.reference_usd is None else str(call.reference_usd)


def _first_token(chunk: BaseMessage) -> bool:
    return bool(chunk.content or getattr(chunk, "tool_call_chunks", None))


Outcome = tuple[BaseMessage, float, float | None]


def _call(model: BaseChatModel, item: GoldenItem, *, stream: bool) -> Outcome:
    messages = [dict(message) for message in item.messages]
    start = time.perf_counter()
    if not stream:
        return model.invoke(messages), time.perf_counter() - start, None
    first: float | None = None
    aggregate: Any = None
    for chunk in model.stream(messages):
        if first is None and _first_token(chunk):
            first = time.perf_counter() - start
        aggregate = chunk if aggregate is None else aggregate + chunk
    return aggregate or AIMessage(content=""), time.perf_counter() - start, first


async def _acall(model: BaseChatModel, item: GoldenItem, *, stream: bool) -> Outcome:
    messages = [dict(message) for message in item.messages]
    start = time.perf_counter()
    if not stream:
        return await model.ainvoke(messages), time.perf_counter() - start, None
    first: float | None = None
    aggregate: Any = None
    async for chunk in model.astream(messages):
        if first is None and _first_token(chunk):
            first = time.perf_counter() - start
        aggregate = chunk if aggregate is None else aggregate + chunk
    return aggregate or AIMessage(content=""), time.perf_counter() - start, first


def _progress_bar(enabled: bool) -> Progress:
    # rich costs ~25 ms and 54 modules; import it when a run starts, not with the package.
    from rich.progress import (  # noqa: PLC0415
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    return Progress(*columns, disable=not enabled)


class _Run:
    """The state one benchmark run shares between its sync and async drivers."""

    def __init__(
        self,
        golden: GoldenSet,
        models: Mapping[str, BaseChatModel] | Sequence[BaseChatModel],
        options: dict[str, Any],
    ) -> None:
        owner = "run_benchmark"
        self.concurrency = positive_int(owner, "concurrency", options["concurrency"])
        rate = options["requests_per_s"]
        if rate is not None:
            rate = positive_number(owner, "requests_per_s", rate)
        self.golden = golden
        self.models = (
            dict(models) if isinstance(models, Mapping) else {_label(m): m for m in models}
        )
        self.scorers = _resolve_scorers(golden, options["scorers"], options["task_scorers"])
        self.catalog = options["catalog"] or Catalog.default()
        self.stream = bool(options["stream"])
        path = Path(options["results_path"]) if options["results_path"] is not None else None
        previous = load_results(path) if path is not None and options["resume"] else []
        self.done = {(r.model, r.item_id): r for r in previous if r.ok}
        self.writer = _ResultsFile(path, truncate=not options["resume"])
        self.limiter = (
            InMemoryRateLimiter(requests_per_second=rate, check_every_n_seconds=0.01)
            if rate is not None
            else None
        )
        self.pending = [
            (label, item)
            for label in self.models
            for item in golden
            if (label, item.id) not in self.done
        ]
        self.fresh: list[BenchmarkRecord] = []
        self.progress = _progress_bar(options["progress"])
        self.task_id = self.progress.add_task(
            f"{golden.name} x {len(self.models)} models", total=len(self.pending)
        )

    def finish(self, label: str, item: GoldenItem, outcome: Outcome | BaseException) -> None:
        """Measure, score, persist and count one answer (or its failure)."""
        record = BenchmarkRecord(item.id, item.task, label, scorer=item.scorer)
        if isinstance(outcome, BaseException):
            record.error = f"{type(outcome).__name__}: {outcome}"
        else:
            message, latency_s, ttft_s = outcome
            record.output = str(message.text)
            _measure(record, message, latency_s, ttft_s, self.catalog)
            try:
                record.score = run_scorer(
                    self.scorers[item.id],
                    record.output,
                    item.expected,
                    item.scorer_options,
                    item.question,
                )
            except Exception as exc:  # a broken scorer is reported per item, not fatal
                record.error = f"scorer {item.scorer!r} failed: {type(exc).__name__}: {exc}"
        self.writer.append(record)
        self.fresh.append(record)
        self.progress.advance(self.task_id)

    def sync_one(self, label: str, item: GoldenItem) -> None:
        if self.limiter is not None:
            self.limiter.acquire()
        try:
            outcome: Any = _call(self.models[label], item, stream=self.stream)
        except Exception as exc:  # one failed call must not end the run
            outcome = exc
        self.finish(label, item, outcome)

    async def async_one(self, label: str, item: GoldenItem, semaphore: asyncio.Semaphore) -> None:
        async with semaphore:
            if self.limiter is not None:
                await self.limiter.aacquire()
            try:
                outcome: Any = await _acall(self.models[label], item, stream=self.stream)
            except Exception as exc:  # one failed call must not end the run
                outcome = exc
        # Judges and embedding scorers make blocking calls: keep them off the event loop.
        await asyncio.to_thread(self.finish, label, item, outcome)

    def results(self) -> BenchmarkResults:
        latest = {(r.model, r.item_id): r for r in [*self.done.values(), *self.fresh]}
        keys = [(label, item.id) for label in self.models for item in self.golden]
        return BenchmarkResults([latest[key] for key in keys if key in latest])


async def arun_benchmark(
    golden: GoldenSet,
    models: Mapping[str, BaseChatModel] | Sequence[BaseChatModel],
    *,
    results_path: str | Path | None = None,
    resume: bool = True,
    scorers: Mapping[str, Scorer] | None = None,
    task_scorers: Mapping[str, Scorer] | None = None,
    concurrency: int = 4,
    requests_per_s: float | None = None,
    stream: bool = True,
    catalog: Catalog | None = None,
    progress: bool = True,
) -> BenchmarkResults:
    """Async :func:`run_benchmark` (``astream``/``ainvoke``), for code already in an event loop."""
    run = _Run(golden, models, dict(locals()))
    semaphore = asyncio.Semaphore(run.concurrency)
    with run.progress:
        await asyncio.gather(
            *(run.async_one(label, item, semaphore) for label, item in run.pending)
        )
    return run.results()


def run_benchmark(
    golden: GoldenSet,
    models: Mapping[str, BaseChatModel] | Sequence[BaseChatModel],
    *,
    results_path: str | Path | None = None,
    resume: bool = True,
    scorers: Mapping[str, Scorer] | None = None,
    task_scorers: Mapping[str, Scorer] | None = None,
    concurrency: int = 4,
    requests_per_s: float | None = None,
    stream: bool = True,
    catalog: Catalog | None = None,
    progress: bool = True,
) -> BenchmarkResults:
    """Run every item of ``golden`` through every model, score it, and persist as it goes.

    Args:
        golden: The golden set.
        models: Chat models or routers to compare, by label (a sequence is labelled by model
            name).
        results_path: JSONL file each record is appended to as soon as it is scored.
        resume: Skip (model, item) pairs already scored in ``results_path``; ``False`` starts
            the file afresh. Failed pairs are always retried.
        scorers: Extra or overriding scorers by name (``"judge"``, ``"embedding"``, custom).
        task_scorers: Scorers that replace the named one for every item of a task type, e.g.
            ``{"free_text": PairwiseJudge(judge_model)}``.
        concurrency: Calls in flight at once, across all models (an integer >= 1).
        requests_per_s: Rate limit across all models, a finite number > 0 (``None``:
            unlimited). A bad value raises ``InvalidSettingError`` before any call.
        stream: Stream each answer, which is how time to first token is measured.
        catalog: Prices for the USD columns (the default catalog otherwise).
        progress: Show a ``rich`` progress bar.

    Returns:
        The records of every requested (model, item) pair, resumed ones included.

    Example:
        >>> from langchain_globalapi import ChatGlobalAPI
        >>> from langchain_globalapi.testing import FakeOpenAIServer
        >>> golden = GoldenSet.parse(['{"id": "q", "task": "qa", "prompt": "hi", "expected": '
        ...                           '"[m] hi", "scorer": "exact"}'])
        >>> with FakeOpenAIServer() as server:
        ...     model = ChatGlobalAPI(model="m", api_key="k", base_url=server.base_url)
        ...     results = run_benchmark(golden, {"m": model}, progress=False)
        >>> results.mean_score("m")
        1.0
    """
    run = _Run(golden, models, dict(locals()))
    # Threads, not asyncio.run: async clients cached by a model are bound to the loop that
    # made them, so a second asyncio.run() would find that loop closed.
    with run.progress, ThreadPoolExecutor(run.concurrency, thread_name_prefix="bench") as pool:
        for future in [pool.submit(run.sync_one, label, item) for label, item in run.pending]:
            future.result()
    return run.results()
