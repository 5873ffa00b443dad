"""What makes a usage row cheap to build, safe to write and to spool: a plain row object on the request path
(no ORM state), values fitted to their columns, one JSON line a row.

`UsageRecord` (registry/tables.py) is the table; building one costs hundreds of microseconds of SQLModel and
SQLAlchemy bookkeeping, so the request path builds a `UsageRow` instead and the writer inserts plain values."""

from __future__ import annotations

import random
from dataclasses import dataclass, field, fields
from datetime import datetime

import orjson
from registry.tables import UsageRecord, utcnow


def fast_row_id() -> str:
    """32 hex digits, like `uuid4().hex`, without a system call per row. `random` is seeded from the OS at start and
    reseeded in every forked worker, and these ids are keys, not secrets."""
    return f"{random.getrandbits(128):032x}"


@dataclass(slots=True)
class UsageRow:
    """One `usage` table row as plain values; the field names are the table's column names."""

    request_id: str
    id: str = field(default_factory=fast_row_id)
    created_at: datetime = field(default_factory=utcnow)
    endpoint: str = "chat"
    team: str | None = None
    key_id: str | None = None
    end_user: str | None = None
    requested_model: str | None = None
    served_model: str | None = None
    deployment: str | None = None
    provider: str | None = None
    stream: bool = False
    cache_hit: bool = False
    status_code: int = 200
    status: str = "ok"
    error_type: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0
    cost_usd: float = 0.0
    cost_known: bool = True
    latency_ms: float = 0.0
    upstream_ms: float = 0.0
    overhead_ms: float = 0.0
    attempts: int = 0
    fallback_from: str | None = None
    prompt_name: str | None = None
    prompt_label: str | None = None
    prompt_commit: str | None = None
    prompt_template_hash: str | None = None
    guardrails: list[dict[str, object]] | None = None
    registry_model: str | None = None
    registry_version: str | None = None
    policy: dict[str, object] | None = None
    chunks_removed: int = 0
    chunks_cited: list[str] | None = None


COLUMNS = tuple(f.name for f in fields(UsageRow))


def as_row(record: UsageRow | UsageRecord) -> UsageRow:
    """A `UsageRow` from either shape (callers outside the request path may still hand a `UsageRecord`)."""
    if isinstance(record, UsageRow):
        return record
    return UsageRow(**{name: getattr(record, name) for name in COLUMNS})


def values(row: UsageRow) -> dict[str, object]:
    """The row as column values for an INSERT."""
    return {name: getattr(row, name) for name in COLUMNS}


def _string_limits() -> dict[str, int]:
    table = UsageRecord.__table__  # type: ignore[attr-defined]
    # sqlmodel's AutoString is a TypeDecorator, not a String: read the length wherever the type keeps it.
    limits = {c.name: getattr(c.type, "length", None) for c in table.columns}
    return {name: length for name, length in limits.items() if isinstance(length, int) and length > 0}


_LIMITS = _string_limits()


def fit(record: UsageRow) -> UsageRow:
    """Clip text to its column and drop NUL characters (PostgreSQL refuses both), in place."""
    for name, limit in _LIMITS.items():
        value = getattr(record, name)
        if isinstance(value, str) and (len(value) > limit or "\x00" in value):
            setattr(record, name, value.replace("\x00", "")[:limit])
    return record


def encode(record: UsageRow) -> bytes:
    return orjson.dumps(values(record))


def decode(line: bytes) -> UsageRow:
    data = orjson.loads(line)
    data["created_at"] = datetime.fromisoformat(data["created_at"])
    # Spool files from before row ids: those rows were keyed by their (then unique) request id.
    data.setdefault("id", data["request_id"])
    unknown = set(data) - set(COLUMNS)
    if unknown:
        raise ValueError(f"unknown usage columns {sorted(unknown)!r}")
    return fit(UsageRow(**data))
