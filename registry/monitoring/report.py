"""The monitoring report of a model version: a JSON summary and a self-contained HTML page with inline SVG."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from html import escape
from pathlib import Path

import numpy as np
from sqlmodel import Session, select

from registry.monitoring import svg
from registry.monitoring.binning import proportions
from registry.monitoring.config import MonitorConfig
from registry.monitoring.metrics import LOWER_IS_BETTER
from registry.monitoring.report_kpis import KpiSeries, kpi_section, kpi_series
from registry.monitoring.report_period import ReportPeriod
from registry.monitoring.report_quality import quality_rows, quality_section
from registry.monitoring.sketches import window_counts
from registry.monitoring.store import RegisteredReference
from registry.monitoring.tables import AlertRecord, CheckResult, CheckRun
from registry.monitoring.timeutil import as_utc, utc_now


@dataclass(frozen=True, slots=True)
class FeatureSummary:
    feature: str
    psi: float
    level: str
    labels: list[str]
    reference_share: list[float]
    current_share: list[float]


@dataclass(frozen=True, slots=True)
class MetricPoint:
    window_end: str
    value: float
    estimated: bool


@dataclass(slots=True)
class ReportSummary:
    """Everything the report shows, also written as JSON."""

    model_name: str
    model_version: str
    generated_at: str
    features: list[FeatureSummary] = field(default_factory=list)
    metrics: dict[str, list[MetricPoint]] = field(default_factory=dict)
    validated_metrics: dict[str, float] = field(default_factory=dict)
    alerts: list[dict[str, str]] = field(default_factory=list)
    period: dict[str, str | None] = field(default_factory=dict)
    data_quality: list[dict[str, str | float]] = field(default_factory=list)
    kpis: list[KpiSeries] = field(default_factory=list)


def build_summary(session: Session, reference: RegisteredReference, config: MonitorConfig,
                  period: ReportPeriod = ReportPeriod()) -> ReportSummary:
    summary = ReportSummary(reference.model_name, reference.model_version, utc_now().isoformat(),
                            validated_metrics=reference.validated_metrics, period=period.describe())
    base = period.results(select(CheckResult).where(
        CheckResult.model_name == reference.model_name, CheckResult.model_version == reference.model_version
    ))
    latest = session.exec(base.where(CheckResult.check.in_(["data_drift", "prediction_drift"])).order_by(CheckResult.created_at.desc())).first()  # type: ignore[attr-defined]
    if latest is not None:
        drift = session.exec(base.where(CheckResult.window_end == latest.window_end, CheckResult.check.in_(["data_drift", "prediction_drift"]))).all()  # type: ignore[attr-defined]
        counts = window_counts(session, reference.model_name, reference.model_version, latest.window_start, latest.window_end)
        for row in sorted(drift, key=lambda r: -r.value):
            feature = reference.profile.feature(row.subject)
            current = counts.counts.get(row.subject, np.zeros(len(feature.counts), dtype=np.int64))
            summary.features.append(FeatureSummary(
                row.subject, row.value, row.level, feature.bins.labels(),
                _shares(np.asarray(feature.counts), config), _shares(current, config),
            ))
    for row in session.exec(base.where(CheckResult.check == "performance").order_by(CheckResult.window_end)):  # type: ignore[arg-type]
        summary.metrics.setdefault(row.subject, []).append(MetricPoint(row.window_end.isoformat(), row.value, row.estimated))
    summary.data_quality = quality_rows(session, base)
    summary.kpis = kpi_series(session, base, reference.model_name)
    alerts = session.exec(period.alerts(select(AlertRecord).where(
        AlertRecord.model_name == reference.model_name, AlertRecord.model_version == reference.model_version
    )).order_by(AlertRecord.created_at.desc()).limit(50)).all()  # type: ignore[attr-defined]
    # Only the latest run's alerts still hold: an earlier "no predictions" must not outlive the predictions' arrival.
    # Over a bounded period, the latest run is the one that raised the period's newest alert.
    last_run = session.exec(select(CheckRun.last_run_at).where(
        CheckRun.model_name == reference.model_name, CheckRun.model_version == reference.model_version)).first()
    if period.until is not None:
        last_run = alerts[0].created_at if alerts else None
    summary.alerts = [{"created_at": a.created_at.isoformat(), "check": a.check, "level": a.level, "message": a.message,
                       "suppressed": str(a.suppressed).lower(),
                       "current": str(last_run is not None and as_utc(a.created_at) == as_utc(last_run)).lower()}
                      for a in alerts]
    return summary


def _alert_table(alerts: list[dict[str, str]]) -> str:
    if not alerts:
        return "<p>none</p>"
    rows = "".join(f"<tr><td>{escape(a['created_at'])}</td><td>{escape(a['level'])}</td><td>{escape(a['check'])}</td>"
                   f"<td>{escape(a['message'])}</td><td>{escape(a['suppressed'])}</td></tr>" for a in alerts)
    return f"<table><tr><th>time</th><th>level</th><th>check</th><th>message</th><th>duplicate</th></tr>{rows}</table>"


def _shares(counts: np.ndarray, config: MonitorConfig) -> list[float]:
    return [round(float(v), 5) for v in proportions(np.asarray(counts, dtype=np.float64), config.drift.epsilon)]


def write_report(summary: ReportSummary, html_path: Path, json_path: Path, config: MonitorConfig) -> None:
    json_path.write_text(json.dumps(asdict(summary), indent=2))
    html_path.write_text(render_html(summary, config))


def render_html(summary: ReportSummary, config: MonitorConfig) -> str:
    t = config.drift
    sections = [f"<h1>{escape(summary.model_name)} &middot; version {escape(summary.model_version)}</h1>",
                f"<p>Generated {escape(summary.generated_at)}</p>", "<h2>PSI per feature</h2>"]
    sections.append(svg.horizontal_bars([(f.feature, f.psi) for f in summary.features],
                                        [(t.psi_moderate, svg.WARN), (t.psi_significant, svg.CRIT)]))
    sections.append("<h2>Metrics over time</h2>")
    for name, points in summary.metrics.items():
        validated = summary.validated_metrics.get(name)
        marks = []
        if validated is not None:
            sign = 1 if name in LOWER_IS_BETTER else -1
            marks = [(validated, svg.REF), (validated * (1 + sign * config.decay.warning), svg.WARN),
                     (validated * (1 + sign * config.decay.critical), svg.CRIT)]
        estimated = " (estimated, no labels)" if any(p.estimated for p in points) else ""
        sections.append(f"<h3>{escape(name)}{escape(estimated)}</h3>" + svg.line_chart([p.value for p in points], marks))
    sections.append("<h2>Feature distributions: reference vs current</h2>")
    for f in summary.features:
        sections.append(f"<h3>{escape(f.feature)} &mdash; PSI {f.psi:.3f} ({escape(f.level)})</h3>")
        sections.append(svg.grouped_bars(f.labels, f.reference_share, f.current_share))
    sections.append(quality_section(summary.data_quality))
    sections.append(kpi_section(summary.kpis))
    for title, current in (("Alerts raised by the latest check", "true"),
                           ("Earlier alerts (no longer raised)", "false")):
        sections.append(f"<h2>{title}</h2>" + _alert_table([a for a in summary.alerts if a["current"] == current]))
    style = "body{font-family:sans-serif;max-width:900px;margin:2em auto}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 6px;font-size:12px}"
    return f"<!doctype html><html><head><meta charset=\"utf-8\"><title>Warden monitoring report</title><style>{style}</style></head><body>{''.join(sections)}</body></html>"
