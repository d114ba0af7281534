"""Specification of the fake server's malformed-200 faults, read byte by byte with plain httpx."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from langchain_globalapi.testing import FakeOpenAIServer, Fault

BODY = {"model": "m", "messages": [{"role": "user", "content": "hello there"}]}
STREAM_BODY = {**BODY, "stream": True}


def post(server: FakeOpenAIServer, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(f"{server.base_url}/chat/completions", json=body, timeout=5)


def sse_data(response: httpx.Response) -> list[str]:
    return [line[6:] for line in response.text.splitlines() if line.startswith("data: ")]


@pytest.mark.parametrize(
    ("fault", "choices"), [(Fault.empty_choices(), []), (Fault.null_choices(), None)]
)
def test_choice_faults_answer_200_without_a_choice(
    fake_server: FakeOpenAIServer, fault: Fault, choices: list[Any] | None
) -> None:
    fake_server.inject("m", fault, times=2)

    plain = post(fake_server, BODY)
    streamed = post(fake_server, STREAM_BODY)

    assert plain.status_code == 200
    assert plain.json()["choices"] == choices
    assert plain.json()["usage"]["prompt_tokens"] > 0
    events = sse_data(streamed)
    assert events[-1] == "[DONE]"
    assert [json.loads(event)["choices"] for event in events[:-1]] == [choices] * (len(events) - 1)


def test_not_json_claims_json_but_is_not(fake_server: FakeOpenAIServer) -> None:
    fake_server.inject("m", Fault.not_json())

    response = post(fake_server, BODY)

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.text)


def test_html_page_is_a_200_text_html_page(fake_server: FakeOpenAIServer) -> None:
    fake_server.inject("m", Fault.html_page(), times=2)

    for body in (BODY, STREAM_BODY):
        response = post(fake_server, body)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        assert response.text.startswith("<!DOCTYPE html>")


def test_sse_done_only_streams_done_alone_and_answers_empty_otherwise(
    fake_server: FakeOpenAIServer,
) -> None:
    fake_server.inject("m", Fault.sse_done_only(), times=2)

    streamed = post(fake_server, STREAM_BODY)
    plain = post(fake_server, BODY)

    assert sse_data(streamed) == ["[DONE]"]
    assert (plain.status_code, plain.content) == (200, b"")


def test_sse_garbage_sends_a_non_json_event_before_the_reply(
    fake_server: FakeOpenAIServer,
) -> None:
    fake_server.inject("m", Fault.sse_garbage())

    events = sse_data(post(fake_server, STREAM_BODY))

    assert events[0] == "<html>upstream error</html>"
    assert json.loads(events[1])["choices"][0]["delta"]["content"] == "[m] "
    assert events[-1] == "[DONE]"


def test_stall_after_chunks_sends_n_chunks_then_stays_silent(
    fake_server: FakeOpenAIServer,
) -> None:
    fake_server.inject("m", Fault.stall_after_chunks(2))
    received: list[str] = []

    with (
        httpx.stream(
            "POST",
            f"{fake_server.base_url}/chat/completions",
            json=STREAM_BODY,
            timeout=httpx.Timeout(5, read=0.3),
        ) as response,
        pytest.raises(httpx.ReadTimeout),
    ):
        received.extend(line for line in response.iter_lines() if line.startswith("data: "))

    assert [json.loads(line[6:])["choices"][0]["delta"]["content"] for line in received] == [
        "[m] ",
        "hello ",
    ]
    assert fake_server.requests[-1].fault == "stall_after_chunks"


def test_stall_ends_when_the_server_stops() -> None:
    server = FakeOpenAIServer().start()
    server.inject("m", Fault.stall_after_chunks(0))
    with httpx.stream(
        "POST", f"{server.base_url}/chat/completions", json=STREAM_BODY, timeout=5
    ) as response:
        server.stop()  # wakes the stalled handler, which hangs up

        with pytest.raises(httpx.RemoteProtocolError):
            response.read()


def test_stall_after_chunks_rejects_a_negative_count() -> None:
    with pytest.raises(ValueError, match=">= 0"):
        Fault.stall_after_chunks(-1)


@pytest.mark.parametrize(
    "fault",
    [
        Fault.empty_choices(),
        Fault.null_choices(),
        Fault.not_json(),
        Fault.html_page(),
        Fault.sse_done_only(),
        Fault.sse_garbage(),
        Fault.stall_after_chunks(1),
        Fault.keepalive_after_chunks(1),
    ],
)
def test_malformed_faults_are_marked_and_recorded(
    fake_server: FakeOpenAIServer, fault: Fault
) -> None:
    assert fault.is_malformed_answer
    assert not fault.is_http_error
    fake_server.inject("m", fault)
    with httpx.stream(
        "POST",
        f"{fake_server.base_url}/chat/completions",
        json=STREAM_BODY,
        timeout=httpx.Timeout(5, read=0.3),
    ) as response:
        assert response.status_code == 200

    assert fake_server.requests[-1].fault == fault.kind


def test_keepalive_after_chunks_never_lets_a_read_time_out(fake_server: FakeOpenAIServer) -> None:
    fake_server.inject("m", Fault.keepalive_after_chunks(1, every_s=0.02))
    lines: list[str] = []

    with httpx.stream(
        "POST",
        f"{fake_server.base_url}/chat/completions",
        json=STREAM_BODY,
        timeout=httpx.Timeout(5, read=0.3),
    ) as response:
        for line in response.iter_lines():
            lines.append(line)
            if lines.count(": keep-alive") == 20:  # 0.4 s of comments, > the read timeout
                break

    data = [line for line in lines if line.startswith("data: ")]
    assert len(data) == 1
    assert json.loads(data[0][6:])["choices"][0]["delta"]["content"] == "[m] "


def test_keepalive_fault_trickles_a_plain_body_byte_by_byte(fake_server: FakeOpenAIServer) -> None:
    fake_server.inject("m", Fault.keepalive_after_chunks(every_s=0.001))

    response = post(fake_server, BODY)

    assert response.json()["choices"][0]["message"]["content"] == "[m] hello there"


@pytest.mark.parametrize(("n", "every_s"), [(-1, 0.1), (1, 0.0), (1, -1.0)])
def test_keepalive_fault_rejects_nonsense(n: int, every_s: float) -> None:
    with pytest.raises(ValueError, match="every_s > 0"):
        Fault.keepalive_after_chunks(n, every_s=every_s)
