"""Usage rows the database refuses for what they contain. They go to a file beside the spool, so they never
block other rows, and are counted and logged by row id and error type only (values stay out of logs)."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import orjson

from registry.usage_rows import UsageRow, values

log = logging.getLogger("warden.usage")


class Quarantine:
    """Appends refused rows to `<spool>/quarantine/usage-<ms>-<pid>.jsonl`, one JSON object a line."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0

    def add(self, row: UsageRow | bytes, error: BaseException) -> None:
        reason = type(error).__name__
        if isinstance(row, UsageRow):
            entry: dict[str, object] = {"error": reason, "row": values(row)}
            what = f"row {row.id}"
        else:
            entry = {"error": reason, "line": row.decode("utf-8", "replace")}
            what = "an unreadable spool line"
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"usage-{int(time.time() * 1000)}-{os.getpid()}.jsonl"
        with path.open("ab") as handle:
            # default=str: a value the database could not take may not be JSON either; keep what it says.
            handle.write(orjson.dumps(entry, default=str) + b"\n")
        self.count += 1
        log.error("usage: %s quarantined to %s (%s)", what, path, reason)
