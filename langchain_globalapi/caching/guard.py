"""The lexical guard: refuse a semantic hit when two questions differ in what embeddings blur.

Embeddings place "Is it safe to eat raw eggs?" and "Is it not safe to eat raw eggs?" at
cosine 0.99, closer than most real paraphrases, and they barely see numbers ("2 eggs" vs
"3 eggs"), units ("180°C" vs "180°F") or word order ("from MySQL to PostgreSQL"). No
threshold fixes that, so a similar-enough candidate must also agree on the tokens that flip
an answer. Each rule below is one small function; the word lists live in `_guard_words.py`.

- numbers: the same numbers, each with a compatible unit or counted noun;
- negation: the same negations (also negating verbs such as "fail to", "refuse to",
  "stop ...ing", "avoid"), and no opposite words (a curated antonym table plus opposite
  prefixes: un-/dis-/in- negations, in-/out-, up-/down-, en-/de-, im-/ex-, over-/under-...);
- quoted: the same quoted strings in the same order;
- names: the same names (case, spacing and camelCase ignored, "US" = "American"), and the
  same order where a linking word makes order meaningful ("from A to B", "A than B");
- order: not exactly the same words (numbers included) in a different order, which is
  swapped roles ("miles to km" / "km to miles", "federal law override state law").

Example:
    >>> guard = LexicalGuard()
    >>> guard.allows("Is it safe to eat raw eggs?", "Can I safely eat raw eggs?")
    True
    >>> guard.refusal("Is it safe to eat raw eggs?", "Is it not safe to eat raw eggs?")
    'negation'
    >>> guard.refusal("Convert 5 km to miles", "Convert 50 km to miles")
    'numbers'
    >>> guard.refusal("Bake at 180°C?", "Bake at 180°F?")
    'units'
    >>> guard.refusal("Migrate from MySQL to PostgreSQL", "Migrate from PostgreSQL to MySQL")
    'order'
    >>> guard.refusal("How do I convert miles to km?", "How do I convert km to miles?")
    'order'
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from langchain_globalapi.caching import _guard_words as words

__all__ = ["LexicalGuard"]

_TOKEN = re.compile(
    r"\d[\d,]*(?:\.\d+)?(?:(?:st|nd|rd|th)\b)?"  # 1,000  2.5  2nd
    r"|°\s*[CcFf]\b"  # °C  °F
    r"|[A-Za-z]+(?:'[A-Za-z]+)?"  # words, with "isn't" and "France's" kept whole
    r"|[^\sA-Za-z\d]"  # punctuation: ends a sentence or a unit window
)
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+(?:'[a-z]+)?|[A-Z]+(?:'[a-z]+)?")
_QUOTED = re.compile(r"\"([^\"]+)\"|“([^”]+)”|`([^`]+)`|(?<!\w)'([^']+)'(?!\w)")
_SENTENCE_END = frozenset(".!?:;")
_CURRENCY = frozenset("$€£¥")
_PRONOUN_I = frozenset({"i", "im", "ive", "id", "ill"})


@dataclass(frozen=True)
class _Token:
    text: str  # as written ("NullPointer" is split into "Null", "Pointer")
    word: str  # lowercase, apostrophes and a possessive "'s" removed
    sentence_start: bool

    @property
    def is_word(self) -> bool:
        return self.word[:1].isalpha()

    @property
    def is_number(self) -> bool:
        return self.word[:1].isdigit()

    @property
    def is_content(self) -> bool:
        """A word that can be a noun: not a function word, number or punctuation."""
        return self.is_word and self.word not in words.STOPWORDS


def _tokens(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    start = True
    for raw in _TOKEN.findall(text.replace("\u2019", "'")):  # curly apostrophe
        # camelCase and PascalCase names compare as their words: NullPointerException.
        parts = _CAMEL.findall(raw) if raw[0].isalpha() else [raw]
        for part in parts or [raw]:
            lowered = part.lower().replace(" ", "")
            lowered = lowered.removesuffix("'s").replace("'", "")
            tokens.append(_Token(part, lowered, start))
            start = False
        start = raw in _SENTENCE_END
    return tokens


def _stem(word: str) -> str:
    """A light stem so inflections compare equal: "closes", "closed", "closing" -> "clos"."""
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("ing") and len(word) > 5:
        word = word[:-3]
    elif len(word) > 4 and (
        (word.endswith("ed") and not word.endswith("eed"))
        or word.endswith(("ses", "xes", "zes", "ches", "shes"))
    ):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us")) and len(word) > 3:
        word = word[:-1]
    if word.endswith("e") and len(word) > 3:
        word = word[:-1]
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "aeiouls":
        word = word[:-1]  # stopped -> stop
    return word


# ---- numbers: each number with the unit or noun it counts ----------------------------


def _unit(token: _Token) -> str:
    stem = _stem(token.word)
    return words.UNIT_ALIASES.get(token.word) or words.UNIT_ALIASES.get(stem, stem)


def _number_value(tokens: list[_Token], i: int) -> str | None:
    """The value token `i` stands for, or None when it does not quantify."""
    token = tokens[i]
    before = tokens[i - 1].word if i else ""
    after = tokens[i + 1] if i + 1 < len(tokens) else None
    if token.is_number:
        value = token.word.replace(",", "")
        return value.rstrip("0").rstrip(".") if "." in value else value
    if token.word == "one" and (
        before in words.PRONOUN_ONE_AFTER or not after or not after.is_content
    ):
        return None  # "which one", "no one", "one more thing": a pronoun, not a count
    if token.word == "once" and after and after.word in words.CONJUNCTION_ONCE_BEFORE:
        return None  # "once I log in": a conjunction
    if token.word in words.CARDINALS:
        return words.CARDINALS[token.word]
    if token.word in words.ORDINALS and after and after.is_content:
        return words.ORDINALS[token.word]  # "the second time", not "without eating first"
    return None


def _same_word(a: str, b: str) -> bool:
    return a == b or (min(len(a), len(b)) >= 3 and (a.startswith(b) or b.startswith(a)))


def _same_unit(left: list[str], right: list[str]) -> bool:
    """Units agree when one is missing, or either's first unit is in the other's window.

    "2 large bags" / "two bags" agree ("bag" follows both); "2 years here" / "2 months here"
    do not; "dicts" abbreviates "dictionaries".
    """
    if not left or not right:
        return True
    return any(_same_word(left[0], b) for b in right) or any(_same_word(right[0], a) for a in left)


def _unit_window(tokens: list[_Token], i: int) -> list[str]:
    """The currency before a number, then up to two content words after it ("5 kg")."""
    units = []
    if i and tokens[i - 1].word in _CURRENCY:
        units.append(_unit(tokens[i - 1]))
    taken = 0
    for token in tokens[i + 1 :]:
        if token.word == "-":
            continue  # "5-year" = "5 year"
        if not (token.is_content or token.word.startswith("°") or token.word == "%"):
            break
        units.append(_unit(token))
        taken += 1
        if taken == 2:
            break
    return units


def _numbers(tokens: list[_Token]) -> dict[str, list[list[str]]]:
    """Each number's value with the unit window of each of its occurrences."""
    found: dict[str, list[list[str]]] = {}
    for i in range(len(tokens)):
        value = _number_value(tokens, i)
        if value is not None:
            found.setdefault(value, []).append(_unit_window(tokens, i))
    return found


def _number_refusal(mine: list[_Token], theirs: list[_Token]) -> str | None:
    """Different numbers refuse; so does a shared number counting different units (5 kg / 5 lb)."""
    left, right = _numbers(mine), _numbers(theirs)
    if left.keys() != right.keys():
        return "numbers"
    if not all(any(_same_unit(a, b) for a in left[value] for b in right[value]) for value in left):
        return "units"
    return None


# ---- negation: negators, negating verbs, opposite words and prefixes -------------------


def _stems(values: frozenset[str]) -> frozenset[str]:
    return frozenset(_stem(value) for value in values)


_BEFORE_TO = _stems(words.NEGATING_BEFORE_TO)
_BEFORE_ING = _stems(words.NEGATING_BEFORE_ING)
_NEGATING_VERBS = _stems(words.NEGATING_VERBS)


def _opposites_by_stem() -> dict[str, set[str]]:
    table: dict[str, set[str]] = {}
    for one, other in words.OPPOSITES:
        table.setdefault(_stem(one), set()).add(_stem(other))
        table.setdefault(_stem(other), set()).add(_stem(one))
    return table


_OPPOSITE_OF = _opposites_by_stem()


def _negations(tokens: list[_Token]) -> set[str]:
    """Kinds of negation: "not" (also "fails to", "stop paying"), "without", "except"."""
    found = set()
    for i, token in enumerate(tokens):
        after = tokens[i + 1].word if i + 1 < len(tokens) else ""
        stem = _stem(token.word)
        if token.word in words.NEGATORS or token.text.lower().endswith("n't"):
            found.add(words.NEGATION_KIND.get(token.word, "not"))
        elif (
            (stem in _BEFORE_TO and after == "to")
            or (stem in _BEFORE_ING and after.endswith("ing"))
            or stem in _NEGATING_VERBS
        ):
            found.add("not")
    return found


def _opposite(word: str, others: set[str]) -> bool:
    """`word` is the opposite of one of `others`: listed, prefix-negated, or opposite prefix."""
    if _OPPOSITE_OF.get(word, set()) & others:
        return True
    for prefix in words.NEGATING_PREFIXES:
        if (
            word.startswith(prefix)
            and len(word) - len(prefix) >= 4
            and word[len(prefix) :] in others
        ):
            return True
    for one, other in words.OPPOSITE_PREFIXES:
        for mine, theirs in ((one, other), (other, one)):
            stem = word[len(mine) :]
            if word.startswith(mine) and len(stem) >= 3 and theirs + stem in others:
                return True
    return False


def _word_forms(tokens: list[_Token]) -> set[str]:
    """Every word as written and as its light stem."""
    return {form for t in tokens if t.is_word for form in (t.word, _stem(t.word))}


def _negation_refusal(mine: list[_Token], theirs: list[_Token]) -> str | None:
    if _negations(mine) != _negations(theirs):
        return "negation"
    left, right = _word_forms(mine), _word_forms(theirs)
    only_left, only_right = left - right, right - left
    if any(_opposite(word, only_right) for word in only_left) or any(
        _opposite(word, only_left) for word in only_right
    ):
        return "negation"
    return None


# ---- quoted strings and names: the same ones, in an order-preserving way -------------------


def _quoted(text: str) -> list[str]:
    return [
        next(group for group in match.groups() if group).strip().lower()
        for match in _QUOTED.finditer(text)
    ]


def _quoted_refusal(question: str, cached_question: str) -> str | None:
    """Quoted strings are literals: the same ones, in the same order ("price" to "cost")."""
    left, right = _quoted(question), _quoted(cached_question)
    if left == right:
        return None
    return "order" if sorted(left) == sorted(right) else "quoted"


def _aliased(tokens: list[_Token]) -> list[str]:
    """Lowercase words with country forms merged: "United States", "American" -> "us"."""
    out: list[str] = []
    i = 0
    while i < len(tokens):
        pair = f"{tokens[i].word} {tokens[i + 1].word}" if i + 1 < len(tokens) else ""
        if pair in words.NAME_ALIASES:
            out.append(words.NAME_ALIASES[pair])
            i += 2
            continue
        out.append(words.NAME_ALIASES.get(tokens[i].word, tokens[i].word))
        i += 1
    return out


def _names(tokens: list[_Token]) -> list[tuple[str, ...]]:
    """Runs of capitalized words as aliased lowercase words; a sentence's first word is none."""
    names, run = [], []
    for token in [*tokens, _Token(".", ".", True)]:
        capital = token.text[:1].isupper() and token.word not in _PRONOUN_I
        if capital and not token.sentence_start:
            run.append(token)
            continue
        if run:
            names.append(tuple(_aliased(run)))
        run = []
    return names


def _find(name: tuple[str, ...], text: list[str]) -> int | None:
    for i in range(len(text) - len(name) + 1):
        if tuple(text[i : i + len(name)]) == name:
            return i
    return None


def _directions(
    names: list[tuple[str, ...]], text: list[str]
) -> set[tuple[tuple[str, ...], tuple[str, ...]]]:
    """(from, to) for each two neighbouring names an order word joins: "A to B", "B from A"."""
    placed = sorted((_find(name, text) or 0, name) for name in names)
    edges: set[tuple[tuple[str, ...], tuple[str, ...]]] = set()
    for (start, first), (end, second) in itertools.pairwise(placed):
        between = text[start + len(first) : end]
        if 0 < len(between) <= 3 and words.ORDER_LINKS.intersection(between):
            reverse = words.REVERSING_LINKS.intersection(between)
            edges.add((second, first) if reverse else (first, second))
    return edges


def _names_refusal(mine: list[_Token], theirs: list[_Token]) -> str | None:
    """Names of either question appear in both, never joined in opposite directions.

    Any case or spelling counts ("Python"/"python", "US"/"American"); the direction is
    what an order word states ("from A to B" vs "from B to A").
    """
    left, right = _aliased(mine), _aliased(theirs)
    names = list(dict.fromkeys([*_names(mine), *_names(theirs)]))
    if any(_find(name, left) is None or _find(name, right) is None for name in names):
        return "names"
    if any((b, a) in _directions(names, right) for a, b in _directions(names, left)):
        return "order"
    return None


# ---- word order: the same words, rearranged ----------------------------------------------


def _words(tokens: list[_Token]) -> list[tuple[str, str]]:
    """(word, stem) of every word and number, in the order written; punctuation dropped."""
    return [
        (token.word, token.word.replace(",", "") if token.is_number else _stem(token.word))
        for token in tokens
        if token.is_number or token.is_word
    ]


def _segments(text: list[tuple[str, str]]) -> list[tuple[str, ...]]:
    """Runs of stems between role links, the links kept; parts joined by "and"/"or" sorted."""
    segments: list[tuple[str, ...]] = []
    run: list[list[str]] = [[]]
    for word, stem in [*text, ("", "")]:
        if word in words.ROLE_LINKS or not word:
            parts = sorted(tuple(part) for part in run if part)
            segments.append(tuple(stem for part in parts for stem in part))
            if word:
                segments.append((word,))
            run = [[]]
        elif word in words.SYMMETRIC_LINKS:
            run.append([])
        else:
            run[-1].append(stem)
    return [segment for segment in segments if segment]


def _skeleton(segments: list[tuple[str, ...]]) -> list[str]:
    return [segment[0] if segment[0] in words.ROLE_LINKS else "" for segment in segments]


def _order_refusal(mine: list[_Token], theirs: list[_Token]) -> str | None:
    """The same words with the same role links, but the phrases between them swapped.

    "Convert miles to kilometers" / "Convert kilometers to miles", "Does federal law override
    state law?" / "Does state law override federal law?": embeddings score these 0.99+, and a
    rewording almost never reuses every word and only moves them. Function words count, so a
    restructured rewording passes ("Is my data encrypted?" / "Do you encrypt my data?"); so
    does one whose links move with their phrases ("from Paris to Rome" / "to Rome from
    Paris") and a swap around "and"/"or" ("let and const" / "const and let").
    """
    left, right = _words(mine), _words(theirs)
    stems_left, stems_right = [stem for _, stem in left], [stem for _, stem in right]
    if stems_left == stems_right or sorted(stems_left) != sorted(stems_right):
        return None
    segments_left, segments_right = _segments(left), _segments(right)
    if segments_left == segments_right:
        return None
    if _skeleton(segments_left) == _skeleton(segments_right):
        return "order"
    return None


@dataclass(frozen=True)
class LexicalGuard:
    """Decides whether a cached question may answer a new one, beyond embedding similarity.

    Each check can be switched off; all are on by default. `numbers` also compares units,
    `quoted` and `names` also compare order; `order` refuses the same words rearranged
    (swapped roles).

    Example:
        >>> LexicalGuard(names=False).allows("Weather in Paris?", "Weather in London?")
        True
        >>> LexicalGuard().allows("Weather in Paris?", "Weather in London?")
        False
        >>> LexicalGuard().allows("Visa for Japan as a US citizen?", "As an American, Japan visa?")
        True
    """

    numbers: bool = True
    negations: bool = True
    quoted: bool = True
    names: bool = True
    order: bool = True

    def allows(self, question: str, cached_question: str | None) -> bool:
        """True when nothing that flips an answer differs between the two questions."""
        return self.refusal(question, cached_question) is None

    def refusal(self, question: str, cached_question: str | None) -> str | None:
        """Why the hit is refused, or `None` to allow it.

        Reasons: `"numbers"`, `"units"`, `"negation"`, `"quoted"`, `"names"`, `"order"`
        (same quoted strings, linked names or words in a different order),
        `"unknown cached question"`.
        """
        if cached_question is None:
            return "unknown cached question"
        if question.strip().lower() == cached_question.strip().lower():
            return None
        mine, theirs = _tokens(question), _tokens(cached_question)
        reason = None
        if self.numbers:
            reason = _number_refusal(mine, theirs)
        if self.negations and not reason:
            reason = _negation_refusal(mine, theirs)
        if self.quoted and not reason:
            reason = _quoted_refusal(question, cached_question)
        if self.names and not reason:
            reason = _names_refusal(mine, theirs)
        if self.order and not reason:
            reason = _order_refusal(mine, theirs)
        return reason
