"""Business KPIs (phase 6) on SQLite and PostgreSQL: values pushed for a model are judged against the alert levels
its charter declares, stored as `kpi` check results, alerted to a real local webhook through the monitor's dispatcher
(one alert per KPI and batch, de-duplicated) and drawn in the monitoring report; bad pushes name the value."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from pydantic import ValidationError
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from test_monitor_alerts import _Hook, hook  # noqa: F401 - the real webhook server fixture

from gateway.cli.monitor import monitor_group
from registry.db import session_scope
from registry.governance import inventory, versions
from registry.governance.records import Kpi, ProjectCharter
from registry.governance.schemas import ModelIn, VersionIn
from registry.governance.types import Actor
from registry.monitoring.alerts import AlertDispatcher
from registry.monitoring.config import WebhookTarget
from registry.monitoring.kpis import KpiInputError, KpiPush, kpi_level, push_kpis
from registry.monitoring.levels import Level
from registry.monitoring.tables import AlertRecord, CheckResult

T0 = datetime(2030, 1, 1, tzinfo=UTC)
ALICE = Actor(name="alice", teams=frozenset({"risk"}))
APPROVAL = Kpi(name="approval rate", target=">= 0.55", unit="share",
               alert_levels={"warning": 0.5, "critical": 0.4, "emergency": 0.2})  # type: ignore[arg-type]
LOSS = Kpi(name="loss per loan", target="<= 120", unit="EUR", direction="lower_is_better",
           alert_levels={"warning": 150, "critical": 200})  # type: ignore[arg-type]
NOTE = Kpi(name="complaints", target="few")
KPIS = [APPROVAL, LOSS, NOTE]


def _model(engine: Engine, alias: bool = True) -> None:
    with session_scope(engine) as s:
        inventory.register_model(s, ALICE, ModelIn(name="credit", kind="classical", owner="alice", team="risk",
                                                   use_case="scoring"))
        inventory.set_charter(s, ALICE, "credit", ProjectCharter(problem="p", kpis=KPIS, data_sources=["d"],
                                                                  risks=["r"], data_classification="internal"))
        versions.register_version(s, ALICE, "credit", VersionIn(version="2"))
        if alias:
            versions.set_alias(s, ALICE, "credit", "production", "2")


def _push(engine: Engine, hook: _Hook, values: list[dict[str, object]], **extra: object) -> list[str]:
    dispatcher = AlertDispatcher([WebhookTarget(url=hook.url)], 3600)
    push = KpiPush.model_validate({"values": values, **extra})
    return [r.level for r in push_kpis(engine, ALICE, "credit", push, dispatcher, T0)]


@pytest.mark.parametrize(("kpi", "value", "level"), [
    (APPROVAL, 0.6, Level.NONE), (APPROVAL, 0.5, Level.NONE), (APPROVAL, 0.45, Level.WARNING),
    (APPROVAL, 0.3, Level.CRITICAL), (APPROVAL, 0.1, Level.EMERGENCY), (LOSS, 100, Level.NONE),
    (LOSS, 160, Level.WARNING), (LOSS, 250, Level.CRITICAL), (NOTE, 99, Level.NONE)])
def test_levels_follow_the_direction(kpi: Kpi, value: float, level: Level) -> None:
    assert kpi_level(kpi, value)[0] == level


def test_charter_levels_must_worsen_in_order() -> None:
    with pytest.raises(ValidationError, match=r"the critical level \(0.6\) must be at or below the warning level"):
        Kpi(name="rate", target="x", alert_levels={"warning": 0.5, "critical": 0.6})  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"must be at or above the warning level \(150\)"):
        Kpi(name="loss", target="x", direction="lower_is_better",
            alert_levels={"warning": 150, "critical": 100})  # type: ignore[arg-type]


def test_pushed_values_are_stored_alerted_and_reported(engine: Engine, hook: _Hook) -> None:  # noqa: F811
    _model(engine)
    levels = _push(engine, hook, [
        {"name": "approval rate", "value": 0.58, "at": (T0 - timedelta(days=2)).isoformat()},
        {"name": "approval rate", "value": 0.45, "at": (T0 - timedelta(days=1)).isoformat()},
        {"name": "approval rate", "value": 0.3},
        {"name": "loss per loan", "value": 110}, {"name": "complaints", "value": 4}])
    assert levels == ["none", "warning", "critical", "none", "none"]
    with Session(engine) as s:
        rows = s.exec(select(CheckResult).where(CheckResult.check == "kpi")).all()
        alerts = s.exec(select(AlertRecord)).all()
    assert sorted((r.subject, r.value, r.level, r.model_version) for r in rows)[:3] == [
        ("approval rate", 0.3, "critical", "2"), ("approval rate", 0.45, "warning", "2"),
        ("approval rate", 0.58, "none", "2")]
    [alert] = alerts  # one per KPI and batch, at its worst value
    assert (alert.check, alert.level, alert.model_version) == ("kpi:approval rate", "critical", "2")
    assert alert.message == ("business KPI approval rate at 0.3 share (target >= 0.55): critical threshold 0.4 "
                             "share crossed")
    [(path, body)] = hook.received
    assert body["check"] == "kpi:approval rate" and body["level"] == "critical"

    assert _push(engine, hook, [{"name": "approval rate", "value": 0.35}]) == ["critical"]
    with Session(engine) as s:
        assert [a.suppressed for a in s.exec(select(AlertRecord).order_by(AlertRecord.id))] == [False, True]
    assert len(hook.received) == 1  # the same finding within the window is stored, not sent again

    from registry.monitoring.report_kpis import kpi_section, kpi_series
    with Session(engine) as s:
        series = kpi_series(s, select(CheckResult).where(CheckResult.model_version == "2"), "credit")
    approval = series[0]
    assert [p["value"] for p in approval.points] == [0.58, 0.45, 0.3, 0.35]
    assert approval.levels == {"warning": 0.5, "critical": 0.4, "emergency": 0.2}
    page = kpi_section(series)
    assert "approval rate (share) &mdash; target &gt;= 0.55" in page and page.count("<svg") == 3
    assert "latest 0.35" in page and "<strong>critical</strong>" in page and "no values pushed" not in page


def test_bad_pushes_name_the_value(engine: Engine, hook: _Hook) -> None:  # noqa: F811
    _model(engine, alias=False)
    with pytest.raises(KpiInputError, match=r"unknown KPI 'churn' for model 'credit' \(the charter declares"):
        _push(engine, hook, [{"name": "churn", "value": 1}], version="2")
    with pytest.raises(KpiInputError, match="name the 'version': model 'credit' has no 'production' alias"):
        _push(engine, hook, [{"name": "complaints", "value": 1}])
    with pytest.raises(ValidationError, match="finite"):
        KpiPush.model_validate({"values": [{"name": "complaints", "value": "nan"}]})
    with Session(engine) as s:
        assert s.exec(select(CheckResult)).all() == []  # a refused batch leaves nothing behind


def test_cli_pushes_and_the_report_shows_the_kpis(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'w.db'}"
    from registry.db import make_engine
    from registry.migrate import upgrade

    upgrade(db)
    engine = make_engine(db)
    _model(engine)
    config = tmp_path / "monitor.yaml"
    config.write_text(yaml.safe_dump({"webhooks": []}))
    run = CliRunner().invoke(monitor_group, ["--db", db, "--config", str(config), "kpi", "--model", "credit",
                                             "--at", "2030-01-02 00:00:00", "approval rate=0.45",
                                             "loss per loan=210"])
    assert run.exit_code == 0, run.output
    printed = [yaml.safe_load(line) for line in run.output.splitlines()]
    assert [(p["name"], p["level"]) for p in printed] == [("approval rate", "warning"), ("loss per loan", "critical")]
    bad = CliRunner().invoke(monitor_group, ["--db", db, "kpi", "--model", "credit", "churn=3"])
    assert bad.exit_code == 2 and "unknown KPI 'churn'" in bad.output
    text = CliRunner().invoke(monitor_group, ["--db", db, "kpi", "--model", "credit", "complaints=many"])
    assert text.exit_code == 2 and "values.0.value" in text.output
    with session_scope(engine) as s:
        alerts = s.exec(select(AlertRecord.check)).all()
    assert sorted(alerts) == ["kpi:approval rate", "kpi:loss per loan"]
    engine.dispose()
