"""Two `warden serve` processes on one PostgreSQL and one Redis, as two replicas behind a balancer would be:
a rate limit holds across both (K per minute admits exactly K in all), a key revoked through one registry
is refused by both once their key caches expire, and a budget spent through both at once is never overspent."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from registry.db import make_engine
from registry.keys import create_key, create_team, revoke_key
from registry.migrate import upgrade
from registry.tables import UsageRecord
from tests.gateway.conftest import deployment
from tests.reliability.serve_process import ServedWarden, served_warden
from tests.support.fake_upstream import FakeUpstream
from tests.support.services import temporary_pg_database

RPM = 12
KEY_TTL_S = 0.5


def _call(replica: ServedWarden, key: str, **body: object) -> int:
    return httpx.post(f"{replica.base_url}/v1/chat/completions", timeout=30,
                      headers={"authorization": f"Bearer {key}"},
                      json={"model": "chat-a", "messages": [{"role": "user", "content": "hi"}], **body}).status_code


@contextmanager
def two_replicas(upstream: FakeUpstream, tmp_path: Path, redis_url: str = "redis://127.0.0.1:6379/0",
                 **extra: object) -> Iterator[tuple[Engine, list[ServedWarden]]]:
    """The registry's engine (team alpha made) and two replicas on it and on one Redis key space; `extra`
    replaces or adds top-level config sections."""
    limits = {"backend": "redis", "redis_url": redis_url, "key_prefix": f"test-replicas-{uuid.uuid4().hex[:8]}:"}
    config = {"model_list": [deployment("chat-a", upstream)], "limits": limits,
              "server": {"key_cache_ttl_s": KEY_TTL_S}, **extra}
    with temporary_pg_database() as url, ExitStack() as stack:
        upgrade(url)
        engine = make_engine(url)
        create_team(engine, "alpha", exist_ok=True)
        replicas = []
        for name in ("a", "b"):
            folder = tmp_path / name
            folder.mkdir()
            replicas.append(stack.enter_context(served_warden(config, folder, database_url=url)))
        try:
            yield engine, replicas
        finally:
            engine.dispose()


def test_two_replicas_share_one_rate_limit_and_see_a_revocation(upstream: FakeUpstream, tmp_path: Path) -> None:
    with two_replicas(upstream, tmp_path) as (engine, replicas):
        _, limited = create_key(engine, team="alpha", rpm=RPM)
        revoked_row, revoked = create_key(engine, team="alpha")

        statuses = [_call(replicas[i % 2], limited) for i in range(2 * RPM)]
        assert statuses.count(200) == RPM and statuses.count(429) == RPM, statuses
        assert {_call(r, limited) for r in replicas} == {429}

        assert [_call(r, revoked) for r in replicas] == [200, 200]
        revoke_key(engine, revoked_row.id)
        time.sleep(KEY_TTL_S + 0.5)
        assert [_call(r, revoked) for r in replicas] == [401, 401]


def test_two_replicas_never_overspend_one_budget(upstream: FakeUpstream, tmp_path: Path) -> None:
    # A request holds its worst case (its prompt's bound, max_tokens answer tokens) until it settles at its cost.
    budget = 0.0005
    with two_replicas(upstream, tmp_path) as (engine, replicas):
        key_row, key = create_key(engine, team="alpha", budget_usd=budget)
        with ThreadPoolExecutor(max_workers=16) as pool:
            statuses = list(pool.map(lambda i: _call(replicas[i % 2], key, max_tokens=20), range(80)))
        assert statuses.count(429) > 0 and set(statuses) == {200, 429}, statuses
        spent, rows = _spent(engine, key_row.id)
        for _ in range(100):  # each replica writes its rows within a flush interval (50 ms) of the answer
            if rows == statuses.count(200):
                break
            time.sleep(0.1)
            spent, rows = _spent(engine, key_row.id)
        assert rows == statuses.count(200) and 0 < spent <= budget


def _spent(engine: Engine, key_id: str) -> tuple[float, int]:
    """(USD spent, requests answered) by one key, from the usage rows both replicas wrote."""
    with engine.connect() as conn:
        spent, rows = conn.execute(select(func.coalesce(func.sum(UsageRecord.cost_usd), 0.0), func.count()).where(
            UsageRecord.key_id == key_id, UsageRecord.status == "ok")).one()
    return float(spent), int(rows)
