"""Load and validate golden sets: JSONL files of prompts with expected answers and scorers.

One JSON object per line::

    {"id": "cls-001", "task": "classification",
     "prompt": "Is this review positive or negative? ...",
     "expected": "negative", "scorer": "label",
     "scorer_options": {"labels": ["positive", "negative"]}}

``messages`` (a list of ``{"role", "content"}``) may replace ``prompt``; ``scorer`` defaults by
task type (see :data:`DEFAULT_SCORERS`); ``metadata`` is free-form and travels into the results.
Every problem is reported as a :class:`~langchain_globalapi.errors.GoldenSetError` that names
the file and the 1-based line, so a 500-line set can be fixed without bisecting it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from langchain_globalapi._files import at_line, jsonl_lines, parse_json
from langchain_globalapi.errors import GoldenSetError

__all__ = ["DEFAULT_SCORERS", "GoldenItem", "GoldenSet"]

#: The scorer used when a record names none, by task type.
DEFAULT_SCORERS: dict[str, str] = {
    "classification": "label",
    "extraction": "json_fields",
    "reasoning": "numeric",
    "summarization": "rouge_l",
    "free_text": "rouge_l",
}

_ROLES = frozenset({"system", "user", "assistant", "human", "ai"})
_KNOWN_KEYS = frozenset(
    {"id", "task", "prompt", "messages", "expected", "scorer", "scorer_options", "metadata"}
)


@dataclass(frozen=True)
class GoldenItem:
    """One golden prompt: what to ask, what a good answer is, and how to score it.

    Example:
        >>> messages = ({"role": "user", "content": "2+2?"},)
        >>> GoldenItem("q1", "reasoning", messages, 4, "numeric").question
        '2+2?'
    """

    id: str
    task: str
    messages: tuple[dict[str, str], ...]
    expected: Any
    scorer: str
    scorer_options: dict[str, Any] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def question(self) -> str:
        """The last user message: what a judge is shown as the question."""
        for message in reversed(self.messages):
            if message["role"] in {"user", "human"}:
                return message["content"]
        return self.messages[-1]["content"]


def _fail(message: str, path: str | None, line: int | None) -> GoldenSetError:
    return GoldenSetError(message, path=path, line=line)


def _messages(
    record: Mapping[str, Any], path: str | None, line: int | None
) -> tuple[dict[str, str], ...]:
    has_prompt, has_messages = "prompt" in record, "messages" in record
    if has_prompt == has_messages:
        msg = 'give exactly one of "prompt" (a string) or "messages" (a list of role/content)'
        raise _fail(msg, path, line)
    if has_prompt:
        prompt = record["prompt"]
        if not isinstance(prompt, str) or not prompt.strip():
            raise _fail('"prompt" must be a non-empty string', path, line)
        return ({"role": "user", "content": prompt},)
    raw = record["messages"]
    if not isinstance(raw, list) or not raw:
        raise _fail('"messages" must be a non-empty list of {"role", "content"}', path, line)
    messages: list[dict[str, str]] = []
    for i, message in enumerate(raw):
        if (
            not isinstance(message, dict)
            or message.get("role") not in _ROLES
            or not isinstance(message.get("content"), str)
        ):
            msg = (
                f'"messages"[{i}] must be {{"role": one of {sorted(_ROLES)}, "content": str}}, '
                f"got {message!r}"
            )
            raise _fail(msg, path, line)
        messages.append({"role": message["role"], "content": message["content"]})
    return tuple(messages)


def _item(
    record: Any,
    *,
    path: str | None,
    line: int | None,
    known_scorers: Iterable[str] | None,
) -> GoldenItem:
    if not isinstance(record, dict):
        raise _fail(f"a record must be a JSON object, got {type(record).__name__}", path, line)
    unknown = sorted(set(record) - _KNOWN_KEYS)
    if unknown:
        msg = f"unknown key(s) {unknown}; allowed: {sorted(_KNOWN_KEYS)} (put extras in metadata)"
        raise _fail(msg, path, line)
    item_id = record.get("id")
    if not isinstance(item_id, (str, int)) or isinstance(item_id, bool) or str(item_id) == "":
        raise _fail('"id" is missing: every record needs a unique string id', path, line)
    task = record.get("task")
    if not isinstance(task, str) or not task:
        msg = f'"task" is missing: name the task type, e.g. one of {sorted(DEFAULT_SCORERS)}'
        raise _fail(msg, path, line)
    if "expected" not in record:
        msg = '"expected" is missing (use null when only a judge scores it)'
        raise _fail(msg, path, line)
    scorer = record.get("scorer", DEFAULT_SCORERS.get(task))
    if not isinstance(scorer, str) or not scorer:
        msg = f'"scorer" is missing and task {task!r} has no default scorer: name one'
        raise _fail(msg, path, line)
    if known_scorers is not None and scorer not in set(known_scorers):
        msg = f"unknown scorer {scorer!r}; known: {sorted(known_scorers)}"
        raise _fail(msg, path, line)
    options = record.get("scorer_options", {})
    metadata = record.get("metadata", {})
    if not isinstance(options, dict) or not isinstance(metadata, dict):
        raise _fail('"scorer_options" and "metadata" must be JSON objects', path, line)
    return GoldenItem(
        id=str(item_id),
        task=task,
        messages=_messages(record, path, line),
        expected=record["expected"],
        scorer=scorer,
        scorer_options=dict(options),
        metadata=dict(metadata),
    )


class GoldenSet:
    """An ordered, validated set of :class:`GoldenItem` with unique ids.

    Example:
        >>> lines = ['{"id": "a", "task": "reasoning", "prompt": "2+2?", "expected": 4}']
        >>> golden = GoldenSet.parse(lines)
        >>> len(golden), golden["a"].scorer
        (1, 'numeric')
        >>> no_expected = '{"id": "a", "task": "reasoning", "prompt": "x"}'
        >>> GoldenSet.parse([no_expected])  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        langchain_globalapi.errors.GoldenSetError: <records>:1: "expected" is missing ...
    """

    def __init__(self, items: Iterable[GoldenItem], *, name: str = "golden") -> None:
        self.items = tuple(items)
        self.name = name
        self._by_id: dict[str, GoldenItem] = {}
        for item in self.items:
            if item.id in self._by_id:
                raise GoldenSetError(f"duplicate id {item.id!r}")
            self._by_id[item.id] = item

    @classmethod
    def parse(
        cls,
        lines: Iterable[str],
        *,
        path: str | None = None,
        known_scorers: Iterable[str] | None = None,
    ) -> GoldenSet:
        """Parse JSONL lines (blank lines skipped); errors name ``path`` and the line number."""
        known = None if known_scorers is None else tuple(known_scorers)
        items: list[GoldenItem] = []
        first_line: dict[str, int] = {}
        for number, text in enumerate(lines, start=1):
            if not text.strip():
                continue
            record = parse_json(
                text, at_line(lambda message, line: _fail(message, path, line), number)
            )
            item = _item(record, path=path, line=number, known_scorers=known)
            if item.id in first_line:
                msg = f"duplicate id {item.id!r} (first used on line {first_line[item.id]})"
                raise _fail(msg, path, number)
            first_line[item.id] = number
            items.append(item)
        if not items:
            raise GoldenSetError(f"{path or 'the golden set'} holds no records")
        return cls(items, name=Path(path).stem if path else "golden")

    @classmethod
    def load(cls, path: str | Path, *, known_scorers: Iterable[str] | None = None) -> GoldenSet:
        """Read a JSONL file; see :meth:`parse`."""
        path = Path(path)
        if not path.exists():
            raise GoldenSetError(f"golden set {str(path)!r} does not exist")

        def fail(message: str, line: int | None) -> GoldenSetError:
            return _fail(message, str(path), line)

        # Decoded line by line, so a bad byte is reported on its own line; blank lines
        # keep their numbers.
        numbered = dict(jsonl_lines(path, fail, what="golden set"))
        lines = [numbered.get(n, "") for n in range(1, max(numbered, default=0) + 1)]
        return cls.parse(lines, path=str(path), known_scorers=known_scorers)

    @classmethod
    def default(cls) -> GoldenSet:
        """The package's own 60-item set (classification, extraction, summarization, ...)."""
        return cls.load(Path(__file__).parent / "data" / "golden_v1.jsonl")

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[GoldenItem]:
        return iter(self.items)

    def __getitem__(self, item_id: str) -> GoldenItem:
        return self._by_id[item_id]

    @property
    def tasks(self) -> list[str]:
        """Task types present, sorted."""
        return sorted({item.task for item in self.items})

    def filter(self, *, task: str | None = None, limit: int | None = None) -> GoldenSet:
        """A subset: one task type and/or the first ``limit`` items."""
        items = [item for item in self.items if task is None or item.task == task]
        return GoldenSet(items[:limit], name=self.name)
