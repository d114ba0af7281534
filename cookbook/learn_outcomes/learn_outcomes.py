"""Learn from outcomes: what happened to past requests moves how similar ones are routed."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from langchain_globalapi import TieredRouterRunnable
from langchain_globalapi.routing import LearnedScorer, RoutingOutcome
from langchain_globalapi.testing import FakeOpenAIServer

PROOFS = [
    "Prove that there are infinitely many primes.",
    "Prove that the square root of 2 is irrational.",
    "Prove that every prime greater than 3 is of the form 6k + 1 or 6k - 1.",
    "Prove by induction that 1 + 2 + ... + n = n(n + 1) / 2.",
    "Prove that a group of prime order is cyclic.",
]
QUESTION = "Prove that there are infinitely many primes of the form 4k + 3."


def main() -> None:
    router = TieredRouterRunnable.from_defaults()  # GLOBAL_API_KEY / GLOBAL_API_BASE
    before = router.explain(QUESTION)
    print(f"before:  {before.tier:7} {before.score:.2f}")

    # Outcomes come from the tripwire (automatically), a benchmark run or your own review.
    for proof in PROOFS:
        router.record_outcome(proof, cheap_ok=False, strong_ok=True, task="proofs")
    after = router.explain(QUESTION)  # untagged: the nearest labelled prompts move it
    print(
        f"after:   {after.tier:7} {after.score:.2f}  "
        f"neighbours {after.signals['neighbour_weight']:.2f}"
    )
    tagged = router.explain(QUESTION, config={"configurable": {"task": "proofs"}})
    print(f"task:    {tagged.tier:7} {tagged.score:.2f}")  # tagged: the task's own record
    print(router.scorer.outcomes.tasks()["proofs"])

    # Keep what was learned in a file, or share it with every worker through SQLite or Redis.
    with tempfile.TemporaryDirectory() as folder:
        router.scorer.save_outcomes(Path(folder) / "outcomes.npz")
        store = str(Path(folder) / "outcomes.db")
        worker = LearnedScorer.load_default().share_outcomes(store, namespace="support-bot")
        worker.learn([RoutingOutcome("hi", cheap_ok=True, strong_ok=True, task="greetings")])
        other = LearnedScorer.load_default().share_outcomes(store, namespace="support-bot")
        print(other.outcomes.tasks())


if __name__ == "__main__":
    with FakeOpenAIServer() as server:  # no key: a local stand-in for the gateway
        if not os.environ.get("GLOBAL_API_KEY"):
            os.environ.update(GLOBAL_API_BASE=server.base_url, GLOBAL_API_KEY="offline")
        main()
