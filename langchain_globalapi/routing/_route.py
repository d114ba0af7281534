"""The routing decision procedure: score or hint, thread affinity, capability checks, budgets.

Order matters and is documented for users: (1) a `complexity` hint or the score cut by the
thresholds picks a tier; (2) without a hint, a conversation thread never drops below the tier
an earlier turn used; (3) a tier that cannot take the prompt (context window, tools, images)
moves it up to the next one that can; (4) a budget's soft limit moves it down to the next
cheaper tier that can still take it, a hard limit raises. Checks escalate for capability and
only budgets downgrade, so a request never lands on a model that cannot serve it.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from langchain_core.messages import BaseMessage

from langchain_globalapi._runs import HINT_KEY, TASK_KEY, THREAD_KEY
from langchain_globalapi._tokens import estimate_message_tokens
from langchain_globalapi.budgets import Budget
from langchain_globalapi.catalog import Catalog
from langchain_globalapi.errors import BudgetExceededError, NoCapableTierError, RoutingConfigError
from langchain_globalapi.routing._affinity import ThreadAffinity
from langchain_globalapi.routing._decision import RoutingDecision
from langchain_globalapi.routing._thresholds import tier_index
from langchain_globalapi.routing._tiers import TierProfile, tier_profile
from langchain_globalapi.routing.scorers import ComplexityScorer

__all__ = ["BudgetDowngradeWarning", "Router"]

AUTO = "auto"
_IMAGE_TYPES = frozenset({"image_url", "image", "input_image"})


class BudgetDowngradeWarning(UserWarning):
    """A budget's soft limit moved a request to a cheaper tier."""


def _has_images(messages: Sequence[BaseMessage]) -> bool:
    return any(
        isinstance(block, dict) and block.get("type") in _IMAGE_TYPES
        for message in messages
        if not isinstance(message.content, str)
        for block in message.content
    )


def _fmt(score: float) -> str:
    return f"{score:.3f}".rstrip("0").rstrip(".") if score else "0"


@dataclass(frozen=True)
class Router:
    """Everything a decision needs, detached from the pydantic model (cheap to build)."""

    tiers: Mapping[str, Any]
    scorer: ComplexityScorer
    thresholds: tuple[float, ...]
    catalog: Catalog
    context_windows: Mapping[str, int]
    budget: Budget | None
    tools: list[dict[str, Any]]
    affinity: ThreadAffinity
    _profiles: dict[str, TierProfile] = field(default_factory=dict, compare=False)

    @property
    def names(self) -> list[str]:
        """Tier names, cheapest first."""
        return list(self.tiers)

    def profile(self, tier: str) -> TierProfile:
        """What the tier can take, through wrappers (computed once per tier)."""
        profile = self._profiles.get(tier)
        if profile is None:
            profile = self._profiles[tier] = tier_profile(self.tiers[tier], self.catalog)
        return profile

    def model_of(self, tier: str) -> str | None:
        """The model id the tier serves with normally."""
        return self.profile(tier).model

    # --- steps -------------------------------------------------------------------------

    def _hinted(self, hint: Any) -> int | None:
        """The tier index a hint names, `None` for auto (score decides)."""
        if hint is None or hint == AUTO:
            return None
        if hint in self.tiers:
            return self.names.index(hint)
        if hint == "low":
            return 0
        if hint == "high":
            return len(self.tiers) - 1
        msg = (
            f"unknown complexity hint {hint!r}: use 'low' (cheapest tier), 'high' (strongest), "
            f"'auto' (score) or a tier name: {', '.join(repr(n) for n in self.names)}"
        )
        raise RoutingConfigError(msg)

    def _cut_reason(self, index: int, score: float) -> str:
        cuts = self.thresholds
        low = f"{_fmt(cuts[index - 1])} <= " if index > 0 else ""
        high = f" < {_fmt(cuts[index])}" if index < len(cuts) else ""
        return f"score {_fmt(score)}: {low}score{high}"

    def cannot_take(self, tier: str, prompt_tokens: int, needs_images: bool) -> str | None:
        """Why `tier` cannot take the request, or `None` if it can."""
        profile = self.profile(tier)
        window = self.context_windows.get(tier) or profile.context_window
        if window is not None and prompt_tokens > window:
            return f"{tier}: ~{prompt_tokens:,} prompt tokens exceed its {window:,}-token window"
        if self.tools and not profile.supports_tools:
            return f"{tier}: {profile.model} does not support tools"
        if needs_images and not profile.supports_images:
            return f"{tier}: {profile.model} does not support images"
        return None

    def _capable(self, messages: Sequence[BaseMessage]) -> dict[int, str | None]:
        prompt_tokens = estimate_message_tokens(messages, self.tools)
        needs_images = _has_images(messages)
        return {
            index: self.cannot_take(name, prompt_tokens, needs_images)
            for index, name in enumerate(self.names)
        }

    def _apply_budget(
        self, index: int, capable: Mapping[int, str | None], reasons: list[str]
    ) -> tuple[int, bool]:
        """Downgrade on a soft limit, raise on a hard one; return the index and whether moved."""
        if self.budget is None:
            return index, False
        name = self.names[index]
        check = self.budget.check(model=self.model_of(name), tier=name)
        if check.unavailable:
            self.budget.ensure(model=self.model_of(name), tier=name)  # raises, names the store
        if check.allowed:
            return index, False
        if check.hard:
            msg = (
                f"{check.reason}: tier {name!r} is over a hard spend limit. Raise the limit, "
                f"make it soft (hard=False) to downgrade instead, or wait for the next period"
            )
            raise BudgetExceededError(msg, limits=check.reached)
        cheaper = [j for j in range(index - 1, -1, -1) if capable[j] is None]
        target = None
        for j in cheaper:
            lower = self.budget.check(model=self.model_of(self.names[j]), tier=self.names[j])
            if lower.allowed:
                target = j
                break
            if not lower.hard:
                target = j  # over a soft limit too: keep going cheaper, settle on the cheapest
        if target is None:
            reasons.append(f"{check.reason}; no cheaper tier can take it, staying on {name}")
            return index, False
        message = f"{check.reason}; downgraded {name} -> {self.names[target]}"
        reasons.append(message)
        warnings.warn(message, BudgetDowngradeWarning, stacklevel=6)
        return target, True

    # --- the decision ------------------------------------------------------------------------

    def decide(
        self, messages: Sequence[BaseMessage], metadata: Mapping[str, Any], *, record: bool
    ) -> RoutingDecision:
        """Decide the tier for one request; `record` updates the thread's affinity floor."""
        start = time.perf_counter()
        hint = metadata.get(HINT_KEY)
        hinted = self._hinted(hint)
        score: float | None = None
        signals: dict[str, float] = {}
        reasons: list[str] = []
        if hinted is not None:
            index = hinted
            reasons.append(f"hint {hint!r}")
        else:
            # One feature extraction for both (`ComplexityScorer` defines it for every scorer).
            task = metadata.get(TASK_KEY)
            # `task` only when there is one: scorers written before it existed keep working.
            extra = {"task": str(task)} if task is not None else {}
            score, raw = self.scorer.score_with_signals(messages, tools=self.tools or None, **extra)
            score = float(score)
            signals = {k: v for k, v in raw.items() if v}
            index = tier_index(score, self.thresholds)
            reasons.append(self._cut_reason(index, score))
        scored = index
        thread = metadata.get(THREAD_KEY)
        if hinted is None and thread is not None:
            floor = self.affinity.floor(thread)
            if floor is not None and floor > index:
                index = floor
                reasons.append(f"thread {thread!r} used {self.names[floor]} earlier")
        capable = self._capable(messages)
        if capable[index] is not None:
            up = next((j for j in range(index + 1, len(self.names)) if capable[j] is None), None)
            if up is None:
                why = "; ".join(str(capable[j]) for j in range(index, len(self.names)))
                msg = (
                    f"no tier at or above {self.names[index]!r} can take this request ({why}). "
                    "Shorten the prompt, or add a tier (or a context_windows override) that can"
                )
                raise NoCapableTierError(msg)
            reasons.append(f"moved up to {self.names[up]}: {capable[index]}")
            index = up
        index, downgraded = self._apply_budget(index, capable, reasons)
        if record and thread is not None:
            self.affinity.record(thread, index)
        name = self.names[index]
        return RoutingDecision(
            tier=name,
            model=self.model_of(name),
            score=score,
            signals=signals,
            hint=None if hint is None else str(hint),
            reason="; ".join(reasons),
            thresholds=self.thresholds,
            overhead_ms=(time.perf_counter() - start) * 1000,
            scored_tier=self.names[scored],
            downgraded=downgraded,
        )
