"""Score how much a chat request needs a stronger tier: the scorer interface and its inputs.

A scorer maps anything a chat model accepts (a string, a list of messages or message-like tuples
and dicts, a ``PromptValue``) to a float in [0, 1]; higher means "needs a stronger tier". The
router turns scores into tiers with thresholds, so only the ranking matters for quality and
:meth:`ComplexityScorer.signals` explains a decision with named numbers.

What is scored: the **last user message** (RouteLLM's finding: routers trained on first turns
generalise poorly to whole transcripts), plus conversation-level signals: the number of user
turns, the system prompt's length, images and other non-text parts, earlier tool calls, and the
tools offered. Tools are passed as a keyword, ``score(input, tools=[...])``, the same list a
caller would give ``bind_tools``; the router forwards what it was bound with. ``AIMessage`` tool
calls already in the history count as an agentic signal.

This module holds the :class:`ComplexityScorer` base, :class:`Conversation` (what is read from a
request), the cue tables and tokenizer both cue-based scorers share, and :class:`LengthScorer`.
:class:`~langchain_globalapi.routing.heuristic.HeuristicScorer` lives in ``heuristic.py`` and is
re-exported here.
"""

from __future__ import annotations

import math
import string
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from langchain_core.language_models import LanguageModelInput
from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    convert_to_messages,
)
from langchain_core.prompt_values import PromptValue

from langchain_globalapi.routing._learning import LearnsFromOutcomes

if TYPE_CHECKING:
    from langchain_globalapi.routing.heuristic import (
        HEURISTIC_BIAS,
        HEURISTIC_SIGNAL_NAMES,
        HEURISTIC_WEIGHTS,
        HeuristicScorer,
        heuristic_signal_values,
    )

__all__ = [
    "CUE_WORDS",
    "HEAD_CHARS",
    "HEURISTIC_BIAS",
    "HEURISTIC_SIGNAL_NAMES",
    "HEURISTIC_WEIGHTS",
    "LENGTH_SCALE",
    "SCAN_CHARS",
    "SIGNAL_NAMES",
    "SYMBOLS",
    "TAIL_CHARS",
    "ComplexityScorer",
    "Conversation",
    "HeuristicScorer",
    "LengthScorer",
    "Tools",
    "extract_signals",
    "heuristic_signal_values",
    "scan_window",
    "to_messages",
    "tokenize",
]

Tools = Sequence[Any] | None


def to_messages(model_input: LanguageModelInput | BaseMessage) -> list[BaseMessage]:
    """Convert any chat-model input to messages, as ``BaseChatModel`` does before a call.

    Raises:
        TypeError: The input is not a str, a ``PromptValue``, a message or a sequence of
            message-likes.
    """
    if isinstance(model_input, PromptValue):
        return model_input.to_messages()
    if isinstance(model_input, str):
        return [HumanMessage(content=model_input)]
    if isinstance(model_input, BaseMessage):
        return [model_input]
    if isinstance(model_input, Sequence):
        return convert_to_messages(model_input)
    msg = (
        f"cannot score input of type {type(model_input).__name__}: pass a str, a PromptValue "
        "or a list of messages"
    )
    raise TypeError(msg)


def _text_and_media(content: str | list[str | dict[str, Any]]) -> tuple[str, int]:
    """Text of a message's content and the number of non-text blocks (images, audio, files)."""
    if isinstance(content, str):
        return content, 0
    parts: list[str] = []
    media = 0
    for block in content:
        if isinstance(block, str):
            parts.append(block)
        elif block.get("type") == "text" and isinstance(block.get("text"), str):
            parts.append(block["text"])
        elif block.get("type") not in ("text", "reasoning", "thinking"):
            media += 1
    return "\n".join(parts), media


@dataclass(frozen=True)
class Conversation:
    """The parts of a chat request that scorers look at.

    Example:
        >>> c = Conversation.from_input([("system", "Be brief."), ("human", "hi")])
        >>> (c.text, c.user_turns, c.system_chars)
        ('hi', 1, 9)
    """

    text: str
    user_turns: int
    system_chars: int
    media: int
    tool_calls_in_history: int
    tools: int

    @classmethod
    def from_input(cls, model_input: LanguageModelInput, tools: Tools = None) -> Conversation:
        """Extract the last user message and conversation signals from any chat input."""
        if isinstance(model_input, str):  # the common case, without building a message
            return cls(model_input, 1, 0, 0, 0, len(tools or ()))
        fast = _from_role_tuples(model_input, len(tools or ()))
        if fast is not None:
            return fast
        messages = to_messages(model_input)
        text, media, user_turns, system_chars, tool_calls = "", 0, 0, 0, 0
        last_user: BaseMessage | None = None
        for message in messages:
            if isinstance(message, HumanMessage) or message.type == "human":
                user_turns += 1
                last_user = message
            elif isinstance(message, SystemMessage):
                system_chars += len(_text_and_media(message.content)[0])
            elif isinstance(message, AIMessage):
                tool_calls += len(message.tool_calls)
        primary = last_user if last_user is not None else (messages[-1] if messages else None)
        if primary is not None:
            text, media = _text_and_media(primary.content)
        return cls(text, user_turns, system_chars, media, tool_calls, len(tools or ()))


_USER_ROLES = frozenset(("human", "user"))
_OTHER_ROLES = frozenset(("system", "ai", "assistant"))


def _from_role_tuples(model_input: object, tools: int) -> Conversation | None:
    """``Conversation`` of a list of ``(role, str)`` tuples without building messages, else None.

    Same result as the message path (``convert_to_messages`` then the loop), ~10 us cheaper;
    any other shape or role returns None so the message path handles (or rejects) it.
    """
    if not isinstance(model_input, list | tuple) or not model_input:
        return None
    text, user_turns, system_chars, last_user = "", 0, 0, False
    for item in model_input:
        if not (type(item) is tuple and len(item) == 2 and type(item[1]) is str):
            return None
        role, content = item
        if role in _USER_ROLES:
            user_turns += 1
            text, last_user = content, True
        elif role not in _OTHER_ROLES:
            return None
        elif role == "system":
            system_chars += len(content)
    if not last_user:  # no user message: the last message is scored, as on the message path
        text = model_input[-1][1]
    return Conversation(text, user_turns, system_chars, 0, 0, tools)


#: Math and code symbols counted as tokens (once each) when present.
SYMBOLS = "^=+*/<>{}[]();%$|#`\\"
# Bytes in, bytes out: ASCII punctuation becomes a space. UTF-8 multi-byte sequences never
# contain ASCII bytes, so any text survives, and bytes.translate is fast whatever the script.
_TO_SPACE = bytes.maketrans(
    (string.punctuation + "_").encode(), b" " * len(string.punctuation + "_")
)
#: Cue words by signal name, shared by the heuristic and the learned scorer.
CUE_WORDS: dict[str, frozenset[str]] = {
    name: frozenset(words.split())
    for name, words in {
        "code": "def class import return function python javascript java sql regex compile "
        "debug bug algorithm code program script api json_schema { } ; ` # array loop "
        "variable recursion runtime output",
        "math": "^ = + * / % < > equation integral derivative probability polynomial matrix "
        "vector mod log sqrt frac calculate compute solve sum product ratio percent "
        "average rate value find velocity force energy mass",
        "reasoning": "prove proof derive justify reason reasoning analyze analyse compare "
        "evaluate estimate implies therefore valid argument design optimize optimise "
        "tradeoff why explain consequence conclude infer",
        "multi_step": "then after finally each total remaining per first second next "
        "statement steps both all",
        "structured_output": "json yaml csv xml table schema bullet bullets markdown format list",
        "negation": "except not least false incorrect unlikely never cannot",
    }.items()
}
_PHRASES = ("step by step", "how many", "how much", "if and only if", "```")
#: ``log_chars`` is ``log1p(chars) / LENGTH_SCALE``: about 1.0 at 8000 characters.
LENGTH_SCALE = math.log1p(8000.0)
SCAN_CHARS = 6000
#: Scorers read cues from the first ``HEAD_CHARS`` and last ``TAIL_CHARS`` characters of the last
#: user message (the request is usually at the start, and a question about a pasted document at
#: the end); length is always the whole text's. The bound keeps a decision's cost flat whatever
#: the prompt's length.
HEAD_CHARS = 1200
TAIL_CHARS = 400


def scan_window(text: str) -> str:
    """The part of a message scorers read for cues: its head and tail, joined by a newline.

    Example:
        >>> len(scan_window("x" * 100_000)) == HEAD_CHARS + 1 + TAIL_CHARS
        True
        >>> scan_window("short")
        'short'
    """
    if len(text) > HEAD_CHARS + TAIL_CHARS:
        return text[:HEAD_CHARS] + "\n" + text[-TAIL_CHARS:]
    return text


def tokenize(text: str) -> list[str]:
    """Lower-case words and numbers, then each math or code symbol present (once)."""
    lower = text[:SCAN_CHARS].lower()
    words = lower.encode("utf-8", "replace").translate(_TO_SPACE).decode("utf-8").split()
    return words + [symbol for symbol in SYMBOLS if symbol in lower]


def _options(text: str) -> tuple[int, float]:
    """Number of multiple-choice option lines (``A. ...``) and their mean length."""
    if "\nB. " not in text and "\nB) " not in text:
        return 0, 0.0
    lengths = [
        len(line) - 3
        for line in text[:SCAN_CHARS].splitlines()
        if len(line) > 2 and line[1] in ".)" and line[0] in "ABCDEFGHIJ" and line[2] == " "
    ]
    return len(lengths), (sum(lengths) / len(lengths) if lengths else 0.0)


#: Signal names of :func:`extract_signals`, in order.
SIGNAL_NAMES: tuple[str, ...] = (
    *CUE_WORDS,
    "chars",
    "log_chars",
    "numbers",
    "questions",
    "options",
    "option_chars",
    "uppercase_negation",
    "user_turns",
    "system_chars",
    "media",
    "tools",
    "tool_calls_in_history",
)


def extract_signals(
    conversation: Conversation, tokens: list[str] | None = None
) -> dict[str, float]:
    """Named features of a conversation; counts are raw, ``log_chars`` is scaled to about [0, 1].

    The :class:`~langchain_globalapi.routing.LearnedScorer`'s cue features. Cue counts are numbers
    of *distinct* cue words. Cues are read from :func:`scan_window` of the last user message (its
    head and tail), ``chars`` and ``log_chars`` from the whole of it. ``tokens``, if given, must
    be ``tokenize(scan_window(conversation.text))``.
    """
    full = conversation.text
    text = scan_window(full)
    unique = set(tokenize(text) if tokens is None else tokens)
    lower = text.lower()
    counts = [len(unique & words) for words in CUE_WORDS.values()]
    counts[2] += sum(phrase in lower for phrase in _PHRASES)
    options, option_chars = _options(text)
    values = [
        *map(float, counts),
        float(len(full)),
        math.log1p(len(full)) / LENGTH_SCALE,
        float(sum(map(str.isdigit, unique))),
        float(text.count("?")),
        float(options),
        option_chars,
        float(" EXCEPT" in text or " NOT " in text),
        float(conversation.user_turns),
        float(conversation.system_chars),
        float(conversation.media),
        float(conversation.tools),
        float(conversation.tool_calls_in_history),
    ]
    return dict(zip(SIGNAL_NAMES, values, strict=True))


class ComplexityScorer(LearnsFromOutcomes, ABC):
    """How strongly a chat request needs a stronger tier, in [0, 1] (higher = stronger tier).

    Subclasses implement :meth:`score_conversation` (the *prior*: what the text says); the input
    handling and learning from outcomes are shared. :meth:`learn` takes
    :class:`~langchain_globalapi.routing.outcomes.RoutingOutcome` records; afterwards a request
    whose ``task`` has outcomes scores by that task's record, and one without by its nearest
    labelled prompts (see :class:`~langchain_globalapi.routing.outcomes.OutcomeMemory`).

    Example:
        >>> from langchain_globalapi.routing.outcomes import RoutingOutcome
        >>> class Constant(ComplexityScorer):
        ...     def score_conversation(self, conversation):
        ...         return 0.5
        ...
        ...     def signals(self, model_input, *, tools=None):
        ...         return {}
        >>> scorer = Constant()
        >>> scorer.score_batch(["hi", [("human", "hello")]])
        [0.5, 0.5]
        >>> _ = scorer.learn([RoutingOutcome("2+2?", cheap_ok=True, strong_ok=True, task="math")])
        >>> round(scorer.score("3+3?", task="math"), 3)  # (10 * 0.5 + 0) / (10 + 1)
        0.455
    """

    @abstractmethod
    def score_conversation(self, conversation: Conversation) -> float:
        """Score an already-extracted conversation (the prior: no outcomes applied)."""

    @abstractmethod
    def signals(self, model_input: LanguageModelInput, *, tools: Tools = None) -> dict[str, float]:
        """The named features that drove the prior score (for ``response_metadata['routing']``)."""

    def _prior_with_signals(
        self, model_input: LanguageModelInput, tools: Tools, conversation: Conversation
    ) -> tuple[float, dict[str, float]]:
        """The prior score and its signals; scorers that share features between them override."""
        return self.score_conversation(conversation), self.signals(model_input, tools=tools)

    def score(
        self, model_input: LanguageModelInput, *, tools: Tools = None, task: str | None = None
    ) -> float:
        """Score one chat input.

        Args:
            model_input: Anything a chat model accepts: str, messages, tuples, dicts, PromptValue.
            tools: Tools the request may call (the list given to ``bind_tools``), if any.
            task: The request's task tag, if any: with outcomes for it, they decide.

        Returns:
            A float in [0, 1]; higher means the request needs a stronger tier.
        """
        conversation = Conversation.from_input(model_input, tools)
        prior = self.score_conversation(conversation)
        memory = self._outcome_memory
        if memory is None:
            return prior
        return memory.adjust(prior, conversation.text, task)[0]

    def score_batch(
        self,
        model_inputs: Sequence[LanguageModelInput],
        *,
        tools: Tools = None,
        task: str | Sequence[str | None] | None = None,
    ) -> list[float]:
        """Score many inputs (all with the same ``tools``; one ``task`` or one per input)."""
        if task is None or isinstance(task, str):
            return [self.score(x, tools=tools, task=task) for x in model_inputs]
        if len(task) != len(model_inputs):
            msg = f"score_batch: {len(model_inputs)} inputs but {len(task)} tasks"
            raise ValueError(msg)
        return [self.score(x, tools=tools, task=t) for x, t in zip(model_inputs, task, strict=True)]

    def score_with_signals(
        self, model_input: LanguageModelInput, *, tools: Tools = None, task: str | None = None
    ) -> tuple[float, dict[str, float]]:
        """Score one input and return the signals behind it, extracting features once.

        The router calls this once per decision. Without outcomes it equals ``(score(input),
        signals(input))``; after :meth:`learn` the signals also say what outcomes contributed
        (``prior_score``, ``task_outcomes``, ``neighbour_weight``).
        """
        conversation = Conversation.from_input(model_input, tools)
        prior, signals = self._prior_with_signals(model_input, tools, conversation)
        memory = self._outcome_memory
        if memory is None:
            return prior, signals
        score, learned = memory.adjust(prior, conversation.text, task)
        return score, {**signals, **learned}


class LengthScorer(ComplexityScorer):
    """The seed article's rule: a user message over ``threshold_chars`` goes to the strong tier.

    The score is 1.0 above the threshold and otherwise grows with length (``chars / threshold``,
    times 0.5), so the scorer also ranks prompts and a router can calibrate its own cut.

    Example:
        >>> scorer = LengthScorer()
        >>> scorer.score("hi") < 0.5 < scorer.score("x" * 2001)
        True
    """

    def __init__(self, threshold_chars: int = 2000) -> None:
        self.threshold_chars = threshold_chars

    def score_conversation(self, conversation: Conversation) -> float:
        """Score by character count of the last user message."""
        chars = len(conversation.text)
        if chars > self.threshold_chars:
            return 1.0
        return 0.5 * chars / self.threshold_chars

    def signals(self, model_input: LanguageModelInput, *, tools: Tools = None) -> dict[str, float]:
        """Return the character count and the threshold."""
        conversation = Conversation.from_input(model_input, tools)
        return {"chars": float(len(conversation.text)), "threshold_chars": self.threshold_chars}


def __getattr__(name: str) -> Any:
    # Names that moved to heuristic.py stay importable from here. heuristic.py imports this
    # module (it subclasses ComplexityScorer), so they are resolved on first access: an eager
    # import would be a cycle.
    from langchain_globalapi.routing import heuristic  # noqa: PLC0415

    if name in heuristic.__all__:
        return getattr(heuristic, name)
    msg = f"module {__name__!r} has no attribute {name!r}"
    raise AttributeError(msg)
