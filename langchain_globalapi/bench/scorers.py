"""Score one model answer against an expected answer: labels, JSON fields, numbers, overlap, judge.

A scorer is any callable ``scorer(output, expected, **options) -> float | bool`` returning a
score in [0, 1] (``True``/``False`` count as 1/0). Options come from the golden record's
``scorer_options``; scorers that want the question (the judge) also receive ``question=``.
Custom scorers are plain functions: pass ``scorers={"my_name": my_function}`` to the runner.

The built-ins need no model: ``exact``, ``label``, ``json_fields``, ``numeric``, ``rouge_l``.
Two need one and so are objects you build: :class:`EmbeddingSimilarity` (an ``Embeddings``)
and :class:`PairwiseJudge` (a chat model that compares two answers in both orders, because
judges prefer whichever answer they see first).
"""

from __future__ import annotations

import inspect
import json
import math
import re
import string
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings
from langchain_core.language_models import BaseChatModel

__all__ = [
    "BUILTIN_SCORERS",
    "EmbeddingSimilarity",
    "PairwiseJudge",
    "PairwiseVerdict",
    "Scorer",
    "exact_match",
    "extract_label",
    "final_number",
    "json_fields",
    "label_match",
    "normalize_text",
    "numeric_answer",
    "parse_json_object",
    "rouge_l",
    "run_scorer",
]

Scorer = Callable[..., float | bool]

_PUNCTUATION = str.maketrans(dict.fromkeys(string.punctuation, " "))
_NUMBER = re.compile(r"-?\$?\d[\d,]*(?:\.\d+)?|-?\.\d+")


def normalize_text(text: Any) -> str:
    """Lowercase, turn punctuation into spaces and collapse whitespace."""
    return " ".join(str(text).lower().translate(_PUNCTUATION).split())


def exact_match(output: str, expected: Any, **_: Any) -> float:
    """1.0 when the stripped output equals the expected text exactly, else 0.0."""
    return float(output.strip() == str(expected).strip())


def extract_label(output: str, labels: Iterable[str]) -> str | None:
    """The label an answer gives: the whole answer if it is one, else the first one mentioned.

    Example:
        >>> extract_label("Sentiment: Negative.", ["positive", "negative"])
        'negative'
    """
    text = normalize_text(output)
    normalized = {normalize_text(label): label for label in labels}
    if text in normalized:
        return normalize_text(normalized[text])
    padded = f" {text} "
    hits = [(padded.find(f" {norm} "), norm) for norm in normalized if f" {norm} " in padded]
    return min(hits)[1] if hits else None


def label_match(
    output: str, expected: Any, *, labels: Iterable[str] | None = None, **_: Any
) -> float:
    """Normalized label match; with ``labels``, the label is first extracted from the answer.

    ``expected`` may be a list of acceptable labels.

    Example:
        >>> label_match("The answer is: BILLING", "billing", labels=["billing", "bug"])
        1.0
    """
    accepted = {normalize_text(e) for e in (expected if isinstance(expected, list) else [expected])}
    given = extract_label(output, labels) if labels else normalize_text(output)
    return float(given in accepted)


def parse_json_object(text: str) -> Any | None:
    """The first JSON value in ``text`` (code fences and chatter around it ignored), or None."""
    stripped = text.strip()
    fence = re.search(r"```(?:json)?\s*(.*?)```", stripped, re.DOTALL)
    if fence:
        stripped = fence.group(1).strip()
    try:
        return json.loads(stripped)
    except json.JSONDecodeError:
        pass
    decoder = json.JSONDecoder()
    for match in re.finditer(r"[\[{]", stripped):
        try:
            return decoder.raw_decode(stripped[match.start() :])[0]
        except json.JSONDecodeError:
            continue
    return None


def _same_value(got: Any, want: Any) -> bool:
    if isinstance(want, bool) or isinstance(got, bool):
        return bool(got == want)
    if isinstance(want, (int, float)):
        number = _to_float(got)
        return number is not None and math.isclose(number, float(want), rel_tol=1e-6, abs_tol=1e-9)
    if isinstance(want, list) and isinstance(got, list):
        return sorted(map(normalize_text, got)) == sorted(map(normalize_text, want))
    if isinstance(want, dict) and isinstance(got, dict):
        return all(_same_value(got.get(k), v) for k, v in want.items())
    if want is None:
        return got is None
    return normalize_text(got) == normalize_text(want)


def json_fields(
    output: str, expected: Mapping[str, Any], *, fields: Iterable[str] | None = None, **_: Any
) -> float:
    """Share of expected fields the answer's JSON object gets right (values normalized).

    Example:
        >>> json_fields('{"name": "Ada", "year": "1843"}', {"name": "ada", "year": 1843})
        1.0
        >>> json_fields("no json here", {"name": "Ada"})
        0.0
    """
    keys = list(fields) if fields is not None else list(expected)
    if not keys:
        return 1.0
    got = parse_json_object(output)
    if not isinstance(got, dict):
        return 0.0
    return sum(_same_value(got.get(key), expected.get(key)) for key in keys) / len(keys)


def _to_float(value: Any) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    match = _NUMBER.search(str(value))
    if not match:
        return None
    try:
        return float(match.group(0).replace(",", "").replace("$", ""))
    except ValueError:
        return None


def final_number(text: str) -> float | None:
    """The final numeric answer: after ``####``, in a LaTeX box, after "answer is", else the last.

    Example:
        >>> final_number("9 eggs at $2 each make $18. #### 18")
        18.0
        >>> final_number("So the total is 1,250 dollars.")
        1250.0
    """
    for pattern in (r"####\s*([^\n]+)", r"\\boxed\{([^}]*)\}", r"answer is[:\s]*([^\n]+)"):
        found = re.findall(pattern, text, re.IGNORECASE)
        if found and (number := _to_float(found[-1])) is not None:
            return number
    numbers = _NUMBER.findall(text)
    return _to_float(numbers[-1]) if numbers else None


def numeric_answer(
    output: str, expected: Any, *, rel_tol: float = 1e-6, abs_tol: float = 1e-9, **_: Any
) -> float:
    """1.0 when the answer's final number equals the expected one (within tolerance)."""
    got = final_number(output)
    want = _to_float(expected) if not isinstance(expected, str) else final_number(expected)
    if got is None or want is None:
        return 0.0
    return float(math.isclose(got, want, rel_tol=rel_tol, abs_tol=abs_tol))


def _lcs_length(a: list[str], b: list[str]) -> int:
    previous = [0] * (len(b) + 1)
    for token in a:
        current = [0]
        for j, other in enumerate(b):
            current.append(previous[j] + 1 if token == other else max(previous[j + 1], current[j]))
        previous = current
    return previous[-1]


def rouge_l(output: str, expected: Any, *, beta: float = 1.0, **_: Any) -> float:
    """ROUGE-L F-measure on normalized word tokens (longest common subsequence).

    Example:
        >>> round(rouge_l("the cat sat on the mat", "the cat lay on the mat"), 3)
        0.833
    """
    candidates = expected if isinstance(expected, list) else [expected]
    best = 0.0
    out_tokens = normalize_text(output).split()
    for reference in candidates:
        ref_tokens = normalize_text(reference).split()
        lcs = _lcs_length(out_tokens, ref_tokens)
        if lcs == 0:
            continue
        precision, recall = lcs / len(out_tokens), lcs / len(ref_tokens)
        score = (1 + beta**2) * precision * recall / (recall + beta**2 * precision)
        best = max(best, score)
    return best


class EmbeddingSimilarity:
    """Cosine similarity of the answer's and the expected text's embeddings, clipped to [0, 1].

    With ``threshold``, the score is 1 at or above it and 0 below (a pass/fail screen). Weak on
    its own for free text: similar wording is not a correct answer.

    Example:
        >>> from langchain_core.embeddings import DeterministicFakeEmbedding
        >>> similarity = EmbeddingSimilarity(DeterministicFakeEmbedding(size=16))
        >>> similarity("same words", "same words")
        1.0
    """

    def __init__(self, embeddings: Embeddings, *, threshold: float | None = None) -> None:
        self.embeddings = embeddings
        self.threshold = threshold

    def __call__(self, output: str, expected: Any, **_: Any) -> float:
        """Score one answer."""
        vectors = np.asarray(self.embeddings.embed_documents([output, str(expected)]), dtype=float)
        norms = np.linalg.norm(vectors, axis=1)
        if norms.min() == 0:
            return 0.0
        cosine = float(vectors[0] @ vectors[1] / (norms[0] * norms[1]))
        similarity = round(min(max(cosine, 0.0), 1.0), 9)
        if self.threshold is not None:
            return float(similarity >= self.threshold)
        return similarity


_JUDGE_PROMPT = """You are comparing two answers to the same question. {criteria}
Reply with [[A]] if answer A is better, [[B]] if answer B is better, or [[C]] for a tie.

[Question]
{question}

[Answer A]
{a}

[Answer B]
{b}"""


@dataclass(frozen=True)
class PairwiseVerdict:
    """The judge's two verdicts ("A", "B", "tie" or "invalid") and the candidate's score."""

    candidate_first: str
    candidate_second: str
    score: float


def _verdict(text: str) -> str:
    found = re.findall(r"\[\[([ABC])\]\]", text)
    if not found:
        return "invalid"
    return {"A": "A", "B": "B", "C": "tie"}[found[-1]]


class PairwiseJudge:
    """An LLM judge that compares a candidate with a reference answer, in both orders.

    The score is the candidate's mean result over the two orders (win 1, tie 0.5, loss 0; an
    unparseable verdict counts as a tie), so position bias cancels instead of deciding.

    Example:
        >>> from langchain_core.language_models import GenericFakeChatModel
        >>> judge = PairwiseJudge(GenericFakeChatModel(messages=iter(["[[A]]", "[[B]]"])))
        >>> judge("Paris", "Lyon", question="Capital of France?")
        1.0
    """

    def __init__(
        self,
        judge: BaseChatModel,
        *,
        criteria: str = "Judge correctness first, then helpfulness; ignore length and style.",
    ) -> None:
        self.judge = judge
        self.criteria = criteria

    def _ask(self, question: str, a: str, b: str) -> str:
        prompt = _JUDGE_PROMPT.format(criteria=self.criteria, question=question, a=a, b=b)
        return _verdict(str(self.judge.invoke(prompt).text))

    def compare(self, question: str, candidate: str, reference: str) -> PairwiseVerdict:
        """Ask the judge twice, swapping positions, and score the candidate."""
        first = self._ask(question, candidate, reference)
        second = self._ask(question, reference, candidate)
        points = {"A": 1.0, "B": 0.0, "tie": 0.5, "invalid": 0.5}
        score = (points[first] + 1.0 - points[second]) / 2
        return PairwiseVerdict(first, second, score)

    def __call__(self, output: str, expected: Any, *, question: str = "", **_: Any) -> float:
        """Score an answer against the expected (reference) answer."""
        return self.compare(question, output, str(expected)).score


BUILTIN_SCORERS: dict[str, Scorer] = {
    "exact": exact_match,
    "label": label_match,
    "json_fields": json_fields,
    "numeric": numeric_answer,
    "rouge_l": rouge_l,
}

# Names golden sets may use whose scorer needs a model the caller must supply.
NEEDS_CONFIGURATION = {
    "embedding": "scorers={'embedding': EmbeddingSimilarity(embeddings)}",
    "judge": "scorers={'judge': PairwiseJudge(judge_model)}",
}


def _accepts_question(scorer: Scorer) -> bool:
    try:
        parameters = inspect.signature(scorer).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(p.name == "question" or p.kind is p.VAR_KEYWORD for p in parameters)


def run_scorer(
    scorer: Scorer, output: str, expected: Any, options: Mapping[str, Any], question: str
) -> float:
    """Call a scorer with its options (and ``question=`` if it takes it); clamp to [0, 1]."""
    kwargs = dict(options)
    if _accepts_question(scorer):
        kwargs.setdefault("question", question)
    value = float(scorer(output, expected, **kwargs))
    if math.isnan(value):
        return 0.0
    return min(max(value, 0.0), 1.0)
