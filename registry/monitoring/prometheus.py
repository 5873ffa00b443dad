"""Gauge values for Prometheus: the latest check results of every monitored model version."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, select

from registry.monitoring.levels import Level
from registry.monitoring.tables import CheckResult, CheckRun


@dataclass(frozen=True, slots=True)
class GaugeSample:
    """One sample: metric name, labels, value (the lead registers them with prometheus-client)."""

    name: str
    labels: dict[str, str]
    value: float
    help: str


def gauge_samples(session: Session) -> list[GaugeSample]:
    samples = []
    for run in session.exec(select(CheckRun)):
        samples.append(GaugeSample("warden_model_monitor_level", {"model": run.model_name, "version": run.model_version},
                                   float(Level(run.level).rank), "Worst level of the last check (0 none .. 4 emergency)"))
        samples.append(GaugeSample("warden_model_monitor_last_run_timestamp", {"model": run.model_name, "version": run.model_version},
                                   run.last_run_at.timestamp(), "Unix time of the last monitoring check"))
    latest = (
        select(CheckResult.model_name, CheckResult.model_version, CheckResult.check, CheckResult.subject, func.max(CheckResult.id).label("id"))
        .group_by(CheckResult.model_name, CheckResult.model_version, CheckResult.check, CheckResult.subject)
        .subquery()
    )
    rows = session.exec(select(CheckResult).join(latest, CheckResult.id == latest.c.id))  # type: ignore[arg-type]
    for row in rows:
        labels = {"model": row.model_name, "version": row.model_version}
        if row.check in {"data_drift", "prediction_drift"}:
            samples.append(GaugeSample("warden_model_feature_psi", labels | {"feature": row.subject, "kind": row.check}, row.value,
                                       "PSI of a feature (or prediction) in the last window"))
        elif row.check == "performance":
            samples.append(GaugeSample("warden_model_metric", labels | {"metric": row.subject, "estimated": str(row.estimated).lower()},
                                       row.value, "Task metric in the last window"))
        elif row.check == "operational":
            samples.append(GaugeSample("warden_model_operational", labels | {"metric": row.subject}, row.value,
                                       "Operational metric in the last window"))
    return samples
