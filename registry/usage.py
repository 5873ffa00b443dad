"""Writes usage rows off the request path: queued, batched, retried, and spooled to disk if the database
stays down, so a database error never fails a request and never loses a row.

A batch the database refuses for its content (not for being away) is retried one row at a time: good rows
are written, the rows it still refuses are quarantined (registry/usage_quarantine.py). Spool replay does the
same per file, so one bad row or file never holds back the others; rows are de-duplicated by their
server-generated id, so a replay after a half-finished write adds nothing twice."""

from __future__ import annotations

import asyncio
import logging
import os
import time
from pathlib import Path

from sqlalchemy.engine import Engine

from registry.batching import BackgroundBatcher
from registry.tables import UsageRecord
from registry.outage import is_outage
from registry.usage_insert import insert_missing as _insert_missing, insert_rows as _insert
from registry.usage_quarantine import Quarantine
from registry.usage_rows import UsageRow, as_row, decode, encode, fit

log = logging.getLogger("warden.usage")
RETRY_DELAYS = (0.05, 0.25, 1.0)


class UsageWriter(BackgroundBatcher[UsageRow]):
    task_name = "usage-writer"

    def __init__(
        self,
        engine: Engine,
        *,
        batch_size: int = 200,
        flush_interval_s: float = 0.5,
        spool_dir: str | Path = "var/spool",
        replay_interval_s: float = 30.0,
    ) -> None:
        super().__init__(batch_size=batch_size, flush_interval_s=flush_interval_s)
        self._engine = engine
        self._spool = Path(spool_dir)
        self._replay_interval = replay_interval_s
        self._last_replay = time.monotonic()
        self.quarantine = Quarantine(self._spool / "quarantine")
        self.written = 0
        self.spooled = 0
        self._spool_waiting = True  # files may be left from an earlier run

    @property
    def quarantined(self) -> int:
        return self.quarantine.count

    def submit(self, record: UsageRow | UsageRecord) -> None:
        """Queue one row. Never blocks and never raises."""
        self._enqueue(fit(as_row(record)))

    async def start(self) -> None:
        await self.replay_spool()
        await super().start()

    async def _idle(self) -> None:
        if time.monotonic() - self._last_replay > self._replay_interval:
            self._last_replay = time.monotonic()
            await self.replay_spool()

    async def _write(self, batch: list[UsageRow]) -> None:
        for delay in (*RETRY_DELAYS, None):
            try:
                await asyncio.to_thread(_insert, self._engine, batch)
                self.written += len(batch)
                if self._spool_waiting:  # the database is back: replay what the outage left at once
                    await self.replay_spool()
                return
            except Exception as exc:  # any database failure: retry, then spool
                if not is_outage(exc):
                    left = await asyncio.to_thread(self._one_by_one, batch, False)
                    batch = left
                    if not batch:
                        return
                elif delay is None:
                    log.error("usage rows spooled to disk after database errors: %s", type(exc).__name__)
                    break
                else:
                    await asyncio.sleep(delay)
        await asyncio.to_thread(self._spool_batch, batch)

    def _one_by_one(self, rows: list[UsageRow], replay: bool) -> list[UsageRow]:
        """Write each row on its own; quarantine the ones refused for their content. Returns the rows left
        unwritten because the database went away meanwhile."""
        for position, row in enumerate(rows):
            try:
                if replay:
                    self.written += _insert_missing(self._engine, [row])
                else:
                    _insert(self._engine, [row])
                    self.written += 1
            except Exception as exc:
                if is_outage(exc):
                    return rows[position:]
                self.quarantine.add(row, exc)
        return []

    def _spool_batch(self, batch: list[UsageRow]) -> None:
        self._spool.mkdir(parents=True, exist_ok=True)
        self._spool_waiting = True
        path = self._spool / f"usage-{int(time.time() * 1000)}-{os.getpid()}.jsonl"
        with path.open("ab") as handle:
            for record in batch:
                try:
                    line = encode(record)
                except Exception as exc:  # not JSON: it could never be replayed either
                    self.quarantine.add(record, exc)
                    continue
                handle.write(line + b"\n")
                self.spooled += 1

    async def replay_spool(self) -> int:
        """Insert rows left in spool files by an earlier outage; rows already present are skipped. Stops
        (until the next try) only when the database is away; a bad line or row is quarantined."""
        if not self._spool.is_dir():
            self._spool_waiting = False
            return 0
        replayed = 0
        for path in sorted(self._spool.glob("usage-*.jsonl")):
            records = await asyncio.to_thread(self._read_spool, path)
            try:
                replayed += await asyncio.to_thread(_insert_missing, self._engine, records)
            except Exception as exc:
                if is_outage(exc):
                    log.warning("spool replay postponed: %s", type(exc).__name__)
                    return replayed
                before = self.written
                left = await asyncio.to_thread(self._one_by_one, records, True)
                replayed += self.written - before
                if left:
                    log.warning("spool replay postponed: the database went away")
                    return replayed
            path.unlink()
        self._spool_waiting = False
        return replayed

    def _read_spool(self, path: Path) -> list[UsageRow]:
        records = []
        for line in path.read_bytes().splitlines():
            if not line.strip():
                continue
            try:
                records.append(decode(line))
            except Exception as exc:  # a torn or corrupted line: keep it aside, read the rest
                self.quarantine.add(line, exc)
        return records

