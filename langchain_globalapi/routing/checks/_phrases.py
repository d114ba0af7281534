"""Find literal phrases at word boundaries outside quotations, fast: the text checks' matcher.

An alternation regex over dozens of phrases tries every alternative at every position (about
0.5 ms on a 6 KB window). :class:`Phrases` instead skips every phrase whose words are not all in
the text's word set, looks the rest up with ``str.find`` (C speed) and checks each hit's word
boundaries, and that it is not inside a quotation or inline code on its line ("He said "I think
so"" is not the model hedging). Patterns are written with ``(a|b|)`` groups, expanded once.
"""

from __future__ import annotations

import itertools
import re
import string

__all__ = ["PUNCTUATION_TO_SPACE", "Phrases", "expand", "words_of"]

#: Punctuation (but the apostrophe, part of "can't") separates words. A bytes table: str's
#: translate with a mapping costs about 80 ns a character, bytes.translate a few.
PUNCTUATION_TO_SPACE = bytes.maketrans(
    "".join(c for c in string.punctuation if c != "'").encode(),
    b" " * (len(string.punctuation) - 1),
)

_GROUP = re.compile(r"\(([^()]*)\)")
_MAX_TRIES = 8  # occurrences of one phrase tested for word boundaries


def expand(pattern: str) -> list[str]:
    """Every literal a pattern with ``(a|b|)`` groups stands for (empty = optional), lower-cased.

    Example:
        >>> expand("i (can't|cannot) (help|assist)")
        ["i can't help", "i can't assist", 'i cannot help', 'i cannot assist']
        >>> expand("(the |)answer")
        ['the answer', 'answer']
    """
    parts = _GROUP.split(pattern.lower())
    # split() alternates literal text and group contents: even indexes literal, odd groups.
    choices = [[part] if i % 2 == 0 else part.split("|") for i, part in enumerate(parts)]
    return [" ".join("".join(combo).split()) for combo in itertools.product(*choices)]


def words_of(lower: str) -> frozenset[bytes]:
    """The distinct words of lower-cased text (as UTF-8), split on whitespace and punctuation.

    Example:
        >>> sorted(words_of("it's 3, i think."))
        [b'3', b'i', b"it's", b'think']
    """
    return frozenset(lower.encode("utf-8", "replace").translate(PUNCTUATION_TO_SPACE).split())


def _quoted(lower: str, position: int) -> bool:
    """Whether ``position`` lies inside a quotation or inline code on its line."""
    line = lower[lower.rfind("\n", 0, position) + 1 : position]
    return line.count('"') % 2 == 1 or line.count("`") % 2 == 1 or line.count("“") > line.count("”")


class Phrases:
    """A set of phrases found at word boundaries in lower-cased text.

    Example:
        >>> hedges = Phrases("i think", "(probably|perhaps)")
        >>> text = 'well, i think it is probably fine; he said "perhaps" once'
        >>> hedges.find(text, words_of(text))
        ['i think', 'probably']
    """

    def __init__(self, *patterns: str) -> None:
        self.phrases = tuple(dict.fromkeys(p for pattern in patterns for p in expand(pattern)))
        # Indexed by the phrase's rarest-looking word (its longest), so a text only tests the
        # phrases whose index word it contains: a set intersection instead of a loop over all.
        self._by_word: dict[bytes, list[tuple[int, str, frozenset[bytes]]]] = {}
        for order, phrase in enumerate(self.phrases):
            need = words_of(phrase)
            key = max(need, key=len) if need else phrase.encode()
            self._by_word.setdefault(key, []).append((order, phrase, need))
        self._index = frozenset(self._by_word)

    def _candidates(self, words: frozenset[bytes]) -> list[str]:
        found = [
            (order, phrase)
            for word in self._index & words
            for order, phrase, need in self._by_word[word]
            if need <= words
        ]
        return [phrase for _, phrase in sorted(found)]

    def find(self, lower: str, words: frozenset[bytes], *, first_only: bool = False) -> list[str]:
        """The phrases found in ``lower`` (lower-cased; ``words`` is ``words_of(lower)``)."""
        found: list[str] = []
        for phrase in self._candidates(words):
            position = self.position(lower, phrase)
            if position >= 0:
                found.append(phrase)
                if first_only:
                    break
        return found

    def first(self, lower: str, words: frozenset[bytes]) -> tuple[int, str] | None:
        """The earliest hit as ``(position, phrase)``, or None."""
        hits = [(self.position(lower, phrase), phrase) for phrase in self._candidates(words)]
        hits = [hit for hit in hits if hit[0] >= 0]
        return min(hits) if hits else None

    @staticmethod
    def position(lower: str, phrase: str) -> int:
        """Where ``phrase`` first occurs in ``lower`` as whole words outside quotes, or -1."""
        start = lower.find(phrase)
        tries = 0
        while start >= 0 and tries < _MAX_TRIES:
            end = start + len(phrase)
            before = lower[start - 1] if start else " "
            after = lower[end] if end < len(lower) else " "
            if (
                not (before.isalnum() or before == "_")
                and not ((after.isalnum() or after == "_") and phrase[-1].isalnum())
                and not _quoted(lower, start)
            ):
                return start
            start = lower.find(phrase, start + 1)
            tries += 1
        return -1
