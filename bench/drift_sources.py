"""Sources at scale for drift_bench.py: 10M rows x 20 features sketched from Parquet and from PostgreSQL.

Sides (each run in its own process by drift_bench.py, so peak RSS is its own):
  parquet      the Parquet stream (registry.monitoring.sources_parquet) over a 10M-row dataset
  pg-pushdown  the one-scan aggregate in PostgreSQL (registry.monitoring.sources_pg)
  pg-filters   the former pushdown query, a filtered count per edge and category (bench/pg_filter_query.py)
  pg-readout   the rows read out of PostgreSQL (COPY ... TO STDOUT as CSV, parsed by pyarrow in streamed batches)
               and sketched in Python: the best a client can do without the pushdown
  pg-incremental  the pushdown with `watermark_column: id` and the kept sketch in a registry (SQLite, a temporary
               file): a first check, then `--added` new rows, then a second check (only rows past the watermark)
               beside a full pushdown of the same rows (and, with --readout-after, the read-out); the added rows
               are deleted afterwards, so the table is the same for the next run
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TABLE = "warden_drift_bench"
CHUNK = 1_000_000


def generate_parquet(out: Path, rows: int, seed: int) -> None:
    """The current rows of drift_bench.generate, written 1M rows a file (row groups of 256k) in bounded memory."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    from drift_bench import CATEGORICAL, DRIFTED, NUMERIC, _categorical_column, _numeric_column

    out.mkdir(parents=True, exist_ok=True)
    for part, begin in enumerate(range(0, rows, CHUNK)):
        n = min(CHUNK, rows - begin)
        rng = np.random.default_rng(seed * 1000 + part)
        columns = {f: _numeric_column(rng, i, n, f in DRIFTED) for i, f in enumerate(NUMERIC)}
        columns |= {f: _categorical_column(rng, i, n, f in DRIFTED) for i, f in enumerate(CATEGORICAL)}
        pq.write_table(pa.table(columns), out / f"part-{part:04d}.parquet", row_group_size=262_144)


def _normal(mean: str, sd: str) -> str:
    return f"({mean} + {sd} * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()))"


def _nullable(expr: str) -> str:
    return f"CASE WHEN random() < 0.01 THEN NULL ELSE {expr} END"


def _select_list() -> str:
    """The generated columns, one random row each: the same families as the Parquet data."""
    from drift_bench import CATEGORICAL, NUMERIC

    families = [_normal("10", "2"), "exp(1 + 0.5 * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()))",
                _normal("0", "1"), "floor(random() * 9)::float8", "(random() * 10 - 5)"]
    select = [f"{_nullable(families[i % 5])} AS {name}" for i, name in enumerate(NUMERIC)]
    select += [f"'cat{i}_' || floor(random() * {4 + 3 * i})::int AS {name}" for i, name in enumerate(CATEGORICAL)]
    return ", ".join(select)


def generate_postgres(dsn: str, rows: int) -> None:
    """The rows generated inside PostgreSQL (generate_series), then frozen and analysed so the timed scans never
    write hint bits."""
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"DROP TABLE IF EXISTS {TABLE}")
        conn.execute(f"CREATE UNLOGGED TABLE {TABLE} AS SELECT g::bigint AS id, {_select_list()} "
                     "FROM generate_series(1, %s) AS g", [rows])
        # The watermark of pg-incremental: NOT NULL, and a BRIN index (a few pages) so rows past it are found
        # without reading the rest of the table.
        conn.execute(f"ALTER TABLE {TABLE} ALTER COLUMN id SET NOT NULL")
        conn.execute(f"CREATE INDEX {TABLE}_id_brin ON {TABLE} USING brin (id)")
        conn.execute(f"VACUUM (FREEZE, ANALYZE) {TABLE}")


def postgres_profile(dsn: str, out: Path) -> None:
    """Reference bins for the PostgreSQL sides: profiled on a 100k-row sample read out once (not timed)."""
    import pyarrow as pa
    import psycopg

    from registry.monitoring.reference import build_profile

    from drift_bench import CATEGORICAL, NUMERIC

    with psycopg.connect(dsn) as conn:
        cursor = conn.execute(f"SELECT {', '.join(NUMERIC + CATEGORICAL)} FROM {TABLE} LIMIT 100000")
        names = [d.name for d in cursor.description or []]
        rows = cursor.fetchall()
    columns = {name: pa.array([r[i] for r in rows]) for i, name in enumerate(names)}
    out.write_text(json.dumps(build_profile(columns).to_json()))


def _profile(path: Path) -> object:
    from registry.monitoring.reference import ReferenceProfile

    return ReferenceProfile.from_json(json.loads(path.read_text()))


def run_parquet(data: Path) -> dict[str, object]:
    import pyarrow.parquet as pq

    from registry.monitoring.reference import build_profile
    from registry.monitoring.source_config import ParquetSource
    from registry.monitoring.sources_parquet import sketch_parquet

    start = time.perf_counter()
    reference = pq.read_table(data / "reference.parquet")
    profile = build_profile({n: reference.column(n) for n in reference.column_names})
    profiled = time.perf_counter()
    sketch = sketch_parquet(ParquetSource(kind="parquet", path=str(data / "current10m")), profile)
    sketched = time.perf_counter()
    results = sketch.drift(profile)
    done = time.perf_counter()
    return {"rows": sketch.rows, "drifted": sorted(r.feature for r in results if r.drifted),
            "profile_s": profiled - start, "sketch_s": sketched - profiled, "compute_s": done - start}


def run_pg_pushdown(dsn_env: str, profile_path: Path, former: bool = False) -> dict[str, object]:
    from pg_filter_query import sketch_postgres_filters

    from registry.monitoring.source_config import PostgresSource
    from registry.monitoring.sources_pg import sketch_postgres

    profile = _profile(profile_path)
    sketcher = sketch_postgres_filters if former else sketch_postgres
    start = time.perf_counter()
    sketch = sketcher(PostgresSource(kind="postgres", dsn_env=dsn_env, table=TABLE), profile)  # type: ignore[arg-type]
    done = time.perf_counter()
    return {"rows": sketch.rows, "compute_s": done - start, "counts": _counts(sketch)}


class _CopyReader:
    """A file-like view of COPY's chunks, for pyarrow's streaming CSV reader."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks, self._buffer, self.closed = chunks, b"", False

    def read(self, size: int = -1) -> bytes:
        parts, have = [self._buffer], len(self._buffer)
        while size < 0 or have < size:
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            parts.append(bytes(chunk))
            have += len(chunk)
        data = b"".join(parts)
        size = len(data) if size < 0 else size
        self._buffer = data[size:]
        return data[:size]

    def readable(self) -> bool:
        return True


def run_pg_readout(dsn_env: str, profile_path: Path) -> dict[str, object]:
    import os

    import psycopg
    import pyarrow as pa
    import pyarrow.csv as pacsv

    from registry.monitoring.source_sketch import SourceSketch, sketch_table

    profile = _profile(profile_path)
    names = profile.names  # type: ignore[attr-defined]
    types = {f.name: (pa.float64() if f.kind == "numeric" else pa.string()) for f in profile.features}  # type: ignore[attr-defined]
    start = time.perf_counter()
    sketch = SourceSketch()
    with psycopg.connect(os.environ[dsn_env]) as conn, conn.cursor() as cursor:
        with cursor.copy(f"COPY (SELECT {', '.join(names)} FROM {TABLE}) TO STDOUT (FORMAT csv)") as copy:
            reader = pacsv.open_csv(
                _CopyReader(iter(copy)), read_options=pacsv.ReadOptions(column_names=names, block_size=8 << 20),
                convert_options=pacsv.ConvertOptions(column_types=types, strings_can_be_null=True),
            )
            for batch in reader:
                sketch.merge(sketch_table(profile, {n: n for n in names}, pa.Table.from_batches([batch])))  # type: ignore[arg-type]
    done = time.perf_counter()
    return {"rows": sketch.rows, "compute_s": done - start, "counts": _counts(sketch)}


def run_pg_incremental(dsn_env: str, profile_path: Path, added: int, readout_after: bool) -> dict[str, object]:
    """First check (a full scan that also keeps the sketch), `added` rows appended, second check (only those)
    beside a full pushdown of the same rows; the appended rows are deleted again at the end."""
    import os
    import tempfile

    import psycopg

    from registry.db import make_engine
    from registry.migrate import upgrade
    from registry.monitoring.source_config import PostgresSource
    from registry.monitoring.sources_pg import sketch_postgres
    from registry.monitoring.sources_pg_increments import IncrementStore

    profile = _profile(profile_path)
    url = f"sqlite:///{tempfile.mkdtemp(prefix='drift-incr-')}/registry.db"
    upgrade(url)
    store = IncrementStore(make_engine(url))
    source = PostgresSource(kind="postgres", dsn_env=dsn_env, table=TABLE, watermark_column="id")
    out: dict[str, object] = {}

    def timed(name: str, run: object) -> object:
        load, start = os.getloadavg()[0], time.perf_counter()
        result = run()  # type: ignore[operator]
        out[f"{name}_s"], out[f"{name}_load"] = round(time.perf_counter() - start, 3), round(load, 2)
        return result

    timed("first", lambda: sketch_postgres(source, profile, increments=store))  # type: ignore[arg-type]
    with psycopg.connect(os.environ[dsn_env], autocommit=True) as conn:
        top = conn.execute(f"SELECT max(id) FROM {TABLE}").fetchone()[0]  # type: ignore[index]
        conn.execute(f"INSERT INTO {TABLE} SELECT %s + g, {_select_list()} FROM generate_series(1, %s) AS g",
                     [top, added])
        conn.execute(f"VACUUM (FREEZE, ANALYZE) {TABLE}")  # both later scans see the rows the same way
    try:
        second = timed("second", lambda: sketch_postgres(source, profile, increments=store))  # type: ignore[arg-type]
        full = timed("full_after", lambda: sketch_postgres(  # type: ignore[arg-type]
            PostgresSource(kind="postgres", dsn_env=dsn_env, table=TABLE), profile))
        out["identical_counts"] = _counts(second) == _counts(full)
        out["rows"], out["added"] = second.rows, added  # type: ignore[attr-defined]
        if readout_after:
            readout = timed("readout_after", lambda: run_pg_readout(dsn_env, profile_path))
            out["readout_identical"] = readout["counts"] == _counts(second)  # type: ignore[index]
    finally:
        with psycopg.connect(os.environ[dsn_env], autocommit=True) as conn:
            conn.execute(f"DELETE FROM {TABLE} WHERE id > %s", [top])
            conn.execute(f"VACUUM (FREEZE, ANALYZE) {TABLE}")
    out["compute_s"] = out["second_s"]
    return out


def _counts(sketch: object) -> dict[str, list[int]]:
    return {n: [int(c) for c in s.counts] for n, s in sketch.features.items()}  # type: ignore[attr-defined]


def main(argv: list[str]) -> None:
    sys.path.insert(0, str(ROOT))
    from drift_bench import vm_hwm_mb

    side = argv[0]
    if side == "parquet":
        result = run_parquet(Path(argv[1]))
    elif side in ("pg-pushdown", "pg-filters"):
        result = run_pg_pushdown(argv[1], Path(argv[2]), former=side == "pg-filters")
    elif side == "pg-readout":
        result = run_pg_readout(argv[1], Path(argv[2]))
    elif side == "pg-incremental":
        result = run_pg_incremental(argv[1], Path(argv[2]), int(argv[3]), argv[4:] == ["--readout-after"])
    else:
        raise SystemExit(f"unknown side {side!r}")
    print(json.dumps(result | {"vm_hwm_mb": vm_hwm_mb()}))


if __name__ == "__main__":
    main(sys.argv[1:])
