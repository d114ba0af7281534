"""What identifies a wrapped chat model and a call in a cache key, for any `BaseChatModel`.

LangChain's own `llm_string` leaves out the base URL and, for unserializable models, may
embed object reprs with memory addresses (keys that never match in another process).
Here a model is described by its class, its LangSmith params, its base URL and its
pydantic fields (secrets masked, callbacks and other plumbing dropped), recursing into
nested chat models, so a router's or a fallback chain's members are part of its identity.

Example:
    >>> from langchain_core.language_models import FakeListChatModel
    >>> a = model_identity(FakeListChatModel(responses=["x"]))
    >>> b = model_identity(FakeListChatModel(responses=["y"]))
    >>> a == b
    False
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from langchain_core.language_models import BaseLanguageModel
from langchain_core.messages import AIMessage, BaseMessage, ChatMessage, ToolMessage
from langchain_core.runnables import RunnableBinding
from pydantic import BaseModel, SecretBytes, SecretStr

from langchain_globalapi._wrapper import WrapperChatModel

__all__ = ["call_llm_string", "identity_json", "model_identity", "normalized_prompt"]

# Fields that change how a call is observed or throttled, never what it answers.
_PLUMBING = frozenset(
    {
        "cache", "callbacks", "callback_manager", "verbose", "tags", "metadata",
        "rate_limiter", "custom_get_token_ids", "disable_streaming", "name", "catalog",
        "http_client", "http_async_client", "max_retries", "request_timeout", "timeout",
    }
)  # fmt: skip
_BASE_URL_FIELDS = ("openai_api_base", "api_base", "base_url", "azure_endpoint", "endpoint_url")
_MAX_DEPTH = 6


def _jsonable(value: Any, depth: int) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, SecretStr | SecretBytes):
        return "<secret>"  # tenants are separated by the cache namespace, not by keys
    if isinstance(value, Mapping):
        return {str(key): _jsonable(item, depth) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [_jsonable(item, depth) for item in value]
        return sorted(items, key=repr) if isinstance(value, set | frozenset) else items
    if depth >= _MAX_DEPTH:
        return type(value).__qualname__
    if isinstance(value, BaseLanguageModel):
        return model_identity(value, depth=depth + 1)
    if isinstance(value, RunnableBinding):
        return {
            "bound": _jsonable(value.bound, depth + 1),
            "kwargs": _jsonable(value.kwargs, depth + 1),
        }
    if isinstance(value, type) and issubclass(value, BaseModel):
        return value.model_json_schema()  # a structured-output schema, by content
    if isinstance(value, BaseModel):
        try:
            return value.model_dump(mode="json")
        except Exception:
            return type(value).__qualname__
    # Anything else (other runnables included) is identified by its type: reprs often
    # hold memory addresses.
    return f"{type(value).__module__}.{type(value).__qualname__}"


def model_identity(model: BaseLanguageModel[Any], *, depth: int = 0) -> dict[str, Any]:
    """A JSON-ready description of everything about `model` that can change its answers.

    A wrapper (router, fallback chain, cache wrapper) is described by its fields and by
    its inner models as it calls them (`inner_models()`, tools bound included).
    """
    identity: dict[str, Any] = {"class": f"{type(model).__module__}.{type(model).__qualname__}"}
    if isinstance(model, WrapperChatModel) and depth < _MAX_DEPTH:
        identity["inner"] = [_jsonable(inner, depth + 1) for inner in model.inner_models()]
    try:
        identity["ls"] = _jsonable(dict(model._get_ls_params()), depth)
    except Exception:
        identity["ls"] = None
    for name in _BASE_URL_FIELDS:
        url = getattr(model, name, None)
        if isinstance(url, str) and url:
            identity["base_url"] = url.rstrip("/")
            break
    fields: dict[str, Any] = {}
    for name, info in type(model).model_fields.items():
        if name in _PLUMBING or info.exclude:
            continue
        fields[name] = _jsonable(getattr(model, name, None), depth)
    identity["fields"] = fields
    return identity


def call_llm_string(identity_json: str, stop: list[str] | None, kwargs: Mapping[str, Any]) -> str:
    """The llm_string of one call: the model's identity plus this call's parameters."""
    params = {str(key): _jsonable(value, 0) for key, value in kwargs.items()}
    params["stop"] = stop
    return identity_json + "---" + json.dumps(params, sort_keys=True, default=str)


def identity_json(model: BaseLanguageModel[Any]) -> str:
    """`model_identity` as canonical JSON."""
    return json.dumps(model_identity(model), sort_keys=True, default=str)


def _wire_form(message: BaseMessage) -> dict[str, Any]:
    # Only what a model receives. Ids, response metadata, usage and cost stamps differ
    # between two runs of the same conversation (and between a fresh answer and its
    # cached replay), so keying on them would make every later turn miss.
    form: dict[str, Any] = {"type": message.type, "content": message.content}
    if message.name:
        form["name"] = message.name
    if isinstance(message, AIMessage):
        calls = [
            {"name": c["name"], "args": c["args"], "id": c.get("id")} for c in message.tool_calls
        ]
        if calls:
            form["tool_calls"] = calls
        if "function_call" in message.additional_kwargs:
            form["function_call"] = message.additional_kwargs["function_call"]
    if isinstance(message, ToolMessage):
        form["tool_call_id"] = message.tool_call_id
        form["status"] = message.status
    if isinstance(message, ChatMessage):
        form["role"] = message.role
    return form


def normalized_prompt(messages: list[BaseMessage]) -> str:
    """The conversation as the model sees it (roles, content, names, tool calls), as JSON.

    Example:
        >>> from langchain_core.messages import AIMessage, HumanMessage
        >>> a = AIMessage("hi", id="run-1", response_metadata={"id": "chatcmpl-1"})
        >>> b = AIMessage("hi", id="run-2", response_metadata={"cache": {"hit": True}})
        >>> normalized_prompt([HumanMessage("x"), a]) == normalized_prompt([HumanMessage("x"), b])
        True
    """
    return json.dumps([_wire_form(m) for m in messages], sort_keys=True, default=str)
