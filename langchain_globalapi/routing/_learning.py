"""Learning from outcomes, shared by every complexity scorer: the methods and where state lives.

:class:`LearnsFromOutcomes` is a base of
:class:`~langchain_globalapi.routing.scorers.ComplexityScorer`: it holds the scorer's
:class:`~langchain_globalapi.routing.outcomes.OutcomeMemory` (none until first used, so a scorer
that never learns pays nothing) and the methods that fill, share, save and load it. The scoring
methods that apply the memory are the scorer's own.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from typing_extensions import Self

if TYPE_CHECKING:
    from langchain_globalapi.routing.outcome_stores import OutcomeStore
    from langchain_globalapi.routing.outcomes import OutcomeMemory, RoutingOutcome

__all__ = ["LearnsFromOutcomes"]


class LearnsFromOutcomes:
    """The outcome-learning half of a scorer (see ``ComplexityScorer``).

    Example:
        >>> from langchain_globalapi.routing import LengthScorer
        >>> from langchain_globalapi.routing.outcomes import RoutingOutcome
        >>> scorer = LengthScorer().learn([RoutingOutcome("hi", cheap_ok=True, strong_ok=True)])
        >>> len(scorer.outcomes)
        1
    """

    _outcome_memory: OutcomeMemory | None = None

    @property
    def outcomes(self) -> OutcomeMemory:
        """What this scorer learned (created empty, in this process only, on first use).

        Assign an :class:`~langchain_globalapi.routing.outcomes.OutcomeMemory` to change its
        settings or its store.
        """
        if self._outcome_memory is None:
            from langchain_globalapi.routing.outcomes import OutcomeMemory  # noqa: PLC0415

            self._outcome_memory = OutcomeMemory()
        return self._outcome_memory

    @outcomes.setter
    def outcomes(self, memory: OutcomeMemory) -> None:
        self._outcome_memory = memory

    def without_outcomes(self) -> Self:
        """A copy that shares this scorer's weights (read-only) and has learned nothing.

        Example:
            >>> from langchain_globalapi.routing import LengthScorer
            >>> from langchain_globalapi.routing.outcomes import RoutingOutcome
            >>> taught = LengthScorer().learn([RoutingOutcome("hi", True, True)])
            >>> len(taught.without_outcomes().outcomes), len(taught.outcomes)
            (0, 1)
        """
        fresh = copy.copy(self)
        fresh._outcome_memory = None
        return fresh

    def learn(self, outcomes: Iterable[RoutingOutcome]) -> Self:
        """Learn from outcomes of past requests (incremental; returns this scorer).

        Raises:
            OutcomeError: An item is not a ``RoutingOutcome``.
            OutcomeStoreError: A shared store could not be written.
        """
        self.outcomes.add(outcomes)
        return self

    def share_outcomes(
        self,
        target: str | os.PathLike[str] | OutcomeStore,
        *,
        namespace: str = "default",
        **settings: Any,
    ) -> Self:
        """Keep outcomes in a SQLite file or Redis, shared with every scorer pointing there.

        Args:
            target: A ``redis://`` (``rediss://``, ``unix://``) URL, a SQLite file path, or an
                ``OutcomeStore``.
            namespace: Keeps separate routers' outcomes apart in one store.
            **settings: ``OutcomeMemory`` settings (``prior_strength``, ``refresh_s``, ...).

        Outcomes learned before in this process are not copied: share first, then learn.
        """
        # Imported here: the stores and the memory import the scorers' module.
        from langchain_globalapi._redis import REDIS_SCHEMES  # noqa: PLC0415
        from langchain_globalapi.routing.outcome_redis import RedisOutcomeStore  # noqa: PLC0415
        from langchain_globalapi.routing.outcome_sqlite import SQLiteOutcomeStore  # noqa: PLC0415
        from langchain_globalapi.routing.outcome_stores import OutcomeStore  # noqa: PLC0415
        from langchain_globalapi.routing.outcomes import OutcomeMemory  # noqa: PLC0415

        store: OutcomeStore
        if isinstance(target, OutcomeStore):
            store = target
        elif isinstance(target, str) and target.partition("://")[0] in REDIS_SCHEMES:
            store = RedisOutcomeStore(target, namespace=namespace)
        else:
            store = SQLiteOutcomeStore(target, namespace=namespace)
        self._outcome_memory = OutcomeMemory(store, **settings)
        return self

    def save_outcomes(self, path: str | os.PathLike[str]) -> None:
        """Write what this scorer learned to one file (``load_outcomes`` reads it back)."""
        self.outcomes.save(path)

    def load_outcomes(self, path: str | os.PathLike[str]) -> Self:
        """Replace what this scorer learned with a file written by :meth:`save_outcomes`."""
        self.outcomes.load(path)
        return self
