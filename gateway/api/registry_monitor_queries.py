"""Read-side adapter over the monitoring tables for the API: a model's latest check results, alerts and
re-training requests (the monitoring package offers reports per version, not this per-model overview)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy import func
from sqlmodel import Session, col, select

if TYPE_CHECKING:
    from registry.monitoring.store import RegisteredReference

from registry.monitoring.tables import AlertRecord, CheckResult, CheckRun, RetrainRequest


def latest_results(session: Session, model_name: str) -> list[CheckResult]:
    """The newest value of every (version, check, subject) of the model."""
    newest = (
        select(func.max(CheckResult.id))
        .where(CheckResult.model_name == model_name)
        .group_by(CheckResult.model_version, CheckResult.check, CheckResult.subject)
    )
    query = select(CheckResult).where(col(CheckResult.id).in_(newest))
    return list(session.exec(query.order_by(CheckResult.model_version, CheckResult.check, CheckResult.subject)))


def alerts(session: Session, model_names: Sequence[str] | None, level: str | None = None,
           limit: int = 100) -> list[AlertRecord]:
    """Newest alerts first; `model_names` None means every model (admin), [] means none."""
    query = select(AlertRecord)
    if model_names is not None:
        query = query.where(col(AlertRecord.model_name).in_(list(model_names)))
    if level is not None:
        query = query.where(AlertRecord.level == level)
    return list(session.exec(query.order_by(col(AlertRecord.id).desc()).limit(limit)))


def monitoring_status(session: Session, model_name: str, alert_limit: int = 50) -> dict[str, object]:
    runs = session.exec(select(CheckRun).where(CheckRun.model_name == model_name).order_by(CheckRun.model_version))
    retrains = session.exec(
        select(RetrainRequest).where(RetrainRequest.model_name == model_name, RetrainRequest.status == "open")
        .order_by(col(RetrainRequest.id).desc())
    )
    from registry.monitoring.store import list_references

    references = [r.model_version for r in list_references(session, model_name)]
    return {
        "model": model_name,
        "references": references,
        "runs": [{"version": r.model_version, "last_run_at": r.last_run_at.isoformat(), "level": r.level}
                 for r in runs],
        "results": [_result(r) for r in latest_results(session, model_name)],
        "alerts": [alert_json(a) for a in alerts(session, [model_name], limit=alert_limit)],
        "retrain_requests": [{"id": r.id, "version": r.model_version, "reason": r.reason, "level": r.level,
                              "detail": r.detail, "created_at": r.created_at.isoformat()} for r in retrains],
    }


def reference_for(session: Session, model_name: str, version: str | None) -> RegisteredReference | None:
    from registry.monitoring.store import list_references, load_reference

    """The named version's reference, else the most recently registered one of the model."""
    if version is not None:
        return load_reference(session, model_name, version)
    found = list_references(session, model_name)
    return found[-1] if found else None


def _result(row: CheckResult) -> dict[str, object]:
    return {"version": row.model_version, "check": row.check, "subject": row.subject, "value": row.value,
            "level": row.level, "estimated": row.estimated, "window_start": row.window_start.isoformat(),
            "window_end": row.window_end.isoformat()}


def alert_json(row: AlertRecord) -> dict[str, object]:
    return {"id": row.id, "model": row.model_name, "version": row.model_version, "check": row.check,
            "level": row.level, "message": row.message, "details": row.details, "suppressed": row.suppressed,
            "created_at": row.created_at.isoformat()}
