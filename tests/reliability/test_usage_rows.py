"""A bad usage row never holds back the others (SQLite and PostgreSQL): repeated client request ids, values
longer than their column, rows the database refuses, and bad spool lines or files."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from registry.tables import UsageRecord
from registry.usage import UsageWriter
from tests.gateway.conftest import deployment
from tests.support.fake_upstream import FakeUpstream

USER = [{"role": "user", "content": "hi"}]
CANARY = "canary-9d1f-value-not-for-logs"


def _row(request_id: str, **fields: Any) -> UsageRecord:
    return UsageRecord(**{"request_id": request_id, "team": "alpha", "requested_model": "m1", "cost_usd": 0.01,
                          **fields})


def encode(row: UsageRecord) -> bytes:
    """A spool line, as the writer spools it."""
    return orjson.dumps(row.model_dump(mode="json"))


def _rows(engine: Engine) -> list[UsageRecord]:
    with Session(engine) as session:
        return list(session.exec(select(UsageRecord)))


def _write(engine: Engine, spool: Path, rows: list[UsageRecord]) -> UsageWriter:
    async def run() -> UsageWriter:
        writer = UsageWriter(engine, batch_size=50, flush_interval_s=0.05, spool_dir=spool)
        for row in rows:
            writer.submit(row)
        await writer.flush()
        return writer

    return asyncio.run(run())


def test_repeated_client_request_ids_are_all_recorded(make_gateway: Any, upstream: FakeUpstream,
                                                      database_url: str) -> None:
    config = {"model_list": [deployment("chat-a", upstream)], "usage": {"batch_size": 100, "flush_interval_s": 5}}
    with make_gateway(config, {"alpha": {}, "beta": {}}, database_url=database_url) as gw:
        alpha = gw.client("alpha", default_headers={"x-request-id": "same-id-1"})
        for _ in range(5):
            raw = alpha.chat.completions.with_raw_response.create(model="chat-a", messages=USER)
            assert raw.headers["x-request-id"] == "same-id-1"
            gw.client("beta").chat.completions.create(model="chat-a", messages=USER)
        rows = gw.rows()
        assert [r.team for r in rows].count("alpha") == 5 and [r.team for r in rows].count("beta") == 5
        assert len(gw.rows(request_id="same-id-1")) == 5 and len({r.id for r in rows}) == 10
        assert gw.gateway.usage.spooled == 0 and gw.gateway.usage.quarantined == 0


def test_values_longer_than_their_column_are_clipped(engine: Engine, tmp_path: Path) -> None:
    rows = [_row("long-" + "r" * 500, requested_model="m" * 5000, end_user="nul\x00user", prompt_name="p" * 999),
            _row("plain")]
    writer = _write(engine, tmp_path / "spool", rows)
    assert writer.written == 2 and writer.spooled == 0 and writer.quarantined == 0
    stored = {r.request_id[:5]: r for r in _rows(engine)}
    assert len(stored["long-"].requested_model or "") == 256 and len(stored["long-"].request_id) == 128
    assert stored["long-"].end_user == "nuluser" and stored["plain"].requested_model == "m1"


def test_a_refused_row_is_quarantined_and_the_rest_written(engine: Engine, tmp_path: Path,
                                                           caplog: pytest.LogCaptureFixture) -> None:
    poisoned = _row("poisoned", end_user=CANARY)
    poisoned.request_id = None  # type: ignore[assignment]  # NOT NULL, no default: refused by either database
    rows = [_row(f"good-{i}") for i in range(3)] + [poisoned] + [_row(f"good-{i}") for i in range(3, 6)]
    with caplog.at_level(logging.INFO):
        writer = _write(engine, tmp_path / "spool", rows)
    assert writer.written == 6 and writer.quarantined == 1 and writer.spooled == 0
    assert sorted(r.request_id for r in _rows(engine)) == [f"good-{i}" for i in range(6)]  # never the poisoned
    [file] = (tmp_path / "spool" / "quarantine").glob("*.jsonl")
    [entry] = [orjson.loads(line) for line in file.read_bytes().splitlines()]
    assert entry["row"]["id"] == poisoned.id and entry["error"] == "IntegrityError"
    assert poisoned.id in caplog.text and CANARY not in caplog.text


def test_spool_replay_passes_bad_lines_and_rows_and_reads_later_files(engine: Engine, tmp_path: Path) -> None:
    spool = tmp_path / "spool"
    spool.mkdir()
    bad = orjson.loads(encode(_row("bad-row")))
    bad["request_id"] = None
    first = [encode(_row("a")), orjson.dumps(bad), b'{"torn": ', encode(_row("b"))]
    (spool / "usage-1000-1.jsonl").write_bytes(b"\n".join(first) + b"\n")
    (spool / "usage-2000-1.jsonl").write_bytes(encode(_row("c")) + b"\n")
    (spool / "usage-3000-1.jsonl").write_bytes(encode(_row("d")) + b"\n" + encode(_row("e")) + b"\n")

    async def replay() -> tuple[int, int, UsageWriter]:
        writer = UsageWriter(engine, spool_dir=spool)
        return await writer.replay_spool(), await writer.replay_spool(), writer

    first_pass, second_pass, writer = asyncio.run(replay())
    assert sorted(r.request_id for r in _rows(engine)) == ["a", "b", "c", "d", "e"]
    assert (first_pass, second_pass, writer.quarantined) == (5, 0, 2)
    assert not list(spool.glob("usage-*.jsonl"))


def test_replay_after_a_half_finished_write_adds_nothing_twice(engine: Engine, tmp_path: Path) -> None:
    rows = [_row(f"r{i}") for i in range(4)]
    _write(engine, tmp_path / "other", rows[:2])  # written, and (as if the commit's answer was lost) spooled too
    spool = tmp_path / "spool"
    spool.mkdir()
    (spool / "usage-1-1.jsonl").write_bytes(b"".join(encode(r) + b"\n" for r in rows))

    async def replay() -> int:
        return await UsageWriter(engine, spool_dir=spool).replay_spool()

    assert asyncio.run(replay()) == 2
    assert sorted(r.request_id for r in _rows(engine)) == ["r0", "r1", "r2", "r3"]
