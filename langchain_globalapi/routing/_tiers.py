"""What a tier can take: its model, context window and tool/image support, through wrappers.

A tier is usually a plain chat model whose model id the catalog knows. It may also be a
`RunnableBinding` (`llm.bind(...)`, `llm.bind_tools(...)`) or a wrapper, seen through its
`inner_models()`: a `CachedChatModel` (one model), a `FallbackChatModel` (members tried in
order) or another router (one tier per request). `tier_profile` looks through them:

- **Context window: the largest one the tier can reach.** A fallback chain serves with its
  first member and moves a context overflow on only to a member with a larger window, so a
  prompt that fits any member is answered; the pre-call check asks "can this tier take it
  at all", not "will the first member take it" (the overflowing first attempt costs one
  failed round trip, not the answer). A nested router moves up on its own, likewise.
- **Tools and images: the member that serves normally.** A chain raises a bad request (a
  model without tool or image support) at once instead of moving on, so its first member
  decides. A nested router can use any of its tiers.
- **Model: the member that serves normally**, for `response_metadata["routing"]["model"]`
  and budget checks.

Unknown models (not in the catalog) are assumed able, as for plain tiers.

Example:
    >>> from langchain_globalapi import Catalog, ChatGlobalAPI
    >>> profile = tier_profile(ChatGlobalAPI(model="GA-Economy", api_key="k"), Catalog.default())
    >>> profile.model, profile.context_window > 0
    ('GA-Economy', True)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from langchain_core.runnables import RunnableBinding

from langchain_globalapi._runs import model_id_of
from langchain_globalapi._wrapper import WrapperChatModel
from langchain_globalapi.catalog import Catalog

__all__ = ["TierProfile", "tier_model_name", "tier_profile"]

_MAX_DEPTH = 8  # wrappers of wrappers; deeper is a cycle or a mistake, treated as unknown


@dataclass(frozen=True)
class TierProfile:
    """A tier as the pre-call checks see it.

    Attributes:
        model: The model id that serves normally (first member of a chain), or None.
        models: Every model id the tier can reach, in order.
        context_window: The largest window the tier can reach in tokens, None when unknown.
        supports_tools: False only when the serving model is known to lack tool support.
        supports_images: False only when the serving model is known to lack image input.
    """

    model: str | None
    models: tuple[str, ...] = ()
    context_window: int | None = None
    supports_tools: bool = True
    supports_images: bool = True


def _largest(windows: Sequence[int | None]) -> int | None:
    known = [window for window in windows if window is not None]
    return max(known) if known else None


def _combine(profiles: Sequence[TierProfile], *, serving_decides: bool) -> TierProfile:
    first = profiles[0]
    models = tuple(dict.fromkeys(name for p in profiles for name in p.models))
    if serving_decides:  # a fallback chain: the first member serves and raises bad requests
        tools, images = first.supports_tools, first.supports_images
    else:  # a router: some tier can take it
        tools = any(p.supports_tools for p in profiles)
        images = any(p.supports_images for p in profiles)
    return TierProfile(
        model=first.model,
        models=models,
        context_window=_largest([p.context_window for p in profiles]),
        supports_tools=tools,
        supports_images=images,
    )


def tier_profile(model: Any, catalog: Catalog | None, *, _depth: int = 0) -> TierProfile:
    """The profile of a tier, looking through bindings and wrappers (`WrapperChatModel`).

    With no catalog only the model names are filled in.
    """
    if _depth > _MAX_DEPTH:
        return TierProfile(model=None)
    depth = _depth + 1
    if isinstance(model, RunnableBinding):
        return tier_profile(model.bound, catalog, _depth=depth)
    if isinstance(model, WrapperChatModel):
        inner = model.inner_models()
        if not inner:  # pragma: no cover - wrappers are built with at least one model
            return TierProfile(model=None)
        profiles = [tier_profile(m, catalog, _depth=depth) for m in inner]
        # A chain's first member serves and raises bad requests; a router's tiers can each
        # take a request; a single-model wrapper is its model.
        return _combine(profiles, serving_decides=model.inner_kind != "any")
    name = model_id_of(model)
    info = catalog.get(name) if catalog is not None and name else None
    if info is None:
        return TierProfile(model=name, models=(name,) if name else ())
    return TierProfile(
        model=name,
        models=(name,) if name else (),
        context_window=info.context_window,
        supports_tools=info.supports_tools,
        supports_images=info.supports_images,
    )


def tier_model_name(model: Any) -> str | None:
    """The model id a tier serves with normally (through wrappers; `None` when unnamed).

    Example:
        >>> from langchain_globalapi import ChatGlobalAPI
        >>> tier_model_name(ChatGlobalAPI(model="GA-Economy", api_key="k").bind(stop=["END"]))
        'GA-Economy'
    """
    return tier_profile(model, None).model
