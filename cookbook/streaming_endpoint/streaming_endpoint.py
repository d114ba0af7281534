"""A streaming web endpoint: a Starlette app that streams the router's answer as SSE.

    python cookbook/streaming_endpoint/streaming_endpoint.py          # exercise it in-process
    python cookbook/streaming_endpoint/streaming_endpoint.py --serve  # serve it on :8000

`POST /chat {"question": ..., "complexity": "high"}` (the hint is optional) streams `data:`
events, one per chunk, straight from the tier the router chose, then an `event: done` with
the routing and the cost. The recipe calls the app with Starlette's in-process test client
(no port); `--serve` runs it under uvicorn.
Needs the dashboard extra: `pip install "langchain-globalapi[dashboard]"`.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import AsyncIterator

from langchain_globalapi import TieredRouterRunnable
from langchain_globalapi.testing import FakeOpenAIServer

try:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import StreamingResponse
    from starlette.routing import Route
    from starlette.testclient import TestClient
except ImportError:  # the dashboard extra is not installed
    Starlette = None


def build_app(router: TieredRouterRunnable) -> Starlette:
    """The app: one route that streams the router's chunks as server-sent events."""

    async def chat(request: Request) -> StreamingResponse:
        body = await request.json()
        question = body["question"]
        # An optional routing hint from the client: "low", "high" or a tier name.
        config = {"configurable": {"complexity": body.get("complexity", "auto")}}

        async def events() -> AsyncIterator[str]:
            metadata: dict = {}  # routing and cost arrive on the stream's last chunks
            async for chunk in router.astream(question, config=config):
                if chunk.text:
                    yield f"data: {json.dumps(chunk.text)}\n\n"
                metadata.update(chunk.response_metadata)
            routing, cost = metadata["routing"], metadata["cost"]
            done = {"tier": routing["tier"], "model": routing["model"], "usd": cost["usd"]}
            yield f"event: done\ndata: {json.dumps(done)}\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    return Starlette(routes=[Route("/chat", chat, methods=["POST"])])


def main() -> None:
    """Stream two questions through the app, one easy and one hinted hard."""
    app = build_app(TieredRouterRunnable.from_defaults(temperature=0))
    if "--serve" in sys.argv:
        import uvicorn  # noqa: PLC0415

        uvicorn.run(app, host="127.0.0.1", port=8000)
        return
    with TestClient(app) as client:
        for body in [
            {"question": "What is the capital of Portugal?"},
            {"question": "Prove that sqrt(2) is irrational.", "complexity": "high"},
        ]:
            with client.stream("POST", "/chat", json=body) as response:
                print(response.status_code, response.headers["content-type"])
                for line in response.iter_lines():
                    if line:
                        print("  " + line)


if __name__ == "__main__":
    if Starlette is None:
        print('skipped: starlette is not installed (pip install "langchain-globalapi[dashboard]")')
        sys.exit(0)
    with FakeOpenAIServer() as server:  # no key: a local stand-in for the gateway
        if not os.environ.get("GLOBAL_API_KEY"):
            os.environ.update(GLOBAL_API_BASE=server.base_url, GLOBAL_API_KEY="offline")
        main()
