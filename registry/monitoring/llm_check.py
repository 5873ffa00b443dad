"""LLM checks: one model's gateway traffic against an earlier window, stored, alerted and acted on like the rest."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import Session, select

from registry.monitoring.actions import Rollback, maybe_rollback
from registry.monitoring.alerts import Alert, AlertDispatcher, Delivery
from registry.monitoring.levels import Level, worst
from registry.monitoring.llm import GroupDrift, UsageRow, usage_drift
from registry.monitoring.runner import MonitorContext, audit_alert, mark_run
from registry.monitoring.tables import CheckResult, CheckRun
from registry.monitoring.timeutil import as_utc, utc_now
from registry.monitoring.usage_source import GroupStats, UsageScope, usage_rows, usage_stats

GroupKey = tuple[str, str, str | None]
_STATS = (
    "requests",
    "error_rate",
    "latency_p50",
    "latency_p95",
    "latency_p99",
    "prompt_tokens",
    "completion_tokens",
    "cost_usd",
)


@dataclass(slots=True)
class LlmCheckReport:
    """The outcome of one run over one LLM's traffic."""

    model_name: str
    model_version: str
    tier: int
    window_start: datetime
    window_end: datetime
    reference_start: datetime
    groups: list[GroupDrift] = field(default_factory=list)
    stats: list[GroupStats] = field(default_factory=list)
    emergency: str | None = None
    alerts: list[Delivery] = field(default_factory=list)
    rollback: Rollback | None = None

    @property
    def level(self) -> Level:
        return Level.EMERGENCY if self.emergency else worst([g.level for g in self.groups])


def group_label(key: GroupKey) -> str:
    """`team/model/prompt@commit`, cut to fit the result tables' subject column."""
    return "/".join((key[0], key[1], key[2] or "-"))[:150]


def llm_scopes(ctx: MonitorContext) -> list[UsageScope]:
    """Governance's `llm` models, then the configured gateway model names it does not already cover."""
    scopes = ctx.llm_catalog.llm_scopes() if ctx.llm_catalog else []
    known = {s.model_name for s in scopes}
    scopes += [
        UsageScope(name, "gateway", "requested_model", name)
        for name in ctx.config.llm.gateway_models
        if name not in known
    ]
    return scopes


def due_llm_scopes(
    ctx: MonitorContext, session: Session, now: datetime, model_name: str | None = None, force: bool = False
) -> list[UsageScope]:
    joined = ctx.joined(session)
    runs = {(r.model_name, r.model_version): r.last_run_at for r in session.exec(select(CheckRun))}
    due = []
    for scope in llm_scopes(joined):
        if model_name is not None and scope.model_name != model_name:
            continue
        every = timedelta(seconds=joined.config.tier_schedule(joined.tier(scope.model_name)).every_seconds)
        last = runs.get((scope.model_name, scope.model_version))
        if force or last is None or now - last >= every:
            due.append(scope)
    return due


def run_llm_check(
    ctx: MonitorContext, session: Session, scope: UsageScope, now: datetime | None = None
) -> LlmCheckReport:
    """Compare the tier's lookback window with the `reference_seconds` before it, store, alert, roll back."""
    moment = as_utc(now) if now else utc_now()
    ctx = ctx.joined(session)
    tier = ctx.tier(scope.model_name)
    start = moment - timedelta(seconds=ctx.config.tier_schedule(tier).lookback_seconds)
    reference_start = start - timedelta(seconds=ctx.config.llm.reference_seconds)
    report = LlmCheckReport(scope.model_name, scope.model_version, tier, start, moment, reference_start)
    current = usage_rows(session, scope, start, moment, ctx.config.llm.max_rows)
    reference = usage_rows(session, scope, reference_start, start, ctx.config.llm.max_rows)
    compared = _comparable(reference, current, ctx.config.drift.min_samples)
    report.groups = usage_drift(*compared, ctx.config.drift, ctx.config.llm.min_rate_change)
    report.stats = usage_stats(session, scope, start, moment)
    report.emergency = _emergency(report.stats, ctx)
    _store(session, report, current)
    _act(ctx, session, report, moment)
    mark_run(session, scope.model_name, scope.model_version, report.level, moment)
    return report


def _key(row: UsageRow) -> GroupKey:
    return row.team, row.model, row.prompt_version


def _comparable(
    reference: list[UsageRow], current: list[UsageRow], minimum: int
) -> tuple[list[UsageRow], list[UsageRow]]:
    """Only groups with `minimum` requests on both sides: a new prompt version's first handful of requests is noise."""
    sizes = Counter(_key(r) for r in reference), Counter(_key(r) for r in current)
    keep = {key for key, n in sizes[0].items() if n >= minimum and sizes[1][key] >= minimum}
    return [r for r in reference if _key(r) in keep], [r for r in current if _key(r) in keep]


def _emergency(stats: list[GroupStats], ctx: MonitorContext) -> str | None:
    requests, errors = sum(s.requests for s in stats), sum(s.errors for s in stats)
    # A handful of failed requests is not an outage; the drift guard's sample floor applies here too.
    if requests < ctx.config.drift.min_samples:
        return None
    rate = errors / requests
    limit = ctx.config.decay.emergency_error_rate
    return f"gateway error rate {rate:.1%} >= {limit:.0%} over {requests} requests" if rate >= limit else None


def _current_rates(rows: list[UsageRow]) -> dict[GroupKey, dict[str, float]]:
    hits: dict[GroupKey, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    totals: dict[GroupKey, int] = defaultdict(int)
    for row in rows:
        key = _key(row)
        totals[key] += 1
        hits[key]["error"] += row.error
        for guardrail, action in row.verdicts.items():
            hits[key][f"{guardrail}:{action}"] += 1
    return {key: {name: count / totals[key] for name, count in names.items()} for key, names in hits.items()}


def _store(session: Session, report: LlmCheckReport, current: list[UsageRow]) -> None:
    def add(check: str, key: GroupKey, name: str, value: float, level: Level = Level.NONE) -> None:
        session.add(
            CheckResult(
                model_name=report.model_name,
                model_version=report.model_version,
                check=check,
                subject=f"{group_label(key)}:{name}"[:200],
                value=value,
                level=level.value,
                window_start=report.window_start,
                window_end=report.window_end,
            )
        )

    rate_levels = {}
    for group in report.groups:
        key = (group.team, group.model, group.prompt_version)
        rate_levels.update({(key, r.name): r.level for r in group.rates})
        for metric in group.metrics:
            add("llm_drift", key, metric.feature, metric.psi, metric.level)
    for key, rates in _current_rates(current).items():
        for name, value in sorted(rates.items()):
            add("llm_rate", key, name, value, rate_levels.get((key, name), Level.NONE))
    for stats in report.stats:
        for name in _STATS:
            add("llm_usage", stats.key, name, float(getattr(stats, name)))
    session.flush()


def _alerts(report: LlmCheckReport) -> list[Alert]:
    found: dict[str, list[tuple[str, Level, str, float]]] = defaultdict(list)
    for group in report.groups:
        label = group_label((group.team, group.model, group.prompt_version))
        for metric in group.metrics:
            if metric.drifted:
                found[metric.feature].append((label, metric.level, f"PSI {metric.psi:.3f}", round(metric.psi, 4)))
        for rate in group.rates:
            change = f"{rate.reference_rate:.1%} -> {rate.current_rate:.1%}"
            found[rate.name].append((label, rate.level, change, round(rate.current_rate, 4)))
    alerts = []
    for name, items in sorted(found.items()):
        message = f"{name} moved in " + ", ".join(f"{label} ({text})" for label, _, text, _ in items)
        details: dict[str, float | str | bool | None] = {label: value for label, _, _, value in items}
        alerts.append(
            Alert(
                report.model_name,
                report.model_version,
                f"llm:{name}"[:50],
                worst([i[1] for i in items]),
                message,
                details,
            )
        )
    if report.emergency:
        alerts.append(Alert(report.model_name, report.model_version, "emergency", Level.EMERGENCY, report.emergency))
    return alerts


def _act(ctx: MonitorContext, session: Session, report: LlmCheckReport, now: datetime) -> None:
    policy = ctx.config.actions
    dispatcher = AlertDispatcher(ctx.config.webhooks, policy.dedup_window_seconds, ctx.http)
    for alert in _alerts(report):
        report.alerts.append(dispatcher.dispatch(session, alert, now))
        audit_alert(ctx, alert, report.alerts[-1])
    report.rollback = maybe_rollback(
        policy,
        report.tier,
        report.model_name,
        report.model_version,
        Level.EMERGENCY if report.emergency else Level.NONE,
        report.emergency or "",
        ctx.switcher,
        ctx.audit,
        ctx.config.actor,
    )
