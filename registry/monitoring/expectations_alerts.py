"""Alerting on data-quality violations found at ingest: one `data_quality` alert per model version and batch, at the
worst level found, through the monitor's dispatcher (stored, de-duplicated, sent to the webhooks)."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy.engine import Engine

from registry.db import session_scope
from registry.monitoring.alerts import Alert, AlertDispatcher
from registry.monitoring.config import MonitorConfig
from registry.monitoring.expectations import CHECK, FeatureExpectation, FeatureQuality
from registry.monitoring.levels import Level, worst


def violation_alerts(model_name: str, found: list[FeatureQuality]) -> list[Alert]:
    by_version: dict[str, list[FeatureQuality]] = defaultdict(list)
    for q in found:
        if q.level > Level.NONE:
            by_version[q.model_version].append(q)
    alerts = []
    for version, bad in sorted(by_version.items()):
        violations: dict[str, int] = defaultdict(int)
        for q in bad:
            violations[q.feature] += q.violations
        nulls = sorted({q.feature for q in bad if q.null_rate_exceeded})
        parts = [f"{f} ({n} row(s))" for f, n in sorted(violations.items()) if n]
        parts += [f"{f} (too many missing)" for f in nulls]
        details: dict[str, float | str | bool | None] = {f"{f}.violations": float(n) for f, n in violations.items()}
        alerts.append(Alert(model_name, version, CHECK, worst([q.level for q in bad]),
                            "input data-quality expectations broken: " + ", ".join(parts), details))
    return alerts


def dispatch_violations(engine: Engine, dispatcher: AlertDispatcher, model_name: str,
                        found: list[FeatureQuality]) -> None:
    """Store and send the alerts (after the rows are committed, so a failing webhook never loses a row)."""
    alerts = violation_alerts(model_name, found)
    if alerts:
        with session_scope(engine) as session:
            for alert in alerts:
                dispatcher.dispatch(session, alert)


def dispatcher_for(config: MonitorConfig, expectations: dict[str, FeatureExpectation] | None = None
                   ) -> AlertDispatcher:
    """The monitor's webhooks and de-duplication window. Always given: a version spec may declare expectations
    the config does not (the dispatcher opens its HTTP client only when it sends)."""
    return AlertDispatcher(config.webhooks, config.actions.dedup_window_seconds)
