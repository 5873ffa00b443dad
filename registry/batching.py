"""Items queued by the request path and written in batches by one background task.

`submit` never blocks; the task wakes when a batch is full or every `flush_interval_s`; `stop` lets a write
in progress finish (never cancels it: a batch cancelled mid-write, or in a thread the process exits under,
is lost), then writes what is still queued, so a graceful shutdown loses nothing. Subclasses say how a batch
is written.
"""

from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from typing import Generic, TypeVar

T = TypeVar("T")
log = logging.getLogger("warden.batching")


class BackgroundBatcher(ABC, Generic[T]):
    task_name = "batcher"

    def __init__(self, *, batch_size: int, flush_interval_s: float) -> None:
        self._batch_size = batch_size
        self._interval = flush_interval_s
        self._pending: list[T] = []
        self._wakeup = asyncio.Event()
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    def _enqueue(self, item: T) -> None:
        self._pending.append(item)
        if len(self._pending) >= self._batch_size:
            self._wakeup.set()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name=self.task_name)

    async def stop(self) -> None:
        if self._task is not None:
            self._stopping = True
            self._wakeup.set()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None
        await self.flush()

    async def flush(self) -> None:
        async with self._lock:
            while self._pending:
                batch, self._pending = self._pending[: self._batch_size], self._pending[self._batch_size :]
                await self._write(batch)

    async def _loop(self) -> None:
        while not self._stopping:
            try:
                await asyncio.wait_for(self._wakeup.wait(), timeout=self._interval)
            except asyncio.TimeoutError:
                pass
            self._wakeup.clear()
            try:
                await self.flush()
                if not self._stopping:
                    await self._idle()
            except Exception as exc:  # one bad batch must not stop the writer
                log.error("%s: flush failed: %s", self.task_name, type(exc).__name__)

    async def _idle(self) -> None:
        """Called after each periodic flush (e.g. to retry what an outage left behind)."""

    @abstractmethod
    async def _write(self, batch: list[T]) -> None: ...
