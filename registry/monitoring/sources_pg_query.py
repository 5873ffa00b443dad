"""The SQL of the PostgreSQL sketch: one aggregate per feature's bins, decoded from one packed number.

A feature's bin counts are one `sum()` of numeric constants: a row in bin k adds 10^(12k), so the sum holds every
bin's count in its own 12 decimal digits (up to 10^12 - 1 rows a window). The bin is found once per value: a
binary search of CASE comparisons against the reference edges for a numeric feature, a CASE over the kept
categories for a categorical one. The former form, a `count(*) FILTER (WHERE v <= edge)` per edge and category
(~270 filtered aggregates on 20 features), spent most of its time evaluating filters. The query stays a plain
aggregate, so the plan is one parallel sequential scan with partial aggregates.

Moments are plain `sum`/`min`/`max` over the column; a NaN (a float column's own value, not SQL NULL) would
poison them, so the sketch counts NaNs in a digit of their own and, only for a feature that has some, computes
its moments again with a filter (`moment_query`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from psycopg import sql

from registry.monitoring.binning import NumericBins
from registry.monitoring.reference import FeatureReference, ReferenceProfile
from registry.monitoring.source_config import PostgresSource, SourceError
from registry.monitoring.source_sketch import FeatureSummary, SourceSketch
from registry.monitoring.timeutil import as_utc

DIGITS = 12
BASE = 10**DIGITS
PRESENT = "< 'NaN'::float8"  # PostgreSQL sorts NaN above every number: "neither NULL nor NaN"


@dataclass(frozen=True, slots=True)
class Watermark:
    """Read only rows whose `column` is past `after` (all rows when None) and, when set, not past `upto`; report the
    largest value read. `cast` is the column's own type, one of the fixed names in sources_pg, so both compare as it."""

    column: str
    cast: str
    after: str | None = None
    upto: str | None = None


@dataclass(frozen=True, slots=True)
class SketchQuery:
    statement: sql.Composed
    params: list[object]
    features: list[FeatureReference]


def sketch_query(source: PostgresSource, profile: ReferenceProfile, columns: Mapping[str, str],
                 start: datetime | None, end: datetime | None, watermark: Watermark | None = None) -> SketchQuery:
    """The one-scan aggregate: count(*), then per feature its moments (numeric only) and its packed bins; with a
    watermark, last, the largest watermark value of the rows read (as text)."""
    aggregates: list[sql.Composable] = [sql.SQL("count(*)")]
    params: list[object] = []
    chosen = [f for f in profile.features if f.name in columns]
    for feature in chosen:
        column = sql.Identifier(columns[feature.name])
        if isinstance(feature.bins, NumericBins):
            value = sql.SQL("{}::float8").format(column)
            aggregates += [*_moments(value, None), _numeric_bins(value, feature.bins.edges, params)]
        else:
            aggregates.append(_category_bins(sql.SQL("{}::text").format(column), feature.bins.categories, params))
    if watermark is not None:
        aggregates.append(sql.SQL("max({})::text").format(sql.Identifier(watermark.column)))
    return SketchQuery(_select(source, aggregates, start, end, params, watermark), params, chosen)


def moment_query(source: PostgresSource, columns: Sequence[str], start: datetime | None,
                 end: datetime | None, watermark: Watermark | None = None) -> tuple[sql.Composed, list[object]]:
    """Moments of `columns` over the values that are neither NULL nor NaN (four per column, in order)."""
    aggregates: list[sql.Composable] = []
    for column in columns:
        value = sql.SQL("{}::float8").format(sql.Identifier(column))
        aggregates += _moments(value, sql.SQL("{} " + PRESENT).format(value))
    params: list[object] = []
    return _select(source, aggregates, start, end, params, watermark), params


def parse_sketch(row: Sequence[object], features: Sequence[FeatureReference]) -> tuple[SourceSketch, list[str]]:
    """The sketch, and the features whose moments a NaN spoiled (to compute again with `moment_query`)."""
    rows = int(row[0])  # type: ignore[call-overload]
    if rows >= BASE:
        raise SourceError(f"a window of {rows} rows is more than the sketch's packed counts hold ({BASE - 1})")
    sketch, at, with_nan = SourceSketch(rows=rows), 1, []
    for feature in features:
        summary = FeatureSummary(counts=np.zeros(feature.bins.size, dtype=np.int64))
        present_bins = feature.bins.size - 1  # every bin but MISSING
        if isinstance(feature.bins, NumericBins):
            moments, packed, at = row[at:at + 4], row[at + 4], at + 5
            digits = unpack(packed, present_bins + 1)  # the last digit counts NaNs
            if digits[-1]:
                with_nan.append(feature.name)
            else:
                set_moments(summary, moments)
            digits = digits[:-1]
        else:
            digits, at = unpack(row[at], present_bins), at + 1
        summary.counts[:-1] = digits
        summary.n = int(sum(digits))
        summary.counts[-1] = summary.n_missing = rows - summary.n
        sketch.features[feature.name] = summary
    return sketch, with_nan


def set_moments(summary: FeatureSummary, moments: Sequence[object]) -> None:
    if moments[0] is not None:
        total, total_sq, low, high = (float(m) for m in moments)  # type: ignore[arg-type]
        summary.total, summary.total_sq, summary.minimum, summary.maximum = total, total_sq, low, high


def unpack(packed: object, size: int) -> list[int]:
    """The `size` 12-digit counts of a packed sum (NULL when no row was summed)."""
    number = 0 if packed is None else int(str(packed))
    digits = []
    for _ in range(size):
        number, count = divmod(number, BASE)
        digits.append(count)
    return digits


def _moments(value: sql.Composable, present: sql.Composable | None) -> list[sql.Composable]:
    where = sql.SQL("") if present is None else sql.SQL(" FILTER (WHERE {})").format(present)
    terms = (("sum", value), ("sum", sql.SQL("{v} * {v}").format(v=value)), ("min", value), ("max", value))
    return [sql.SQL("{}({}){}").format(sql.SQL(how), term, where) for how, term in terms]


def _weight(k: int) -> sql.Composable:
    return sql.SQL(f"1e{DIGITS * k}")  # an integer this module makes, never a value from outside


def _numeric_bins(value: sql.Composable, edges: Sequence[float], params: list[object]) -> sql.Composable:
    # Bin k holds (edge[k-1], edge[k]], as numpy's searchsorted(side="left") bins; digit len(edges)+1 counts NaN.
    return sql.SQL("sum({})::text").format(_search(value, edges, 0, len(edges), params))


def _search(value: sql.Composable, edges: Sequence[float], low: int, high: int, params: list[object]) -> sql.Composable:
    if low == high == len(edges):
        # NULL and NaN fail every `<= edge` and so end in the last bin: told apart there only, not on every value.
        return sql.SQL("CASE WHEN {v} " + PRESENT + " THEN {last} WHEN {v} IS NOT NULL THEN {nan} END").format(
            v=value, last=_weight(low), nan=_weight(low + 1))
    if low == high:
        return _weight(low)
    middle = (low + high) // 2
    params.append(edges[middle])
    below = _search(value, edges, low, middle, params)
    above = _search(value, edges, middle + 1, high, params)
    return sql.SQL("CASE WHEN {} <= %s::float8 THEN {} ELSE {} END").format(value, below, above)


def _category_bins(text: sql.Composable, categories: Sequence[str], params: list[object]) -> sql.Composable:
    # A NULL matches no WHEN; only then is it told apart from OTHER, so kept values pay no NULL test.
    other = sql.SQL("CASE WHEN {} IS NOT NULL THEN {} END").format(text, _weight(len(categories)))
    if not categories:
        return sql.SQL("sum({})::text").format(other)
    params.extend(categories)
    kept = sql.SQL(" ").join(sql.SQL("WHEN %s::text THEN {}").format(_weight(k)) for k in range(len(categories)))
    return sql.SQL("sum(CASE {} {} ELSE {} END)::text").format(text, kept, other)


def _select(source: PostgresSource, aggregates: list[sql.Composable], start: datetime | None, end: datetime | None,
            params: list[object], watermark: Watermark | None = None) -> sql.Composed:
    where = _where(source, start, end, params, watermark)
    return sql.SQL("SELECT {} FROM {}.{}{}").format(
        sql.SQL(", ").join(aggregates), sql.Identifier(source.schema_name), sql.Identifier(source.table), where)


def _where(source: PostgresSource, start: datetime | None, end: datetime | None, params: list[object],
           watermark: Watermark | None) -> sql.Composable:
    clauses = []
    for bound, value in (("{} > %s::", None if watermark is None else watermark.after),
                         ("{} <= %s::", None if watermark is None else watermark.upto)):
        if watermark is not None and value is not None:
            # The cast is one of sources_pg's fixed type names, never text from the config.
            clauses.append(sql.SQL(bound + watermark.cast).format(sql.Identifier(watermark.column)))
            params.append(value)
    if source.time_column is None or (start is None and end is None):
        return sql.SQL(" WHERE ") + sql.SQL(" AND ").join(clauses) if clauses else sql.SQL("")
    time = sql.Identifier(source.time_column)
    if start is not None:
        clauses.append(sql.SQL("{} >= %s").format(time))
        params.append(as_utc(start))
    if end is not None:
        clauses.append(sql.SQL("{} < %s").format(time))
        params.append(as_utc(end))
    return sql.SQL(" WHERE ") + sql.SQL(" AND ").join(clauses)
