"""The tripwire on real answers: GSM8K's weak model shadowed by its strong model's answers."""

from __future__ import annotations

from pathlib import Path

import pytest
from langchain_core.messages import AIMessage, HumanMessage

from langchain_globalapi import ChatGlobalAPI, QualityTripwire
from langchain_globalapi.bench.replay import gsm8k_replay
from langchain_globalapi.testing import FakeOpenAIServer

DATA = Path(__file__).parents[4] / "shared" / "data"


@pytest.mark.data
def test_tripwire_measures_real_weak_strong_agreement_and_alarms(
    fake_server: FakeOpenAIServer,
) -> None:
    if not (DATA / "routellm" / "gsm8k" / "gsm8k_responses.csv").exists():
        pytest.skip(f"shared data not found at {DATA}: this test needs ../shared/data")
    gsm8k = gsm8k_replay(DATA, scores=[0.0] * 653)
    n = 200
    strong = {f"q{i}": gsm8k.strong_answers[i] for i in range(n)}
    fake_server.set_reply("gpt-4o", lambda req: strong[req["messages"][-1]["content"]])
    reference = ChatGlobalAPI(model="gpt-4o", api_key="k", base_url=fake_server.base_url)
    tripwire = QualityTripwire(reference, sample_rate=1.0, min_samples=50, queue_size=n,
                               default_task="reasoning")  # fmt: skip
    for i in range(n):
        tripwire.observe([HumanMessage(f"q{i}")], AIMessage(gsm8k.weak_answers[i]), run_id=f"q{i}")
    assert tripwire.drain(timeout_s=60)
    stats = tripwire.stats()
    print(f"GSM8K weak/strong agreement over {n}: {stats['agreement']:.3f} "
          f"[{stats['agreement_low']:.3f}, {stats['agreement_high']:.3f}]")  # fmt: skip
    assert stats.samples == n
    assert 0.5 < stats.agreement < 0.7
    assert [a.samples for a in tripwire.alarms] == [50]
