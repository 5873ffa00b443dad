"""An in-memory snapshot of the registered sources and retired embedding versions, read again when older than
`rag.refresh_s` (off the event loop, one reader at a time), so the request path reads memory only."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from registry.rag.tables import EmbeddingVersion, RagSource

log = logging.getLogger("warden.rag")


@dataclass(frozen=True, slots=True)
class Snapshot:
    sources: dict[str, RagSource]
    retired: frozenset[tuple[str, str]]


class SourceCatalog:
    def __init__(self, engine: Engine, refresh_s: float) -> None:
        self._engine = engine
        self._refresh_s = refresh_s
        self._snapshot: Snapshot | None = None
        self._loaded_at = 0.0
        self._lock = asyncio.Lock()

    def invalidate(self) -> None:
        """Read the registry again on the next request (after a change made through this process's API)."""
        self._loaded_at = 0.0

    async def snapshot(self) -> Snapshot:
        if self._snapshot is not None and time.monotonic() - self._loaded_at < self._refresh_s:
            return self._snapshot
        async with self._lock:
            if self._snapshot is None or time.monotonic() - self._loaded_at >= self._refresh_s:
                try:
                    self._snapshot = await asyncio.to_thread(self._load)
                    self._loaded_at = time.monotonic()
                except Exception as exc:
                    if self._snapshot is None:
                        raise
                    log.warning("source catalog refresh failed, keeping the last snapshot: %s", type(exc).__name__)
        return self._snapshot

    def _load(self) -> Snapshot:
        with Session(self._engine, expire_on_commit=False) as session:
            sources = {s.id: s for s in session.exec(select(RagSource))}
            for source in sources.values():
                session.expunge(source)
            retired = frozenset((v.model, v.version) for v in session.exec(
                select(EmbeddingVersion).where(EmbeddingVersion.status == "retired")))
        return Snapshot(sources, retired)
