"""LLM monitoring from the gateway's usage rows: SQL aggregates, drift against the previous week, alerts, rollback."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from sqlalchemy import insert
from sqlalchemy.engine import Engine
from sqlmodel import select
from test_monitor_integration_governance import govern

from registry.db import session_scope
from registry.governance import check_servable, verify
from registry.monitoring.config import ActionPolicy, LlmMonitorConfig, MonitorConfig
from registry.monitoring.governance_link import governance_hooks, governed_config
from registry.monitoring.levels import Level
from registry.monitoring.llm_check import LlmCheckReport
from registry.monitoring.runner import MonitorContext
from registry.monitoring.schedule import run_due
from registry.monitoring.tables import AlertRecord, CheckResult
from registry.monitoring.usage_source import UsageScope, usage_rows, usage_stats
from registry.tables import UsageRecord

NOW = datetime(2025, 6, 9, 12, 0, tzinfo=UTC)
DAY = 86_400


Row = dict[str, object]


def usage(
    n: int,
    start: datetime,
    seconds: float,
    seed: int,
    team: str = "search",
    latency: float = 300.0,
    error_rate: float = 0.01,
    block_rate: float = 0.02,
    model: str = "gpt-x",
    registry: tuple[str, str] | None = None,
) -> list[Row]:
    """`n` usage rows (as the gateway writes them) spread over `seconds`; exactly round(n * rate) errors and blocks."""
    rng = np.random.default_rng(seed)
    errors = np.zeros(n, dtype=bool)
    errors[rng.permutation(n)[: round(n * error_rate)]] = True
    blocks = np.zeros(n, dtype=bool)
    blocks[rng.permutation(n)[: round(n * block_rate)]] = True
    latencies, prompt = rng.lognormal(np.log(latency), 0.3, n), rng.poisson(400, n)
    completion, cost = rng.poisson(150, n), rng.gamma(2, 0.001, n)
    return [
        {
            "request_id": f"{team}-{model}-{seed}-{i}",
            "created_at": start + timedelta(seconds=seconds * i / n),
            "team": team,
            "requested_model": model,
            "status": "error" if errors[i] else "ok",
            "error_type": "upstream" if errors[i] else None,
            "latency_ms": float(latencies[i]),
            "prompt_tokens": int(prompt[i]),
            "completion_tokens": int(completion[i]),
            "cost_usd": float(cost[i]),
            "prompt_name": "support",
            "prompt_commit": "abc1234def5678",
            "guardrails": [
                {"guardrail": "pii", "action": "allow", "score": 0.0},
                {"guardrail": "pii", "action": "block" if blocks[i] else "allow", "score": 0.9},
            ],
            "registry_model": registry[0] if registry else None,
            "registry_version": registry[1] if registry else None,
        }
        for i in range(n)
    ]


def _store(engine: Engine, *batches: list[Row]) -> None:
    with session_scope(engine) as session:
        for batch in batches:
            session.execute(insert(UsageRecord), batch)


def _week_then_day(engine: Engine, seed: int, **current: float) -> None:
    """A reference week for two teams, then a day where only team `search` takes `current`'s changes."""
    _store(
        engine,
        usage(2000, NOW - timedelta(days=8), 7 * DAY, seed),
        usage(800, NOW - timedelta(days=8), 7 * DAY, seed + 1, team="ads"),
        usage(1000, NOW - timedelta(days=1), DAY - 1, seed + 2, **current),  # type: ignore[arg-type]
        usage(400, NOW - timedelta(days=1), DAY - 1, seed + 3, team="ads"),
    )


@pytest.mark.parametrize(
    ("changes", "alert_check", "level"),
    [
        ({}, None, Level.NONE),
        ({"latency": 450.0}, "llm:latency_ms", Level.CRITICAL),
        ({"error_rate": 0.08}, "llm:error", Level.WARNING),
        ({"error_rate": 0.25}, "llm:error", Level.CRITICAL),
        ({"block_rate": 0.15}, "llm:pii:block", Level.CRITICAL),
        ({"error_rate": 0.7}, "emergency", Level.EMERGENCY),
    ],
)
def test_usage_shift_alerts_at_the_right_level(
    engine: Engine, changes: dict[str, float], alert_check: str | None, level: Level
) -> None:
    _week_then_day(engine, seed=10, **changes)
    config = MonitorConfig(default_tier=2, llm=LlmMonitorConfig(gateway_models=("gpt-x",)))
    [report] = run_due(MonitorContext(engine=engine, config=config), now=NOW)
    assert isinstance(report, LlmCheckReport) and (report.model_name, report.model_version) == ("gpt-x", "gateway")
    assert report.level == level
    with session_scope(engine) as session:
        alerts = {a.check: a for a in session.exec(select(AlertRecord))}
        stored = {r.subject: r.value for r in session.exec(select(CheckResult).where(CheckResult.check == "llm_usage"))}
    if alert_check is None:
        assert alerts == {}
    else:
        assert alerts[alert_check].level == level.value
        assert all("ads/" not in a.message for a in alerts.values())  # the unchanged team is never named
    assert stored["search/gpt-x/support@abc1234def56:requests"] == 1000
    assert stored["ads/gpt-x/support@abc1234def56:error_rate"] == pytest.approx(0.01)
    assert stored["search/gpt-x/support@abc1234def56:error_rate"] == pytest.approx(changes.get("error_rate", 0.01))


def test_sql_aggregates_match_the_rows(engine: Engine) -> None:
    rows = usage(700, NOW - timedelta(hours=2), 3600, seed=3, error_rate=0.1) + usage(
        300, NOW - timedelta(hours=2), 3600, seed=4, team="ads"
    )
    _store(engine, rows, usage(50, NOW - timedelta(days=3), 60, seed=5))  # outside the window
    scope = UsageScope("gpt-x", "gateway", "requested_model", "gpt-x")
    with session_scope(engine) as session:
        stats = {s.team: s for s in usage_stats(session, scope, NOW - timedelta(hours=3), NOW)}
        only_ads = usage_rows(
            session,
            UsageScope("gpt-x", "gateway", "requested_model", "gpt-x", team="ads"),
            NOW - timedelta(hours=3),
            NOW,
        )
        capped = usage_rows(session, scope, NOW - timedelta(hours=3), NOW, max_rows=10)
    search = [r for r in rows if r["team"] == "search"]
    latency = np.array([r["latency_ms"] for r in search])
    got = stats["search"]
    assert (got.requests, got.errors, got.prompt_tokens) == (700, 70, sum(r["prompt_tokens"] for r in search))  # type: ignore[misc]
    assert got.cost_usd == pytest.approx(sum(r["cost_usd"] for r in search))  # type: ignore[misc]
    assert [got.latency_p50, got.latency_p95, got.latency_p99] == pytest.approx(
        np.quantile(latency, [0.5, 0.95, 0.99]).tolist()
    )
    assert stats["ads"].requests == 300 and len(only_ads) == 300 and {r.team for r in only_ads} == {"ads"}
    assert len(capped) == 10 and min(r.ts for r in capped) > NOW - timedelta(hours=2)  # the most recent ones
    blocked = sum(1 for r in only_ads if r.verdicts["pii"] == "block")
    assert blocked == 6  # the stricter of a guardrail's verdicts wins


def test_governed_llm_is_scoped_to_its_serving_version_and_rolled_back(engine: Engine) -> None:
    govern(engine, "assistant", tier=1, kind="llm")  # production and champion point at version 2
    served = ("assistant", "2")
    _store(
        engine,
        usage(2000, NOW - timedelta(days=7, hours=1), 7 * DAY, seed=20, registry=served),
        usage(400, NOW - timedelta(hours=1), 3599, seed=21, error_rate=0.7, registry=served),
        usage(400, NOW - timedelta(hours=1), 3599, seed=22, registry=("assistant", "1")),
        usage(400, NOW - timedelta(hours=1), 3599, seed=23, error_rate=0.9),
    )  # ungoverned traffic
    hooks = governance_hooks(engine)
    ctx = MonitorContext(
        engine=engine,
        config=governed_config(MonitorConfig(actions=ActionPolicy(rollback_on_emergency=True))),
        tier_lookup=hooks.tier_lookup,
        audit=hooks.audit,
        switcher=hooks.switcher,
        llm_catalog=hooks.catalog,
    )
    [report] = run_due(ctx, now=NOW)
    assert isinstance(report, LlmCheckReport)
    assert (report.model_name, report.model_version, report.tier) == ("assistant", "2", 1)
    assert [s.requests for s in report.stats] == [400] and report.level == Level.EMERGENCY
    assert report.rollback is not None and report.rollback.to_version == "1"
    with session_scope(engine) as session:
        assert check_servable(session, "assistant").version == "1" and verify(session).ok
    [next_run] = run_due(ctx, now=NOW + timedelta(seconds=30))  # the version now serving was never checked: due at once
    assert next_run.model_version == "1" and next_run.level == Level.NONE and next_run.rollback is None
    assert run_due(ctx, now=NOW + timedelta(seconds=60)) == []  # tier 1 runs every minute (governance: realtime)
    assert len(run_due(ctx, now=NOW + timedelta(seconds=90))) == 1
