"""The heuristic complexity scorer: hand-weighted cues read from a bounded window of the prompt.

:class:`HeuristicScorer` scores a request with a logistic function of interpretable cue counts
(length, code, math, reasoning words, requested structure, tools, conversation depth).
:func:`heuristic_signal_values` extracts them from the first :data:`HEAD_CHARS` and last
:data:`TAIL_CHARS` characters of the last user message in one pass over its UTF-8 bytes, so a
decision costs the same whatever the prompt's length. The cue words themselves are shared with
the learned scorer and live in :mod:`~langchain_globalapi.routing.scorers`.
"""

from __future__ import annotations

import math
import re
import string

from langchain_core.language_models import LanguageModelInput

from langchain_globalapi.routing.scorers import (
    CUE_WORDS,
    HEAD_CHARS,
    LENGTH_SCALE,
    SYMBOLS,
    TAIL_CHARS,
    ComplexityScorer,
    Conversation,
    Tools,
    scan_window,
)

__all__ = [
    "HEAD_CHARS",
    "HEURISTIC_BIAS",
    "HEURISTIC_SIGNAL_NAMES",
    "HEURISTIC_WEIGHTS",
    "TAIL_CHARS",
    "HeuristicScorer",
    "heuristic_signal_values",
]

_CUE_BYTES: tuple[frozenset[bytes], ...] = tuple(
    frozenset(word.encode() for word in words) for words in CUE_WORDS.values()
)
_SYMBOL_TOKENS = {ord(symbol): symbol.encode() for symbol in SYMBOLS}
_NON_SYMBOLS = bytes(i for i in range(256) if i not in _SYMBOL_TOKENS)
# ASCII punctuation and the separators \x1c-\x1f (which str.split splits on, bytes.split not)
# become spaces; UTF-8 multi-byte sequences contain no ASCII bytes, so any script survives.
_TO_SPACE_ASCII = bytes.maketrans(
    (string.punctuation + "_\x1c\x1d\x1e\x1f").encode(), b" " * (len(string.punctuation) + 5)
)
# (a word of the phrase, the phrase): the substring search (~1 us on a full window) runs only
# when that word is a token of the message.
_PHRASE_BYTES: tuple[tuple[bytes, bytes], ...] = (
    (b"step", b"step by step"),
    (b"how", b"how many"),
    (b"how", b"how much"),
    (b"only", b"if and only if"),
    (b"`", b"```"),
)
# Every cue word plus the tokens that gate a search (phrases; "b" of a "B. " option line): the
# one set each token is looked up in.
_LOOKUP = frozenset().union(*_CUE_BYTES, (word for word, _ in _PHRASE_BYTES), (b"b",))
_OPTION_LINE = re.compile(rb"\n[A-J][.)] ")  # a multiple-choice option line: "A. ..." / "B) ..."

#: The heuristic's signals, in the order :func:`heuristic_signal_values` returns them. Spelled
#: out rather than derived from ``SIGNAL_NAMES`` (which adds ``option_chars``): it must follow
#: that function's return list position by position.
HEURISTIC_SIGNAL_NAMES: tuple[str, ...] = (
    *CUE_WORDS,
    "chars",
    "log_chars",
    "numbers",
    "questions",
    "options",
    "uppercase_negation",
    "user_turns",
    "system_chars",
    "media",
    "tools",
    "tool_calls_in_history",
)


def heuristic_signal_values(conversation: Conversation) -> list[float]:
    """:class:`HeuristicScorer`'s signals as a list in :data:`HEURISTIC_SIGNAL_NAMES` order.

    Cue counts are numbers of *distinct* cue words (phrases add to ``reasoning``) and ``numbers``
    of distinct all-digit tokens, all within the head-and-tail window (:data:`HEAD_CHARS`,
    :data:`TAIL_CHARS`), as are ``questions``, ``options`` and ``uppercase_negation``; ``chars``
    and ``log_chars`` (scaled to about [0, 1]) are the whole message's. Every script is scanned
    as UTF-8 bytes, so only ASCII letters are lower-cased and only ASCII digits, punctuation and
    whitespace separate tokens; all cue words are ASCII, so no cue is lost.

    Example:
        >>> values = heuristic_signal_values(Conversation.from_input("Solve 2x = 4. Why?"))
        >>> dict(zip(HEURISTIC_SIGNAL_NAMES, values))["math"]  # "solve" and "="
        2.0
    """
    chars = len(conversation.text)
    encoded = scan_window(conversation.text).encode("utf-8", "replace")
    raw = encoded.lower()
    tokens = raw.translate(_TO_SPACE_ASCII).split()
    # Looking every token up in one frozen set of all cue words is cheaper than building the
    # set of all distinct tokens (most tokens are not cues, so nothing is inserted for them).
    found = _LOOKUP.intersection(tokens)
    numbers = len(set(filter(bytes.isdigit, tokens)))
    # One pass keeps only the symbol bytes; their set replaces 20 substring scans.
    symbols = set(raw.translate(None, _NON_SYMBOLS))
    found = found.union(map(_SYMBOL_TOKENS.__getitem__, symbols))
    counts = [len(found & words) for words in _CUE_BYTES]
    counts[2] += sum(phrase in raw for word, phrase in _PHRASE_BYTES if word in found)
    options = len(_OPTION_LINE.findall(b"\n" + encoded)) if b"b" in found else 0
    shouted = (b"not" in found and b" NOT " in encoded) or (
        b"except" in found and b" EXCEPT" in encoded
    )
    return [
        *map(float, counts),
        float(chars),
        math.log1p(chars) / LENGTH_SCALE,
        float(numbers),
        float(encoded.count(b"?")),
        float(options),
        float(shouted),
        float(conversation.user_turns),
        float(conversation.system_chars),
        float(conversation.media),
        float(conversation.tools),
        float(conversation.tool_calls_in_history),
    ]


# Hand-set weights on saturating (log1p) counts; sign and rough size come from the cue's meaning,
# checked only against the training subjects (see scripts/train_scorer.py), never held-out ones.
HEURISTIC_WEIGHTS: dict[str, float] = {
    "log_chars": 1.6,
    "code": 0.5,
    "math": 0.45,
    "reasoning": 0.45,
    "multi_step": 0.2,
    "structured_output": 0.3,
    "negation": 0.25,
    "uppercase_negation": 0.3,
    "numbers": 0.2,
    "questions": 0.1,
    "options": -0.1,
    "user_turns": 0.3,
    "media": 0.6,
    "tools": 0.4,
    "tool_calls_in_history": 0.3,
}
HEURISTIC_BIAS = -2.2
_HEURISTIC_INDEX = {name: i for i, name in enumerate(HEURISTIC_SIGNAL_NAMES)}
_LOG_CHARS = _HEURISTIC_INDEX["log_chars"]


class HeuristicScorer(ComplexityScorer):
    """A weighted sum of interpretable cues, squashed to [0, 1] with a logistic function.

    Cues: length, code, math, multi-step reasoning words, requested structured output, negated
    questions, numbers, images, tools offered or already called, and conversation depth.
    Each count enters as ``log1p(count)`` so one cue cannot dominate. Cues are read from a
    bounded window of the last user message (:func:`heuristic_signal_values`), so a decision
    costs the same for a pasted book as for a page. Weights naming no signal are ignored.

    Example:
        >>> scorer = HeuristicScorer()
        >>> hard = "Prove step by step that sqrt(2) is irrational, then write Python code to check."
        >>> scorer.score(hard) > scorer.score("hi")
        True
        >>> scorer.signals(hard)["code"]  # "code" and "python"
        2.0
    """

    def __init__(
        self, weights: dict[str, float] | None = None, bias: float = HEURISTIC_BIAS
    ) -> None:
        self._weights = dict(HEURISTIC_WEIGHTS if weights is None else weights)
        self.bias = bias
        # Precomputed (signal index, weight) pairs: the hot path does no name lookups.
        self._linear = tuple(
            (_HEURISTIC_INDEX[name], weight)
            for name, weight in self._weights.items()
            if name in _HEURISTIC_INDEX and name != "log_chars"
        )
        self._log_chars_weight = self._weights.get("log_chars", 0.0)

    @property
    def weights(self) -> dict[str, float]:
        """The weights by signal name (a copy: they are fixed at construction)."""
        return dict(self._weights)

    def score_conversation(self, conversation: Conversation) -> float:
        """Score a conversation: the weighted sum straight from the signal list (no dict)."""
        return self._score_values(heuristic_signal_values(conversation))

    def _score_values(self, values: list[float]) -> float:
        log1p = math.log1p
        z = self.bias + self._log_chars_weight * values[_LOG_CHARS]
        for i, weight in self._linear:
            z += weight * log1p(values[i])
        return 1.0 / (1.0 + math.exp(-z))

    def signals(self, model_input: LanguageModelInput, *, tools: Tools = None) -> dict[str, float]:
        """Return every signal the heuristic extracts (raw counts), the same ones it scores."""
        values = heuristic_signal_values(Conversation.from_input(model_input, tools))
        return dict(zip(HEURISTIC_SIGNAL_NAMES, values, strict=True))

    def _prior_with_signals(
        self, model_input: LanguageModelInput, tools: Tools, conversation: Conversation
    ) -> tuple[float, dict[str, float]]:
        """Score and signals from one feature extraction (same values as the two calls)."""
        values = heuristic_signal_values(conversation)
        return self._score_values(values), dict(zip(HEURISTIC_SIGNAL_NAMES, values, strict=True))
