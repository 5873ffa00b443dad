"""Monitoring wired to governance: tiers and schedules from the tier policy, audited rollback via governance."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Iterator, Sequence
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from monitor_synth import START, prediction_batch, reference_columns
from sqlalchemy.engine import Engine
from sqlmodel import select

from gateway.cli.monitor import monitor_group
from gateway.config import GatewayConfig, RegistryLinkConfig
from gateway.providers.deployments import build_deployments
from gateway.registry_link import RegistryLink
from registry.db import make_engine, session_scope
from registry.governance import (
    Actor,
    ModelIn,
    VersionIn,
    check_servable,
    classify_model,
    get_rollout,
    register_model,
    register_version,
    set_alias,
    verify,
)
from registry.governance.access import find_model, find_version
from registry.governance.tables import GovAuditEntry
from registry.migrate import upgrade
from registry.monitoring.config import ActionPolicy, MonitorConfig, TierSchedule
from registry.monitoring.governance_link import (
    GovernanceAliasSwitcher,
    GovernanceAuditSink,
    GovernanceTierLookup,
    governance_hooks,
    governed_config,
    policy_tiers,
)
from registry.monitoring.ingest import ingest_predictions
from registry.monitoring.levels import Level
from registry.monitoring.runner import CheckReport, MonitorContext
from registry.monitoring.schedule import run_due
from registry.monitoring.store import register_reference
from tests.registry.governance.gov_helpers import CRITERIA  # one table of tier criteria for every test

ADMIN = Actor(name="admin", admin=True)


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "registry.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def sqlite_copy(migrated: Path, tmp_path: Path) -> Iterator[Engine]:
    """A migrated SQLite database copied from a template (the many small cases below need no fresh migration run)."""
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{migrated}{suffix}").exists():
            shutil.copy(f"{migrated}{suffix}", tmp_path / f"registry.db{suffix}")
    engine = make_engine(f"sqlite:///{tmp_path / 'registry.db'}")
    yield engine
    engine.dispose()


def govern(
    engine: Engine,
    name: str,
    tier: int | None,
    versions: Sequence[str] = ("1", "2"),
    alias_moves: Sequence[str] = ("1", "2"),
    statuses: dict[str, str] | None = None,
    kind: str = "classical",
) -> None:
    """A governed model whose versions are in production (gates are governance's tests) and whose `production` and
    `champion` aliases moved through `alias_moves`."""
    with session_scope(engine) as s:
        register_model(s, ADMIN, ModelIn(name=name, kind=kind, owner="ops", team="risk", use_case="scoring"))  # type: ignore[arg-type]
        if tier is not None:
            classify_model(s, ADMIN, name, CRITERIA[tier])
        model = find_model(s, name)
        for version in versions:
            register_version(s, ADMIN, name, VersionIn(version=version))
            row = find_version(s, model, version)
            row.status = (statuses or {}).get(version, "production")
            s.add(row)
        for version in alias_moves:
            for alias in ("production", "champion"):
                set_alias(s, ADMIN, name, alias, version)


def _reference(engine: Engine, name: str, version: str) -> None:
    ref = reference_columns(5000, seed=1)
    register_reference(
        engine,
        name,
        version,
        {"x": ref["x"], "y": ref["y"], "colour": ref["colour"]},
        predictions=(ref["score"] >= 0.5).astype(int),
        scores=ref["score"],
        validated_metrics={"accuracy": 0.8},
    )


def _governed_ctx(engine: Engine, config: MonitorConfig | None = None) -> MonitorContext:
    hooks = governance_hooks(engine)
    return MonitorContext(
        engine=engine,
        config=governed_config(config or MonitorConfig()),
        tier_lookup=hooks.tier_lookup,
        audit=hooks.audit,
        switcher=hooks.switcher,
        llm_catalog=hooks.catalog,
    )


def _routed(engine: Engine, model: str) -> frozenset[str] | None:
    """The deployments the gateway would route a request for `model` to, one deployment per version."""
    entries = [
        {
            "model_name": "api",
            "litellm_params": {"model": "warden-demo/echo"},
            "model_info": {"id": f"v{v}", "registry_model": model, "registry_version": v},
        }
        for v in ("1", "2")
    ]
    link = RegistryLink(
        engine, RegistryLinkConfig(), build_deployments(GatewayConfig.model_validate({"model_list": entries}))
    )
    asyncio.run(link.refresh())
    return link.select("api", "request-1").allowed


def _chain(engine: Engine, name: str) -> list[GovAuditEntry]:
    with session_scope(engine) as s:
        return list(s.exec(select(GovAuditEntry).where(GovAuditEntry.chain == name).order_by(GovAuditEntry.seq)))  # type: ignore[arg-type]


def test_tier1_drift_emergency_rolls_back_through_governance_and_is_audited(engine: Engine) -> None:
    govern(engine, "fraud", tier=1)
    for version in ("1", "2"):
        _reference(engine, "fraud", version)
    batch, _ = prediction_batch(1500, START, 3000, seed=5, version="2", x_shift=1.0, error_rate=0.8)
    ingest_predictions(engine, "fraud", batch)
    ctx = _governed_ctx(engine, MonitorConfig(actions=ActionPolicy(rollback_on_emergency=True)))
    assert _routed(engine, "fraud") == {"v1", "v2"}

    [report] = run_due(ctx, now=START + timedelta(minutes=55))
    assert isinstance(report, CheckReport)
    assert (report.model_version, report.tier, report.level) == ("2", 1, Level.EMERGENCY)
    assert "x" in {d.feature for d in report.drift if d.drifted}
    assert report.rollback is not None and (report.rollback.from_version, report.rollback.to_version) == ("2", "1")
    with session_scope(engine) as s:
        assert check_servable(s, "fraud", "production").version == "1"
        assert check_servable(s, "fraud").version == "1"  # the gateway's default alias `champion` followed
        assert verify(s).ok
        plan = get_rollout(s, ADMIN, "fraud")
    assert plan is not None and (plan.strategy, plan.stable, plan.candidate) == ("blue_green", "1", "2")
    assert _routed(engine, "fraud") == {"v1"}  # the gateway stops sending traffic to the failing version
    monitor = [
        (e.action, e.subject, e.before, (e.after or {}).get("version"))
        for e in _chain(engine, "fraud")
        if e.actor == "monitor"
    ]
    assert ("alias.set", "model:fraud#production", {"alias": "production", "version": "2"}, "1") in monitor
    assert ("alias.set", "model:fraud#champion", {"alias": "champion", "version": "2"}, "1") in monitor
    assert ("model.alias.rollback", "model:fraud@production", {"version": "2"}, "1") in monitor
    assert "rollout.set" in [a for a, *_ in monitor]
    actions = [a for a, *_ in monitor]
    assert actions.count("monitor.alert") >= 2 and "monitor.retrain_request" in actions  # drift (critical) + emergency

    # Version 1 now serves without traffic (an Emergency too), but the monitor never rolls back onto a version it fled.
    # Version 2 logged predictions in the window, so it is still checked; it no longer serves, so nothing moves.
    reports = {r.model_version: r for r in run_due(ctx, now=START + timedelta(minutes=57), force=True)}
    again = reports["1"]
    assert sorted(reports) == ["1", "2"] and reports["2"].rollback is None
    assert again.level == Level.EMERGENCY and again.rollback is None
    with session_scope(engine) as s:
        assert check_servable(s, "fraud", "production").version == "1" and verify(s).ok


def test_tier3_model_waits_for_its_weekly_schedule(engine: Engine) -> None:
    govern(engine, "churn", tier=3, versions=("1",), alias_moves=("1",))
    _reference(engine, "churn", "1")
    ctx = _governed_ctx(engine)
    assert ctx.config.tier_schedule(3).every_seconds == 7 * 86_400
    ran = {
        hours: [r.model_name for r in run_due(ctx, now=START + timedelta(hours=hours))]
        for hours in (0, 1, 24, 6 * 24, 7 * 24 - 1)
    }
    assert ran == {0: ["churn"], 1: [], 24: [], 6 * 24: [], 7 * 24 - 1: []}
    [report] = run_due(ctx, now=START + timedelta(days=7))
    assert (report.model_name, report.tier) == ("churn", 3)


@pytest.mark.parametrize(
    ("tier", "every", "retrain_days", "lookback"),
    [(1, 60, 7, 3600), (2, 86_400, 30, 86_400), (3, 604_800, 91, 604_800), (4, 2_592_000, None, 2_592_000)],
)
def test_schedules_follow_tier_policy(tier: int, every: int, retrain_days: int | None, lookback: int) -> None:
    schedule = policy_tiers(MonitorConfig())[tier]
    assert (schedule.every_seconds, schedule.retrain_every_days, schedule.lookback_seconds) == (
        every,
        retrain_days,
        lookback,
    )


def test_explicit_config_wins_over_policy() -> None:
    mine = MonitorConfig(
        tiers={1: TierSchedule(every_seconds=5, lookback_seconds=10)}, actions=ActionPolicy(audit_alerts=False)
    )
    governed = governed_config(mine)
    assert governed.tiers == mine.tiers and governed.actions.audit_alerts is False
    assert governed_config(MonitorConfig()).actions.audit_alerts is True


@pytest.mark.parametrize(
    ("moves", "statuses", "rolled_back_from", "expected"),
    [
        (("1", "2"), {}, None, "1"),
        (("1", "2", "3"), {}, None, "2"),
        (("1", "2", "3"), {"2": "staging"}, None, "1"),
        (("3",), {}, None, "2"),  # no alias history: the most recent other production version
        (("1", "2", "3"), {}, "2", "1"),  # a version the monitor fled is never a target again
        (("3",), {"1": "archived", "2": "development"}, None, None),
    ],
)
def test_previous_version(
    sqlite_copy: Engine,
    moves: tuple[str, ...],
    statuses: dict[str, str],
    rolled_back_from: str | None,
    expected: str | None,
) -> None:
    govern(sqlite_copy, "m", tier=2, versions=("1", "2", "3"), alias_moves=moves, statuses=statuses)
    if rolled_back_from:
        GovernanceAuditSink(sqlite_copy).record(
            "x", "model.alias.rollback", "m@production", {"version": rolled_back_from}, {"version": "3"}
        )
    switcher = GovernanceAliasSwitcher(sqlite_copy)
    assert switcher.current_version("m", "production") == moves[-1]
    assert switcher.previous_version("m", "production") == expected


def test_unknown_models_keep_the_plain_behaviour(sqlite_copy: Engine) -> None:
    switcher, sink = GovernanceAliasSwitcher(sqlite_copy), GovernanceAuditSink(sqlite_copy)
    assert GovernanceTierLookup(sqlite_copy)("ghost") is None
    assert (
        switcher.current_version("ghost", "production") is None
        and switcher.previous_version("ghost", "production") is None
    )
    sink.record("monitor", "monitor.alert", "ghost@1", None, {"level": "emergency"})
    assert _chain(sqlite_copy, "ghost") == []
    govern(sqlite_copy, "fresh", tier=None, versions=("1",), alias_moves=())
    assert GovernanceTierLookup(sqlite_copy)("fresh") == 1  # unclassified: the strictest tier, as governance's gates


@pytest.mark.parametrize(
    ("tier", "level", "recorded"),
    [
        (1, "warning", False),
        (1, "critical", True),
        (1, "emergency", True),
        (2, "warning", True),
        (2, "info", False),
        (3, "warning", True),
        (4, "info", True),
    ],
)
def test_alerts_are_audited_from_the_tier_severity(sqlite_copy: Engine, tier: int, level: str, recorded: bool) -> None:
    govern(sqlite_copy, "m", tier=tier, versions=("1",), alias_moves=())
    GovernanceAuditSink(sqlite_copy).record(
        "any", "monitor.alert", "m@1", None, {"check": "data_drift", "level": level}
    )
    entries = [e for e in _chain(sqlite_copy, "m") if e.action == "monitor.alert"]
    assert len(entries) == int(recorded)
    assert all(e.actor == "monitor" and e.subject == "model:m@1" for e in entries)


def test_cli_uses_governance_by_default(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'w.db'}"
    upgrade(url)
    engine = make_engine(url)
    govern(engine, "churn", tier=3, versions=("1",), alias_moves=("1",))
    for name in ("churn", "other"):
        _reference(engine, name, "1")
    runner = CliRunner()
    first = runner.invoke(monitor_group, ["--db", url, "run"], catch_exceptions=False)
    assert first.exit_code == 0, first.output
    assert "churn@1 tier 3" in first.output and "other@1 tier 2" in first.output and "2 check(s) run" in first.output
    second = runner.invoke(monitor_group, ["--db", url, "run"], catch_exceptions=False)
    assert "0 check(s) run" in second.output
