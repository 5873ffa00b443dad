"""Phase 6 business KPIs: values pushed for a model (`POST /registry/models/{name}/kpis`, `warden monitor kpi`),
judged against the alert levels its charter declares, stored as `kpi` check results beside the model metrics (so the
monitoring report draws them) and alerted through the monitor's dispatcher like any other finding."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.engine import Engine
from sqlmodel import Session

from registry.db import session_scope
from registry.governance.access import find_version, writable_model
from registry.governance.records import Kpi, ProjectCharter
from registry.governance.tables import GovAlias, GovModel, GovModelVersion
from registry.governance.types import Actor
from registry.governance.versions import resolve
from registry.monitoring.alerts import Alert, AlertDispatcher
from registry.monitoring.levels import Level
from registry.monitoring.tables import CheckResult
from registry.monitoring.timeutil import as_utc, utc_now

CHECK = "kpi"
SERVING_ALIAS = "production"


class KpiInputError(ValueError):
    """A pushed value names no KPI of the charter, or no version can be attributed; the message names the value."""


class KpiValue(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    name: str = Field(min_length=1)
    value: float
    at: datetime | None = None
    """When the value was measured (UTC); now when absent."""


class KpiPush(BaseModel):
    """Values of the charter's KPIs, attributed to `version` (or the version the `production` alias serves)."""

    model_config = ConfigDict(extra="forbid")

    version: str | None = None
    values: list[KpiValue] = Field(min_length=1, max_length=1000)


@dataclass(frozen=True, slots=True)
class KpiResult:
    name: str
    version: str
    value: float
    level: str
    at: str
    message: str


def kpi_level(kpi: Kpi, value: float) -> tuple[Level, float | None]:
    """The worst level whose threshold `value` crosses (levels are ordered by the charter's validation)."""
    found, threshold = Level.NONE, None
    for name, bound in (kpi.alert_levels.model_dump().items() if kpi.alert_levels else []):
        if bound is not None and (value < bound if kpi.direction == "higher_is_better" else value > bound):
            found, threshold = Level(name), bound
    return found, threshold


def _declared(model: GovModel) -> dict[str, Kpi]:
    kpis = ProjectCharter.model_validate(model.charter).kpis if model.charter else []
    if not kpis:
        raise KpiInputError(f"model {model.name!r} has no charter KPIs: record a charter declaring them first")
    return {k.name: k for k in kpis}


def _version(session: Session, model: GovModel, version: str | None) -> str:
    if version is not None:
        return find_version(session, model, resolve(session, model, version)).version
    alias = session.get(GovAlias, (model.id, SERVING_ALIAS))
    row = None if alias is None else session.get(GovModelVersion, alias.version_id)
    if row is None:
        raise KpiInputError(f"name the 'version': model {model.name!r} has no {SERVING_ALIAS!r} alias to credit")
    return row.version


def _message(kpi: Kpi, value: float, level: Level, threshold: float | None) -> str:
    unit = f" {kpi.unit}" if kpi.unit else ""
    head = f"business KPI {kpi.name} at {value:g}{unit} (target {kpi.target})"
    return head if threshold is None else f"{head}: {level.value} threshold {threshold:g}{unit} crossed"


def record_kpis(session: Session, actor: Actor, name: str, push: KpiPush, now: datetime | None = None
                ) -> list[KpiResult]:
    """Store each value as a `kpi` check result at its level; refuses the whole batch on one unknown KPI."""
    model = writable_model(session, actor, name)
    declared = _declared(model)
    unknown = sorted({v.name for v in push.values} - set(declared))
    if unknown:
        raise KpiInputError(f"unknown KPI {unknown[0]!r} for model {name!r} (the charter declares "
                            f"{sorted(declared)})")
    version, moment = _version(session, model, push.version), as_utc(now) if now else utc_now()
    results = []
    for item in push.values:
        kpi, at = declared[item.name], as_utc(item.at) if item.at else moment
        level, threshold = kpi_level(kpi, item.value)
        session.add(CheckResult(model_name=model.name, model_version=version, check=CHECK, subject=kpi.name,
                                value=item.value, level=level.value, window_start=at, window_end=at,
                                created_at=moment))
        results.append(KpiResult(kpi.name, version, item.value, level.value, at.isoformat(),
                                 _message(kpi, item.value, level, threshold)))
    return results


def kpi_alerts(model_name: str, results: list[KpiResult]) -> list[Alert]:
    """One alert per KPI of the batch, for its worst value (so a batch of history raises one, not hundreds)."""
    worst: dict[tuple[str, str], KpiResult] = {}
    for r in results:
        key = (r.version, r.name)
        if Level(r.level) > Level.NONE and (key not in worst or Level(r.level) > Level(worst[key].level)):
            worst[key] = r
    return [Alert(model_name, r.version, f"{CHECK}:{r.name}", Level(r.level), r.message,
                  {"kpi": r.name, "value": r.value, "at": r.at}) for r in worst.values()]


def push_kpis(engine: Engine, actor: Actor, name: str, push: KpiPush, dispatcher: AlertDispatcher,
              now: datetime | None = None) -> list[KpiResult]:
    """Store the values, then alert (after the commit, so a failing webhook never loses a value)."""
    with session_scope(engine) as session:
        results = record_kpis(session, actor, name, push, now)
    alerts = kpi_alerts(name, results)
    if alerts:
        with session_scope(engine) as session:
            for alert in alerts:
                dispatcher.dispatch(session, alert, now)
    return results
