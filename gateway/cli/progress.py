"""A one-line progress bar on stderr, redrawn at most a few times a second (no extra dependency)."""

from __future__ import annotations

import time
from typing import TextIO

WIDTH = 30
REDRAW_S = 0.2


class Progress:
    """Shows bytes read against the file size when known, else only the line count and rate."""

    def __init__(self, stream: TextIO, total_bytes: int | None) -> None:
        self.stream = stream
        self.total = total_bytes
        self.started: float | None = None
        self._drawn = 0.0
        self._width = 0

    def update(self, done_bytes: int, lines: int) -> None:
        now = time.monotonic()
        if self.started is None:
            # Timed from the first line, so model loading does not drag the rate down.
            self.started = now
        if now - self._drawn >= REDRAW_S:
            self._drawn = now
            self._draw(done_bytes, lines, now)

    def finish(self, done_bytes: int, lines: int) -> None:
        self._draw(done_bytes, lines, time.monotonic())
        self.stream.write("\n")
        self.stream.flush()

    def clear(self) -> None:
        """Wipe the bar so a message can be written on a clean line (the next update redraws it)."""
        if self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self._width = 0
            self._drawn = 0.0

    def _draw(self, done_bytes: int, lines: int, now: float) -> None:
        rate = lines / max(now - (self.started or now), 1e-6)
        if self.total:
            fraction = min(done_bytes / self.total, 1.0)
            filled = int(fraction * WIDTH)
            head = f"[{'#' * filled}{'.' * (WIDTH - filled)}] {fraction:4.0%} "
        else:
            head = ""
        text = f"scan {head}{lines} lines, {rate:.0f} lines/s"
        self.stream.write("\r" + text.ljust(self._width))
        self._width = len(text)
        self.stream.flush()
