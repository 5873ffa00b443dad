"""What makes a usage row safe to write and to spool: values fitted to their columns, one JSON line a row."""

from __future__ import annotations

from datetime import datetime

import orjson
from registry.tables import UsageRecord


def _string_limits() -> dict[str, int]:
    table = UsageRecord.__table__  # type: ignore[attr-defined]
    # sqlmodel's AutoString is a TypeDecorator, not a String: read the length wherever the type keeps it.
    limits = {c.name: getattr(c.type, "length", None) for c in table.columns}
    return {name: length for name, length in limits.items() if isinstance(length, int) and length > 0}


_LIMITS = _string_limits()


def fit(record: UsageRecord) -> UsageRecord:
    """Clip text to its column and drop NUL characters (PostgreSQL refuses both), in place."""
    for name, limit in _LIMITS.items():
        value = getattr(record, name)
        if isinstance(value, str) and (len(value) > limit or "\x00" in value):
            setattr(record, name, value.replace("\x00", "")[:limit])
    return record


def encode(record: UsageRecord) -> bytes:
    return orjson.dumps(record.model_dump(mode="json"))


def decode(line: bytes) -> UsageRecord:
    data = orjson.loads(line)
    data["created_at"] = datetime.fromisoformat(data["created_at"])
    # Spool files from before row ids: those rows were keyed by their (then unique) request id.
    data.setdefault("id", data["request_id"])
    return fit(UsageRecord(**data))
