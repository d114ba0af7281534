"""Routing: complexity scorers that pick a tier per request, and the metrics that judge them."""

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

__all__ = [
    "BudgetDowngradeWarning",
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
