"""Sketch a PostgreSQL table in place: one aggregate query, one scan, one row back.

Against the reference's frozen bins, each numeric feature is a few cumulative counts (`count(*) FILTER (WHERE v <=
edge)`) and its moments, each categorical feature a count per kept category and its non-null count; bins, OTHER and
MISSING are differences of those. Plain comparison filters keep the plan a single parallel sequential scan (a bin
index computed in a subquery would be re-evaluated by every filter once the planner flattens it, and `OFFSET 0`
to stop that forbids parallelism). Nothing but the sketch leaves the database. Table and column names come from
the config and are checked against information_schema before use, then quoted; every value is a parameter.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import psycopg
from psycopg import sql

from registry.monitoring.binning import CategoricalBins, NumericBins
from registry.monitoring.reference import FeatureReference, ReferenceProfile
from registry.monitoring.source_config import PostgresSource, SourceError
from registry.monitoring.source_sketch import FeatureSummary, SourceSketch
from registry.monitoring.timeutil import as_utc

NUMERIC_TYPES = {"smallint", "integer", "bigint", "real", "double precision", "numeric"}
TIME_TYPES = {"timestamp with time zone", "timestamp without time zone", "date"}


@dataclass(frozen=True, slots=True)
class _Query:
    statement: sql.Composed
    params: list[object]
    features: list[FeatureReference]


def connect(source: PostgresSource) -> psycopg.Connection:
    dsn = os.environ.get(source.dsn_env)
    if not dsn:
        raise SourceError(f"environment variable {source.dsn_env!r} (the source's DSN) is not set")
    conn = psycopg.connect(dsn, autocommit=True)
    conn.execute("SET TIME ZONE 'UTC'")  # windows are UTC; a timestamp-without-zone column is read as UTC too
    return conn


def sketch_postgres(source: PostgresSource, profile: ReferenceProfile, start: datetime | None = None,
                    end: datetime | None = None, connection: psycopg.Connection | None = None) -> SourceSketch:
    """The sketch of the rows of `source` with `start <= time_column < end` (every row without a window)."""
    owned = connection is None
    conn = connection or connect(source)
    try:
        columns = source.feature_columns(profile)
        types = table_columns(conn, source.schema_name, source.table)
        _check(source, profile, columns, types, start is not None or end is not None)
        query = build_query(source, profile, columns, start, end)
        row = conn.execute(query.statement, query.params).fetchone()
    finally:
        if owned:
            conn.close()
    assert row is not None  # an aggregate without GROUP BY always returns one row
    return _parse(row, query.features)


def table_columns(conn: psycopg.Connection, schema: str, table: str) -> dict[str, str]:
    """Column name -> data type of an existing table or view (empty when there is none)."""
    rows = conn.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = %s AND table_name = %s",
        [schema, table],
    ).fetchall()
    return {str(name): str(kind) for name, kind in rows}


def _check(source: PostgresSource, profile: ReferenceProfile, columns: Mapping[str, str], types: Mapping[str, str],
           windowed: bool) -> None:
    where = f"{source.schema_name}.{source.table}"
    if not types:
        raise SourceError(f"table {where!r} does not exist or is not visible to the source's user")
    missing = sorted(set(columns.values()) - set(types))
    if missing:
        raise SourceError(f"columns {missing!r} are not in table {where!r}; it has {sorted(types)!r}")
    for feature in profile.features:
        column = columns.get(feature.name)
        if column is not None and feature.kind == "numeric" and types[column] not in NUMERIC_TYPES:
            raise SourceError(f"column {column!r} of {where!r} is {types[column]!r}; feature {feature.name!r} is numeric")
    if windowed:
        if source.time_column is None:
            raise SourceError("a window needs the source's time_column")
        if types.get(source.time_column) not in TIME_TYPES:
            raise SourceError(f"time column {source.time_column!r} of {where!r} is not a timestamp or missing")


def build_query(source: PostgresSource, profile: ReferenceProfile, columns: Mapping[str, str],
                start: datetime | None, end: datetime | None) -> _Query:
    """The one-scan aggregate. Every aggregate is a plain comparison FILTER, so the plan stays one parallel scan."""
    aggregates: list[sql.Composable] = [sql.SQL("count(*)")]
    params: list[object] = []
    chosen = [f for f in profile.features if f.name in columns]
    for feature in chosen:
        column = sql.Identifier(columns[feature.name])
        if isinstance(feature.bins, NumericBins):
            aggregates += _numeric_aggregates(sql.SQL("{}::float8").format(column), feature.bins, params)
        else:
            aggregates += _category_aggregates(sql.SQL("{}::text").format(column), feature.bins, params)
    statement = sql.SQL("SELECT {} FROM {}.{}{}").format(
        sql.SQL(", ").join(aggregates), sql.Identifier(source.schema_name), sql.Identifier(source.table),
        _where(source, start, end, params),
    )
    return _Query(statement, params, chosen)


def _numeric_aggregates(value: sql.Composable, bins: NumericBins, params: list[object]) -> list[sql.Composable]:
    # PostgreSQL sorts NaN above every number, so `value < 'NaN'` is "present" (neither NULL nor NaN), and
    # `value <= edge` counts the present values up to an edge: bins are differences of these cumulative counts,
    # (lo, hi] exactly as numpy's searchsorted(side="left") bins them.
    present = sql.SQL("{} < 'NaN'::float8").format(value)
    moments = [sql.SQL("{}({}) FILTER (WHERE {})").format(sql.SQL(how), term, present) for how, term in (
        ("sum", value), ("sum", sql.SQL("{v} * {v}").format(v=value)), ("min", value), ("max", value))]
    params.extend(bins.edges)
    cumulative = [sql.SQL("count(*) FILTER (WHERE {} <= %s::float8)").format(value) for _ in bins.edges]
    return [*moments, *cumulative, sql.SQL("count(*) FILTER (WHERE {})").format(present)]


def _category_aggregates(text: sql.Composable, bins: CategoricalBins, params: list[object]) -> list[sql.Composable]:
    params.extend(bins.categories)
    kept = [sql.SQL("count(*) FILTER (WHERE {} = %s)").format(text) for _ in bins.categories]
    return [*kept, sql.SQL("count({})").format(text)]


def _parse(row: Sequence[object], features: Sequence[FeatureReference]) -> SourceSketch:
    rows = int(row[0])  # type: ignore[call-overload]
    sketch, at = SourceSketch(rows=rows), 1
    for feature in features:
        summary = FeatureSummary(counts=np.zeros(feature.bins.size, dtype=np.int64))
        if isinstance(feature.bins, NumericBins):
            moments, at = row[at:at + 4], at + 4
            cumulative = np.array(row[at:at + len(feature.bins.edges) + 1], dtype=np.int64)
            at += len(feature.bins.edges) + 1
            summary.counts[:-1] = np.diff(cumulative, prepend=0)
            if moments[0] is not None:
                total, total_sq, low, high = (float(m) for m in moments)  # type: ignore[arg-type]
                summary.total, summary.total_sq, summary.minimum, summary.maximum = total, total_sq, low, high
        else:
            size = len(feature.bins.categories)
            kept, present = np.array(row[at:at + size], dtype=np.int64), int(row[at + size])  # type: ignore[call-overload]
            at += size + 1
            summary.counts[:size], summary.counts[size] = kept, present - int(kept.sum())
        summary.n = int(summary.counts[:-1].sum())
        summary.counts[-1] = summary.n_missing = rows - summary.n
        sketch.features[feature.name] = summary
    return sketch


def _where(source: PostgresSource, start: datetime | None, end: datetime | None, params: list[object]) -> sql.Composable:
    if source.time_column is None or (start is None and end is None):
        return sql.SQL("")
    time = sql.Identifier(source.time_column)
    clauses = []
    if start is not None:
        clauses.append(sql.SQL("{} >= %s").format(time))
        params.append(as_utc(start))
    if end is not None:
        clauses.append(sql.SQL("{} < %s").format(time))
        params.append(as_utc(end))
    return sql.SQL(" WHERE ") + sql.SQL(" AND ").join(clauses)

