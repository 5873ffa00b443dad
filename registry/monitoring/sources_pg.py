"""Sketch a PostgreSQL table in place: one aggregate query, one scan, one row back.

Each feature's bin index is computed by the database against the reference's frozen bins: numeric values with
`width_bucket` on the (negated, reversed) edges, so a value equal to an edge lands in the same `(lo, hi]` bin as
in Python; categories with `array_position` on the kept categories. Counts per bin, missing counts and moments
are `FILTER`ed aggregates over those indexes, so nothing but the sketch leaves the database. The table and column
names come from the config and are checked against information_schema before use; every value is a parameter.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import psycopg
from psycopg import sql

from registry.monitoring.binning import CategoricalBins, NumericBins
from registry.monitoring.reference import FeatureReference, ReferenceProfile
from registry.monitoring.source_config import PostgresSource, SourceError
from registry.monitoring.source_sketch import SourceSketch, from_aggregate_row
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
    return from_aggregate_row(row, query.features)


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
    """The one-scan aggregate: an inner SELECT computes bin indexes (and NaN-free values), the outer one counts."""
    inner: list[sql.Composable] = []
    outer: list[sql.Composable] = [sql.SQL("count(*)")]
    params: list[object] = []
    chosen = [f for f in profile.features if f.name in columns]
    for i, feature in enumerate(chosen):
        column = sql.Identifier(columns[feature.name])
        index, value = sql.Identifier(f"b{i}"), sql.Identifier(f"v{i}")
        missing = feature.bins.size - 1
        if isinstance(feature.bins, NumericBins):
            clean = sql.SQL("NULLIF({}::float8, 'NaN'::float8)").format(column)
            inner.append(sql.SQL("{} AS {}").format(clean, value))
            inner.append(sql.SQL("{} AS {}").format(_numeric_index(clean, feature.bins, params), index))
            outer += [sql.SQL("sum({v}), sum({v} * {v}), min({v}), max({v})").format(v=value)]
        else:
            inner.append(sql.SQL("{} AS {}").format(_category_index(column, feature.bins, params), index))
        outer += [sql.SQL("count(*) FILTER (WHERE {} = {})").format(index, sql.Literal(k)) for k in range(missing + 1)]
    statement = sql.SQL("SELECT {} FROM (SELECT {} FROM {}.{}{}) AS sketch").format(
        sql.SQL(", ").join(outer), sql.SQL(", ").join(inner or [sql.SQL("1")]),
        sql.Identifier(source.schema_name), sql.Identifier(source.table), _where(source, start, end, params),
    )
    return _Query(statement, params, chosen)


def _numeric_index(clean: sql.Composable, bins: NumericBins, params: list[object]) -> sql.Composable:
    # Bin i holds (edge[i-1], edge[i]]: its index is the number of edges strictly below the value, which is
    # len(edges) minus the number of edges >= value, i.e. width_bucket(-value, the negated edges ascending).
    missing = sql.Literal(bins.size - 1)
    if not bins.edges:
        return sql.SQL("CASE WHEN {} IS NULL THEN {} ELSE 0 END").format(clean, missing)
    params.append([-e for e in reversed(bins.edges)])
    return sql.SQL("CASE WHEN {c} IS NULL THEN {m} ELSE {n} - width_bucket(-{c}, %s::float8[]) END").format(
        c=clean, m=missing, n=sql.Literal(len(bins.edges)))


def _category_index(column: sql.Composable, bins: CategoricalBins, params: list[object]) -> sql.Composable:
    params.append(list(bins.categories))
    other = len(bins.categories)
    return sql.SQL("CASE WHEN {c} IS NULL THEN {m} ELSE coalesce(array_position(%s::text[], {c}::text) - 1, {o}) END").format(
        c=column, m=sql.Literal(other + 1), o=sql.Literal(other))


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

