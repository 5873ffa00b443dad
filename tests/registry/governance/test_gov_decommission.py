"""Decommissioning one version while another serves, the replacement checked, and the migration check refusing
while the gateway still routes to what is retired (rollout plan, usage rows)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from gov_helpers import ALICE, CRITERIA, T0, approved_version, ready_tier1
from sqlalchemy import delete
from sqlalchemy.engine import Engine

from registry.db import session_scope
from registry.governance import (
    ArchiveIn,
    Conflict,
    DecommissionStart,
    GateError,
    RolloutPlan,
    UsageStats,
    classification,
    decommission,
    inventory,
    lifecycle,
    rollout,
    serving,
)
from registry.governance.access import find_model, find_version
from registry.tables import UsageRecord
from registry.usage_stats import usage_lookup

NAME = "credit-scoring"
HOUR = timedelta(hours=1)
LATER = T0 + timedelta(days=46)


def _two_in_production(engine: Engine) -> None:
    ready_tier1(engine)
    with session_scope(engine) as s:
        lifecycle.promote(s, ALICE, NAME, "1.0", "production", now=T0)
    approved_version(engine, NAME, "2.0", T0 + HOUR)
    with session_scope(engine) as s:
        classification.classify_model(s, ALICE, NAME, CRITERIA[1], now=T0 + 2 * HOUR)
        lifecycle.promote(s, ALICE, NAME, "2.0", "production", now=T0 + 2 * HOUR)


def _start(version: str | None, replacement: str | None = None, at: datetime = T0) -> DecommissionStart:
    return DecommissionStart(
        criteria=["replaced"],
        justification="2.0 replaces it",
        effective_on=(at + timedelta(days=45)).date(),
        stakeholders=["credit-ops@example.com"],
        replacement=replacement,
        version=version,
    )


def _no_usage(_model: str, _version: str | None = None) -> UsageStats:
    return UsageStats(None, 0)


def _retire(engine: Engine, version: str, replacement: str | None, now: datetime = T0 + 3 * HOUR) -> None:
    later = now + timedelta(days=46)
    with session_scope(engine) as s:
        decommission.start_decommission(s, ALICE, NAME, _start(version, replacement, now), lambda _n: None, now)
        assert decommission.check_migration(s, ALICE, NAME, _no_usage, later).ok
        decommission.archive_model(s, ALICE, NAME, ArchiveIn(location="s3://archive/cs", items=["weights"]), now=later)
        decommission.cleanup_model(s, ALICE, NAME, later)


def test_decommissioning_one_version_leaves_the_other_serving(engine: Engine) -> None:
    _two_in_production(engine)
    for replacement, reason in (
        (f"{NAME}@1.0", "is what is being decommissioned"),
        (f"{NAME}@9.9", "has no version '9.9'"),
        ("no-such-model", "'no-such-model' is not registered"),
    ):
        with session_scope(engine) as s, pytest.raises(Conflict, match=reason):
            decommission.start_decommission(s, ALICE, NAME, _start("1.0", replacement), lambda _n: None, T0)
    _retire(engine, "1.0", f"{NAME}@2.0")
    with session_scope(engine) as s:
        model = inventory.get_model(s, ALICE, NAME)
        assert model.status == "active" and model.phase != "decommissioning"
        assert find_version(s, find_model(s, NAME), "1.0").status == "decommissioned"
        assert serving.routable_versions(s, NAME) == ["2.0"] and serving.check_servable(s, NAME, "2.0").ok
    _retire(engine, "2.0", None, LATER)  # the last live version: the model goes with it
    with session_scope(engine) as s:
        model = inventory.get_model(s, ALICE, NAME)
    assert (model.status, model.phase) == ("decommissioned", "decommissioning")


def test_migration_check_fails_while_the_rollout_plan_or_usage_routes_to_the_version(engine: Engine) -> None:
    _two_in_production(engine)
    plan = RolloutPlan(strategy="canary", stable="1.0", candidate="2.0", percent=10)
    with session_scope(engine) as s:
        rollout.set_rollout(s, ALICE, NAME, plan, now=T0 + 2 * HOUR)
        decommission.start_decommission(s, ALICE, NAME, _start("1.0"), lambda _n: None, T0 + 3 * HOUR)
        check = decommission.check_migration(s, ALICE, NAME, _no_usage, LATER)
        assert not check.ok and check.routing == ["rollout plan: canary stable '1.0' (90% of traffic)"]
        with pytest.raises(Conflict, match="still receives traffic"):
            lifecycle.promote(s, ALICE, NAME, "1.0", "archived", now=LATER)
        decommission.archive_model(s, ALICE, NAME, ArchiveIn(location="s3://archive/cs", items=["weights"]), now=LATER)
        with pytest.raises(GateError, match="passing migration check"):
            decommission.cleanup_model(s, ALICE, NAME, LATER)
    with session_scope(engine) as s:
        s.execute(delete(UsageRecord).where(UsageRecord.registry_model == NAME))
        rollout.clear_rollout(s, ALICE, NAME, now=LATER)
        for version in ("1.0", "2.0", "2.0"):
            s.add(UsageRecord(request_id="r", registry_model=NAME, registry_version=version))
    with session_scope(engine) as s:
        counted = decommission.check_migration(s, ALICE, NAME, usage_lookup(engine, days=30), LATER)
        assert (counted.ok, counted.requests_last_n_days, counted.routing) == (False, 1, [])
        s.execute(delete(UsageRecord).where(UsageRecord.registry_model == NAME, UsageRecord.registry_version == "1.0"))
    with session_scope(engine) as s:
        assert decommission.check_migration(s, ALICE, NAME, usage_lookup(engine, days=30), LATER).ok
        decommission.cleanup_model(s, ALICE, NAME, LATER)
        assert serving.routable_versions(s, NAME) == ["2.0"]
        s.execute(delete(UsageRecord).where(UsageRecord.registry_model == NAME))
