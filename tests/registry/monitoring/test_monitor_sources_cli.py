"""`warden monitor sketch --source` and `warden monitor run` on sources named in the config (Parquet, PostgreSQL,
and the Spark job in local mode), through click's CliRunner."""

from __future__ import annotations

import importlib.util
import json
import sqlite3
from datetime import timedelta
from pathlib import Path

import psycopg
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from monitor_synth import START, reference_columns
from test_monitor_sources import DSN_ENV, _load_pg, _rows_table, source_db  # noqa: F401  (fixture)

from gateway.cli.monitor import monitor_group
from registry.migrate import upgrade

CONFIG = """
default_tier: 1
tiers:
  1: {{every_seconds: 300, lookback_seconds: 86400000, expects_traffic: false}}
sources:
  lake:
    model: churn
    source: {{kind: parquet, path: "{folder}", prediction_column: prediction, score_column: score, time_column: ts}}
  warehouse:
    model: churn
    version: "1"
    source: {{kind: postgres, dsn_env: {env}, table: preds, prediction_column: prediction, score_column: score,
              time_column: ts, window_seconds: 900}}
  ledger:
    model: churn
    version: "1"
    source: {{kind: postgres, dsn_env: {env}, table: preds_ids, prediction_column: prediction, score_column: score,
              time_column: ts, watermark_column: id}}
"""


@pytest.fixture
def invoke(tmp_path: Path, source_db: str) -> object:  # noqa: F811
    db = f"sqlite:///{tmp_path / 'w.db'}"
    upgrade(db)
    ref = reference_columns(5000, seed=1)
    pq.write_table(pa.table({"x": ref["x"], "y": ref["y"], "colour": ref["colour"], "score": ref["score"],
                             "prediction": (ref["score"] >= 0.5).astype(int)}), tmp_path / "ref.parquet")
    table = _rows_table()
    (tmp_path / "lake").mkdir()
    pq.write_table(table, tmp_path / "lake" / "part-0.parquet", row_group_size=500)
    _load_pg(source_db, table)
    config = tmp_path / "monitor.yaml"
    config.write_text(CONFIG.format(folder=tmp_path / "lake", env=DSN_ENV))
    runner = CliRunner()

    def run(*args: str, code: int = 0) -> str:
        result = runner.invoke(monitor_group, ["--db", db, "--config", str(config), *args], catch_exceptions=False)
        assert result.exit_code == code, result.output
        return result.output

    assert "5 profiled columns" in run("register-reference", "--model", "churn", "--version", "1", str(tmp_path / "ref.parquet"))
    return run


def _drifted(output: str) -> tuple[dict[str, object], set[str]]:
    document = json.loads(output)
    return document, {d["feature"] for d in document["drift"] if d["severity"] != "none"}


def test_sketch_command_parquet_and_postgres_agree(invoke: object, tmp_path: Path) -> None:
    lake, drifted = _drifted(invoke("sketch", "--source", "lake", "--out", str(tmp_path / "lake.json")))  # type: ignore[operator]
    assert lake["engine"] == "parquet" and lake["sketch"]["rows"] == 3000  # type: ignore[index]
    assert "x" in drifted and "y" not in drifted
    assert json.loads((tmp_path / "lake.json").read_text()) == lake
    warehouse, _ = _drifted(invoke("sketch", "--source", "warehouse", "--since", START.strftime("%Y-%m-%d %H:%M:%S"),  # type: ignore[operator]
                                   "--until", (START + timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S")))
    counts = {n: f["counts"] for n, f in warehouse["sketch"]["features"].items()}  # type: ignore[index]
    assert counts == {n: f["counts"] for n, f in lake["sketch"]["features"].items()}  # type: ignore[index]
    # No --since: the source's window_seconds back from now, where this table has no rows.
    recent, _ = _drifted(invoke("sketch", "--source", "warehouse"))  # type: ignore[operator]
    assert recent["sketch"]["rows"] == 0  # type: ignore[index]


def test_sketch_command_continues_the_kept_sketch(invoke: object, source_db: str, tmp_path: Path) -> None:  # noqa: F811
    half = START + timedelta(seconds=900)
    with psycopg.connect(source_db, autocommit=True) as conn:
        conn.execute("CREATE TABLE preds_ids AS SELECT (row_number() OVER (ORDER BY ts))::bigint AS id, * "
                     "FROM preds WHERE ts < %s", [half])
        conn.execute("ALTER TABLE preds_ids ALTER COLUMN id SET NOT NULL")
    first = json.loads(invoke("sketch", "--source", "ledger"))  # type: ignore[operator]
    with psycopg.connect(source_db, autocommit=True) as conn:
        conn.execute("INSERT INTO preds_ids SELECT 5000 + row_number() OVER (ORDER BY ts), * FROM preds WHERE ts >= %s",
                     [half])
    second = json.loads(invoke("sketch", "--source", "ledger"))  # type: ignore[operator]
    full = json.loads(invoke("sketch", "--source", "ledger", "--full"))  # type: ignore[operator]
    assert (first["sketch"]["rows"], second["sketch"]["rows"]) == (1500, 3000)
    assert {n: f["counts"] for n, f in second["sketch"]["features"].items()} == {
        n: f["counts"] for n, f in full["sketch"]["features"].items()}
    assert [d["psi"] for d in second["drift"]] == pytest.approx([d["psi"] for d in full["drift"]], rel=1e-12)
    with sqlite3.connect(tmp_path / "w.db") as registry:
        assert registry.execute("SELECT watermark, rows FROM monitoring_source_sketch").fetchall() == [("6500", 3000)]


def test_sketch_command_errors(invoke: object) -> None:
    assert "no source 'nope'" in invoke("sketch", "--source", "nope", code=2)  # type: ignore[operator]
    assert "--spark reads Parquet sources" in invoke("sketch", "--source", "warehouse", "--spark", code=2)  # type: ignore[operator]


def test_monitor_run_reads_the_source(invoke: object) -> None:
    out = invoke("run", "--as-of", (START + timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S"))  # type: ignore[operator]
    assert "churn@1" in out and "'x'" in out and "'y'" not in out and "1 check(s) run" in out


@pytest.mark.skipif(importlib.util.find_spec("pyspark") is None, reason="pyspark is not installed")
@pytest.mark.timeout(600)  # a JVM starts: 65-106 s measured on the shared 2-core machine under load
def test_spark_sketch_equals_python(invoke: object) -> None:
    spark, _ = _drifted(invoke("sketch", "--source", "lake", "--spark"))  # type: ignore[operator]
    lake, _ = _drifted(invoke("sketch", "--source", "lake"))  # type: ignore[operator]
    assert spark["engine"] == "spark"
    for name, feature in lake["sketch"]["features"].items():  # type: ignore[index]
        other = spark["sketch"]["features"][name]  # type: ignore[index]
        assert other["counts"] == feature["counts"] and other["n_missing"] == feature["n_missing"], name
        assert other["total"] == pytest.approx(feature["total"], rel=1e-9)
        assert other["minimum"] == feature["minimum"] and other["maximum"] == feature["maximum"]
    assert [d["psi"] for d in spark["drift"]] == pytest.approx([d["psi"] for d in lake["drift"]], rel=1e-12)  # type: ignore[index]
