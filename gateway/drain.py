"""Ending open streams at shutdown with an error event, before the server's grace runs out and it cuts them.

On SIGTERM (or SIGINT) the server stops accepting and waits `server.shutdown_grace_s` for responses to end,
then cancels what is left: a client would see its stream stop mid-answer, recorded as a disconnect. The drain
cuts the streams still open a little before that (at the grace less min(1 s, half the grace)): each stream's
upstream is closed, the stream sends an error event and its usage row says `shutdown`.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from types import FrameType
from typing import Any

from gateway.providers.base import ChunkStream

log = logging.getLogger("warden")
_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class Drain:
    """The streams open in this process, and the shutdown that ends them."""

    def __init__(self, grace_s: float) -> None:
        self.grace_s = grace_s
        self.shutting_down = False
        self._streams: dict[int, ChunkStream] = {}
        self._cut: set[int] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._previous: dict[int, Any] = {}
        self._closing: set[asyncio.Task[None]] = set()

    def track(self, key: object, upstream: ChunkStream) -> None:
        self._streams[id(key)] = upstream

    def untrack(self, key: object) -> None:
        self._streams.pop(id(key), None)

    def was_cut(self, key: object) -> bool:
        return id(key) in self._cut

    def install(self) -> None:
        """Hear the server's shutdown signals too (the server's own handlers still run). Main thread only:
        a server run from another thread (tests) handles no signals either."""
        self._loop = asyncio.get_running_loop()
        if threading.current_thread() is not threading.main_thread():
            return
        for sig in _SIGNALS:
            self._previous[sig] = signal.signal(sig, self._on_signal)

    def uninstall(self) -> None:
        for sig, handler in self._previous.items():
            if signal.getsignal(sig) == self._on_signal:
                signal.signal(sig, handler)
        self._previous.clear()

    def begin(self) -> None:
        """Shutdown has begun: cut what is still streaming shortly before the grace ends."""
        if self.shutting_down:
            return
        self.shutting_down = True
        delay = max(0.0, self.grace_s - min(1.0, self.grace_s / 2))
        assert self._loop is not None
        self._loop.call_later(delay, self.cut_all)

    def cut_all(self) -> None:
        if self._streams:
            log.warning("shutdown: ending %d open stream(s) with an error event", len(self._streams))
        for key, upstream in list(self._streams.items()):
            self._cut.add(key)
            task = self._loop.create_task(upstream.aclose())  # type: ignore[union-attr]
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)

    def _on_signal(self, sig: int, frame: FrameType | None) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self.begin)
        previous = self._previous.get(sig)
        if callable(previous):
            previous(sig, frame)
