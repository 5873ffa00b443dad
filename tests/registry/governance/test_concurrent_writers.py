"""Concurrent writers on the registry all succeed, on SQLite as on PostgreSQL.

Each unit of work reads before it writes (the name is free? the team exists? the audit head), the pattern that
fails at once on SQLite in WAL mode when a transaction's BEGIN is deferred: its snapshot goes stale as soon as
another writer commits, and SQLite answers SQLITE_BUSY without waiting (the gateway's 503). BEGIN IMMEDIATE
makes each writer wait its turn instead, and the audit chain stays one line.
"""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy.engine import Engine

from registry.db import session_scope
from registry.governance import ModelIn, inventory
from registry.governance.audit_verify import verify
from registry.governance.types import Actor
from registry.keys import create_key, create_team, list_keys

ADMIN = Actor(name="ops", admin=True)
THREADS, ROUNDS = 8, 6


def _worker(engine: Engine, team: str, thread: int) -> None:
    for round_ in range(ROUNDS):
        name = f"model-{thread}-{round_}"
        with session_scope(engine) as session:
            inventory.list_models(session, ADMIN)  # a read first: the snapshot the old BEGIN left stale
            inventory.register_model(session, ADMIN, ModelIn(name=name, kind="classical", owner="ana", team=team,
                                                             use_case="credit"))
        create_key(engine, team=team, name=f"key-{thread}-{round_}")


def test_concurrent_read_then_write_units_all_succeed(engine: Engine) -> None:
    team = f"risk-{uuid.uuid4().hex[:8]}"  # the PostgreSQL engine's key tables outlive one test
    create_team(engine, team)
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        failures = [f.exception() for f in [pool.submit(_worker, engine, team, t) for t in range(THREADS)]]
    assert failures == [None] * THREADS
    with session_scope(engine) as session:
        models = inventory.list_models(session, ADMIN)
        report = verify(session)
    assert len(models) == THREADS * ROUNDS
    assert len(list_keys(engine, team=team)) == THREADS * ROUNDS
    assert report.problems == [] and report.entries >= THREADS * ROUNDS


def test_a_read_helper_inside_a_unit_of_work_does_not_wait_on_its_caller(engine: Engine) -> None:
    # A helper with its own session (the decommission check's usage lookup is one) runs while its caller's
    # transaction holds SQLite's write lock: it must read, not wait on that lock until the busy timeout.
    with session_scope(engine) as outer:
        inventory.register_model(outer, ADMIN, ModelIn(name="inside", kind="classical", owner="ana", team="risk",
                                                       use_case="credit"))
        with session_scope(engine) as helper:
            assert "inside" not in {m.name for m in inventory.list_models(helper, ADMIN)}  # not committed yet
    with session_scope(engine) as after:
        assert "inside" in {m.name for m in inventory.list_models(after, ADMIN)}
