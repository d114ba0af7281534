"""What every answer check reads: a bounded view of the question and the cheap model's answer.

A cascade keeps a cheap answer or escalates it, so the checks run on every cheap call and must
cost the same whatever the answer's length. :class:`AnswerView` is built once per answer and
shared by all built-in checks: it holds the answer's text, a head-and-tail window of it
(:data:`ANSWER_HEAD_CHARS` + :data:`ANSWER_TAIL_CHARS`), the window's prose with code and
quotations removed, the fenced code blocks, and what the question asks for (a quantity, one of
lettered options, code). Every field is computed on first use, from bounded slices only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from langchain_core.language_models import LanguageModelInput
from langchain_core.messages import AIMessage

from langchain_globalapi.routing.checks._phrases import words_of
from langchain_globalapi.routing.scorers import Conversation, _text_and_media

__all__ = [
    "ANSWER_HEAD_CHARS",
    "ANSWER_TAIL_CHARS",
    "FENCE_SCAN_CHARS",
    "MAX_CODE_BLOCKS",
    "MAX_NUMBERS",
    "QUESTION_HEAD_CHARS",
    "QUESTION_TAIL_CHARS",
    "AnswerView",
    "CodeBlock",
    "NumberAt",
    "answer_text",
    "numbers_in",
]

#: The checks read the first ``ANSWER_HEAD_CHARS`` and the last ``ANSWER_TAIL_CHARS`` characters
#: of an answer (a final answer, a truncation or a refusal sits at one end; the working in
#: between is sampled by the head). The bound keeps a check's cost flat for a 50 KB answer.
ANSWER_HEAD_CHARS = 3000
ANSWER_TAIL_CHARS = 1500
#: What the question asks for is read from its first and last characters (the request is usually
#: at the start, a question about a pasted document at the end, options at the end).
QUESTION_HEAD_CHARS = 1200
QUESTION_TAIL_CHARS = 800
#: At most this many fenced code blocks are read, from the first ``FENCE_SCAN_CHARS`` characters;
#: fences are counted (for an unclosed one) only in answers up to that length.
MAX_CODE_BLOCKS = 8
FENCE_SCAN_CHARS = 12_000

_FENCE = "```"
_NUMBER = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?")
#: At most this many numbers are read from a text (the question, the answer's prose window).
MAX_NUMBERS = 400
#: A number found in a text: ``(start, end, value)``.
NumberAt = tuple[int, int, float]
_QUANTITY = re.compile(
    r"\b(?:how (?:many|much|long|far|old|often|fast|tall|big|heavy)|calculate|compute|"
    r"what percent(?:age)?|(?:what|find) (?:is|was|are|were|will be|would be|is the value of)? ?"
    r"(?:the|his|her|their|its|each|our|your) (?:\w+ ){0,2}(?:total|number|amount|sum|value|"
    r"cost|price|average|mean|difference|product|area|volume|perimeter|percentage|probability|"
    r"ratio|speed|distance|rate|remainder|profit|weight|age|height|length|width|income|salary|"
    r"score|temperature|balance|time|bill|change|total cost|fee|loss|savings|share)s?\b)"
)  # matched on the lower-cased question: IGNORECASE makes Python's re several times slower
# "A. text", "(B) text", "C) text" at the start of a line: an option of a multiple-choice question.
_OPTION = re.compile(r"(?m)^[ \t]*\(?([A-J])[.)][ \t]+\S")
_CODE_REQUEST = re.compile(
    r"\b(?:write|implement|fix|refactor|generate|create|give me|show me|provide)\b"
    r"[^.?!\n]{0,60}?\b(?:code|function|program|script|class|method|snippet|query|regex|"
    r"module|implementation|unit tests?|endpoint|component)s?\b|"
    r"\bin (?:python|javascript|typescript|java|c\+\+|c#|go|golang|rust|ruby|php|sql|bash|kotlin|"
    r"swift)\b|\bdef \w+\(|\bfunction \w+\("
)


def answer_text(answer: AIMessage) -> str:
    """The text of an answer's content (string or content blocks; reasoning blocks excluded).

    Example:
        >>> from langchain_core.messages import AIMessage
        >>> answer_text(AIMessage(content=[{"type": "text", "text": "42"}]))
        '42'
    """
    content = answer.content
    if isinstance(content, str):
        return content
    return _text_and_media(content)[0]


def numbers_in(text: str) -> list[NumberAt]:
    """The unsigned numbers of ``text`` (thousands commas allowed), at most :data:`MAX_NUMBERS`.

    Example:
        >>> numbers_in("3 eggs cost $1,200.50")
        [(0, 1, 3.0), (13, 21, 1200.5)]
    """
    found: list[NumberAt] = []
    for match in _NUMBER.finditer(text):
        found.append((match.start(), match.end(), float(match.group().replace(",", ""))))
        if len(found) >= MAX_NUMBERS:
            break
    return found


def _window(text: str, head: int, tail: int) -> str:
    if len(text) <= head + tail:
        return text
    return text[:head] + "\n" + text[-tail:]


@dataclass(frozen=True)
class CodeBlock:
    r"""One fenced code block of an answer.

    Attributes:
        language: The fence's info string, lower-cased (``""`` when none).
        code: The block's text between the fences.
        closed: Whether a closing fence was found.

    Example:
        >>> CodeBlock("python", "x = 1\n", True).closed
        True
    """

    language: str
    code: str
    closed: bool


class AnswerView:
    """The question and the answer as the built-in checks read them, computed lazily.

    Example:
        >>> from langchain_core.messages import AIMessage
        >>> view = AnswerView("How many eggs?", AIMessage(content="16 - 3 = 13. The answer is 13."))
        >>> view.asks_quantity, view.text[-3:]
        (True, '13.')
    """

    def __init__(self, model_input: LanguageModelInput, answer: AIMessage) -> None:
        self.model_input = model_input
        self.answer = answer
        #: Results that several checks need, computed once per answer (e.g. the statements).
        self.memo: dict[str, Any] = {}

    @cached_property
    def text(self) -> str:
        """The answer's full text (only its length is read past the window)."""
        return answer_text(self.answer)

    @cached_property
    def window(self) -> str:
        """The answer's first and last characters (all of it when short)."""
        return _window(self.text, ANSWER_HEAD_CHARS, ANSWER_TAIL_CHARS)

    @cached_property
    def question(self) -> str:
        """A head-and-tail window of the last user message ('' when none can be read)."""
        try:
            text = Conversation.from_input(self.model_input).text
        except (TypeError, ValueError):
            return ""
        return _window(text, QUESTION_HEAD_CHARS, QUESTION_TAIL_CHARS)

    @cached_property
    def question_lower(self) -> str:
        """:attr:`question` lower-cased."""
        return self.question.lower()

    @cached_property
    def response_metadata(self) -> dict[str, Any]:
        """The answer's ``response_metadata`` (empty when missing)."""
        metadata = getattr(self.answer, "response_metadata", None)
        return metadata if isinstance(metadata, dict) else {}

    @cached_property
    def _fences(self) -> tuple[tuple[CodeBlock, ...], int | None]:
        """(The first code blocks, fences in the answer or None when too long to count)."""
        text = self.text
        if len(text) > FENCE_SCAN_CHARS:
            text = text[:FENCE_SCAN_CHARS]
        blocks: list[CodeBlock] = []
        position = 0
        while len(blocks) < MAX_CODE_BLOCKS:
            start = text.find(_FENCE, position)
            if start < 0:
                break
            line_end = text.find("\n", start)
            if line_end < 0:  # an opening fence on the last line, with nothing after it
                blocks.append(CodeBlock(text[start + 3 :].strip().lower(), "", closed=False))
                break
            end = text.find(_FENCE, line_end)
            code = text[line_end + 1 : end] if end >= 0 else text[line_end + 1 :]
            blocks.append(CodeBlock(text[start + 3 : line_end].strip().lower(), code, end >= 0))
            if end < 0:
                break
            position = end + 3
        fences = text.count(_FENCE) if len(self.text) <= FENCE_SCAN_CHARS else None
        return tuple(blocks), fences

    @cached_property
    def code_blocks(self) -> tuple[CodeBlock, ...]:
        """The first :data:`MAX_CODE_BLOCKS` fenced code blocks of the answer."""
        return self._fences[0]

    @cached_property
    def fence_count(self) -> int | None:
        """How many code fences the answer has; None when it is too long to count."""
        return self._fences[1]

    @cached_property
    def prose(self) -> str:
        """The window without fenced code (a block cut by the window's seam may leak in)."""
        window = self.window
        parts: list[str] = []
        position = 0
        while (start := window.find(_FENCE, position)) >= 0:
            parts.append(window[position:start])
            end = window.find(_FENCE, start + 3)
            if end < 0:
                return "\n".join(parts)
            position = end + 3
        parts.append(window[position:])
        return "\n".join(parts)

    @cached_property
    def prose_lower(self) -> str:
        """:attr:`prose` lower-cased, with typographic apostrophes made plain."""
        return self.prose.lower().replace("\u2019", "'")

    @cached_property
    def prose_words(self) -> frozenset[bytes]:
        """The distinct words of :attr:`prose_lower` (for cheap phrase pre-filtering)."""
        return words_of(self.prose_lower)

    @cached_property
    def prose_numbers(self) -> list[NumberAt]:
        """The numbers of :attr:`prose` (read once, shared by the checks)."""
        return numbers_in(self.prose)

    @cached_property
    def question_numbers(self) -> list[NumberAt]:
        """The numbers of :attr:`question`."""
        return numbers_in(self.question)

    @cached_property
    def asks_quantity(self) -> bool:
        """Whether the question asks for one computed value ("how many", "calculate", ...).

        A question that asks for code never does ("compute the median" asks for a function).
        """
        return _QUANTITY.search(self.question_lower) is not None and not self.asks_code

    @cached_property
    def options(self) -> tuple[str, ...]:
        """The option letters of a multiple-choice question, in order (empty when none)."""
        question = self.question
        if "B." not in question and "B)" not in question:
            return ()
        letters = tuple(dict.fromkeys(_OPTION.findall(question)))
        # Options run A, B, C, ...: "A." alone, or "B." without "A.", is not a question's options.
        if len(letters) < 2 or letters[0] != "A":
            return ()
        return letters

    @cached_property
    def asks_code(self) -> bool:
        """Whether the question asks for code (write/implement ... function, "in Python", ...)."""
        return _CODE_REQUEST.search(self.question_lower) is not None
