"""VCR configuration for the cassette tests: replay by default, never reach the network by surprise.

The record mode comes from `GLOBALAPI_RECORD_MODE` (default `none`), because
langchain-tests' base config says `once`, which beats `--record-mode` and lets a missing
cassette call the live gateway. Secrets never reach a cassette: every request header is
dropped before recording, and responses keep only their content type.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

_RECORD_MODE = os.environ.get("GLOBALAPI_RECORD_MODE", "none")
_CASSETTES = os.path.join(os.path.dirname(__file__), "cassettes")


def _strip_request(request: Any) -> Any:
    request.headers = {}
    return request


def _strip_response(response: dict[str, Any]) -> dict[str, Any]:
    headers = response.get("headers", {})
    response["headers"] = {k: v for k, v in headers.items() if k.lower() == "content-type"}
    return response


def _json_body(r1: Any, r2: Any) -> None:
    """Match request bodies as parsed JSON (key order and whitespace do not matter)."""

    def parse(body: bytes | str | None) -> object:
        if not body:
            return None
        try:
            return json.loads(body)
        except ValueError:
            return body

    assert parse(r1.body) == parse(r2.body)


def pytest_recording_configure(config: pytest.Config, vcr: Any) -> None:
    vcr.register_matcher("json_body", _json_body)


@pytest.fixture(scope="module")
def vcr_config() -> dict[str, Any]:
    return {
        "record_mode": _RECORD_MODE,
        "cassette_library_dir": _CASSETTES,
        # Host and port are left out so a cassette replays whatever base URL made it.
        "match_on": ["method", "path", "json_body"],
        "before_record_request": _strip_request,
        "before_record_response": _strip_response,
        "decode_compressed_response": True,
        "allow_playback_repeats": True,
    }
