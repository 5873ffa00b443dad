"""Expectations declared on the version spec, on SQLite and PostgreSQL: checked at ingest beside the monitor config's,
the spec winning per feature, each version held to its own; alerted even when the config declares none."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from test_monitor_alerts import _Hook, hook  # noqa: F401 - the real webhook server fixture

from gateway.cli.models import models_group
from registry.db import session_scope
from registry.governance import inventory, versions
from registry.governance.schemas import ModelIn, VersionIn
from registry.governance.specs import VersionSpec
from registry.governance.types import Actor
from registry.monitoring.alerts import AlertDispatcher
from registry.monitoring.config import WebhookTarget
from registry.monitoring.expectations import FeatureExpectation
from registry.monitoring.ingest import PredictionBatch, PredictionRecord, ingest_predictions
from registry.monitoring.levels import Level
from registry.monitoring.tables import AlertRecord

T0 = datetime(2030, 1, 1, 10, tzinfo=UTC)
ALICE = Actor(name="alice", teams=frozenset({"risk"}))
CONFIG = {"age": FeatureExpectation(min=0, max=120), "plan": FeatureExpectation(allowed=("basic", "pro"))}
SPEC = {"expectations": {"age": {"type": "number", "min": 18, "max": 65, "level": "critical"},
                         "tenure": {"max_null_rate": 0.0}}}


def _registered(engine: Engine) -> None:
    with session_scope(engine) as s:
        inventory.register_model(s, ALICE, ModelIn(name="churn", kind="classical", owner="alice", team="risk",
                                                   use_case="retention"))
        versions.register_version(s, ALICE, "churn", VersionIn(version="1", spec=VersionSpec.model_validate(SPEC)))
        versions.register_version(s, ALICE, "churn", VersionIn(version="2"))


def _batch() -> PredictionBatch:
    """Per version: ages 30 and 70 (70 breaks only version 1's spec), plans basic and gold (gold breaks the config),
    one tenure missing (only version 1 forbids it)."""
    rows = [({"age": 30, "plan": "basic", "tenure": 3}), ({"age": 70, "plan": "gold", "tenure": None})]
    return PredictionBatch(records=[PredictionRecord(model_version=v, ts=T0 + timedelta(minutes=i), prediction=1,
                                                     features=f) for v in ("1", "2") for i, f in enumerate(rows)])


def test_the_spec_wins_per_feature_and_each_version_has_its_own(engine: Engine, hook: _Hook) -> None:  # noqa: F811
    _registered(engine)
    dispatcher = AlertDispatcher([WebhookTarget(url=hook.url)], 3600)
    result = ingest_predictions(engine, "churn", _batch(), 3600, CONFIG, dispatcher)
    found = {(q.model_version, q.feature): (q.violations, q.null_rate_exceeded, q.level) for q in result.data_quality}
    assert found == {
        ("1", "age"): (1, False, Level.CRITICAL), ("1", "plan"): (1, False, Level.WARNING),
        ("1", "tenure"): (0, True, Level.WARNING),
        ("2", "age"): (0, False, Level.NONE), ("2", "plan"): (1, False, Level.WARNING)}
    with Session(engine) as s:
        levels = sorted((a.model_version, a.level) for a in s.exec(select(AlertRecord)))
    assert levels == [("1", "critical"), ("2", "warning")]


def test_spec_expectations_alert_without_any_in_the_config(engine: Engine, hook: _Hook) -> None:  # noqa: F811
    _registered(engine)
    dispatcher = AlertDispatcher([WebhookTarget(url=hook.url)], 3600)
    result = ingest_predictions(engine, "churn", _batch(), 3600, None, dispatcher)
    assert {(q.model_version, q.feature) for q in result.data_quality} == {("1", "age"), ("1", "tenure")}
    [(_, body)] = hook.received
    assert body["model_version"] == "1" and body["level"] == "critical" and "age (1 row(s))" in body["message"]
    unknown = ingest_predictions(engine, "other-model", _batch(), 3600, None, dispatcher)
    assert unknown.stored == 4 and unknown.data_quality == []


@pytest.mark.parametrize(("expectations", "message"), [
    ({"age": {"min": 70, "max": 18}}, "min 70.0 is above max 18.0"),
    ({"age": {"maximum": 3}}, "maximum"),
    ({"age": {"level": "loud"}}, "loud"),
])
def test_cli_version_spec_refuses_bad_expectations(tmp_path: Path, expectations: dict[str, object],
                                                   message: str) -> None:
    from tests.support.cli_keys import named_key

    url = f"sqlite:///{tmp_path / 'r.db'}"
    key = named_key(url, "Olga")
    spec = tmp_path / "spec.yaml"
    run = lambda *a: CliRunner().invoke(models_group, ["--database-url", url, "--actor", key, *a])  # noqa: E731
    assert run("register", "churn", "--kind", "classical", "--owner", "a", "--team", "risk",
               "--use-case", "x").exit_code == 0
    spec.write_text(yaml.safe_dump(SPEC))
    assert run("version", "churn", "1", "--spec", str(spec)).exit_code == 0
    spec.write_text(yaml.safe_dump({"expectations": expectations}))
    bad = run("version", "churn", "2", "--spec", str(spec))
    assert bad.exit_code != 0 and message in bad.output and "expectations" in bad.output
