"""Writes usage rows off the request path: queued, batched, retried, and spooled to disk if the database
stays down, so a database error never fails a request and never loses a row."""

from __future__ import annotations

import asyncio
import logging
import os
import time
from datetime import datetime
from pathlib import Path

import orjson
from sqlalchemy.engine import Engine
from sqlmodel import select

from registry.batching import BackgroundBatcher
from registry.db import session_scope
from registry.tables import UsageRecord

log = logging.getLogger("warden.usage")
RETRY_DELAYS = (0.05, 0.25, 1.0)


class UsageWriter(BackgroundBatcher[UsageRecord]):
    task_name = "usage-writer"

    def __init__(
        self,
        engine: Engine,
        *,
        batch_size: int = 200,
        flush_interval_s: float = 0.5,
        spool_dir: str | Path = "var/spool",
    ) -> None:
        super().__init__(batch_size=batch_size, flush_interval_s=flush_interval_s)
        self._engine = engine
        self._spool = Path(spool_dir)
        self._last_replay = time.monotonic()
        self.written = 0
        self.spooled = 0

    def submit(self, record: UsageRecord) -> None:
        """Queue one row. Never blocks and never raises."""
        self._enqueue(record)

    async def start(self) -> None:
        await self.replay_spool()
        await super().start()

    async def _idle(self) -> None:
        if time.monotonic() - self._last_replay > 30:
            self._last_replay = time.monotonic()
            await self.replay_spool()

    async def _write(self, batch: list[UsageRecord]) -> None:
        await self._write_or_spool(batch)

    async def _write_or_spool(self, batch: list[UsageRecord]) -> None:
        for delay in (*RETRY_DELAYS, None):
            try:
                await asyncio.to_thread(_insert, self._engine, batch)
                self.written += len(batch)
                return
            except Exception as exc:  # any database failure: retry, then spool
                if delay is None:
                    log.error("usage rows spooled to disk after database errors: %s", type(exc).__name__)
                    break
                await asyncio.sleep(delay)
        await asyncio.to_thread(self._spool_batch, batch)

    def _spool_batch(self, batch: list[UsageRecord]) -> None:
        self._spool.mkdir(parents=True, exist_ok=True)
        path = self._spool / f"usage-{int(time.time() * 1000)}-{os.getpid()}.jsonl"
        with path.open("ab") as handle:
            for record in batch:
                handle.write(orjson.dumps(record.model_dump(mode="json")) + b"\n")
        self.spooled += len(batch)

    async def replay_spool(self) -> int:
        """Insert rows left in spool files by an earlier outage; rows already present are skipped."""
        if not self._spool.is_dir():
            return 0
        replayed = 0
        for path in sorted(self._spool.glob("usage-*.jsonl")):
            records = [_decode(line) for line in path.read_bytes().splitlines() if line.strip()]
            try:
                replayed += await asyncio.to_thread(_insert_missing, self._engine, records)
            except Exception as exc:
                log.warning("spool replay postponed: %s", type(exc).__name__)
                return replayed
            path.unlink()
        return replayed


def _insert(engine: Engine, batch: list[UsageRecord]) -> None:
    with session_scope(engine) as session:
        session.add_all([UsageRecord(**r.model_dump()) for r in batch])


def _insert_missing(engine: Engine, records: list[UsageRecord]) -> int:
    with session_scope(engine) as session:
        ids = [r.request_id for r in records]
        present = set(session.exec(select(UsageRecord.request_id).where(UsageRecord.request_id.in_(ids))))
        fresh = [r for r in records if r.request_id not in present]
        session.add_all(fresh)
        return len(fresh)


def _decode(line: bytes) -> UsageRecord:
    data = orjson.loads(line)
    data["created_at"] = datetime.fromisoformat(data["created_at"])
    return UsageRecord(**data)
