"""`warden monitor` through click's CliRunner: register, ingest (csv/jsonl/parquet), labels, run, serve, report."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner, Result
from monitor_synth import START, prediction_batch, reference_columns

from gateway.cli.monitor import monitor_group
from registry.db import make_engine, session_scope
from registry.migrate import upgrade
from registry.monitoring.prometheus import gauge_samples


def _write(table: pa.Table, path: Path) -> None:
    if path.suffix == ".csv":
        pacsv.write_csv(table, path)
    elif path.suffix == ".parquet":
        pq.write_table(table, path)
    else:
        path.write_text("\n".join(json.dumps(r) for r in table.to_pylist()))


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_cli_end_to_end(tmp_path: Path, suffix: str) -> None:
    db = f"sqlite:///{tmp_path / 'w.db'}"
    upgrade(db)
    ref = reference_columns(5000, seed=1)
    reference = pa.table({"x": ref["x"], "y": ref["y"], "colour": ref["colour"], "score": ref["score"],
                          "prediction": (ref["score"] >= 0.5).astype(int), "label": ref["label"]})
    pq.write_table(reference, tmp_path / "ref.parquet")
    batch, labels = prediction_batch(1500, START, 1800, seed=3, x_shift=1.0)
    rows = [{"ts": r.ts.isoformat(), "request_id": r.request_id, "prediction": r.prediction, "score": r.score,
             **r.features} for r in batch.records]
    _write(pa.Table.from_pylist(rows), tmp_path / f"log{suffix}")
    _write(pa.Table.from_pylist([{"request_id": g.request_id, "actual": g.actual} for g in labels]), tmp_path / "labels.csv")
    config = tmp_path / "monitor.yaml"
    config.write_text("default_tier: 1\ntiers:\n  1: {every_seconds: 300, lookback_seconds: 86400000}\n")
    runner = CliRunner()

    def invoke(*args: str) -> str:
        result = runner.invoke(monitor_group, ["--db", db, "--config", str(config), *args], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    assert "5 profiled columns" in invoke("register-reference", "--model", "churn", "--version", "1",
                                          "--metrics", '{"accuracy": 0.8}', str(tmp_path / "ref.parquet"))
    assert "stored 1500 predictions" in invoke("ingest", "--model", "churn", "--version", "1", str(tmp_path / f"log{suffix}"))
    assert "stored 1500 ground-truth" in invoke("labels", "--model", "churn", str(tmp_path / "labels.csv"))
    out = invoke("run")
    assert "churn@1" in out and "'x'" in out and "1 check(s) run" in out
    assert "0 check(s) run" in invoke("run")  # not due again within 5 minutes
    assert "0 check(s) run" in invoke("serve", "--interval", "0", "--max-iterations", "2")
    assert "wrote" in invoke("report", "--model", "churn", "--out", str(tmp_path / "out"))
    html = (tmp_path / "out" / "churn-1.html").read_text()
    summary = json.loads((tmp_path / "out" / "churn-1.json").read_text())
    assert "<svg" in html and "<script" not in html and "http://" not in html.replace("http://www.w3.org/2000/svg", "")
    assert summary["features"][0]["feature"] in {"x", "__score__"} and summary["features"][0]["psi"] > 0.2
    assert summary["metrics"]["accuracy"][0]["estimated"] is False
    with session_scope(make_engine(db)) as session:
        samples = gauge_samples(session)
    psi = {s.labels["feature"]: s.value for s in samples if s.name == "warden_model_feature_psi"}
    assert psi["x"] > 0.2 and psi["y"] < 0.1
    assert any(s.name == "warden_model_monitor_level" and s.value >= 2 for s in samples)


def test_cli_rejects_unknown_format(tmp_path: Path) -> None:
    (tmp_path / "log.txt").write_text("x")
    result = CliRunner().invoke(monitor_group, ["--db", f"sqlite:///{tmp_path / 'w.db'}", "ingest", "--model", "m", str(tmp_path / "log.txt")])
    assert result.exit_code != 0 and "log.txt" in str(result.exception)


def _three_hours_of_history(tmp_path: Path) -> Callable[..., Result]:
    """A tier 1 model (hourly lookback) with three hours of predictions from START ingested; returns the CLI."""
    db = f"sqlite:///{tmp_path / 'w.db'}"
    ref = reference_columns(2000, seed=1)
    pq.write_table(pa.table({"x": ref["x"], "score": ref["score"]}), tmp_path / "ref.parquet")
    batch, _ = prediction_batch(1500, START, 3 * 3600, seed=3)
    rows = [{"ts": r.ts.isoformat(), "request_id": r.request_id, "score": r.score, "x": r.features["x"]}
            for r in batch.records]
    _write(pa.Table.from_pylist(rows), tmp_path / "log.csv")
    config = tmp_path / "monitor.yaml"
    config.write_text("default_tier: 1\ntiers:\n  1: {every_seconds: 300, lookback_seconds: 3600}\n")

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(monitor_group, ["--db", db, "--config", str(config), *args], catch_exceptions=False)

    invoke("register-reference", "--model", "churn", "--version", "1", str(tmp_path / "ref.parquet"))
    invoke("ingest", "--model", "churn", "--version", "1", str(tmp_path / "log.csv"))
    return invoke


def test_cli_run_over_back_filled_history(tmp_path: Path) -> None:
    invoke = _three_hours_of_history(tmp_path)
    assert "level=emergency" in invoke("run").output  # now is long after the history: no predictions in the hour
    since, until = START.strftime("%Y-%m-%d %H:%M:%S"), (START + timedelta(hours=3)).strftime("%Y-%m-%d %H:%M:%S")
    replayed = invoke("run", "--since", since, "--until", until).output
    assert "3 check(s) run" in replayed and "emergency" not in replayed
    as_of = invoke("run", "--as-of", (START + timedelta(minutes=90)).strftime("%Y-%m-%d %H:%M:%S")).output
    assert "1 check(s) run" in as_of and "emergency" not in as_of
    assert invoke("run", "--since", since).exit_code == 2
    assert "is not after" in invoke("run", "--since", until, "--until", since).output


def test_cli_report_over_a_period_and_as_of(tmp_path: Path) -> None:
    invoke = _three_hours_of_history(tmp_path)

    def report(*args: str) -> dict[str, object]:
        out = tmp_path / "out"
        result = invoke("report", "--model", "churn", "--version", "1", "--out", str(out), *args)
        assert result.exit_code == 0, result.output
        return json.loads((out / "churn-1.json").read_text())  # type: ignore[no-any-return]

    def at(hours: float) -> str:
        return (START + timedelta(hours=hours)).strftime("%Y-%m-%d %H:%M:%S")

    assert "level=emergency" in invoke("run").output  # today: no predictions in the last hour
    assert "3 check(s) run" in invoke("run", "--since", at(0), "--until", at(3)).output

    everything = report()
    assert any("no predictions" in str(a["message"]) for a in everything["alerts"])  # type: ignore[attr-defined, index]
    history = report("--since", at(0), "--until", at(3))
    assert history["period"] == {"since": START.isoformat(), "until": (START + timedelta(hours=3)).isoformat()}
    assert history["features"] and not any(a["level"] == "emergency" for a in history["alerts"])  # type: ignore[attr-defined, index]
    assert report("--as-of", at(0.5))["features"] == []  # no window had ended yet
    assert report("--as-of", at(1))["features"] != []
    assert invoke("report", "--model", "churn", "--as-of", at(1), "--since", at(0)).exit_code == 2
    assert "is not after" in invoke("report", "--model", "churn", "--since", at(2), "--until", at(1)).output
