"""Routing: complexity scorers that pick a tier per request, and the metrics that judge them."""

from langchain_globalapi.routing._cascade import Cascade
from langchain_globalapi.routing._decision import RoutingDecision
from langchain_globalapi.routing._route import BudgetDowngradeWarning
from langchain_globalapi.routing.heuristic import HeuristicScorer
from langchain_globalapi.routing.learned import LearnedScorer
from langchain_globalapi.routing.router import TieredRouterRunnable
from langchain_globalapi.routing.scorers import (
    ComplexityScorer,
    Conversation,
    LengthScorer,
    to_messages,
)

__all__ = [
    "BudgetDowngradeWarning",
    "Cascade",
    "ComplexityScorer",
    "Conversation",
    "HeuristicScorer",
    "LearnedScorer",
    "LengthScorer",
    "RoutingDecision",
    "TieredRouterRunnable",
    "to_messages",
]
