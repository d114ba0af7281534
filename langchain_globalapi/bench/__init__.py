"""The benchmark harness: golden sets, scorers, the concurrent resumable runner, reports, replay.

Example:
    >>> from langchain_globalapi.bench import GoldenSet, rouge_l
    >>> len(GoldenSet.default()) >= 60
    True
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from langchain_globalapi._lazy import lazy_exports

if TYPE_CHECKING:
    from langchain_globalapi.bench.golden import DEFAULT_SCORERS, GoldenItem, GoldenSet
    from langchain_globalapi.bench.outcomes import outcomes_from_records
    from langchain_globalapi.bench.runner import (
        BenchmarkRecord,
        BenchmarkResults,
        arun_benchmark,
        load_results,
        run_benchmark,
    )
    from langchain_globalapi.bench.scorers import (
        BUILTIN_SCORERS,
        EmbeddingSimilarity,
        PairwiseJudge,
        PairwiseVerdict,
        Scorer,
        exact_match,
        final_number,
        json_fields,
        label_match,
        numeric_answer,
        rouge_l,
    )

# Public name -> the submodule that defines it, imported on first use (see `_lazy.py`).
_EXPORTS: dict[str, str] = {
    "DEFAULT_SCORERS": "golden",
    "GoldenItem": "golden",
    "GoldenSet": "golden",
    "outcomes_from_records": "outcomes",
    "BenchmarkRecord": "runner",
    "BenchmarkResults": "runner",
    "arun_benchmark": "runner",
    "load_results": "runner",
    "run_benchmark": "runner",
    "BUILTIN_SCORERS": "scorers",
    "EmbeddingSimilarity": "scorers",
    "PairwiseJudge": "scorers",
    "PairwiseVerdict": "scorers",
    "Scorer": "scorers",
    "exact_match": "scorers",
    "final_number": "scorers",
    "json_fields": "scorers",
    "label_match": "scorers",
    "numeric_answer": "scorers",
    "rouge_l": "scorers",
}

__all__ = [
    "BUILTIN_SCORERS",
    "DEFAULT_SCORERS",
    "BenchmarkRecord",
    "BenchmarkResults",
    "EmbeddingSimilarity",
    "GoldenItem",
    "GoldenSet",
    "PairwiseJudge",
    "PairwiseVerdict",
    "Scorer",
    "arun_benchmark",
    "exact_match",
    "final_number",
    "json_fields",
    "label_match",
    "load_results",
    "numeric_answer",
    "outcomes_from_records",
    "rouge_l",
    "run_benchmark",
]

if not TYPE_CHECKING:  # type checkers read the imports above; an unknown name stays an error
    __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, __all__)
