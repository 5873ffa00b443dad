"""Audit retention by tier: purge each model's chain of entries older than its tier keeps them."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, select

from registry.governance.audit import REGISTRY_CHAIN
from registry.governance.audit_verify import purge_chain
from registry.governance.errors import PermissionDenied
from registry.governance.policy import DEFAULT_POLICY, PolicyTable
from registry.governance.tables import GovAuditHead, GovModel
from registry.governance.types import Actor, stamp


def retention_days(session: Session, chain: str, policy: PolicyTable) -> int | None:
    """Days a chain's entries must be kept; unknown or unclassified chains get the strictest tier."""
    model = session.exec(select(GovModel).where(GovModel.name == chain)).first() if chain != REGISTRY_CHAIN else None
    tier = model.risk_tier if model is not None and model.risk_tier is not None else 1
    return policy.for_tier(tier).audit_retention_days  # type: ignore[arg-type]


def purge_audit(
    session: Session, actor: Actor, policy: PolicyTable = DEFAULT_POLICY, now: datetime | None = None
) -> dict[str, int]:
    """Purge every chain past its retention (admin only); returns the number of entries removed per chain."""
    if not actor.admin:
        raise PermissionDenied(f"{actor.name!r} may not purge the audit trail")
    at = stamp(now)
    removed: dict[str, int] = {}
    for chain in sorted(session.exec(select(GovAuditHead.chain))):
        days = retention_days(session, chain, policy)
        cutoff = at if days is None else at - timedelta(days=days)
        count = purge_chain(session, actor=actor.name, chain=chain, cutoff=cutoff, at=at)
        if count:
            removed[chain] = count
    return removed
