"""The business-KPI section of the monitoring report: each KPI's pushed values over time against the alert levels
its charter declares, and the latest value with its level."""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape
from typing import Any

from sqlmodel import Session, select

from registry.governance.records import ProjectCharter
from registry.governance.tables import GovModel
from registry.monitoring import svg
from registry.monitoring.kpis import CHECK
from registry.monitoring.tables import CheckResult

MAX_POINTS = 500
_COLOURS = {"info": svg.REF, "warning": svg.WARN, "critical": svg.CRIT, "emergency": svg.CRIT}


@dataclass(slots=True)
class KpiSeries:
    name: str
    target: str
    unit: str | None
    levels: dict[str, float] = field(default_factory=dict)
    points: list[dict[str, str | float]] = field(default_factory=list)
    """Oldest first: `at`, `value`, `level`."""


def kpi_series(session: Session, base: Any, model_name: str) -> list[KpiSeries]:
    """The KPIs the charter declares, each with its values in the report's selection (`base`)."""
    model = session.exec(select(GovModel).where(GovModel.name == model_name)).first()
    if model is None or model.charter is None:
        return []
    series = []
    for kpi in ProjectCharter.model_validate(model.charter).kpis:
        levels = {k: v for k, v in (kpi.alert_levels.model_dump() if kpi.alert_levels else {}).items() if v is not None}
        rows = session.exec(base.where(CheckResult.check == CHECK, CheckResult.subject == kpi.name)
                            .order_by(CheckResult.window_end.desc(), CheckResult.id.desc())  # type: ignore[union-attr]
                            .limit(MAX_POINTS)).all()
        points = [{"at": r.window_end.isoformat(), "value": r.value, "level": r.level} for r in reversed(rows)]
        series.append(KpiSeries(kpi.name, kpi.target, kpi.unit, levels, points))
    return series


def kpi_section(series: list[KpiSeries]) -> str:
    head = "<h2>Business KPIs</h2>"
    if not series:
        return head + "<p>none declared in the charter</p>"
    parts = [head]
    for s in series:
        unit = f" ({escape(s.unit)})" if s.unit else ""
        parts.append(f"<h3>{escape(s.name)}{unit} &mdash; target {escape(s.target)}</h3>")
        if not s.points:
            parts.append("<p>no values pushed</p>")
            continue
        marks = [(v, _COLOURS[k]) for k, v in s.levels.items()]
        parts.append(svg.line_chart([float(p["value"]) for p in s.points], marks))
        last = s.points[-1]
        parts.append(f"<p>latest {float(last['value']):g} at {escape(str(last['at']))}: "
                     f"<strong>{escape(str(last['level']))}</strong></p>")
    return "".join(parts)
