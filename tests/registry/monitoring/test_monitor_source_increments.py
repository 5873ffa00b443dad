"""Incremental sketches of a PostgreSQL source (real PostgreSQL for the source; the registry on SQLite and on
PostgreSQL): a repeated check of a window reads only the rows past the watermark, and what it returns equals a
full scan of the same rows; a sketch binned against another reference is never continued."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import psycopg
import pytest
from monitor_synth import START, reference_columns
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from test_monitor_sources import DSN_ENV, source_db  # noqa: F401  (fixture)

from registry.monitoring.reference import ReferenceProfile, build_profile
from registry.monitoring.source_config import PostgresSource, SourceError
from registry.monitoring.source_sketch import SourceSketch
from registry.monitoring.sources_pg import sketch_postgres
from registry.monitoring.sources_pg_increments import IncrementStore
from registry.monitoring.tables import SourceSketchState

COLUMNS = ("id", "ts", "x", "y", "colour")


def _profile(seed: int = 1, n_bins: int = 10) -> ReferenceProfile:
    ref = reference_columns(4000, seed=seed)
    return build_profile({"x": ref["x"], "y": ref["y"], "colour": ref["colour"]}, n_bins=n_bins)


def _append(dsn: str, first_id: int, n: int, seed: int, x_shift: float = 0.0) -> None:
    """Rows `first_id`.. with one second between them from START; some NULLs and a NaN or two."""
    data = reference_columns(n, seed=seed)
    with psycopg.connect(dsn, autocommit=True) as conn, conn.cursor().copy(
            "COPY preds (id, ts, x, y, colour) FROM STDIN") as copy:
        for i in range(n):
            x = None if i % 37 == 0 else float("nan") if i % 501 == 0 else float(data["x"][i]) + x_shift
            colour = None if i % 41 == 0 else str(data["colour"][i])
            copy.write_row([first_id + i, START + timedelta(seconds=first_id + i), x, float(data["y"][i]), colour])


def _create(dsn: str, id_column: str = "id bigint NOT NULL") -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"CREATE TABLE preds ({id_column}, ts timestamptz NOT NULL, x float8, y float8, colour text)")


def _same(incremental: SourceSketch, full: SourceSketch) -> None:
    assert incremental.rows == full.rows
    assert set(incremental.features) == set(full.features)
    for name, mine in incremental.features.items():
        theirs = full.features[name]
        assert mine.counts.tolist() == theirs.counts.tolist(), name
        assert (mine.n, mine.n_missing, mine.minimum, mine.maximum) == (theirs.n, theirs.n_missing, theirs.minimum,
                                                                         theirs.maximum), name
        assert mine.total == pytest.approx(theirs.total, rel=1e-12, abs=1e-9), name
        assert mine.total_sq == pytest.approx(theirs.total_sq, rel=1e-12, abs=1e-9), name


SOURCE = PostgresSource(kind="postgres", dsn_env=DSN_ENV, table="preds", time_column="ts", watermark_column="id")


@pytest.mark.parametrize("window", [False, True])
def test_incremental_check_equals_a_full_scan(engine: Engine, source_db: str, window: bool) -> None:  # noqa: F811
    _create(source_db)
    _append(source_db, 0, 3000, seed=3)
    profile, store = _profile(), IncrementStore(engine)
    start, end = (START + timedelta(seconds=500), START + timedelta(seconds=4500)) if window else (None, None)
    first = sketch_postgres(SOURCE, profile, start, end, increments=store)
    _same(first, sketch_postgres(SOURCE, profile, start, end))
    _append(source_db, 3000, 1000, seed=4, x_shift=0.8)  # drifted rows, some inside the window, some past it
    _append(source_db, 4000, 1000, seed=5)
    second = sketch_postgres(SOURCE, profile, start, end, increments=store)
    full = sketch_postgres(SOURCE, profile, start, end)
    _same(second, full)
    assert second.rows == (4000 if window else 5000) and second.drift(profile) == full.drift(profile)
    with Session(engine) as session:
        kept = session.exec(select(SourceSketchState)).one()
    assert kept.watermark == ("4499" if window else "4999") and kept.rows == second.rows
    if not window:  # only rows past the watermark are read: a row changed in place below it is not seen
        with psycopg.connect(source_db, autocommit=True) as conn:
            conn.execute("UPDATE preds SET x = 1000 WHERE id = 1000")
        _append(source_db, 5000, 1, seed=6)
        third = sketch_postgres(SOURCE, profile, increments=store)
        assert third.rows == 5001 and third.features["x"].maximum != 1000.0
        assert sketch_postgres(SOURCE, profile).features["x"].maximum == 1000.0

def test_another_reference_or_source_scans_in_full(engine: Engine, source_db: str) -> None:  # noqa: F811
    _create(source_db)
    _append(source_db, 0, 2000, seed=3)
    store = IncrementStore(engine)
    sketch_postgres(SOURCE, _profile(), increments=store)
    _append(source_db, 2000, 500, seed=4, x_shift=0.8)
    other = _profile(seed=9, n_bins=6)  # new edges: the kept sketch cannot be continued
    again = sketch_postgres(SOURCE, other, increments=store)
    _same(again, sketch_postgres(SOURCE, other))
    assert again.features["x"].counts.size == 7 and again.rows == 2500
    windowed = sketch_postgres(SOURCE, other, START, START + timedelta(seconds=100), increments=store)
    assert windowed.rows == 100  # another window: its own sketch, not the whole table's
    with Session(engine) as session:
        assert len(session.exec(select(SourceSketchState)).all()) == 2


@pytest.mark.parametrize(("column", "message"), [("id bigint", "NOT NULL"), ("id text NOT NULL", "number or a timestamp")])
def test_a_watermark_column_must_be_an_orderable_not_null(engine: Engine, source_db: str, column: str,  # noqa: F811
                                                          message: str) -> None:
    _create(source_db, column)
    with pytest.raises(SourceError, match=message):
        sketch_postgres(SOURCE, _profile(), increments=IncrementStore(engine))
    assert np.isfinite(sketch_postgres(SOURCE, _profile()).rows)  # without increments the column is not used
