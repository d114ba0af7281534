"""The lexical guard: refuse a semantic hit when two questions differ in what embeddings blur.

Embeddings place "Is it safe to eat raw eggs?" and "Is it not safe to eat raw eggs?" at
cosine 0.99, closer than most real paraphrases, and they barely see numbers ("2 eggs" vs
"3 eggs"). No threshold fixes that, so a similar-enough candidate must also agree on the
content tokens that flip an answer: numbers, negations (including un-/non-/in- antonyms),
quoted strings and capitalized names.

Example:
    >>> guard = LexicalGuard()
    >>> guard.allows("Is it safe to eat raw eggs?", "Can I safely eat raw eggs?")
    True
    >>> guard.allows("Is it safe to eat raw eggs?", "Is it not safe to eat raw eggs?")
    False
    >>> guard.allows("Convert 5 km to miles", "Convert 50 km to miles")
    False
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["LexicalGuard"]

_NEGATORS = frozenset(
    {
        "not", "no", "never", "none", "nothing", "nobody", "nowhere", "neither", "nor",
        "without", "cannot", "cant", "dont", "doesnt", "didnt", "isnt", "arent", "wasnt",
        "werent", "wont", "wouldnt", "shouldnt", "couldnt", "hasnt", "havent", "hadnt",
        "mustnt", "neednt", "aint", "unless", "except", "excluding",
    }
)  # fmt: skip
_NEGATION_KIND = {
    "without": "without",
    "unless": "except",
    "except": "except",
    "excluding": "except",
}
_NUMBER_WORDS = {
    "zero": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6",
    "seven": "7", "eight": "8", "nine": "9", "ten": "10", "eleven": "11", "twelve": "12",
    "twenty": "20", "thirty": "30", "forty": "40", "fifty": "50", "hundred": "100",
    "thousand": "1000", "million": "1000000", "billion": "1000000000", "half": "0.5",
    "first": "1st", "second": "2nd", "third": "3rd", "once": "1x", "twice": "2x",
    "double": "2x", "triple": "3x",
}  # fmt: skip
_ANTONYM_PREFIXES = ("un", "non", "in", "im", "il", "ir", "dis")
# Polar opposites embeddings place side by side ("open" vs "closed": cosine ~0.95).
_OPPOSITES = (
    ("open", "closed"), ("open", "close"), ("increase", "decrease"), ("good", "bad"),
    ("maximum", "minimum"), ("max", "min"), ("enable", "disable"), ("add", "remove"),
    ("import", "export"), ("upgrade", "downgrade"), ("start", "stop"), ("before", "after"),
    ("more", "less"), ("high", "low"), ("higher", "lower"), ("buy", "sell"), ("on", "off"),
    ("true", "false"), ("first", "last"), ("best", "worst"), ("cheap", "expensive"),
    ("hot", "cold"), ("fast", "slow"), ("early", "late"), ("allow", "deny"),
    ("accept", "reject"), ("upload", "download"), ("encrypt", "decrypt"), ("pros", "cons"),
    ("win", "lose"), ("in", "out"), ("up", "down"), ("above", "below"), ("over", "under"),
    ("include", "exclude"), ("login", "logout"), ("safe", "dangerous"),
    ("success", "failure"), ("increase", "reduce"), ("larger", "smaller"), ("bigger", "smaller"),
)  # fmt: skip
_OPPOSITE_OF: dict[str, set[str]] = {}
for _left, _right in _OPPOSITES:
    _OPPOSITE_OF.setdefault(_left, set()).add(_right)
    _OPPOSITE_OF.setdefault(_right, set()).add(_left)
_WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?|\d[\d,]*(?:\.\d+)?")
_QUOTED = re.compile(r"\"([^\"]+)\"|“([^”]+)”|`([^`]+)`|(?<!\w)'([^']+)'(?!\w)")
_SENTENCE_START = re.compile(r"(?:^|[.!?]\s+)([A-Z][a-z]+)")


def _words(text: str) -> list[str]:
    return _WORD.findall(text)


def _numbers(words: list[str]) -> set[str]:
    found = set()
    for word in words:
        lowered = word.lower()
        if word[0].isdigit():
            value = word.replace(",", "")
            found.add(value.rstrip("0").rstrip(".") if "." in value else value)
        elif lowered in _NUMBER_WORDS:
            found.add(_NUMBER_WORDS[lowered])
    return found


def _negations(words: list[str]) -> set[str]:
    found = set()
    for word in words:
        lowered = word.lower()
        plain = lowered.replace("'", "")
        if plain in _NEGATORS or lowered.endswith("n't"):
            # "no", "not", "never", "isn't" all flip a yes/no answer the same way.
            found.add(_NEGATION_KIND.get(plain, "not"))
    return found


def _has_antonym(mine: set[str], theirs: set[str]) -> bool:
    for word in mine - theirs:
        if _OPPOSITE_OF.get(word, set()) & (theirs - mine):
            return True
        for prefix in _ANTONYM_PREFIXES:
            stem = word[len(prefix) :]
            if word.startswith(prefix) and len(stem) >= 4 and stem in theirs:
                return True
    return False


def _names(text: str) -> set[str]:
    starts = {match.group(1) for match in _SENTENCE_START.finditer(text)}
    return {
        word.lower()
        for word in re.findall(r"\b[A-Z][A-Za-z0-9]+\b", text)
        if word not in starts and word != "I"
    }


def _quoted(text: str) -> set[str]:
    return {
        next(group for group in match.groups() if group).strip().lower()
        for match in _QUOTED.finditer(text)
    }


@dataclass(frozen=True)
class LexicalGuard:
    """Decides whether a cached question may answer a new one, beyond embedding similarity.

    Each check can be switched off; all are on by default.

    Example:
        >>> LexicalGuard(names=False).allows("Weather in Paris?", "Weather in London?")
        True
        >>> LexicalGuard().allows("Weather in Paris?", "Weather in London?")
        False
    """

    numbers: bool = True
    negations: bool = True
    quoted: bool = True
    names: bool = True

    def allows(self, question: str, cached_question: str | None) -> bool:
        """True when nothing that flips an answer differs between the two questions."""
        return self.refusal(question, cached_question) is None

    def refusal(self, question: str, cached_question: str | None) -> str | None:
        """Why the hit is refused (`"numbers"`, `"negation"`...), or `None` to allow it."""
        if cached_question is None:
            return "unknown cached question"
        if question.strip().lower() == cached_question.strip().lower():
            return None
        mine, theirs = _words(question), _words(cached_question)
        if self.numbers and _numbers(mine) != _numbers(theirs):
            return "numbers"
        if self.negations:
            lower_mine = {word.lower() for word in mine}
            lower_theirs = {word.lower() for word in theirs}
            if (
                _negations(mine) != _negations(theirs)
                or _has_antonym(lower_mine, lower_theirs)
                or _has_antonym(lower_theirs, lower_mine)
            ):
                return "negation"
        if self.quoted and _quoted(question) != _quoted(cached_question):
            return "quoted"
        if self.names and _names(question) != _names(cached_question):
            return "names"
        return None
