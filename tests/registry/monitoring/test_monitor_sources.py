"""Prediction tables monitored where they live: the PostgreSQL pushdown and the Parquet stream give the same
sketches and the same drift as the in-registry path on the same rows (real PostgreSQL, a throwaway database)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import numpy as np
import psycopg
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from monitor_synth import START, prediction_batch, reference_columns
from sqlalchemy.engine import Engine

from registry.db import session_scope
from registry.monitoring.binning import bin_counts
from registry.monitoring.drift import FeatureDrift, detect_drift_from_counts
from registry.monitoring.ingest import ingest_predictions
from registry.monitoring.reference import PREDICTION_FEATURE, SCORE_FEATURE, ReferenceProfile, build_profile
from registry.monitoring.sketches import window_counts
from registry.monitoring.source_config import ParquetSource, PostgresSource, SourceError
from registry.monitoring.source_sketch import SourceSketch
from registry.monitoring.sources_parquet import sketch_parquet
from registry.monitoring.sources_pg import sketch_postgres
from registry.monitoring.store import register_reference
from registry.monitoring.tables import FeatureSketch

ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
DSN_ENV = "WARDEN_TEST_SOURCE_DSN"
BUCKET = 900


@pytest.fixture
def source_db(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh database for the source table, dropped afterwards; its DSN in DSN_ENV."""
    name = f"warden_src_{uuid.uuid4().hex[:10]}"  # hex only: safe to inline as an identifier
    with psycopg.connect(ADMIN_DSN, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    dsn = f"postgresql://postgres@127.0.0.1:5432/{name}"
    monkeypatch.setenv(DSN_ENV, dsn)
    try:
        yield dsn
    finally:
        with psycopg.connect(ADMIN_DSN, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE {name} WITH (FORCE)")


def _rows_table(n: int = 3000, seed: int = 3, x_shift: float = 0.8) -> pa.Table:
    batch, _ = prediction_batch(n, START, 1800, seed=seed, x_shift=x_shift)
    table = pa.Table.from_pylist([{"ts": r.ts, "x": r.features["x"], "y": r.features["y"], "colour": r.features["colour"],
                                   "prediction": int(r.prediction), "score": r.score} for r in batch.records])  # type: ignore[arg-type]
    # Some missing values, so the missing bins are compared too.
    x = table.column("x").to_numpy().copy()
    x[::37] = np.nan
    colour = [None if i % 41 == 0 else c for i, c in enumerate(table.column("colour").to_pylist())]
    return table.set_column(1, "x", pa.array(x)).set_column(3, "colour", pa.array(colour))


def _registered(engine: Engine, table: pa.Table) -> ReferenceProfile:
    """Register the reference and ingest `table` through the registry (the in-registry path)."""
    ref = reference_columns(5000, seed=1)
    registered = register_reference(engine, "churn", "1", {"x": ref["x"], "y": ref["y"], "colour": ref["colour"]},
                                    predictions=(ref["score"] >= 0.5).astype(int), scores=ref["score"])
    from registry.monitoring.ingest import PredictionBatch, PredictionRecord

    records = [PredictionRecord(model_version="1", ts=r["ts"], prediction=r["prediction"], score=r["score"],
                                features={k: (None if isinstance(r[k], float) and np.isnan(r[k]) else r[k]) for k in ("x", "y", "colour")})
               for r in table.to_pylist()]
    ingest_predictions(engine, "churn", PredictionBatch(records=records), BUCKET)
    return registered.profile


def _in_registry(engine: Engine, profile: ReferenceProfile, seconds: int) -> list[FeatureDrift]:
    with session_scope(engine) as session:
        counts = window_counts(session, "churn", "1", START, START + timedelta(seconds=seconds))
    return detect_drift_from_counts(profile, counts.counts)


def _load_pg(dsn: str, table: pa.Table) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE preds (ts timestamptz, x float8, y float8, colour text, prediction integer, score float8)")
        with conn.cursor().copy("COPY preds (ts, x, y, colour, prediction, score) FROM STDIN") as copy:
            for row in table.to_pylist():
                copy.write_row([row[c] for c in ("ts", "x", "y", "colour", "prediction", "score")])


def _same(a: list[FeatureDrift], b: list[FeatureDrift]) -> None:
    assert [d.feature for d in a] == [d.feature for d in b]
    for left, right in zip(a, b, strict=True):
        assert left.current_counts == right.current_counts, left.feature
        assert left.psi == pytest.approx(right.psi, rel=1e-12)
        assert left.statistic == pytest.approx(right.statistic, rel=1e-12)
        assert left.severity == right.severity


def _same_moments(engine: Engine, sketch: SourceSketch) -> None:
    """The source's moments equal the registry's per-bucket sketches summed over the buckets."""
    with session_scope(engine) as session:
        stored = session.query(FeatureSketch).all()
    for name in ("x", "y", SCORE_FEATURE):
        mine, theirs = sketch.features[name], [s for s in stored if s.feature == name]
        assert (mine.n, mine.n_missing) == (sum(s.n for s in theirs), sum(s.n_missing for s in theirs))
        assert mine.total == pytest.approx(sum(s.total for s in theirs), rel=1e-9)
        assert mine.total_sq == pytest.approx(sum(s.total_sq for s in theirs), rel=1e-9)
        assert mine.minimum == min(s.minimum for s in theirs) and mine.maximum == max(s.maximum for s in theirs)


SOURCE_COLUMNS = {"prediction_column": "prediction", "score_column": "score", "time_column": "ts"}


def test_postgres_pushdown_equals_in_registry(sqlite_engine: Engine, source_db: str) -> None:
    table = _rows_table()
    profile = _registered(sqlite_engine, table)
    _load_pg(source_db, table)
    source = PostgresSource(kind="postgres", dsn_env=DSN_ENV, table="preds", **SOURCE_COLUMNS)
    sketch = sketch_postgres(source, profile)
    assert sketch.rows == 3000
    expected = _in_registry(sqlite_engine, profile, 3600)
    _same(sketch.drift(profile), expected)
    assert {d.feature for d in expected if d.drifted} >= {"x", SCORE_FEATURE, PREDICTION_FEATURE}
    _same_moments(sqlite_engine, sketch)
    # A window: only the rows of the first bucket, as the registry's sketches of that bucket.
    windowed = sketch_postgres(source, profile, START, START + timedelta(seconds=BUCKET))
    assert windowed.rows == 1500
    _same(windowed.drift(profile), _in_registry(sqlite_engine, profile, BUCKET))
    empty = sketch_postgres(source, profile, START - timedelta(days=2), START - timedelta(days=1))
    assert empty.rows == 0 and all(int(s.counts.sum()) == 0 and s.minimum is None for s in empty.features.values())


def test_parquet_stream_equals_in_registry(sqlite_engine: Engine, tmp_path: Path) -> None:
    table = _rows_table()
    profile = _registered(sqlite_engine, table)
    folder = tmp_path / "preds"
    folder.mkdir()
    pq.write_table(table.slice(0, 1000), folder / "a.parquet", row_group_size=300)
    pq.write_table(table.slice(1000), folder / "b.parquet", row_group_size=700)
    for path, threads in ((str(folder), 0), (str(folder / "*.parquet"), 1), (str(folder), 3)):
        source = ParquetSource(kind="parquet", path=path, threads=threads, **SOURCE_COLUMNS)
        sketch = sketch_parquet(source, profile)
        assert sketch.rows == 3000
        _same(sketch.drift(profile), _in_registry(sqlite_engine, profile, 3600))
        _same_moments(sqlite_engine, sketch)
    windowed = sketch_parquet(source, profile, START, START + timedelta(seconds=BUCKET))
    assert windowed.rows == 1500
    _same(windowed.drift(profile), _in_registry(sqlite_engine, profile, BUCKET))
    empty = sketch_parquet(source, profile, START - timedelta(days=2), START - timedelta(days=1))
    assert empty.rows == 0 and all(int(s.counts.sum()) == 0 for s in empty.features.values())


def test_postgres_bins_values_on_the_edges_as_python(source_db: str) -> None:
    # Discrete values sit exactly on the quantile edges: (lo, hi] must hold in SQL as in numpy.
    rng = np.random.default_rng(5)
    profile = build_profile({"k": rng.poisson(3, 5000).astype(float), "flag": rng.choice(["yes", "no"], 5000)})
    values = rng.poisson(3.5, 4000).astype(float)
    flags = rng.choice(["yes", "no", "maybe"], 4000)
    with psycopg.connect(source_db, autocommit=True) as conn:
        conn.execute('CREATE TABLE "Odd Name" (k integer, flag text)')
        with conn.cursor().copy('COPY "Odd Name" (k, flag) FROM STDIN') as copy:
            for k, flag in zip(values, flags, strict=True):
                copy.write_row([int(k), str(flag)])
    sketch = sketch_postgres(PostgresSource(kind="postgres", dsn_env=DSN_ENV, table="Odd Name"), profile)
    assert sketch.features["k"].counts.tolist() == bin_counts(profile.feature("k").bins, values).tolist()
    assert sketch.features["flag"].counts.tolist() == bin_counts(profile.feature("flag").bins, flags).tolist()


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"table": "preds; DROP TABLE preds"}, "does not exist"),
        ({"table": "preds", "schema": "nowhere"}, "does not exist"),
        ({"table": "preds", "columns": ("x", "nope")}, "not in the reference profile"),
        ({"table": "preds", "prediction_column": "missing_col"}, "missing_col"),
        ({"table": "preds", "columns": ("colour",), "time_column": "x"}, "not a timestamp"),
    ],
)
def test_postgres_source_refuses_bad_config(sqlite_engine: Engine, source_db: str, settings: dict[str, object],
                                            message: str) -> None:
    table = _rows_table(200)
    profile = _registered(sqlite_engine, table)
    _load_pg(source_db, table)
    source = PostgresSource.model_validate({"kind": "postgres", "dsn_env": DSN_ENV, **settings})
    with pytest.raises(SourceError, match=message):
        sketch_postgres(source, profile, START, START + timedelta(hours=1))
    with psycopg.connect(source_db) as conn:  # the table survived whatever the config said
        assert conn.execute("SELECT count(*) FROM preds").fetchone() == (200,)


def test_parquet_and_env_errors_are_clear(sqlite_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    profile = _registered(sqlite_engine, _rows_table(100))
    with pytest.raises(SourceError, match="does not exist"):
        sketch_parquet(ParquetSource(kind="parquet", path=str(tmp_path / "none")), profile)
    with pytest.raises(SourceError, match="no Parquet file matches"):
        sketch_parquet(ParquetSource(kind="parquet", path=str(tmp_path / "*.parquet")), profile)
    pq.write_table(pa.table({"x": [1.0]}), tmp_path / "x.parquet")
    with pytest.raises(SourceError, match=r"\['colour', 'y'\]"):
        sketch_parquet(ParquetSource(kind="parquet", path=str(tmp_path / "x.parquet")), profile)
    monkeypatch.delenv(DSN_ENV, raising=False)
    with pytest.raises(SourceError, match=DSN_ENV):
        sketch_postgres(PostgresSource(kind="postgres", dsn_env=DSN_ENV, table="preds"), profile)


def test_packed_counts_refuse_a_window_they_cannot_hold() -> None:
    # Each bin's count has 12 decimal digits of the packed sum: a window of 10^12 rows would spill into the next bin.
    from registry.monitoring.sources_pg_query import BASE, parse_sketch, unpack

    assert unpack(str(7 + 5 * BASE + 3 * BASE**2), 3) == [7, 5, 3] and unpack(None, 2) == [0, 0]
    with pytest.raises(SourceError, match="1000000000000 rows"):
        parse_sketch([BASE], [])
