"""Emergency rollback: a performance collapse is an Emergency for tier 1, a failing canary is withdrawn, and a
person can roll back from the CLI and the API on the alias the rollout plan serves."""

from __future__ import annotations

from datetime import timedelta

import pytest
from click.testing import CliRunner
from monitor_synth import START, prediction_batch
from sqlalchemy.engine import Engine
from test_monitor_integration_governance import (  # noqa: F401  (fixtures)
    ADMIN,
    _chain,
    _governed_ctx,
    _reference,
    govern,
    migrated,
    sqlite_copy,
)

from gateway.cli.models import models_group
from registry.db import session_scope
from registry.governance import RolloutPlan, get_rollout, remove_alias, set_rollout
from registry.monitoring.config import ActionPolicy, DecayThresholds, MonitorConfig
from registry.monitoring.decay import Decay, collapse
from registry.monitoring.ingest import PredictionBatch, ingest_ground_truth, ingest_predictions
from registry.monitoring.levels import Level
from registry.monitoring.schedule import run_due
from tests.support.cli_keys import named_key


@pytest.mark.parametrize(
    ("current", "estimated", "drop", "expected"),
    [
        (0.58, False, 0.25, "accuracy 0.5800 is 27.5% worse than validated 0.8000 (emergency at 25%)"),
        (0.62, False, 0.25, None),  # 22.5%: Critical, not an Emergency
        (0.58, True, 0.25, None),  # an estimate never triggers a rollback
        (0.58, False, None, None),  # the tier has no metric emergency
    ],
)
def test_collapse(current: float, estimated: bool, drop: float | None, expected: str | None) -> None:
    degradation = (0.8 - current) / 0.8
    decay = Decay("accuracy", current, 0.8, degradation, Level.CRITICAL, estimated)
    assert collapse([decay], drop) == expected
    assert DecayThresholds().critical < 0.25


def test_failing_canary_is_withdrawn_on_a_performance_collapse(engine: Engine) -> None:
    govern(engine, "fraud", tier=1, alias_moves=("1",))
    with session_scope(engine) as s:
        set_rollout(s, ADMIN, "fraud", RolloutPlan(strategy="canary", stable="1", candidate="2", percent=10))
    for version in ("1", "2"):
        _reference(engine, "fraud", version)
    stable, stable_labels = prediction_batch(900, START, 3000, seed=5, version="1")
    canary, canary_labels = prediction_batch(300, START, 3000, seed=6, version="2", flip=0.6, id_prefix="c")
    ingest_predictions(engine, "fraud", PredictionBatch(records=stable.records + canary.records))
    ingest_ground_truth(engine, "fraud", stable_labels + canary_labels)
    ctx = _governed_ctx(engine, MonitorConfig(actions=ActionPolicy(rollback_on_emergency=True)))

    reports = {r.model_version: r for r in run_due(ctx, now=START + timedelta(minutes=55), force=True)}
    failing = reports["2"]
    assert failing.emergency is not None and "worse than validated" in failing.emergency
    assert failing.rollback is not None and (failing.rollback.from_version, failing.rollback.to_version) == ("2", "1")
    assert reports["1"].rollback is None
    with session_scope(engine) as s:
        plan = get_rollout(s, ADMIN, "fraud")
    assert plan is not None and (plan.strategy, plan.stable, plan.candidate) == ("blue_green", "1", "2")


def test_rollback_from_the_cli_acts_on_the_rollout_plan_alias(sqlite_copy: Engine) -> None:
    govern(sqlite_copy, "fraud", tier=1, alias_moves=("1",))
    with session_scope(sqlite_copy) as s:
        set_rollout(s, ADMIN, "fraud", RolloutPlan(strategy="blue_green", stable="2", candidate="1", alias="live"))
        for alias in ("production", "champion"):
            remove_alias(s, ADMIN, "fraud", alias)
    url = sqlite_copy.url.render_as_string(hide_password=False)
    rita = named_key(sqlite_copy, "Rita Risk")

    def rollback(*args: str) -> tuple[int, str]:
        argv = ["--database-url", url, "--actor", "Rita Risk", "rollback", "fraud", *args]
        result = CliRunner().invoke(models_group, argv)
        return result.exit_code, result.output

    assert rollback("--reason", "x", "--to", "9")[0] == 1
    assert rollback("--reason", "accuracy collapsed") == (0, "fraud#live: 2 -> 1\n")
    with session_scope(sqlite_copy) as s:
        plan = get_rollout(s, ADMIN, "fraud")
    assert plan is not None and (plan.stable, plan.candidate) == ("1", "2")
    [entry] = [e for e in _chain(sqlite_copy, "fraud") if e.action == "model.alias.rollback"]
    assert (entry.actor, entry.before) == (rita, {"version": "2"})
    assert entry.after == {"version": "1", "reason": "accuracy collapsed"}
    code, output = rollback("--reason", "again")  # 2 was rolled back from: it is never the way back
    assert code == 1 and "nothing to roll back" in output
