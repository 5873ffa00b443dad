"""The response cache over HTTP with the openai SDK, against a fake upstream on a real socket: hits, misses per
team, the client's controls, streams replayed, TTL, and the Redis store."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import openai
import pytest
import redis

from registry.keys import create_key
from tests.gateway.conftest import deployment
from tests.support.fake_upstream import FakeUpstream
from tests.support.gateway_server import RunningGateway
from tests.support.word_guardrail import BannedWord

ASK: dict[str, Any] = {"model": "chat-a", "messages": [{"role": "user", "content": "capital of France?"}],
                       "temperature": 0}
REDIS_URL = "redis://127.0.0.1:6379/0"


def _config(upstream: FakeUpstream, **cache: Any) -> dict[str, Any]:
    return {"model_list": [deployment("chat-a", upstream), deployment("embed-a", upstream,
                                                                        model_info={"mode": "embedding"})],
            "cache": {"enabled": True, **cache}}


@pytest.fixture()
def cached(make_gateway: Any, upstream: FakeUpstream) -> Iterator[RunningGateway]:
    with make_gateway(_config(upstream), {"alpha": {}, "beta": {}}) as gw:
        yield gw


def _ask(gw: RunningGateway, team: str = "alpha", **extra: Any) -> tuple[str, str]:
    raw = gw.client(team).chat.completions.with_raw_response.create(**{**ASK, **extra})
    return raw.headers.get("x-warden-cache", ""), raw.parse().choices[0].message.content or ""


def _chats(upstream: FakeUpstream) -> int:
    return len(upstream.requests_to("/chat/completions"))


def test_second_identical_request_is_answered_from_the_cache(cached: RunningGateway, upstream: FakeUpstream) -> None:
    first, second = _ask(cached), _ask(cached)
    assert first[0] == "miss" and second == ("hit", first[1]) and _chats(upstream) == 1
    miss, hit = cached.rows()[-2:]
    assert not miss.cache_hit and miss.cost_usd > 0 and miss.deployment == "chat-a#0"
    assert hit.cache_hit and hit.cost_usd == 0 and hit.upstream_ms == 0 and hit.deployment is None
    assert hit.status == "ok" and hit.completion_tokens == miss.completion_tokens


def test_another_team_misses(cached: RunningGateway, upstream: FakeUpstream) -> None:
    assert _ask(cached, "alpha")[0] == "miss" and _ask(cached, "beta")[0] == "miss"
    assert _chats(upstream) == 2


def test_client_controls_are_honoured(cached: RunningGateway, upstream: FakeUpstream) -> None:
    assert _ask(cached, extra_body={"cache": {"no-store": True}})[0] == "miss"
    assert _ask(cached)[0] == "miss"  # the first answer was not kept
    assert _ask(cached, extra_body={"cache": {"no-cache": True}})[0] == "miss"
    assert _ask(cached, extra_headers={"Cache-Control": "no-cache"})[0] == "miss"
    assert _ask(cached)[0] == "hit" and _chats(upstream) == 4
    assert "cache" not in upstream.requests[0].json  # Warden's control, never sent upstream


def test_sampled_requests_are_not_cached_by_default(cached: RunningGateway, upstream: FakeUpstream) -> None:
    _ask(cached, temperature=0.7)
    headers, _ = _ask(cached, temperature=0.7)
    assert headers == "" and _chats(upstream) == 2


def test_a_stream_is_replayed_as_a_stream(cached: RunningGateway, upstream: FakeUpstream) -> None:
    def streamed() -> tuple[str, list[str]]:
        raw = cached.client().chat.completions.with_raw_response.create(**ASK, stream=True)
        return raw.headers["x-warden-cache"], [c.choices[0].delta.content or "" for c in raw.parse() if c.choices]

    first, second = streamed(), streamed()
    assert first[0] == "miss" and second[0] == "hit" and second[1] == first[1] and len(second[1]) > 1
    assert _chats(upstream) == 1 and cached.rows()[-1].cache_hit and cached.rows()[-1].stream


def test_embeddings_are_cached(cached: RunningGateway, upstream: FakeUpstream) -> None:
    client = cached.client()
    first = client.embeddings.create(model="embed-a", input="hello").data[0].embedding
    assert client.embeddings.create(model="embed-a", input="hello").data[0].embedding == first
    assert len(upstream.requests_to("/embeddings")) == 1


def test_entries_expire(make_gateway: Any, upstream: FakeUpstream) -> None:
    with make_gateway(_config(upstream, ttl_s=0.3)) as gw:
        assert _ask(gw)[0] == "miss" and _ask(gw)[0] == "hit"
        time.sleep(0.5)
        assert _ask(gw)[0] == "miss" and _chats(upstream) == 2


def test_redis_store(make_gateway: Any, upstream: FakeUpstream) -> None:
    prefix = f"warden-test-cache-{uuid.uuid4().hex}:"
    try:
        with make_gateway(_config(upstream, backend="redis", redis_url=REDIS_URL, key_prefix=prefix),
                          {"alpha": {}, "beta": {}}) as gw:
            assert _ask(gw)[0] == "miss" and _ask(gw)[0] == "hit" and _ask(gw, "beta")[0] == "miss"
        assert len(list(redis.Redis.from_url(REDIS_URL).scan_iter(f"{prefix}*"))) == 2
        with make_gateway(_config(upstream, backend="redis", redis_url=REDIS_URL, key_prefix=prefix)) as gw:
            assert _ask(gw)[0] == "hit"  # shared by replicas: a new process finds it
        assert _chats(upstream) == 2
    finally:
        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(f"{prefix}*"):
            client.delete(key)


def test_guardrails_run_on_a_hit(make_gateway: Any, upstream: FakeUpstream) -> None:
    """Three keys of one team share its cache; a key whose policy blocks the request or the answer is never served
    the cached answer."""
    block = {"guardrail": BannedWord.name, "mode": "block"}
    config = {**_config(upstream), "guardrail_policies": {"inputs": {"input": [block]}, "outputs": {"output": [block]}}}
    with make_gateway(config) as gw:
        strict_in = create_key(gw.engine, team="alpha", guardrail_policy="inputs")[1]
        strict_out = create_key(gw.engine, team="alpha", guardrail_policy="outputs")[1]
        question = {**ASK, "messages": [{"role": "user", "content": "say FORBIDDEN [[fake:reply=FORBIDDEN]]"}]}
        assert gw.client().chat.completions.with_raw_response.create(**question).headers["x-warden-cache"] == "miss"
        for key in (strict_in, strict_out):
            with pytest.raises(openai.BadRequestError, match="guardrail"):
                gw.client(key=key).chat.completions.create(**question)
        assert _chats(upstream) == 1
        assert [r.status for r in gw.rows()[-2:]] == ["blocked", "blocked"]
