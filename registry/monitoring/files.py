"""Read prediction logs from CSV, Parquet or JSON Lines into ingest records, in batches."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path

import pyarrow as pa

from registry.monitoring.ingest import PredictionRecord

RESERVED = {"model_version", "ts", "prediction", "score", "request_id", "latency_ms", "error"}


def read_table(path: Path) -> pa.Table:
    """Load a log file; the format follows the suffix (.csv, .parquet, .jsonl/.ndjson)."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        from pyarrow import csv

        return csv.read_csv(path)
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        return pq.read_table(path)
    if suffix in {".jsonl", ".ndjson"}:
        from pyarrow import json

        return json.read_json(path)
    raise ValueError(f"unsupported log file {str(path)!r}: expected .csv, .parquet or .jsonl")


def iter_records(table: pa.Table, default_version: str | None = None, batch_size: int = 5000) -> Iterator[list[PredictionRecord]]:
    """Batches of records; every column not reserved (see RESERVED) is a feature."""
    names = table.column_names
    if "ts" not in names:
        raise ValueError(f"log file has no 'ts' column; columns are {names!r}")
    if "model_version" not in names and default_version is None:
        raise ValueError("log file has no 'model_version' column and no --version was given")
    features = [n for n in names if n not in RESERVED]
    for batch in table.to_batches(max_chunksize=batch_size):
        yield [_record(row, features, default_version) for row in batch.to_pylist()]


def _record(row: dict[str, object], features: Sequence[str], default_version: str | None) -> PredictionRecord:
    ts = row["ts"]
    if not isinstance(ts, datetime):
        ts = datetime.fromisoformat(str(ts))
    return PredictionRecord(
        model_version=str(row.get("model_version") or default_version),
        ts=ts,
        features={name: _clean(row[name]) for name in features},
        prediction=_clean(row.get("prediction")),  # type: ignore[arg-type]
        score=_clean(row.get("score")),  # type: ignore[arg-type]
        request_id=None if row.get("request_id") is None else str(row["request_id"]),
        latency_ms=_clean(row.get("latency_ms")),  # type: ignore[arg-type]
        error=bool(row.get("error") or False),
    )


def _clean(value: object) -> float | int | str | bool | None:
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is None or isinstance(value, float | int | str | bool):
        return value
    return str(value)
