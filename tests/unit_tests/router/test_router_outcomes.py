"""The router learns from outcomes: by hand, from tripwire verdicts, from benchmark records."""

from __future__ import annotations

from langchain_globalapi import ChatGlobalAPI, QualityTripwire, TieredRouterRunnable
from langchain_globalapi.bench import BenchmarkRecord, GoldenSet, outcomes_from_records
from langchain_globalapi.testing import FakeOpenAIServer

ECONOMY, PRO = "GA-Economy", "deepseek-ai/DeepSeek-V4-Pro"
PROOF = "Prove that there are infinitely many primes."


def router(server: FakeOpenAIServer, **options: object) -> TieredRouterRunnable:
    def chat(model: str) -> ChatGlobalAPI:
        return ChatGlobalAPI(model=model, api_key="k", base_url=server.base_url)

    return TieredRouterRunnable(
        tiers={"economy": chat(ECONOMY), "pro": chat(PRO)}, thresholds=[0.5], **options
    )


def test_outcomes_of_a_task_move_its_requests_to_the_strong_tier(
    fake_server: FakeOpenAIServer,
) -> None:
    model = router(fake_server)
    task = {"configurable": {"task": "proofs"}}
    assert model.explain(PROOF, config=task).tier == "economy"
    for _ in range(20):
        model.record_outcome(PROOF, cheap_ok=False, strong_ok=True, task="proofs")
    assert model.explain(PROOF, config=task).tier == "pro"
    other = {"configurable": {"task": "chat"}}
    assert model.explain("What is the capital of France?", config=other).tier == "economy"


def test_each_default_router_learns_on_its_own(fake_server: FakeOpenAIServer) -> None:
    first, second = router(fake_server), router(fake_server)
    first.record_outcome(PROOF, cheap_ok=False, strong_ok=True, task="proofs")
    assert first.scorer.outcomes.tasks()
    assert not second.scorer.outcomes.tasks()


def test_tripwire_verdicts_on_cheap_answers_become_outcomes(
    fake_server: FakeOpenAIServer,
) -> None:
    fake_server.set_reply(ECONOMY, "a wrong answer")
    fake_server.set_reply("gpt-4o", "a completely different, correct answer about primes")
    reference = ChatGlobalAPI(model="gpt-4o", api_key="k", base_url=fake_server.base_url)
    tripwire = QualityTripwire(reference, sample_rate=1.0)
    model = router(fake_server, tripwire=tripwire)
    model.invoke(PROOF, config={"configurable": {"complexity": "low", "task": "proofs"}})
    assert tripwire.drain(10)
    totals = model.scorer.outcomes.tasks()["proofs"]
    assert totals.outcomes == 1.0
    assert totals.cheap_ok == 0.0


def test_the_strongest_tiers_answers_teach_nothing(fake_server: FakeOpenAIServer) -> None:
    reference = ChatGlobalAPI(model="gpt-4o", api_key="k", base_url=fake_server.base_url)
    tripwire = QualityTripwire(reference, sample_rate=1.0)
    model = router(fake_server, tripwire=tripwire)
    model.invoke(PROOF, config={"configurable": {"complexity": "high", "task": "proofs"}})
    assert tripwire.drain(10)
    assert "proofs" not in model.scorer.outcomes.tasks()


def test_benchmark_records_become_outcomes_the_router_learns() -> None:
    golden = GoldenSet.parse(
        ['{"id": "q1", "task": "reasoning", "prompt": "What is 17 * 23?", "expected": 391}']
    )
    records = [
        BenchmarkRecord("q1", "reasoning", "cheap", score=0.0),
        BenchmarkRecord("q1", "reasoning", "strong", score=1.0),
        BenchmarkRecord("q1", "reasoning", "other", score=1.0),
    ]
    outcomes = outcomes_from_records(records, golden, cheap_model="cheap", strong_model="strong")
    assert [(o.task, o.rescued) for o in outcomes] == [("reasoning", 1.0)]
