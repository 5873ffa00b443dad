"""Usage-based routing with `limits.backend: redis`: two gateway instances count their deployments' tokens in the
same Redis, so a replica routes away from a deployment the other one loaded, streamed answers included; with Redis
unreachable, routing goes on with each process's own counts."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import redis

from tests.gateway.conftest import GatewayFactory, deployment
from tests.support.fake_upstream import FakeUpstream

REDIS_URL = "redis://127.0.0.1:6379/0"
BIG = " ".join(["word"] * 60)
SMALL = [{"role": "user", "content": "hi there"}]


def _config(up: FakeUpstream, other: FakeUpstream, prefix: str, url: str = REDIS_URL) -> dict[str, Any]:
    return {"model_list": [deployment("chat-a", up, tpm=100_000), deployment("chat-a", other, tpm=100_000)],
            "router_settings": {"routing_strategy": "usage-based-routing-v2", "num_retries": 0},
            "limits": {"backend": "redis", "redis_url": url, "key_prefix": prefix}}


def _shared_tokens(client: redis.Redis, prefix: str) -> int:
    return sum(int(client.get(key) or 0) for key in client.scan_iter(f"{prefix}route-tpm:*"))


def _start_early_in_a_minute() -> None:
    """The counters are per wall-clock minute: a test that crossed into the next one would compare fresh zeros."""
    into = time.time() % 60
    if into > 40:
        time.sleep(60 - into + 0.1)


def _wait_for_count(client: redis.Redis, prefix: str, at_least: int) -> None:
    # A stream's tokens are counted once it has ended, just after the client read its last event.
    deadline = time.monotonic() + 10
    while _shared_tokens(client, prefix) < at_least:
        assert time.monotonic() < deadline, "the stream's tokens never reached Redis"
        time.sleep(0.02)


@pytest.mark.parametrize("stream", [False, True])
def test_replicas_route_by_the_tokens_both_served(make_gateway: GatewayFactory, tmp_path: Path,
                                                  upstream: FakeUpstream, second_upstream: FakeUpstream,
                                                  stream: bool) -> None:
    prefix = f"test-usage-routing-{uuid.uuid4().hex[:8]}:"
    client = redis.Redis.from_url(REDIS_URL)
    config = _config(upstream, second_upstream, prefix)
    try:
        with make_gateway(config, database_url=f"sqlite:///{tmp_path / 'a.db'}") as one, \
                make_gateway(config, database_url=f"sqlite:///{tmp_path / 'b.db'}") as two:
            _start_early_in_a_minute()
            answer = one.client().chat.completions.create(model="chat-a", stream=stream,
                                                          messages=[{"role": "user", "content": BIG}])
            if stream:
                list(answer)
            _wait_for_count(client, prefix, 60)
            loaded = upstream if upstream.requests else second_upstream
            idle = second_upstream if loaded is upstream else upstream
            # The second replica served nothing yet: only the shared count tells it which deployment is loaded.
            for _ in range(3):
                two.client().chat.completions.create(model="chat-a", messages=SMALL)
            assert (len(loaded.requests), len(idle.requests)) == (1, 3)
    finally:
        for key in client.scan_iter(f"{prefix}*"):
            client.delete(key)
        client.close()


def test_redis_unreachable_routes_by_local_counts(make_gateway: GatewayFactory, upstream: FakeUpstream,
                                                  second_upstream: FakeUpstream) -> None:
    config = _config(upstream, second_upstream, "test-usage-routing-down:", url="redis://127.0.0.1:1/0")
    with make_gateway(config) as gw:
        _start_early_in_a_minute()  # the process's own counts are per minute too
        gw.client().chat.completions.create(model="chat-a", messages=[{"role": "user", "content": BIG}])
        for _ in range(3):
            gw.client().chat.completions.create(model="chat-a", messages=SMALL)
        # This process's own counts still steer the small requests away from the loaded deployment.
        assert sorted([len(upstream.requests), len(second_upstream.requests)]) == [1, 3]
