"""Redis (a redis-server of the test's own) killed or frozen under load: failing open, no 5xx and no call
hangs; failing closed, the documented 503 and nothing else. Completion is asserted within the test's timeout;
the longest call is a figure for bench/fault_probe.py, not an assertion."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.gateway.conftest import deployment
from tests.gateway.limits.limits_support import OwnRedis
from tests.reliability.load import Load, chat_call, wait_for
from tests.support.fake_upstream import FakeUpstream


@pytest.fixture()
def own_redis() -> Iterator[OwnRedis]:
    server = OwnRedis()
    server.start()
    yield server
    if server.process is not None:
        server.process.send_signal(signal.SIGCONT)
    server.stop()


def _config(up: FakeUpstream, redis_url: str, mode: str) -> dict[str, Any]:
    return {"model_list": [deployment("chat-a", up)],
            "limits": {"backend": "redis", "redis_url": redis_url, "on_redis_down": mode, "timeout_s": 0.25,
                       "retry_interval_s": 0.5, "key_prefix": f"warden-test-{os.getpid()}:"}}


@pytest.mark.parametrize("fault", ["killed", "frozen"])
@pytest.mark.parametrize("mode", ["open", "closed"])
def test_redis_fault_under_load(make_gateway: Any, upstream: FakeUpstream, own_redis: OwnRedis, fault: str,
                                mode: str) -> None:
    teams = {"alpha": {"rpm": 100_000, "tpm": 10_000_000}}
    with make_gateway(_config(upstream, own_redis.url, mode), teams) as gw:
        load = Load(chat_call(gw.client("alpha", timeout=20))).start()
        # The fault comes once traffic flows (a cold first request may take longer than any fixed pause).
        wait_for(lambda: load.statuses()[200] > 0, "a first request answered before the fault", 30)
        time.sleep(0.5)
        assert own_redis.process is not None
        if fault == "killed":
            own_redis.stop()
        else:
            own_redis.process.send_signal(signal.SIGSTOP)
        time.sleep(2.0)
        if fault == "frozen":
            own_redis.process.send_signal(signal.SIGCONT)
        time.sleep(0.5)
        outcomes = load.stop()
    statuses = load.statuses()
    assert statuses[200] > 0 and not any(isinstance(s, str) for s in statuses), statuses  # nothing hung or reset
    if mode == "open":
        assert set(statuses) == {200}, statuses
    else:
        assert set(statuses) <= {200, 503}, statuses
        assert statuses[503] > 0, statuses  # the policy was exercised
        assert all(o.code == "service_unavailable" for o in outcomes if o.status == 503)
