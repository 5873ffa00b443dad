"""The former PostgreSQL sketch query, kept only so drift_bench.py can time it beside the current one in one run.

One `count(*) FILTER (WHERE v <= edge)` per numeric edge and one `count(*) FILTER (WHERE v = category)` per kept
category, with filtered moments: about 270 filtered aggregates per row on 20 features (as of the sources' first
version). Same counts as registry.monitoring.sources_pg; not used by Warden itself.
"""

from __future__ import annotations

import numpy as np
import psycopg
from psycopg import sql

from registry.monitoring.binning import NumericBins
from registry.monitoring.reference import FeatureReference, ReferenceProfile
from registry.monitoring.source_config import PostgresSource
from registry.monitoring.source_sketch import FeatureSummary, SourceSketch
from registry.monitoring.sources_pg import connect, table_columns


def _aggregates(feature: FeatureReference, column: sql.Identifier, params: list[object]) -> list[sql.Composable]:
    if not isinstance(feature.bins, NumericBins):
        text = sql.SQL("{}::text").format(column)
        params.extend(feature.bins.categories)
        return [*(sql.SQL("count(*) FILTER (WHERE {} = %s)").format(text) for _ in feature.bins.categories),
                sql.SQL("count({})").format(text)]
    value = sql.SQL("{}::float8").format(column)
    present = sql.SQL("{} < 'NaN'::float8").format(value)
    params.extend(feature.bins.edges)
    return [*(sql.SQL("{}({}) FILTER (WHERE {})").format(sql.SQL(how), term, present) for how, term in (
        ("sum", value), ("sum", sql.SQL("{v} * {v}").format(v=value)), ("min", value), ("max", value))),
        *(sql.SQL("count(*) FILTER (WHERE {} <= %s::float8)").format(value) for _ in feature.bins.edges),
        sql.SQL("count(*) FILTER (WHERE {})").format(present)]


def sketch_postgres_filters(source: PostgresSource, profile: ReferenceProfile) -> SourceSketch:
    columns = source.feature_columns(profile)
    params: list[object] = []
    features = [f for f in profile.features if f.name in columns]
    aggregates: list[sql.Composable] = [sql.SQL("count(*)")]
    for feature in features:
        aggregates += _aggregates(feature, sql.Identifier(columns[feature.name]), params)
    statement = sql.SQL("SELECT {} FROM {}.{}").format(
        sql.SQL(", ").join(aggregates), sql.Identifier(source.schema_name), sql.Identifier(source.table))
    with connect(source) as conn:
        assert table_columns(conn, source.schema_name, source.table)
        row = conn.execute(statement, params).fetchone()
    assert row is not None
    rows, at, sketch = int(row[0]), 1, SourceSketch(rows=int(row[0]))
    for feature in features:
        summary = FeatureSummary(counts=np.zeros(feature.bins.size, dtype=np.int64))
        if isinstance(feature.bins, NumericBins):
            size = len(feature.bins.edges) + 1
            cumulative = np.array(row[at + 4:at + 4 + size], dtype=np.int64)
            summary.counts[:-1], at = np.diff(cumulative, prepend=0), at + 4 + size
        else:
            size = len(feature.bins.categories)
            kept, present = np.array(row[at:at + size], dtype=np.int64), int(row[at + size])
            summary.counts[:size], summary.counts[size], at = kept, present - int(kept.sum()), at + size + 1
        summary.n = int(summary.counts[:-1].sum())
        summary.counts[-1] = summary.n_missing = rows - summary.n
        sketch.features[feature.name] = summary
    return sketch
