"""Checks on what a chat model is asked, made before anything is sent, cached or billed.

Example:
    >>> ensure_messages([], owner="ChatGlobalAPI")
    Traceback (most recent call last):
    ...
    langchain_globalapi.errors.EmptyInputError: ChatGlobalAPI got an empty list of messages: pass at least one, e.g. [("human", "Hello")]; nothing was sent
"""  # noqa: E501

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from langchain_core.messages import BaseMessage

from langchain_globalapi.errors import EmptyInputError

__all__ = ["ensure_messages"]

_Messages = TypeVar("_Messages", bound=Sequence[BaseMessage])


def ensure_messages(messages: _Messages, owner: str = "ChatGlobalAPI") -> _Messages:
    """`messages`, unless there are none: then `EmptyInputError`, before any call.

    Args:
        messages: The conversation a chat model was asked to continue.
        owner: The class asked, named in the message.

    Returns:
        `messages`, unchanged.

    Raises:
        EmptyInputError: `messages` is empty.
    """
    if not messages:
        msg = (
            f'{owner} got an empty list of messages: pass at least one, e.g. [("human", '
            '"Hello")]; nothing was sent'
        )
        raise EmptyInputError(msg)
    return messages
