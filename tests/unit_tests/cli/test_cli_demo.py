"""`globalapi demo`: the whole stack on a scripted conversation, the same output on every run."""

from __future__ import annotations

import re

from langchain_globalapi.testing import FakeOpenAIServer


def _without_port(text: str) -> str:
    return re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT", text)


def test_demo_says_plainly_that_it_uses_a_local_demo_endpoint(globalapi) -> None:
    result = globalapi(["demo"])
    assert result.exit_code == 0, result.output
    banner = " ".join(result.output.split("[1]")[0].split())
    assert "LOCAL DEMO ENDPOINT at http://127.0.0.1:" in banner
    assert "canned answers, one injected rate limit" in banner
    assert "Export GLOBAL_API_KEY to use Global API" in banner


def test_demo_shows_routing_a_cache_hit_a_fallback_the_tripwire_and_the_cost(globalapi) -> None:
    out = globalapi(["demo"]).output
    assert "route    economy -> GA-Economy (score 0.04: score < 0.1)" in out
    assert "cache    exact hit: no model called, $0" in out
    assert "fallback DeepSeek-V4-Flash rate limited (HTTP 429), DeepSeek-V4-Pro answered" in out
    assert "route    pro -> DeepSeek-V4-Pro (hint 'high')" in out
    assert "quality tripwire: agreement 75.0% (95% CI 30.1%-95.4%) over 4 samples" in out
    assert "Cost tracker: 9 calls (1 from the cache)" in out
    assert re.search(r"The 5 requests cost \$0\.\d+; on GPT-4o alone, \$0\.\d+ \(\d+% less\)", out)


def test_demo_output_is_the_same_on_every_run(globalapi) -> None:
    first, second = globalapi(["demo"]), globalapi(["demo"])
    assert first.exit_code == second.exit_code == 0
    assert _without_port(first.output) == _without_port(second.output)


def test_offline_ignores_a_key(globalapi) -> None:
    result = globalapi(["demo", "--offline"], env={"GLOBAL_API_KEY": "real-key"})
    assert result.exit_code == 0, result.output
    assert "LOCAL DEMO ENDPOINT" in result.output


def test_with_a_key_the_demo_uses_the_configured_endpoint(
    globalapi, fake_server: FakeOpenAIServer
) -> None:
    env = {"GLOBAL_API_KEY": "k", "GLOBAL_API_BASE": fake_server.base_url}
    result = globalapi(["demo"], env=env)
    assert result.exit_code == 0, result.output
    assert f"endpoint: {fake_server.base_url} (real models, real cost)" in result.output
    assert "LOCAL DEMO ENDPOINT" not in result.output
    assert "fallback" not in result.output  # nothing was injected: no model failed
    assert fake_server.calls_for("gpt-4o") == 4  # the tripwire re-asked every routed answer
