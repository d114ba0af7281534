"""How a tripwire attaches and acts: the observing callback handler and the threshold action.

Kept apart from `tripwire.py` so the evaluator reads on its own; both are re-exported there.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import BaseMessage
from langchain_core.outputs import ChatGeneration, LLMResult

if TYPE_CHECKING:
    from langchain_globalapi.tripwire import QualityTripwire

__all__ = ["TripwireCallback", "shift_toward_stronger"]

logger = logging.getLogger("langchain_globalapi.tripwire")


def shift_toward_stronger(router: Any, step: float = 0.05) -> tuple[float, ...] | None:
    """Lower a router's cut points by `step` so more requests reach the stronger tiers.

    Duck-typed: a router with a `shift_toward_stronger(step)` method is asked to do it itself;
    otherwise its `thresholds` (increasing cuts, cheapest tier first, as
    `TieredRouterRunnable` has) are replaced. Returns the new cuts, or None if there were none.

    Example:
        >>> class Router:
        ...     thresholds = (0.3, 0.5)
        >>> router = Router()
        >>> shift_toward_stronger(router, 0.1)
        (0.2, 0.4)
    """
    method = getattr(router, "shift_toward_stronger", None)
    if callable(method):
        result = method(step)
        return tuple(result) if result is not None else None
    cuts = getattr(router, "thresholds", None)
    if not cuts:
        logger.warning("quality tripwire: %r has no thresholds to move", type(router).__name__)
        return None
    new: list[float] = []
    for cut in cuts:
        lowered = round(max(float(cut) - step, 0.0), 9)
        new.append(max(lowered, new[-1] + 1e-6) if new else lowered)  # stay strictly increasing
    router.thresholds = tuple(new)
    return tuple(new)


class TripwireCallback(BaseCallbackHandler):
    """Feeds top-level chat-model answers to a tripwire (nested wrapper runs are skipped).

    A router's or fallback wrapper's inner model run is a child of a chat-model run this
    handler already saw, so only the answer the user received is observed, once.

    Example:
        >>> from langchain_core.language_models import GenericFakeChatModel
        >>> from langchain_globalapi import QualityTripwire
        >>> tripwire = QualityTripwire(GenericFakeChatModel(messages=iter([])), sample_rate=0)
        >>> model = GenericFakeChatModel(messages=iter(["hi"]))
        >>> _ = model.invoke("hello", config={"callbacks": [tripwire.as_callback()]})
        >>> tripwire.stats().observed
        1
    """

    run_inline = True

    def __init__(self, tripwire: QualityTripwire) -> None:
        self.tripwire = tripwire
        self._runs: dict[UUID, tuple[list[BaseMessage], str | None] | None] = {}
        self._lock = threading.Lock()

    def on_chat_model_start(
        self,
        serialized: dict[str, Any],
        messages: list[list[BaseMessage]],
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        """Remember the request; `None` marks runs that must not be observed."""
        metadata = metadata or {}
        with self._lock:
            nested = parent_run_id is not None and parent_run_id in self._runs
            skip = nested or metadata.get("globalapi_tripwire") or not messages
            request_id = metadata.get("request_id")
            self._runs[run_id] = (
                None if skip else (list(messages[0]), str(request_id) if request_id else None)
            )

    def on_llm_end(self, response: LLMResult, *, run_id: UUID, **kwargs: Any) -> None:
        """Observe the answer of a top-level run."""
        with self._lock:
            entry = self._runs.pop(run_id, None)
        generation = response.generations[0][0] if response.generations else None
        if entry is None or not isinstance(generation, ChatGeneration):
            return
        messages, request_id = entry
        self.tripwire.observe(messages, generation.message, run_id=request_id or run_id)

    def on_llm_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        """Forget a failed run."""
        with self._lock:
            self._runs.pop(run_id, None)
