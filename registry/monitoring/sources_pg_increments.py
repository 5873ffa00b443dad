"""Incremental sketches of a PostgreSQL source: the sketch of a window is kept in the registry with the largest
watermark value read, and the next check of the same window reads only the rows past it and merges them.

Sketches merge exactly (bin and category counts, present and missing counts, sums, minimum and maximum), so the
merged sketch is the one a full scan would compute, up to float rounding in the sums. It is kept per source (the
DSN's hash, table, column mapping, watermark column) and window; the reference profile's fingerprint is stored with
it, and a check binned against another profile (new edges, categories or columns) scans in full and replaces it.

What it relies on: the watermark column is NOT NULL and rows become visible in its order. An id from a sequence
used by several concurrent writers can commit out of order (id 101 visible before 100): 100 would then never be
read. Load such a table in batches, or use a watermark that a single writer assigns.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from sqlalchemy.engine import Engine
from sqlmodel import Session

from registry.monitoring.reference import ReferenceProfile
from registry.monitoring.source_config import PostgresSource
from registry.monitoring.source_sketch import FeatureSummary, SourceSketch
from registry.monitoring.tables import SourceSketchState
from registry.monitoring.timeutil import as_utc, utc_now


@dataclass(frozen=True, slots=True)
class IncrementKey:
    """Which kept sketch a check may continue (`key`) and what it must have been binned with (`fingerprint`)."""

    key: str
    fingerprint: str
    source: str
    start: datetime | None
    end: datetime | None


def increment_key(source: PostgresSource, profile: ReferenceProfile, columns: Mapping[str, str],
                  start: datetime | None, end: datetime | None) -> IncrementKey:
    dsn = os.environ.get(source.dsn_env, "")
    window = [None if t is None else as_utc(t).isoformat() for t in (start, end)]
    identity = {"dsn": hashlib.sha256(dsn.encode()).hexdigest(), "schema": source.schema_name, "table": source.table,
                "time": source.time_column, "watermark": source.watermark_column, "window": window}
    binned = {"profile": profile.to_json(), "columns": dict(sorted(columns.items()))}
    return IncrementKey(_digest(identity), _digest(binned), f"{source.schema_name}.{source.table}"[:300],
                        None if start is None else as_utc(start), None if end is None else as_utc(end))


class IncrementStore:
    """The kept sketches, in the registry database (`monitoring_source_sketch`)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def load(self, key: IncrementKey) -> tuple[SourceSketch, str | None] | None:
        """The kept sketch and watermark of `key`, or None when there is none or it was binned otherwise."""
        with Session(self.engine) as session:
            row = session.get(SourceSketchState, key.key)
            if row is None or row.fingerprint != key.fingerprint:
                return None
            return sketch_from_json(row.sketch), row.watermark

    def save(self, key: IncrementKey, sketch: SourceSketch, watermark: str | None) -> None:
        with Session(self.engine) as session:
            row = session.get(SourceSketchState, key.key) or SourceSketchState(key=key.key, fingerprint="", source="")
            row.fingerprint, row.source, row.window_start, row.window_end = (key.fingerprint, key.source, key.start,
                                                                             key.end)
            row.watermark, row.rows, row.sketch, row.updated_at = watermark, sketch.rows, sketch.to_json(), utc_now()
            session.add(row)
            session.commit()


def sketch_from_json(data: Mapping[str, object]) -> SourceSketch:
    """The inverse of `SourceSketch.to_json`."""
    features = data.get("features") or {}
    assert isinstance(features, dict)
    sketch = SourceSketch(rows=int(data.get("rows") or 0))  # type: ignore[call-overload]
    for name, item in features.items():
        sketch.features[name] = FeatureSummary(
            counts=np.array(item["counts"], dtype=np.int64), n=int(item["n"]), n_missing=int(item["n_missing"]),
            total=float(item["total"]), total_sq=float(item["total_sq"]),
            minimum=None if item["minimum"] is None else float(item["minimum"]),
            maximum=None if item["maximum"] is None else float(item["maximum"]))
    return sketch


def _digest(value: object) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()
