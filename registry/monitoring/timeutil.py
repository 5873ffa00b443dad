"""Zone-aware UTC timestamps, as SQLModel's UTCDateTime stores and returns them on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """A time converted to aware UTC; a naive time is taken to be UTC already."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def bucket_start(moment: datetime, bucket_seconds: int) -> datetime:
    """The start of the fixed bucket holding `moment` (buckets are aligned on the Unix epoch)."""
    epoch = int(as_utc(moment).timestamp())
    return datetime.fromtimestamp(epoch - epoch % bucket_seconds, UTC)
