"""GlobalAPIEmbeddings against the local server's /v1/embeddings."""

from __future__ import annotations

import numpy as np
import pytest

from langchain_globalapi import GlobalAPIEmbeddings, MissingAPIKeyError
from langchain_globalapi.testing import FakeOpenAIServer


def test_missing_key_names_the_env_var(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GLOBAL_API_KEY", raising=False)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-should-not-be-used")
    with pytest.raises(MissingAPIKeyError, match="GLOBAL_API_KEY"):
        GlobalAPIEmbeddings()


def test_embeds_queries_and_documents(fake_server: FakeOpenAIServer) -> None:
    embeddings = GlobalAPIEmbeddings(api_key="k", base_url=fake_server.base_url)
    docs = embeddings.embed_documents(["reset my password", "opening hours of the shop"])
    query = embeddings.embed_query("how do I reset my password")
    assert len(docs) == 2
    assert len(query) == len(docs[0]) > 0
    sims = [float(np.dot(query, d)) for d in docs]
    assert sims[0] > sims[1]
    assert fake_server.requests[-1].path.endswith("/embeddings")


async def test_async_embeddings(fake_server: FakeOpenAIServer) -> None:
    embeddings = GlobalAPIEmbeddings(api_key="k", base_url=fake_server.base_url)
    vector = await embeddings.aembed_query("hello")
    assert len(vector) > 0
