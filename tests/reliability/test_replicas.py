"""Two `warden serve` processes on one PostgreSQL and one Redis, as two replicas behind a balancer would be:
a rate limit holds across both (K per minute admits exactly K in all), and a key revoked through one registry
is refused by both once their key caches expire."""

from __future__ import annotations

import time
import uuid
from contextlib import ExitStack
from pathlib import Path

import httpx

from registry.db import make_engine
from registry.keys import create_key, create_team, revoke_key
from registry.migrate import upgrade
from tests.gateway.conftest import deployment
from tests.reliability.serve_process import ServedWarden, served_warden
from tests.support.fake_upstream import FakeUpstream
from tests.support.services import temporary_pg_database

RPM = 12
KEY_TTL_S = 0.5


def _call(replica: ServedWarden, key: str) -> int:
    return httpx.post(f"{replica.base_url}/v1/chat/completions", timeout=30,
                      headers={"authorization": f"Bearer {key}"},
                      json={"model": "chat-a", "messages": [{"role": "user", "content": "hi"}]}).status_code


def test_two_replicas_share_one_rate_limit_and_see_a_revocation(upstream: FakeUpstream, tmp_path: Path) -> None:
    limits = {"backend": "redis", "redis_url": "redis://127.0.0.1:6379/0",
              "key_prefix": f"test-replicas-{uuid.uuid4().hex[:8]}:"}
    config = {"model_list": [deployment("chat-a", upstream)], "limits": limits,
              "server": {"key_cache_ttl_s": KEY_TTL_S}}
    with temporary_pg_database() as url, ExitStack() as stack:
        upgrade(url)
        engine = make_engine(url)
        create_team(engine, "alpha", exist_ok=True)
        _, limited = create_key(engine, team="alpha", rpm=RPM)
        revoked_row, revoked = create_key(engine, team="alpha")
        replicas = []
        for name in ("a", "b"):
            folder = tmp_path / name
            folder.mkdir()
            replicas.append(stack.enter_context(served_warden(config, folder, database_url=url)))

        statuses = [_call(replicas[i % 2], limited) for i in range(2 * RPM)]
        assert statuses.count(200) == RPM and statuses.count(429) == RPM, statuses
        assert {_call(r, limited) for r in replicas} == {429}

        assert [_call(r, revoked) for r in replicas] == [200, 200]
        revoke_key(engine, revoked_row.id)
        time.sleep(KEY_TTL_S + 0.5)
        assert [_call(r, revoked) for r in replicas] == [401, 401]
        engine.dispose()
