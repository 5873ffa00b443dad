"""Actions after a check: re-training requests (scheduled or triggered) and the emergency rollback."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import httpx
from sqlmodel import Session, select

from registry.monitoring.alerts import post_json
from registry.monitoring.config import ActionPolicy
from registry.monitoring.levels import Level
from registry.monitoring.protocols import AliasSwitcher, AuditSink
from registry.monitoring.tables import RetrainRequest

RetrainReason = Literal["scheduled", "drift", "decay", "concept"]


def request_retrain(
    session: Session,
    http: httpx.Client,
    policy: ActionPolicy,
    model_name: str,
    model_version: str,
    reason: RetrainReason,
    level: Level,
    detail: str,
    now: datetime,
) -> RetrainRequest | None:
    """Store a request (unless one is already open for this version) and announce it on the retrain webhooks."""
    open_request = session.exec(
        select(RetrainRequest).where(
            RetrainRequest.model_name == model_name,
            RetrainRequest.model_version == model_version,
            RetrainRequest.status == "open",
        )
    ).first()
    if open_request is not None:
        return None
    request = RetrainRequest(
        model_name=model_name, model_version=model_version, reason=reason, level=level.value, detail=detail, created_at=now
    )
    session.add(request)
    session.flush()
    body = {
        "type": "retrain_request",
        "request_id": request.id,
        "model_name": model_name,
        "model_version": model_version,
        "reason": reason,
        "level": level.value,
        "detail": detail,
        "created_at": now.isoformat(),
    }
    for target in policy.retrain_webhooks:
        post_json(http, target, body)
    return request


def scheduled_retrain_due(session: Session, model_name: str, model_version: str, every_days: int | None, since: datetime, now: datetime) -> bool:
    """True when a tier's periodic re-training is due: no request for `every_days` (counted from `since` at first)."""
    if every_days is None:
        return False
    last = session.exec(
        select(RetrainRequest.created_at)
        .where(RetrainRequest.model_name == model_name, RetrainRequest.model_version == model_version)
        .order_by(RetrainRequest.created_at.desc())  # type: ignore[attr-defined]
    ).first()
    return now - (last or since) >= timedelta(days=every_days)


@dataclass(frozen=True, slots=True)
class Rollback:
    """A performed alias rollback."""

    model_name: str
    alias: str
    from_version: str
    to_version: str


def maybe_rollback(
    policy: ActionPolicy,
    tier: int,
    model_name: str,
    model_version: str,
    level: Level,
    reason: str,
    switcher: AliasSwitcher | None,
    audit: AuditSink | None,
    actor: str,
) -> Rollback | None:
    """On Emergency, point the alias back to the previous version when the policy allows it for this tier."""
    if level < Level.EMERGENCY or switcher is None or not policy.rollback_on_emergency or tier not in policy.rollback_tiers:
        return None
    alias = policy.gateway_alias
    if switcher.current_version(model_name, alias) != model_version:
        return None  # the failing version no longer serves; nothing to undo
    previous = switcher.previous_version(model_name, alias)
    if previous is None or previous == model_version:
        return None
    switcher.set_alias(model_name, alias, previous)
    if audit is not None:
        audit.record(
            actor,
            "model.alias.rollback",
            f"{model_name}@{alias}",
            {"version": model_version},
            {"version": previous, "reason": reason},
        )
    return Rollback(model_name, alias, model_version, previous)
