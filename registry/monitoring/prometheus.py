"""Gauge values for Prometheus: the latest check results of every monitored model version, and a `Collector`
that reads them from the database at scrape time (`registry.register(monitor_collector(engine))`)."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, select

from registry.db import session_scope
from registry.monitoring.levels import Level
from registry.monitoring.tables import AlertRecord, CheckResult, CheckRun, ReferenceRecord

log = logging.getLogger("warden.monitoring")


@dataclass(frozen=True, slots=True)
class GaugeSample:
    """One sample: metric name, labels, value (`monitor_collector` groups them into metric families)."""

    name: str
    labels: dict[str, str]
    value: float
    help: str


@dataclass(frozen=True, slots=True)
class _ResultMetric:
    name: str
    help: str
    subject_label: str
    level_name: str | None = None


_PSI_HELP = "PSI of a feature (or prediction) in the last window"
_FEATURE_LEVEL = "warden_model_feature_drift_level"
# The LLM checks' subjects are `team/model/prompt@commit:metric`.
_RESULT_METRICS = {
    "data_drift": _ResultMetric("warden_model_feature_psi", _PSI_HELP, "feature", _FEATURE_LEVEL),
    "prediction_drift": _ResultMetric("warden_model_feature_psi", _PSI_HELP, "feature", _FEATURE_LEVEL),
    "operational": _ResultMetric("warden_model_operational", "Operational metric in the last window", "metric"),
    "llm_drift": _ResultMetric("warden_llm_usage_psi", "PSI of a gateway usage metric against the reference window", "subject",
                               "warden_llm_usage_drift_level"),
    "llm_rate": _ResultMetric("warden_llm_rate", "Error or guardrail-verdict rate of gateway traffic in the last window", "subject",
                              "warden_llm_rate_drift_level"),
    "llm_usage": _ResultMetric("warden_llm_usage", "Gateway usage statistic (latency percentiles, tokens, cost) in the last window",
                               "subject"),
}


def _per_version(session: Session) -> list[GaugeSample]:
    samples = []
    for run in session.exec(select(CheckRun)):
        labels = {"model": run.model_name, "version": run.model_version}
        samples.append(GaugeSample("warden_model_monitor_level", labels, float(Level(run.level).rank),
                                   "Worst level of the last check (0 none .. 4 emergency)"))
        samples.append(GaugeSample("warden_model_monitor_last_run_timestamp", labels, run.last_run_at.timestamp(),
                                   "Unix time of the last monitoring check"))
    for reference in session.exec(select(ReferenceRecord)):
        for metric, value in sorted(reference.validated_metrics.items()):
            samples.append(GaugeSample("warden_model_metric_validated",
                                       {"model": reference.model_name, "version": reference.model_version, "metric": metric},
                                       float(value), "Task metric the version was validated at"))
    alerts = select(AlertRecord.model_name, AlertRecord.model_version, AlertRecord.level, func.count()).group_by(
        AlertRecord.model_name, AlertRecord.model_version, AlertRecord.level)
    for model, version, level, count in session.exec(alerts):  # type: ignore[call-overload]
        samples.append(GaugeSample("warden_model_alerts", {"model": model, "version": version, "level": level}, float(count),
                                   "Alerts raised so far (sent or de-duplicated), by level"))
    return samples


def _latest_results(session: Session) -> list[GaugeSample]:
    latest = (
        select(CheckResult.model_name, CheckResult.model_version, CheckResult.check, CheckResult.subject, func.max(CheckResult.id).label("id"))
        .group_by(CheckResult.model_name, CheckResult.model_version, CheckResult.check, CheckResult.subject)
        .subquery()
    )
    samples = []
    for row in session.exec(select(CheckResult).join(latest, CheckResult.id == latest.c.id)):  # type: ignore[arg-type]
        labels = {"model": row.model_name, "version": row.model_version}
        if row.check == "performance":
            samples.append(GaugeSample("warden_model_metric", labels | {"metric": row.subject, "estimated": str(row.estimated).lower()},
                                       row.value, "Task metric in the last window"))
            continue
        if row.check not in _RESULT_METRICS:
            continue
        metric = _RESULT_METRICS[row.check]
        extra = {"kind": row.check} if metric.subject_label == "feature" else {}
        labels = labels | {metric.subject_label: row.subject} | extra
        samples.append(GaugeSample(metric.name, labels, row.value, metric.help))
        if metric.level_name:
            samples.append(GaugeSample(metric.level_name, labels, float(Level(row.level).rank),
                                       "Drift level of the last window (0 none .. 4 emergency)"))
    return samples


def gauge_samples(session: Session) -> list[GaugeSample]:
    return _per_version(session) + _latest_results(session)


def metric_families(samples: Iterable[GaugeSample]) -> list[GaugeMetricFamily]:
    """One family per metric name; a family's label names come from its first sample (all samples share them)."""
    families: dict[str, GaugeMetricFamily] = {}
    for sample in samples:
        family = families.get(sample.name)
        if family is None:
            family = families[sample.name] = GaugeMetricFamily(sample.name, sample.help, labels=sorted(sample.labels))
        family.add_metric([sample.labels[k] for k in sorted(sample.labels)], sample.value)
    return list(families.values())


class MonitorCollector(Collector):
    """Reads the latest check results at each scrape; a database outage leaves them out instead of failing /metrics."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def describe(self) -> list[Metric]:
        return []  # names depend on the data; registering must not query the database

    def collect(self) -> Iterator[Metric]:
        samples: list[GaugeSample] = []
        readable = True
        try:
            with session_scope(self._engine) as session:
                samples = gauge_samples(session)
        except SQLAlchemyError as exc:
            log.warning("monitoring metrics unavailable: %s", type(exc).__name__)
            readable = False
        up = GaugeMetricFamily("warden_model_monitor_up", "1 when the monitoring results could be read at this scrape")
        up.add_metric([], 1.0 if readable else 0.0)
        yield up
        yield from metric_families(samples)


def monitor_collector(engine: Engine) -> Collector:
    """The collector the gateway registers on its metrics registry."""
    return MonitorCollector(engine)
