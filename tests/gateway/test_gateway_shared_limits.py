"""Replicas agree on limits: two gateways share one Redis (and one PostgreSQL registry)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import openai
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.gateway.conftest import deployment
from tests.support.fake_upstream import FakeUpstream
from tests.support.migrated import migrated_pg_database
from tests.support.services import REDIS_URL, require

USER = [{"role": "user", "content": "hi"}]


def _config(upstream: FakeUpstream, **limits: Any) -> dict[str, Any]:
    require("127.0.0.1", 6379, "Redis")
    return {"model_list": [deployment("chat-a", upstream)], "prompts": None,
            "limits": {"backend": "redis", "redis_url": REDIS_URL, "key_prefix": f"warden-test-{uuid.uuid4().hex}:",
                       **limits}}


@pytest.fixture()
def pg_url() -> Iterator[str]:
    """The two gateways' registry: a PostgreSQL database of this test's own. In the session-wide one, another test
    may already have made team alpha or beta without the limit set here (create_team keeps an existing team)."""
    with migrated_pg_database() as url:
        yield url


def test_two_gateways_enforce_one_team_limit(make_gateway: Any, upstream: FakeUpstream, pg_url: str) -> None:
    config = _config(upstream)
    team = {"alpha": {"rpm": 6}}
    with make_gateway(config, team, database_url=pg_url) as first, make_gateway(config, {}, database_url=pg_url) as second:
        clients = [first.client(), first.client(key=first.keys["alpha"]).with_options(base_url=second.base_url + "/v1")]
        passed = refused = 0
        for i in range(10):
            try:
                clients[i % 2].chat.completions.create(model="chat-a", messages=USER)
                passed += 1
            except openai.RateLimitError:
                refused += 1
        assert (passed, refused) == (6, 4)
        assert len(upstream.requests) == 6


def test_concurrent_requests_never_overspend_a_budget(make_gateway: Any, upstream: FakeUpstream, pg_url: str) -> None:
    # Each request may cost at most 200 output tokens x 0.000002 + its prompt: about 0.0004 USD.
    config = _config(upstream)
    budget = 0.004
    team = {"beta": {"budget_usd": budget}}
    with make_gateway(config, team, database_url=pg_url) as first, make_gateway(config, {}, database_url=pg_url) as second:
        key = first.keys["beta"]
        clients = [first.client(key=key), first.client(key=key).with_options(base_url=second.base_url + "/v1")]

        def call(i: int) -> bool:
            try:
                clients[i % 2].chat.completions.create(model="chat-a", messages=USER, max_tokens=200)
                return True
            except openai.RateLimitError:
                return False

        with ThreadPoolExecutor(max_workers=16) as pool:
            results = list(pool.map(call, range(60)))
        first.flush()
        second.flush()
        spent = sum(r.cost_usd for r in first.rows(team="beta"))
        max_one = 0.0004 + 0.00001
        assert sum(results) >= 1 and not all(results)
        assert spent <= budget + max_one


@pytest.mark.parametrize(("mode", "status"), [("closed", 503), ("open", 200)])
def test_redis_down_fails_open_or_closed_never_500(make_gateway: Any, upstream: FakeUpstream, mode: str,
                                                   status: int) -> None:
    config = _config(upstream, on_redis_down=mode)
    config["limits"]["redis_url"] = "redis://127.0.0.1:1/0"
    with make_gateway(config, {"alpha": {"rpm": 100}}) as gw, gw.http() as http:
        for _ in range(3):
            response = http.post("/v1/chat/completions", json={"model": "chat-a", "messages": USER},
                                 headers={"authorization": f"Bearer {gw.keys['alpha']}"})
            assert response.status_code == status, response.text
        ready = http.get("/readyz")
        assert ready.status_code == (503 if mode == "closed" else 200)
        assert ready.json()["checks"]["limiter"].startswith("error" if mode == "closed" else "degraded")


def _decisions(http: Any) -> dict[str, float]:
    text = http.get("/metrics").text
    return {dict(s.labels)["where"]: s.value for family in text_string_to_metric_families(text)
            for s in family.samples if s.name == "warden_limit_decisions_total"}


@pytest.mark.parametrize("local", [True, False])
def test_metrics_count_where_limits_were_decided(make_gateway: Any, upstream: FakeUpstream, local: bool) -> None:
    config = _config(upstream, local_admission=local)
    with make_gateway(config, {"alpha": {"rpm": 100_000}}) as gw, gw.http() as http:
        client = gw.client(key=gw.keys["alpha"])
        for _ in range(12):
            client.chat.completions.create(model="chat-a", messages=USER)
        deadline = time.monotonic() + 5
        counts = _decisions(http)
        while sum(counts.values()) < 12 and time.monotonic() < deadline:  # local charges are counted as they go out
            time.sleep(0.02)
            counts = _decisions(http)
        assert sum(counts.values()) == 12
        assert counts["redis"] >= 1  # the first request has no view yet
        if local:
            assert counts["local"] >= 1
        else:
            assert counts["local"] == 0
