"""Data-quality expectations at ingest on SQLite and PostgreSQL: every row is stored, violations are counted per
version, window and feature with known answers, stored as `data_quality` check results at the declared level."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from pydantic import ValidationError
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from gateway.cli.monitor import monitor_group
from registry.db import make_engine
from registry.monitoring.config import MonitorConfig
from registry.monitoring.expectations import FeatureExpectation
from registry.monitoring.ingest import PredictionBatch, PredictionRecord, ingest_predictions
from registry.monitoring.levels import Level
from registry.monitoring.tables import AlertRecord, CheckResult, PredictionLog

T0 = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
EXPECT = {
    "age": FeatureExpectation(type="number", min=18, max=100, max_null_rate=0.1, level=Level.CRITICAL),
    "plan": FeatureExpectation(type="string", allowed=("basic", "pro")),
}


def _records() -> list[PredictionRecord]:
    """Hour 1: 10 rows, ages 5 and 150 out of range, one "x" wrong type, 2 missing (20% > 10%), plan "gold" unknown.
    Hour 2: 4 clean rows."""
    ages: list[object] = [30, 40, 5, 150, "x", None, None, 50, 60, 70]
    plans = ["basic", "pro", "basic", "gold", "pro", "basic", "pro", "basic", "pro", "basic"]
    first = [PredictionRecord(model_version="1", ts=T0 + timedelta(minutes=i), prediction=1,
                              features={"age": a, "plan": p}) for i, (a, p) in enumerate(zip(ages, plans))]
    second = [PredictionRecord(model_version="1", ts=T0 + timedelta(hours=1, minutes=i), prediction=0,
                               features={"age": 20 + i, "plan": "basic"}) for i in range(4)]
    return first + second


def test_violations_counted_per_window_and_feature_and_stored(engine: Engine) -> None:
    result = ingest_predictions(engine, "churn", PredictionBatch(records=_records()), 3600, EXPECT)
    assert result.stored == 14  # rows are never lost
    found = {(q.window_start.hour, q.feature): q for q in result.data_quality}
    age = found[(10, "age")]
    assert (age.rows, age.violations, age.out_of_range, age.wrong_type) == (10, 3, 2, 1)
    assert age.null_rate == pytest.approx(0.2) and age.null_rate_exceeded and age.level == Level.CRITICAL
    plan = found[(10, "plan")]
    assert (plan.violations, plan.unknown_category, plan.level) == (1, 1, Level.WARNING)
    assert all(found[(11, f)].violations == 0 and found[(11, f)].level == Level.NONE for f in ("age", "plan"))

    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(PredictionLog)).one() == 14
        rows = session.exec(select(CheckResult).where(CheckResult.check == "data_quality")).all()
        stored = {(r.window_start.replace(tzinfo=UTC).hour, r.subject): (r.value, r.level) for r in rows}
    assert stored == {(10, "age"): (3.0, "critical"), (10, "plan"): (1.0, "warning"),
                      (11, "age"): (0.0, "none"), (11, "plan"): (0.0, "none")}


def test_without_expectations_nothing_is_checked(engine: Engine) -> None:
    result = ingest_predictions(engine, "churn", PredictionBatch(records=_records()), 3600)
    assert result.stored == 14 and result.data_quality == []


def test_expectations_are_validated_strictly() -> None:
    config = MonitorConfig.model_validate({"expectations": {"churn": {"age": {"min": 0, "max": 120}}}})
    assert config.expectations["churn"]["age"].max == 120
    with pytest.raises(ValidationError, match="min 5.0 is above max 1.0"):
        FeatureExpectation(min=5, max=1)
    with pytest.raises(ValidationError, match="extra"):
        MonitorConfig.model_validate({"expectations": {"churn": {"age": {"maximum": 3}}}})
    with pytest.raises(ValidationError):
        FeatureExpectation(type="date")  # type: ignore[arg-type]


def test_cli_ingest_reports_violations(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'w.db'}"
    config = tmp_path / "monitor.yaml"
    config.write_text("expectations:\n  churn:\n    age: {type: number, min: 18, max: 100}\n")
    log = tmp_path / "log.csv"
    log.write_text("ts,prediction,age\n" + "".join(f"2026-03-01T10:0{i}:00Z,1,{a}\n" for i, a in
                                                   enumerate([20, 5, 150, 40])))
    reference = tmp_path / "ref.csv"
    reference.write_text("prediction,label,age\n" + "".join(f"{i % 2},{i % 2},{20 + i}\n" for i in range(200)))

    def invoke(*args: str) -> str:
        result = CliRunner().invoke(monitor_group, ["--db", db, "--config", str(config), *args], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    invoke("register-reference", "--model", "churn", "--version", "1", str(reference))
    output = invoke("ingest", "--model", "churn", "--version", "1", str(log))
    assert "stored 4 predictions" in output and "2 feature value(s) broke the data-quality expectations" in output
    with Session(make_engine(db)) as session:
        rows = session.exec(select(CheckResult).where(CheckResult.check == "data_quality")).all()
    assert [(r.subject, r.value, r.level) for r in rows] == [("age", 2.0, "warning")]

    with Session(make_engine(db)) as session:
        alerts = session.exec(select(AlertRecord).where(AlertRecord.check == "data_quality")).all()
    assert [(a.model_version, a.level, a.message) for a in alerts] == [
        ("1", "warning", "input data-quality expectations broken: age (2 row(s))")]

    invoke("report", "--model", "churn", "--version", "1", "--out", str(tmp_path / "out"))
    summary = json.loads((tmp_path / "out" / "churn-1.json").read_text())
    assert [(q["feature"], q["violations"], q["level"]) for q in summary["data_quality"]] == [("age", 2.0, "warning")]
    html = (tmp_path / "out" / "churn-1.html").read_text()
    assert "Input data quality" in html and "<td>age</td><td>2</td><td>warning</td>" in html


def test_alert_per_version_at_the_worst_level() -> None:
    from registry.monitoring.expectations import check_records
    from registry.monitoring.expectations_alerts import violation_alerts

    alerts = violation_alerts("churn", check_records(EXPECT, _records(), 3600))
    assert len(alerts) == 1 and alerts[0].level == Level.CRITICAL and alerts[0].check == "data_quality"
    assert alerts[0].message == ("input data-quality expectations broken: age (3 row(s)), plan (1 row(s)), "
                                 "age (too many missing)")
    assert alerts[0].details == {"age.violations": 3.0, "plan.violations": 1.0}
