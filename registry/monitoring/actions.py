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
    """On Emergency, take traffic off the failing version when the policy allows it for this tier: point the alias
    back to the previous version, or end the rollout the failing version is the candidate of."""
    if level < Level.EMERGENCY or switcher is None or not policy.rollback_on_emergency or tier not in policy.rollback_tiers:
        return None
    return roll_back(switcher, audit, actor, model_name, policy.gateway_alias, model_version, None, reason)


def roll_back(
    switcher: AliasSwitcher,
    audit: AuditSink | None,
    actor: str,
    model_name: str,
    alias: str,
    failing: str,
    target: str | None,
    reason: str,
) -> Rollback | None:
    """Move traffic from `failing` to `target` (default: the alias' previous version) and audit it; None when
    `failing` serves through neither the alias nor a rollout candidacy, or there is nowhere to go."""
    alias = switcher.serving_alias(model_name, alias)
    if switcher.current_version(model_name, alias) == failing:
        target = target or switcher.previous_version(model_name, alias)
        if target is None or target == failing:
            return None
        switcher.set_alias(model_name, alias, target)
    else:
        target = switcher.withdraw(model_name, failing)
        if target is None:
            return None  # the failing version no longer serves; nothing to undo
    if audit is not None:
        after = {"version": target, "reason": reason}
        audit.record(actor, "model.alias.rollback", f"{model_name}@{alias}", {"version": failing}, after)
    return Rollback(model_name, alias, failing, target)
