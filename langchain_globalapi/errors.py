"""The package's exceptions, in one hierarchy under `GlobalAPIError`.

Errors are raised at the boundary and say what to do. Each also subclasses the builtin
that callers would naturally catch (`ValueError` for bad configuration, `LookupError` for
an unknown model), so existing `except` clauses keep working.

Example:
    >>> from langchain_globalapi.errors import GlobalAPIError
    >>> from langchain_globalapi.errors import CatalogError
    >>> issubclass(CatalogError, GlobalAPIError) and issubclass(CatalogError, ValueError)
    True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = [
    "BudgetExceededError",
    "CatalogError",
    "GlobalAPIError",
    "MissingAPIKeyError",
    "ModelNotFoundError",
    "NoCapableTierError",
    "RoutingConfigError",
]


class GlobalAPIError(Exception):
    """Base class of every error this package raises on its own."""


class MissingAPIKeyError(GlobalAPIError):
    """No API key was given: export `GLOBAL_API_KEY` or pass `api_key=`.

    Deliberately not a `ValueError`: pydantic would wrap one in a `ValidationError`,
    and this must reach the caller as itself.
    """


class CatalogError(GlobalAPIError, ValueError):
    """A catalog entry, override file, price or model lookup is malformed."""


class ModelNotFoundError(GlobalAPIError, LookupError):
    """The endpoint rejected the model id (HTTP 404): it names the model and the base URL."""

    def __init__(self, message: str, *, model: str, base_url: str) -> None:
        super().__init__(message)
        self.model = model
        self.base_url = base_url


class BudgetExceededError(GlobalAPIError):
    """A hard spend limit is reached; `limits` lists which."""

    def __init__(self, message: str, *, limits: Sequence[Any] = ()) -> None:
        super().__init__(message)
        self.limits = tuple(limits)


class RoutingConfigError(GlobalAPIError, ValueError):
    """A router is misconfigured or got an unknown hint: the message lists the valid values."""


class NoCapableTierError(GlobalAPIError, ValueError):
    """No router tier can take the request (context window, tools or images): add one that can."""
