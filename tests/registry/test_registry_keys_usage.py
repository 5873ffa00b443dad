"""Keys, teams, usage rows and cost reports on SQLite and on the machine's PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, select

from registry.costs import cost_report
from registry.db import make_engine
from registry.keys import RegistryError, create_key, create_team, find_key, hash_key, list_keys, list_teams, revoke_key
from registry.migrate import current, upgrade
from registry.spend import period_start, spent_since
from registry.tables import UsageRecord, utcnow
from registry.usage import UsageWriter


def test_migrations_reach_head(database_url: str) -> None:
    upgrade(database_url)
    upgrade(database_url)  # idempotent
    assert current(database_url) is not None


def test_keys_are_stored_as_hashes_only(engine) -> None:  # type: ignore[no-untyped-def]
    create_team(engine, "alpha", models=["m1"], rpm=10)
    row, plain = create_key(engine, team="alpha", rpm=5, budget_usd=1.5, expires_in=timedelta(days=30))
    assert plain.startswith("wk-") and len(plain) > 40
    with Session(engine) as session:
        stored = session.exec(select(UsageRecord)).all()
        assert stored == []
    found = find_key(engine, hash_key(plain))
    assert found is not None and found[0].id == row.id and found[1].name == "alpha"
    assert plain not in repr(found[0].model_dump()) and found[0].key_hash == hash_key(plain)
    assert found[0].expires_at > utcnow()
    assert [k.id for k in list_keys(engine, "alpha")] == [row.id]
    revoke_key(engine, row.id)
    assert find_key(engine, hash_key(plain))[0].revoked_at is not None


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda e: create_key(e, team="ghost"), "unknown team 'ghost'"),
        (lambda e: create_key(e, team=None, role="team"), "needs a team"),
        (lambda e: (create_team(e, "dup"), create_team(e, "dup")), "already exists"),
        (lambda e: revoke_key(e, "key_missing"), "no key 'key_missing'"),
    ],
)
def test_refusals_quote_the_value(engine, call, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(RegistryError, match=message):
        call(engine)


def _row(request_id: str, team: str, model: str, cost: float, status: str = "ok", days_ago: int = 0) -> UsageRecord:
    return UsageRecord(request_id=request_id, team=team, key_id=f"key_{team}", requested_model=model,
                       prompt_tokens=10, completion_tokens=5, cost_usd=cost, status=status,
                       created_at=utcnow() - timedelta(days=days_ago))


def test_cost_report_totals_equal_rows(engine) -> None:  # type: ignore[no-untyped-def]
    rows = [_row("r1", "alpha", "m1", 0.5), _row("r2", "alpha", "m2", 0.25), _row("r3", "beta", "m1", 1.0),
            _row("r4", "beta", "m1", 0.0, status="error"), _row("r5", "alpha", "m1", 2.0, days_ago=10)]
    with Session(engine) as session:
        session.add_all(rows)
        session.commit()
    report = cost_report(engine, "team")
    assert report.total.cost_usd == pytest.approx(3.75) and report.total.requests == 5 and report.total.errors == 1
    teams = {r.group["team"]: r for r in report.rows}
    assert teams["alpha"].cost_usd == pytest.approx(2.75)
    assert {m.group["model"]: m.requests for m in teams["alpha"].models} == {"m1": 2, "m2": 1}
    recent = cost_report(engine, "model", since=utcnow() - timedelta(days=7))
    assert {r.group["model"]: r.cost_usd for r in recent.rows} == pytest.approx({"m1": 1.5, "m2": 0.25})
    only_beta = cost_report(engine, "key", team="beta")
    assert [r.group["key_id"] for r in only_beta.rows] == ["key_beta"]
    assert spent_since(engine, "team", "alpha", period_start("total")) == pytest.approx(2.75)
    assert [t.name for t in list_teams(engine)] == []


def test_usage_writer_batches_and_flushes(engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    async def scenario() -> None:
        writer = UsageWriter(engine, batch_size=10, flush_interval_s=0.05, spool_dir=tmp_path / "spool")
        await writer.start()
        for i in range(25):
            writer.submit(_row(f"w{i}", "alpha", "m1", 0.01))
        await writer.stop()
        assert writer.written == 25 and writer.spooled == 0

    asyncio.run(scenario())
    assert cost_report(engine, "team").total.requests == 25


def test_database_outage_spools_then_replays(database_url: str, tmp_path: Path) -> None:
    """Rows submitted while the database is unreachable are spooled, then inserted once it is back."""
    broken = make_engine("postgresql+psycopg://postgres@127.0.0.1:1/none")
    spool = tmp_path / "spool"

    async def outage() -> None:
        writer = UsageWriter(broken, batch_size=5, flush_interval_s=0.05, spool_dir=spool)
        for i in range(7):
            writer.submit(_row(f"s{i}", "alpha", "m1", 0.1))
        await writer.flush()
        assert writer.spooled == 7 and writer.written == 0

    asyncio.run(outage())
    assert len(list(spool.glob("*.jsonl"))) == 2
    upgrade(database_url)
    healthy = make_engine(database_url)

    async def recovery() -> int:
        writer = UsageWriter(healthy, spool_dir=spool)
        first = await writer.replay_spool()
        again = await writer.replay_spool()
        return first + again

    assert asyncio.run(recovery()) == 7
    assert not list(spool.glob("*.jsonl"))
    assert cost_report(healthy, "team").total.cost_usd == pytest.approx(0.7)
    healthy.dispose()
