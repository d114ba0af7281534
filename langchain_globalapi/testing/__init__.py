"""Test helpers: a local OpenAI-compatible server with deterministic replies and injected faults.

```python
import openai

from langchain_globalapi.testing import FakeOpenAIServer, Fault

with FakeOpenAIServer() as server:
    server.inject("gpt-4o", Fault.rate_limit(retry_after_ms=10))
    client = openai.OpenAI(base_url=server.base_url, api_key="test", max_retries=1)
    reply = client.chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": "ping"}]
    )
    assert reply.choices[0].message.content == "[gpt-4o] ping"  # the SDK retried after 10 ms
```

Run it in the foreground with `python -m langchain_globalapi.testing --port 8765`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from langchain_globalapi._lazy import lazy_exports

if TYPE_CHECKING:
    from langchain_globalapi.testing._faults import Fault
    from langchain_globalapi.testing.server import DEFAULT_MODELS, FakeOpenAIServer, RecordedRequest

# Public name -> the submodule that defines it, imported on first use (see `_lazy.py`).
_EXPORTS: dict[str, str] = {
    "Fault": "_faults",
    "DEFAULT_MODELS": "server",
    "FakeOpenAIServer": "server",
    "RecordedRequest": "server",
}

__all__ = [
    "DEFAULT_MODELS",
    "FakeOpenAIServer",
    "Fault",
    "RecordedRequest",
]

if not TYPE_CHECKING:  # type checkers read the imports above; an unknown name stays an error
    __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, __all__)
