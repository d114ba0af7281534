"""Verifiers: an optional second opinion on a semantic hit before it is served.

The lexical guard catches what can be read off the words (numbers, negations, names,
order). It cannot know that "thaw" and "freeze", or "metformin" and "metoprolol", ask
different things. A verifier can: `SemanticCache(..., verifier=...)` calls it with the new
question and the cached one for a candidate that already cleared the threshold and the guard,
and serves the hit only on `True`. Anything else (`False`, an error) is a miss.

A verifier is any `(question, cached_question) -> bool` callable. If it also has an
`averify` coroutine method, the async cache path awaits that instead of running the
callable in a thread. `LLMVerifier` asks a chat model; each verification is an ordinary
model call (billed and counted by the cost tracker), so use a cheap model, and remember it
only pays off when a hit saves more than the check costs.

Example:
    >>> from langchain_core.embeddings import DeterministicFakeEmbedding
    >>> from langchain_globalapi import SemanticCache
    >>> def same_product(question: str, cached_question: str) -> bool:
    ...     return ("pro" in question.lower()) == ("pro" in cached_question.lower())
    >>> cache = SemanticCache(DeterministicFakeEmbedding(size=8), verifier=same_product)
    >>> cache.verifier is same_product
    True
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol, runtime_checkable

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage

from langchain_globalapi.errors import CacheConfigError

__all__ = ["DEFAULT_VERIFIER_PROMPT", "AsyncCacheVerifier", "CacheVerifier", "LLMVerifier"]

logger = logging.getLogger(__name__)

#: `(question, cached_question) -> bool`: may the cached answer serve `question`?
CacheVerifier = Callable[[str, str], bool]


@runtime_checkable
class AsyncCacheVerifier(Protocol):
    """A verifier with a native async form, awaited on `SemanticCache`'s async path.

    Example:
        >>> class SameLength:
        ...     def __call__(self, question: str, cached_question: str) -> bool:
        ...         return len(question) == len(cached_question)
        ...
        ...     async def averify(self, question: str, cached_question: str) -> bool:
        ...         return self(question, cached_question)
        >>> isinstance(SameLength(), AsyncCacheVerifier)
        True
    """

    def __call__(self, question: str, cached_question: str) -> bool:
        """True when the cached answer serves `question`."""
        ...

    async def averify(self, question: str, cached_question: str) -> bool:
        """Async `__call__`."""
        ...


DEFAULT_VERIFIER_PROMPT = (
    "A cache holds the answer to question A. Decide whether it may be reused for question B.\n"
    "Question A: {cached_question}\n"
    "Question B: {question}\n"
    "Would the same answer correctly serve both questions? Answer yes or no."
)


def _strict_yes_no(message: BaseMessage) -> bool | None:
    """True for "yes", False for "no" (case, spaces and a final period ignored), else None."""
    answer = message.text.strip().rstrip(".!").strip().lower()
    return {"yes": True, "no": False}.get(answer)


class LLMVerifier:
    """Asks a chat model whether the cached answer serves the new question; strict yes/no.

    Only an exact "yes" (any case, optional final period) verifies the hit; "no", an
    empty or chatty answer ("Yes, because...") or any error refuses it. The call is an
    ordinary model call: the cost tracker bills it.

    Args:
        chat_model: The judge; a cheap model is enough (e.g. `ChatGlobalAPI(model="GA-Economy",
            temperature=0)`).
        prompt: A template with `{question}` and `{cached_question}` placeholders.

    Raises:
        CacheConfigError: `prompt` lacks one of the placeholders.

    Example:
        >>> from langchain_globalapi import ChatGlobalAPI
        >>> from langchain_globalapi.testing import FakeOpenAIServer
        >>> with FakeOpenAIServer() as server:
        ...     server.set_reply("GA-Economy", "Yes.")
        ...     judge = ChatGlobalAPI(
        ...         model="GA-Economy", api_key="k", base_url=server.base_url, temperature=0
        ...     )
        ...     LLMVerifier(judge)("How do I reset my password?", "Password reset steps?")
        True
    """

    def __init__(self, chat_model: BaseChatModel, *, prompt: str = DEFAULT_VERIFIER_PROMPT) -> None:
        missing = [name for name in ("{question}", "{cached_question}") if name not in prompt]
        if missing:
            msg = f"LLMVerifier prompt must contain {' and '.join(missing)}"
            raise CacheConfigError(msg)
        self.chat_model = chat_model
        self.prompt = prompt

    def __repr__(self) -> str:
        return f"LLMVerifier({self.chat_model!r})"

    def _messages(self, question: str, cached_question: str) -> list[BaseMessage]:
        text = self.prompt.format(question=question, cached_question=cached_question)
        return [HumanMessage(text)]

    def _verdict(self, answer: BaseMessage) -> bool:
        verdict = _strict_yes_no(answer)
        if verdict is None:
            logger.warning("cache verifier answered neither yes nor no, refusing: %r", answer.text)
            return False
        return verdict

    def __call__(self, question: str, cached_question: str) -> bool:
        """True only when the model answers "yes"."""
        answer: AIMessage = self.chat_model.invoke(self._messages(question, cached_question))
        return self._verdict(answer)

    async def averify(self, question: str, cached_question: str) -> bool:
        """Async `__call__`."""
        answer: AIMessage = await self.chat_model.ainvoke(self._messages(question, cached_question))
        return self._verdict(answer)
