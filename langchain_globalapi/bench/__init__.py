"""The benchmark harness: golden sets, scorers, the concurrent resumable runner, reports, replay.

Example:
    >>> from langchain_globalapi.bench import GoldenSet, rouge_l
    >>> len(GoldenSet.default()) >= 60
    True
"""

from langchain_globalapi.bench.golden import DEFAULT_SCORERS, GoldenItem, GoldenSet
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
    "rouge_l",
    "run_benchmark",
]
