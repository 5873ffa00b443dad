"""Sketch a PostgreSQL table in place: one aggregate query, one parallel scan, one row back.

The query (sources_pg_query) computes each value's bin once and packs a feature's bin counts into one sum, so
nothing but the sketch leaves the database. Table and column names come from the config and are checked against
information_schema before use, then quoted; every value from the reference (edges, categories) is a parameter.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime

import psycopg

from registry.monitoring.reference import ReferenceProfile
from registry.monitoring.source_config import PostgresSource, SourceError
from registry.monitoring.source_sketch import SourceSketch
from registry.monitoring.sources_pg_increments import IncrementStore, increment_key
from registry.monitoring.sources_pg_query import Watermark, moment_query, parse_sketch, set_moments, sketch_query

NUMERIC_TYPES = {"smallint", "integer", "bigint", "real", "double precision", "numeric"}
TIME_TYPES = {"timestamp with time zone", "timestamp without time zone", "date"}


def connect(source: PostgresSource) -> psycopg.Connection:
    dsn = os.environ.get(source.dsn_env)
    if not dsn:
        raise SourceError(f"environment variable {source.dsn_env!r} (the source's DSN) is not set")
    conn = psycopg.connect(dsn, autocommit=True)
    conn.execute("SET TIME ZONE 'UTC'")  # windows are UTC; a timestamp-without-zone column is read as UTC too
    return conn


def sketch_postgres(source: PostgresSource, profile: ReferenceProfile, start: datetime | None = None,
                    end: datetime | None = None, connection: psycopg.Connection | None = None,
                    increments: IncrementStore | None = None) -> SourceSketch:
    """The sketch of the rows of `source` with `start <= time_column < end` (every row without a window).

    With `increments` and the source's `watermark_column`, the window's sketch kept by the last check is continued:
    only rows past its watermark are read (sources_pg_increments)."""
    owned = connection is None
    conn = connection or connect(source)
    try:
        columns = source.feature_columns(profile)
        types = table_columns(conn, source.schema_name, source.table)
        _check(source, profile, columns, types, start is not None or end is not None)
        if increments is None or source.watermark_column is None:
            return _scan(conn, source, profile, columns, start, end, None)[0]
        mark = Watermark(source.watermark_column, _watermark_type(conn, source, types))
        key = increment_key(source, profile, columns, start, end)
        kept = increments.load(key)
        if kept is not None:
            mark = replace(mark, after=kept[1])
        sketch, top = _scan(conn, source, profile, columns, start, end, mark)
        if kept is not None:
            sketch = kept[0].merge(sketch)
        increments.save(key, sketch, top if top is not None else mark.after)
        return sketch
    finally:
        if owned:
            conn.close()


def _scan(conn: psycopg.Connection, source: PostgresSource, profile: ReferenceProfile, columns: Mapping[str, str],
          start: datetime | None, end: datetime | None, mark: Watermark | None) -> tuple[SourceSketch, str | None]:
    """One aggregate scan; with a watermark, also the largest value of it among the rows read."""
    query = sketch_query(source, profile, columns, start, end, mark)
    row = conn.execute(query.statement, query.params).fetchone()
    assert row is not None  # an aggregate without GROUP BY always returns one row
    sketch, with_nan = parse_sketch(row, query.features)
    if with_nan:  # rare: NaN stored in a float column spoils that feature's plain moments
        # Over the rows the first scan read: not past its largest watermark, whatever was added since.
        upto = None if mark is None else replace(mark, upto=row[-1])
        statement, params = moment_query(source, [columns[name] for name in with_nan], start, end, upto)
        moments = conn.execute(statement, params).fetchone()
        assert moments is not None
        for i, name in enumerate(with_nan):
            set_moments(sketch.features[name], moments[4 * i:4 * i + 4])
    return sketch, None if mark is None else row[-1]


def _watermark_type(conn: psycopg.Connection, source: PostgresSource, types: Mapping[str, str]) -> str:
    """The watermark column's type, from the fixed list of orderable types; refuses a nullable column."""
    column, where = source.watermark_column, f"{source.schema_name}.{source.table}"
    kind = types.get(column or "")
    if kind not in NUMERIC_TYPES | TIME_TYPES:
        raise SourceError(f"watermark column {column!r} of {where!r} is {kind!r}: it needs a number or a timestamp")
    nullable = conn.execute(
        "SELECT is_nullable FROM information_schema.columns WHERE table_schema = %s AND table_name = %s "
        "AND column_name = %s", [source.schema_name, source.table, column]).fetchone()
    if nullable is None or nullable[0] != "NO":
        raise SourceError(f"watermark column {column!r} of {where!r} must be NOT NULL (a NULL is never past it)")
    return kind


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
