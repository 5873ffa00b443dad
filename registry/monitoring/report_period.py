"""Which stretch of history a monitoring report covers: everything (the default), up to a moment (`--as-of`), or
the windows between two moments (`--since/--until`, e.g. back-filled history replayed with `monitor run --since`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from sqlmodel.sql.expression import SelectOfScalar

from registry.monitoring.tables import AlertRecord, CheckResult
from registry.monitoring.timeutil import as_utc

Q = TypeVar("Q", bound=SelectOfScalar)  # type: ignore[type-arg]


@dataclass(frozen=True, slots=True)
class ReportPeriod:
    """Check results count by the end of their window (since < window_end <= until); alerts by when they were
    raised (since <= created_at <= until). Either bound may be open."""

    since: datetime | None = None
    until: datetime | None = None

    def __post_init__(self) -> None:
        if self.since is not None and self.until is not None and as_utc(self.since) >= as_utc(self.until):
            raise ValueError(f"--until {self.until.isoformat()} is not after --since {self.since.isoformat()}")

    @classmethod
    def of(cls, as_of: datetime | None, since: datetime | None, until: datetime | None) -> ReportPeriod:
        """From the CLI's options: `--as-of T` is `--until T` from the beginning; it cannot be mixed with them."""
        if as_of is not None and (since is not None or until is not None):
            raise ValueError("--as-of cannot be combined with --since/--until")
        return cls(since=since, until=as_of if as_of is not None else until)

    def results(self, query: Q) -> Q:
        if self.since is not None:
            query = query.where(CheckResult.window_end > as_utc(self.since))
        if self.until is not None:
            query = query.where(CheckResult.window_end <= as_utc(self.until))
        return query

    def alerts(self, query: Q) -> Q:
        if self.since is not None:
            query = query.where(AlertRecord.created_at >= as_utc(self.since))
        if self.until is not None:
            query = query.where(AlertRecord.created_at <= as_utc(self.until))
        return query

    def describe(self) -> dict[str, str | None]:
        return {"since": None if self.since is None else as_utc(self.since).isoformat(),
                "until": None if self.until is None else as_utc(self.until).isoformat()}
