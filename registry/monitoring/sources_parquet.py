"""Sketch a Parquet dataset in place: row groups streamed and sketched in parallel threads, in bounded memory.

Each task reads one row group (only the needed columns, pruned by the time filter's statistics) and folds it into
a small sketch, so memory holds at most `threads` row groups at once whatever the dataset's size. Decoding and the
numpy/Arrow kernels release the GIL, so the threads use every core.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds

from registry.monitoring.reference import ReferenceProfile
from registry.monitoring.source_config import ParquetSource, SourceError
from registry.monitoring.source_sketch import SourceSketch, empty_summary, sketch_table
from registry.monitoring.timeutil import as_utc


def sketch_parquet(source: ParquetSource, profile: ReferenceProfile, start: datetime | None = None,
                   end: datetime | None = None) -> SourceSketch:
    """The sketch of the rows of `source` with `start <= time < end` (every row when no window is given)."""
    dataset = _open(source.path)
    columns = source.feature_columns(profile)
    missing = sorted(set(columns.values()) - set(dataset.schema.names))
    if missing:
        raise SourceError(f"columns {missing!r} are not in {source.path!r}; it has {dataset.schema.names!r}")
    where = _window(dataset.schema, source.time_column, start, end)
    threads = source.threads or os.cpu_count() or 1
    needed = sorted(set(columns.values()))
    total = SourceSketch()
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="parquet-sketch") as pool:
        pending: list[Future[SourceSketch]] = []
        for piece in _row_groups(dataset, where):
            pending.append(pool.submit(_sketch_piece, piece, needed, where, profile, columns))
            if len(pending) >= 2 * threads:  # bounded: never more than a few row groups queued
                total.merge(pending.pop(0).result())
        for future in pending:
            total.merge(future.result())
    for feature in profile.features:  # a window with no rows still yields (empty) counts for every feature
        if feature.name in columns and feature.name not in total.features:
            total.features[feature.name] = empty_summary(feature)
    return total


def _open(path: str) -> ds.Dataset:
    if any(ch in path for ch in "*?["):
        files = sorted(glob.glob(path, recursive=True))
        if not files:
            raise SourceError(f"no Parquet file matches {path!r}")
        return ds.dataset(files, format="parquet")
    if not Path(path).exists():
        raise SourceError(f"Parquet path {path!r} does not exist")
    return ds.dataset(path, format="parquet")


def _window(schema: pa.Schema, time_column: str | None, start: datetime | None, end: datetime | None) -> ds.Expression | None:
    if start is None and end is None:
        return None
    if time_column is None:
        raise SourceError("a window needs the source's time_column")
    if time_column not in schema.names:
        raise SourceError(f"time column {time_column!r} is not in the dataset; it has {schema.names!r}")
    kind = schema.field(time_column).type
    if not pa.types.is_timestamp(kind):
        raise SourceError(f"time column {time_column!r} is {kind}, not a timestamp")
    field = ds.field(time_column)
    bounds = []
    for moment, keep in ((start, lambda v: field >= v), (end, lambda v: field < v)):
        if moment is not None:
            utc = as_utc(moment)
            bounds.append(keep(pa.scalar(utc if kind.tz else utc.replace(tzinfo=None), type=kind)))
    return bounds[0] if len(bounds) == 1 else bounds[0] & bounds[1]


def _row_groups(dataset: ds.Dataset, where: ds.Expression | None) -> Iterator[ds.Fragment]:
    for fragment in dataset.get_fragments(filter=where):
        # Row groups whose statistics rule out the window are dropped here, before any read.
        yield from fragment.split_by_row_group(filter=where)


def _sketch_piece(piece: ds.Fragment, needed: list[str], where: ds.Expression | None, profile: ReferenceProfile,
                  columns: dict[str, str]) -> SourceSketch:
    table = piece.to_table(columns=needed, filter=where, use_threads=False)
    return sketch_table(profile, columns, table)
