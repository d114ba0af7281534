"""Routing: complexity scorers that pick a tier per request, and the metrics that judge them."""

from langchain_globalapi.routing.learned import LearnedScorer
from langchain_globalapi.routing.scorers import (
    ComplexityScorer,
    Conversation,
    HeuristicScorer,
    LengthScorer,
    to_messages,
)

__all__ = [
    "ComplexityScorer",
    "Conversation",
    "HeuristicScorer",
    "LearnedScorer",
    "LengthScorer",
    "to_messages",
]
