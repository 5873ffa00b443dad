"""Keeps request and response bodies for audit, per policy, PII-masked, off the request path.

`submit` only snapshots the body and queues it; a background task masks queued exchanges in batches in a worker
thread and writes them. Raw text lives only in that queue: if masking fails the exchange is dropped, never
stored unmasked, and no failure here ever reaches the request.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import orjson
from sqlalchemy.engine import Engine

from gateway.exchange_masking import PayloadMasker
from registry.batching import BackgroundBatcher
from registry.exchanges import Exchange, store_exchanges
from registry.tables import utcnow

log = logging.getLogger("warden.exchanges")
LoggingMode = Literal["off", "metadata", "full"]
RETRY_DELAYS = (0.05, 0.25, 1.0)


@dataclass(frozen=True, slots=True)
class PendingExchange:
    """One exchange waiting for masking; the body is kept as JSON bytes, a snapshot taken at submit time."""

    request_id: str
    team: str | None
    policy: str | None
    created_at: datetime
    retention_until: datetime
    request_body: bytes
    answers: tuple[str, ...]


class ExchangeLogger(BackgroundBatcher[PendingExchange]):
    """Queues exchanges of `full`-logging policies and writes them masked, in batches, in the background."""

    task_name = "exchange-logger"

    def __init__(self, engine: Engine, masker: PayloadMasker | None = None, *, batch_size: int = 32,
                 flush_interval_s: float = 1.0, max_pending: int = 2000) -> None:
        super().__init__(batch_size=batch_size, flush_interval_s=flush_interval_s)
        self._engine = engine
        self._masker = masker or PayloadMasker()
        self._max_pending = max_pending
        self.stored = 0
        self.dropped = 0

    def submit(self, request_id: str, team: str | None, policy: str | None, retention_days: int,
               request_payload: Mapping[str, object], answer_texts: Sequence[str], *, mode: LoggingMode,
               created_at: datetime | None = None) -> bool:
        """Queue one exchange if `mode` is `full`; True when queued. Never blocks and never raises."""
        if mode != "full":
            return False  # `metadata` is the usage row alone; `off` keeps nothing more either
        try:
            if len(self._pending) >= self._max_pending:
                raise OverflowError(f"{self._max_pending} exchanges already waiting")
            created = created_at or utcnow()
            item = PendingExchange(
                request_id, team, policy, created, created + timedelta(days=retention_days),
                orjson.dumps(request_payload), tuple(answer_texts),
            )
        except Exception as exc:  # the request must not notice
            self.dropped += 1
            log.warning("exchange %s not logged: %s", request_id, type(exc).__name__)
            return False
        self._enqueue(item)
        return True

    async def _write(self, batch: list[PendingExchange]) -> None:
        rows = await asyncio.to_thread(self._mask_rows, batch)
        self.dropped += len(batch) - len(rows)
        for delay in (*RETRY_DELAYS, None):
            try:
                self.stored += await asyncio.to_thread(store_exchanges, self._engine, rows)
                return
            except Exception as exc:  # database down: retry, then give the batch up
                if delay is None:
                    log.error("%d exchanges dropped after database errors: %s", len(rows), type(exc).__name__)
                    self.dropped += len(rows)
                    return
                await asyncio.sleep(delay)

    def _mask_rows(self, batch: list[PendingExchange]) -> list[Exchange]:
        """Masked rows for the batch; if the batch fails, each exchange alone, and those that still fail go."""
        try:
            return self._build(batch)
        except Exception as exc:
            log.warning("masking a batch of %d exchanges failed (%s); retrying one by one", len(batch),
                        type(exc).__name__)
        rows: list[Exchange] = []
        for item in batch:
            try:
                rows.extend(self._build([item]))
            except Exception as exc:
                log.error("exchange %s dropped: masking failed (%s)", item.request_id, type(exc).__name__)
        return rows

    def _build(self, batch: Sequence[PendingExchange]) -> list[Exchange]:
        values: list[object] = []
        for item in batch:
            values.append(orjson.loads(item.request_body))
            values.append({"answers": list(item.answers)})
        masked = self._masker.mask_values(values)
        return [
            Exchange(request_id=item.request_id, created_at=item.created_at, team=item.team, policy=item.policy,
                     retention_until=item.retention_until, request_json=masked[2 * i],  # type: ignore[arg-type]
                     response_json=masked[2 * i + 1])  # type: ignore[arg-type]
            for i, item in enumerate(batch)
        ]


async def purge_loop(engine: Engine, interval_s: float = 3600.0) -> None:
    """Delete expired exchanges (and stored Responses) now and every `interval_s` seconds, until cancelled.
    Several workers may run it at once: the delete is idempotent."""
    from registry.exchanges import purge_expired
    from registry.stored_responses import purge_expired_responses

    while True:
        try:
            deleted = await asyncio.to_thread(purge_expired, engine)
            if deleted:
                log.info("purged %d exchanges past their retention", deleted)
            deleted = await asyncio.to_thread(purge_expired_responses, engine)
            if deleted:
                log.info("purged %d stored responses past their retention", deleted)
        except Exception as exc:  # the database may be down for a while; try again next round
            log.warning("exchange purge failed: %s", type(exc).__name__)
        await asyncio.sleep(interval_s)
