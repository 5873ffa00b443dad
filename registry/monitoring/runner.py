"""Run the checks of one model version over its current window and act on the findings."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable

import httpx
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from registry.monitoring import concept
from registry.monitoring.actions import Rollback, maybe_rollback, request_retrain, scheduled_retrain_due
from registry.monitoring.alerts import Alert, AlertDispatcher, Delivery
from registry.monitoring.config import MonitorConfig
from registry.monitoring.decay import Decay, collapse, decay_level, emergency
from registry.monitoring.drift import FeatureDrift, detect_drift_from_counts
from registry.monitoring.levels import Level, worst
from registry.monitoring.performance import WindowPerformance, window_performance
from registry.monitoring.protocols import AliasSwitcher, AuditSink, TierLookup
from registry.monitoring.reference import PREDICTION_FEATURE, SCORE_FEATURE
from registry.monitoring.sketches import window_counts
from registry.monitoring.sources import binding_for, sketch_source
from registry.monitoring.store import RegisteredReference, window_rows
from registry.monitoring.tables import CheckResult, CheckRun, ReferenceRecord
from registry.monitoring.timeutil import as_utc, bucket_start, utc_now
from registry.monitoring.usage_source import UsageCatalog

PSEUDO = {PREDICTION_FEATURE, SCORE_FEATURE}


@runtime_checkable
class SessionBindable(Protocol):
    """A hook that can work inside the run's transaction instead of opening its own."""

    def bind(self, session: Session) -> object: ...


def _bound(hook: object, session: Session) -> object:
    return hook.bind(session) if isinstance(hook, SessionBindable) else hook


@dataclass(slots=True)
class MonitorContext:
    """Everything a run needs; governance pieces are optional protocols."""

    engine: Engine
    config: MonitorConfig = field(default_factory=MonitorConfig)
    tier_lookup: TierLookup | None = None
    audit: AuditSink | None = None
    switcher: AliasSwitcher | None = None
    http: httpx.Client = field(default_factory=httpx.Client)
    llm_catalog: UsageCatalog | None = None

    def joined(self, session: Session) -> MonitorContext:
        """This context with its hooks bound to `session`: alerts, audit entries and an alias move commit together,
        and SQLite's single writer is never waited on by a second connection of the same run."""
        return replace(
            self,
            tier_lookup=_bound(self.tier_lookup, session),  # type: ignore[arg-type]
            audit=_bound(self.audit, session),  # type: ignore[arg-type]
            switcher=_bound(self.switcher, session),  # type: ignore[arg-type]
            llm_catalog=_bound(self.llm_catalog, session),  # type: ignore[arg-type]
        )

    def tier(self, model_name: str) -> int:
        found = self.tier_lookup(model_name) if self.tier_lookup else None
        return self.config.default_tier if found is None else found


@dataclass(slots=True)
class CheckReport:
    """The outcome of one run for one model version."""

    model_name: str
    model_version: str
    tier: int
    window_start: datetime
    window_end: datetime
    drift: list[FeatureDrift] = field(default_factory=list)
    performance: WindowPerformance | None = None
    decays: list[Decay] = field(default_factory=list)
    concept: dict[str, concept.ConceptDrift] = field(default_factory=dict)
    emergency: str | None = None
    alerts: list[Delivery] = field(default_factory=list)
    retrain_request_id: int | None = None
    rollback: Rollback | None = None

    @property
    def level(self) -> Level:
        levels = [d.level for d in self.drift] + [d.level for d in self.decays]
        levels += [c.level for c in self.concept.values()]
        return Level.EMERGENCY if self.emergency else worst(levels)


def run_check(ctx: MonitorContext, session: Session, reference: RegisteredReference, now: datetime | None = None) -> CheckReport:
    """Measure drift, performance and concept drift, store the results, alert, request re-training, roll back."""
    moment = as_utc(now) if now else utc_now()
    ctx = ctx.joined(session)
    tier = ctx.tier(reference.model_name)
    schedule = ctx.config.tier_schedule(tier)
    start = moment - timedelta(seconds=schedule.lookback_seconds)
    report = CheckReport(reference.model_name, reference.model_version, tier, start, moment)
    # Sketches are per bucket: take every bucket the window touches, so a check never sees less than its lookback
    # (it may see up to one bucket more).
    sketch_start = bucket_start(start, ctx.config.bucket_seconds)
    binding = binding_for(ctx.config, reference.model_name, reference.model_version)
    if binding is not None:  # predictions that stay where they live: sketched there over the exact window
        # Nothing is written yet: end the transaction so a long scan does not hold SQLite's write lock (every
        # registry transaction there takes it at BEGIN), and the gateway's writes are not kept waiting.
        session.commit()
        counts = sketch_source(binding.source, reference.profile, start, moment).counts()
    else:
        counts = window_counts(session, reference.model_name, reference.model_version, sketch_start, moment).counts
    report.drift = detect_drift_from_counts(reference.profile, counts, ctx.config.drift)
    rows = window_rows(session, reference.model_name, reference.model_version, start, moment)
    report.performance = window_performance(reference, rows, schedule.lookback_seconds, ctx.config.decay.min_labelled)
    perf = report.performance
    report.decays = [
        decay_level(name, perf.task_metrics[name], validated, ctx.config.decay, perf.estimated)
        for name, validated in reference.validated_metrics.items()
        if name in perf.task_metrics
    ]
    report.emergency = emergency(
        perf.rows, perf.operational.get("error_rate"), schedule.expects_traffic, ctx.config.decay,
        schedule.emergency_error_rate,
    ) or collapse(report.decays, schedule.emergency_drop)
    _store_results(session, report)
    report.concept = _concept(session, ctx, reference)
    _act(ctx, session, report, moment, schedule.retrain_every_days)
    mark_run(session, report.model_name, report.model_version, report.level, moment)
    return report


def _store_results(session: Session, report: CheckReport) -> None:
    def add(check: str, subject: str, value: float, level: Level, estimated: bool = False) -> None:
        session.add(CheckResult(
            model_name=report.model_name, model_version=report.model_version, check=check, subject=subject, value=value,
            level=level.value, estimated=estimated, window_start=report.window_start, window_end=report.window_end,
        ))

    for item in report.drift:
        add("prediction_drift" if item.feature in PSEUDO else "data_drift", item.feature, item.psi, item.level)
    perf = report.performance
    if perf is not None:
        decay_by_metric = {d.metric: d.level for d in report.decays}
        for name, value in perf.task_metrics.items():
            add("performance", name, value, decay_by_metric.get(name, Level.NONE), perf.estimated)
        for name, value in perf.operational.items():
            add("operational", name, value, Level.NONE)
    session.flush()


def _concept(session: Session, ctx: MonitorContext, reference: RegisteredReference) -> dict[str, concept.ConceptDrift]:
    found = {}
    for name, validated in reference.validated_metrics.items():
        series = session.exec(
            select(CheckResult.value)
            .where(CheckResult.model_name == reference.model_name, CheckResult.model_version == reference.model_version)
            .where(CheckResult.check == "performance", CheckResult.subject == name, CheckResult.estimated == False)  # noqa: E712
            .order_by(CheckResult.window_end)  # type: ignore[arg-type]
        ).all()
        result = concept.detect(list(series), validated, name, ctx.config.concept, ctx.config.decay)
        if result.kind != "none":
            found[name] = result
    return found


def _alerts(report: CheckReport) -> list[Alert]:
    alerts = []
    for check, items in (("data_drift", [d for d in report.drift if d.feature not in PSEUDO]),
                         ("prediction_drift", [d for d in report.drift if d.feature in PSEUDO])):
        drifted = [d for d in items if d.drifted]
        if drifted:
            details = {d.feature: round(d.psi, 4) for d in drifted}
            names = ", ".join(f"{d.feature} (PSI {d.psi:.3f})" for d in drifted)
            alerts.append(Alert(report.model_name, report.model_version, check, worst([d.level for d in drifted]), f"drift in {names}", details))
    for decay in report.decays:
        if decay.level >= Level.WARNING:
            label = "estimated " if decay.estimated else ""
            message = f"{label}{decay.metric} {decay.current:.4f} vs validated {decay.validated:.4f} ({decay.degradation:+.1%} worse)"
            alerts.append(Alert(report.model_name, report.model_version, f"decay:{decay.metric}", decay.level, message,
                                {"current": decay.current, "validated": decay.validated, "estimated": decay.estimated}))
    for metric, found in report.concept.items():
        if found.level >= Level.WARNING:
            alerts.append(Alert(report.model_name, report.model_version, f"concept:{metric}", found.level,
                                f"{found.kind} concept drift on {metric}", {"kind": found.kind, "period": found.period}))
    if report.emergency:
        alerts.append(Alert(report.model_name, report.model_version, "emergency", Level.EMERGENCY, report.emergency))
    return alerts


def _act(ctx: MonitorContext, session: Session, report: CheckReport, now: datetime, retrain_every_days: int | None) -> None:
    policy = ctx.config.actions
    dispatcher = AlertDispatcher(ctx.config.webhooks, policy.dedup_window_seconds, ctx.http)
    for alert in _alerts(report):
        report.alerts.append(dispatcher.dispatch(session, alert, now))
        audit_alert(ctx, alert, report.alerts[-1])
    triggered = [(reason, level) for reason, level in (
        ("drift", worst([d.level for d in report.drift])),
        ("decay", worst([d.level for d in report.decays])),
        ("concept", worst([c.level for c in report.concept.values()])),
    ) if level >= policy.retrain_on_level]
    request = None
    if triggered:
        reason, level = max(triggered, key=lambda item: item[1].rank)
        request = request_retrain(session, ctx.http, policy, report.model_name, report.model_version, reason, level,  # type: ignore[arg-type]
                                  f"{reason} at level {level.value}", now)
    elif scheduled_retrain_due(session, report.model_name, report.model_version, retrain_every_days, _registered_at(session, report), now):
        request = request_retrain(session, ctx.http, policy, report.model_name, report.model_version, "scheduled",
                                  Level.INFO, f"tier {report.tier} schedule", now)
    report.retrain_request_id = request.id if request else None
    if request is not None and ctx.audit is not None and policy.audit_alerts:
        ctx.audit.record(ctx.config.actor, "monitor.retrain_request", f"{report.model_name}@{report.model_version}", None,
                         {"request_id": request.id, "reason": request.reason, "level": request.level})
    report.rollback = maybe_rollback(policy, report.tier, report.model_name, report.model_version,
                                     Level.EMERGENCY if report.emergency else Level.NONE, report.emergency or "",
                                     ctx.switcher, ctx.audit, ctx.config.actor)


def audit_alert(ctx: MonitorContext, alert: Alert, delivery: Delivery) -> None:
    """Record a sent (not de-duplicated) alert of Warning or above when the policy asks for it."""
    if ctx.audit is None or not ctx.config.actions.audit_alerts or delivery.suppressed or alert.level < Level.WARNING:
        return
    ctx.audit.record(ctx.config.actor, "monitor.alert", f"{alert.model_name}@{alert.model_version}", None,
                     {"alert_id": delivery.alert_id, "check": alert.check, "level": alert.level.value, "message": alert.message})


def _registered_at(session: Session, report: CheckReport) -> datetime:
    created = session.exec(select(ReferenceRecord.created_at).where(
        ReferenceRecord.model_name == report.model_name, ReferenceRecord.model_version == report.model_version)).first()
    return created or utc_now()


def mark_run(session: Session, model_name: str, model_version: str, level: Level, now: datetime) -> None:
    """Remember when (and with what outcome) a model version was last checked; the schedule reads it."""
    run = session.exec(select(CheckRun).where(CheckRun.model_name == model_name, CheckRun.model_version == model_version)).first()
    run = run or CheckRun(model_name=model_name, model_version=model_version, last_run_at=now)
    run.last_run_at, run.level = now, level.value
    session.add(run)
