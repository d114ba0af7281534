"""The tripwire's alarm: injected agreement drops fire it at an exact sample count."""

from __future__ import annotations

import itertools
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from types import SimpleNamespace
from typing import Any

from langchain_core.messages import AIMessage, HumanMessage

from langchain_globalapi import ChatGlobalAPI, QualityTripwire, TripwireAlarm
from langchain_globalapi.routing import HeuristicScorer, TieredRouterRunnable
from langchain_globalapi.testing import FakeOpenAIServer

CHEAP, REFERENCE = "GA-Economy", "gpt-4o"


def _model(server: FakeOpenAIServer, name: str) -> ChatGlobalAPI:
    return ChatGlobalAPI(model=name, api_key="k", base_url=server.base_url, max_retries=0)


def _diverging_after(n: int) -> Any:
    """Reference replies agree with the cheap model ("positive") for `n` calls, then not."""
    counter = itertools.count(1)
    return lambda _request: "positive" if next(counter) <= n else "negative"


def _run(server: FakeOpenAIServer, tripwire: QualityTripwire, requests: int) -> None:
    cheap = _model(server, CHEAP)
    handler = tripwire.as_callback()
    for i in range(requests):
        config = {"callbacks": [handler], "metadata": {"request_id": f"r{i}"}}
        cheap.invoke("Review: loved it. Sentiment?", config=config)
        assert tripwire.drain()


def test_alarm_fires_at_the_sample_where_the_wilson_bound_crosses(
    fake_server: FakeOpenAIServer,
) -> None:
    fake_server.set_reply(CHEAP, "positive")
    fake_server.set_reply(REFERENCE, _diverging_after(20))
    alarms: list[TripwireAlarm] = []
    tripwire = QualityTripwire(
        _model(fake_server, REFERENCE), sample_rate=1.0, threshold=0.7, min_samples=10,
        default_task="classification", alert=alarms.append,
    )  # fmt: skip
    _run(fake_server, tripwire, 30)
    # 20/22 agree: Wilson low 0.722 >= 0.7; 20/23: 0.679 < 0.7 -> fires at sample 23, once.
    assert [(a.samples, a.agreements) for a in alarms] == [(23, 20)]
    assert round(alarms[0].agreement.low, 3) == 0.679
    stats = tripwire.stats()
    assert (stats.samples, stats.alarms, stats.alarmed) == (30, 1, True)


def test_no_alarm_before_min_samples_even_when_everything_disagrees(
    fake_server: FakeOpenAIServer,
) -> None:
    fake_server.set_reply(CHEAP, "positive")
    fake_server.set_reply(REFERENCE, "negative")
    alarms: list[TripwireAlarm] = []
    tripwire = QualityTripwire(_model(fake_server, REFERENCE), sample_rate=1.0, min_samples=10,
                               default_task="classification", alert=alarms.append)  # fmt: skip
    _run(fake_server, tripwire, 9)
    assert alarms == []
    _run(fake_server, tripwire, 1)
    assert [a.samples for a in alarms] == [10]


def test_alarm_rearms_after_agreement_recovers(fake_server: FakeOpenAIServer) -> None:
    answers = iter(["negative"] * 5 + ["positive"] * 200 + ["negative"] * 60)
    fake_server.set_reply(CHEAP, "positive")
    fake_server.set_reply(REFERENCE, lambda _r: next(answers))
    alarms: list[TripwireAlarm] = []
    tripwire = QualityTripwire(_model(fake_server, REFERENCE), sample_rate=1.0, min_samples=5,
                               threshold=0.5, window=20, default_task="classification",
                               alert=alarms.append, queue_size=300)  # fmt: skip
    for i in range(265):
        tripwire.observe([HumanMessage("q")], AIMessage("positive"), run_id=f"r{i}")
    tripwire.drain()
    assert len(alarms) == 2


def test_label_agreement_reports_cohens_kappa(fake_server: FakeOpenAIServer) -> None:
    replies = iter(["spam", "ham", "spam", "spam"])
    fake_server.set_reply(REFERENCE, lambda _r: next(replies))
    tripwire = QualityTripwire(_model(fake_server, REFERENCE), sample_rate=1.0)
    for i, cheap in enumerate(["spam", "ham", "ham", "spam"]):
        tripwire.observe([HumanMessage("mail?")], AIMessage(cheap), run_id=f"r{i}",
                         task="classification")  # fmt: skip
    tripwire.drain()
    task = tripwire.stats().by_task["classification"]
    assert task.agreement == 0.75
    assert task.kappa == 0.5


def test_alarm_moves_a_routers_thresholds_toward_the_stronger_tier(
    fake_server: FakeOpenAIServer,
) -> None:
    fake_server.set_reply(REFERENCE, "different")
    router = TieredRouterRunnable(
        tiers={"economy": _model(fake_server, CHEAP),
               "pro": _model(fake_server, "deepseek-ai/DeepSeek-V4-Pro")},
        scorer=HeuristicScorer(), thresholds=[0.5],
    )  # fmt: skip
    tripwire = QualityTripwire(_model(fake_server, REFERENCE), sample_rate=1.0, min_samples=3,
                               router=router, threshold_step=0.1)  # fmt: skip
    handler = tripwire.as_callback()
    for i in range(3):
        router.invoke("hello there", config={"callbacks": [handler],
                                             "metadata": {"request_id": f"r{i}"}})  # fmt: skip
    tripwire.drain()
    assert router.thresholds == (0.4,)
    assert tripwire.stats().observed == 3  # the router's inner model run is not observed twice
    answer = router.invoke("hello there")
    assert answer.response_metadata["routing"]["thresholds"] == [0.4]


def test_duck_typed_router_without_the_method_gets_new_thresholds(
    fake_server: FakeOpenAIServer,
) -> None:
    fake_server.set_reply(REFERENCE, "different")
    router = SimpleNamespace(thresholds=(0.3, 0.6))
    tripwire = QualityTripwire(_model(fake_server, REFERENCE), sample_rate=1.0, min_samples=1,
                               router=router)  # fmt: skip
    tripwire.observe([HumanMessage("q")], AIMessage("answer"), run_id="r")
    tripwire.drain()
    assert router.thresholds == (0.25, 0.55)


def test_alarm_is_posted_to_the_webhook(fake_server: FakeOpenAIServer) -> None:
    received: list[dict[str, Any]] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append(json.loads(body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    hook = HTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=hook.serve_forever, daemon=True)
    thread.start()
    try:
        fake_server.set_reply(REFERENCE, "different")
        url = f"http://127.0.0.1:{hook.server_port}/page"
        reference = _model(fake_server, REFERENCE)
        tripwire = QualityTripwire(reference, sample_rate=1.0, min_samples=1, webhook_url=url)
        tripwire.observe([HumanMessage("q")], AIMessage("answer"), run_id="r")
        tripwire.drain()
    finally:
        hook.shutdown()
        hook.server_close()
    assert [r["event"] for r in received] == ["globalapi.quality_tripwire.alarm"]
    assert received[0]["samples"] == 1


def test_a_failing_alert_hook_does_not_stop_the_others(fake_server: FakeOpenAIServer) -> None:
    fake_server.set_reply(REFERENCE, "different")
    seen: list[int] = []

    def broken(_alarm: TripwireAlarm) -> None:
        raise RuntimeError("pager down")

    tripwire = QualityTripwire(_model(fake_server, REFERENCE), sample_rate=1.0, min_samples=1,
                               alert=[broken, lambda a: seen.append(a.samples)])  # fmt: skip
    tripwire.observe([HumanMessage("q")], AIMessage("answer"), run_id="r")
    tripwire.drain()
    assert seen == [1]
