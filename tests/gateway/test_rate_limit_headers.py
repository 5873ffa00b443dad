"""`x-ratelimit-*` headers for the key's tightest limit, on every API family, decreasing, and on a 429 too; with
the in-process and the Redis limiter."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest

from tests.gateway.conftest import deployment
from tests.support.fake_upstream import FakeUpstream
from tests.support.gateway_server import RunningGateway

ASK: dict[str, Any] = {"model": "chat-a", "messages": [{"role": "user", "content": "hello"}]}


@pytest.fixture(params=["memory", "redis"])
def limited(request: pytest.FixtureRequest, make_gateway: Any, upstream: FakeUpstream) -> Iterator[RunningGateway]:
    limits = {"backend": request.param, "key_prefix": f"warden-test-{uuid.uuid4().hex}:"}
    config = {"model_list": [deployment("chat-a", upstream), deployment("embed-a", upstream,
                                                                         model_info={"mode": "embedding"})],
              "limits": limits}
    # The team allows more than the key: the key's limits are the tightest and are the ones reported.
    teams = {"alpha": {"rpm": 100, "tpm": 1_000_000, "key": {"rpm": 5, "tpm": 50_000}}}
    with make_gateway(config, teams) as gw:
        yield gw


def _headers(response: Any) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k.startswith("x-ratelimit-")}


def test_headers_decrease_and_a_429_carries_them(limited: RunningGateway) -> None:
    client = limited.client()
    seen = []
    for _ in range(5):
        seen.append(_headers(client.chat.completions.with_raw_response.create(**ASK)))
    assert [h["x-ratelimit-remaining-requests"] for h in seen] == ["4", "3", "2", "1", "0"]
    assert {h["x-ratelimit-limit-requests"] for h in seen} == {"5"} and seen[0]["x-ratelimit-limit-tokens"] == "50000"
    tokens_left = [int(h["x-ratelimit-remaining-tokens"]) for h in seen]
    assert tokens_left == sorted(tokens_left, reverse=True) and tokens_left[-1] < 50_000
    assert all(h["x-ratelimit-reset-requests"].endswith("s") for h in seen)
    with pytest.raises(openai.RateLimitError) as refused:
        client.chat.completions.create(**ASK)
    headers = _headers(refused.value.response)
    assert headers["x-ratelimit-limit-requests"] == "5" and headers["x-ratelimit-remaining-requests"] == "0"
    assert float(headers["x-ratelimit-reset-requests"].rstrip("s")) > 0


def test_every_family_carries_them(limited: RunningGateway) -> None:
    client, key = limited.client(), limited.keys["alpha"]
    answers = [
        client.embeddings.with_raw_response.create(model="embed-a", input="hi"),
        client.responses.with_raw_response.create(model="chat-a", input="hi"),
        httpx.post(f"{limited.base_url}/v1/messages", headers={"x-api-key": key, "anthropic-version": "2023-06-01"},
                   json={"model": "chat-a", "max_tokens": 16, "messages": [{"role": "user", "content": "hi"}]}),
        client.chat.completions.with_raw_response.create(**ASK, stream=True),
    ]
    assert [_headers(a)["x-ratelimit-remaining-requests"] for a in answers] == ["4", "3", "2", "1"]
