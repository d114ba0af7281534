"""Child-run configs for chat models that answer by calling other chat models.

The router, the cache wrapper and the fallback wrapper are chat models that call chat
models. LangChain's LLM run managers have no `get_child()`, so without care the inner
call starts a new trace, loses the caller's callbacks (cost tracking, LangSmith), or
bills twice. `child_config` makes the inner call a proper child run of the wrapper's,
carrying the inheritable handlers, tags and metadata, plus any metadata the wrapper adds
(for example the routing decision).

Example:
    >>> child_config(None, {"globalapi_tier": "flash"})["metadata"]
    {'globalapi_tier': 'flash'}
"""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import (
    AsyncCallbackManager,
    AsyncCallbackManagerForLLMRun,
    CallbackManager,
    CallbackManagerForLLMRun,
)
from langchain_core.runnables import RunnableConfig

__all__ = ["child_config"]


def child_config(
    run_manager: CallbackManagerForLLMRun | AsyncCallbackManagerForLLMRun | None,
    metadata: dict[str, Any] | None = None,
    *,
    tags: list[str] | None = None,
) -> RunnableConfig:
    """A config that makes an inner model call a child run of `run_manager`'s run."""
    config: RunnableConfig = {"metadata": dict(metadata or {})}
    if tags:
        config["tags"] = list(tags)
    if run_manager is None:
        return config
    manager_cls = (
        AsyncCallbackManager
        if isinstance(run_manager, AsyncCallbackManagerForLLMRun)
        else CallbackManager
    )
    manager = manager_cls(handlers=[], parent_run_id=run_manager.run_id)
    manager.set_handlers(run_manager.inheritable_handlers)
    manager.add_tags(run_manager.inheritable_tags)
    manager.add_metadata(run_manager.inheritable_metadata)
    config["callbacks"] = manager
    return config
