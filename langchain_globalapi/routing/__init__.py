"""Routing: complexity scorers that pick a tier per request, and the metrics that judge them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from langchain_globalapi._lazy import lazy_exports

if TYPE_CHECKING:
    from langchain_globalapi.routing._cascade import Cascade
    from langchain_globalapi.routing._decision import RoutingDecision
    from langchain_globalapi.routing._route import BudgetDowngradeWarning
    from langchain_globalapi.routing.heuristic import HeuristicScorer
    from langchain_globalapi.routing.learned import LearnedScorer
    from langchain_globalapi.routing.outcome_redis import RedisOutcomeStore
    from langchain_globalapi.routing.outcome_sqlite import SQLiteOutcomeStore
    from langchain_globalapi.routing.outcome_stores import (
        InMemoryOutcomeStore,
        OutcomeStore,
        TaskTotals,
    )
    from langchain_globalapi.routing.outcomes import OutcomeMemory, RoutingOutcome
    from langchain_globalapi.routing.router import TieredRouterRunnable
    from langchain_globalapi.routing.scorers import (
        ComplexityScorer,
        Conversation,
        LengthScorer,
        to_messages,
    )

# Public name -> the submodule that defines it, imported on first use (see `_lazy.py`).
_EXPORTS: dict[str, str] = {
    "Cascade": "_cascade",
    "RoutingDecision": "_decision",
    "BudgetDowngradeWarning": "_route",
    "HeuristicScorer": "heuristic",
    "LearnedScorer": "learned",
    "RedisOutcomeStore": "outcome_redis",
    "SQLiteOutcomeStore": "outcome_sqlite",
    "InMemoryOutcomeStore": "outcome_stores",
    "OutcomeStore": "outcome_stores",
    "TaskTotals": "outcome_stores",
    "OutcomeMemory": "outcomes",
    "RoutingOutcome": "outcomes",
    "TieredRouterRunnable": "router",
    "ComplexityScorer": "scorers",
    "Conversation": "scorers",
    "LengthScorer": "scorers",
    "to_messages": "scorers",
}

__all__ = [
    "BudgetDowngradeWarning",
    "Cascade",
    "ComplexityScorer",
    "Conversation",
    "HeuristicScorer",
    "InMemoryOutcomeStore",
    "LearnedScorer",
    "LengthScorer",
    "OutcomeMemory",
    "OutcomeStore",
    "RedisOutcomeStore",
    "RoutingDecision",
    "RoutingOutcome",
    "SQLiteOutcomeStore",
    "TaskTotals",
    "TieredRouterRunnable",
    "to_messages",
]

if not TYPE_CHECKING:  # type checkers read the imports above; an unknown name stays an error
    __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, __all__)
