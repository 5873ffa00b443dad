"""Loading rows with team scoping and write checks, plus the one helper every mutation uses to audit itself."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlmodel import Session, col, select

from registry.governance import audit
from registry.governance.errors import NotFound, PermissionDenied
from registry.governance.tables import GovAlias, GovModel, GovModelVersion
from registry.governance.types import Actor, stamp


def find_model(session: Session, name: str) -> GovModel:
    row = session.exec(select(GovModel).where(GovModel.name == name)).first()
    if row is None:
        raise NotFound(f"model {name!r} is not registered")
    return row


def readable_model(session: Session, actor: Actor, name: str) -> GovModel:
    row = find_model(session, name)
    if not actor.can_see_team(row.team):
        # Same answer as a missing model: other teams' inventories are not disclosed.
        raise NotFound(f"model {name!r} is not registered")
    return row


def writable_model(session: Session, actor: Actor, name: str) -> GovModel:
    row = readable_model(session, actor, name)
    if not (actor.admin or row.team in actor.teams or actor.name == row.owner):
        raise PermissionDenied(f"{actor.name!r} may not change model {name!r} of team {row.team!r}")
    return row


def find_version(session: Session, model: GovModel, version: str) -> GovModelVersion:
    query = select(GovModelVersion).where(GovModelVersion.model_id == model.id, GovModelVersion.version == version)
    row = session.exec(query).first()
    if row is None:
        raise NotFound(f"model {model.name!r} has no version {version!r}")
    return row


def versions_of(session: Session, model: GovModel) -> list[GovModelVersion]:
    query = select(GovModelVersion).where(GovModelVersion.model_id == model.id).order_by(col(GovModelVersion.id))
    return list(session.exec(query))


def aliases_by_version(session: Session, model: GovModel) -> dict[int, list[str]]:
    result: dict[int, list[str]] = {}
    for row in session.exec(select(GovAlias).where(GovAlias.model_id == model.id)):
        result.setdefault(row.version_id, []).append(row.alias)
    return result


def dump(record: BaseModel | None) -> dict[str, object] | None:
    return None if record is None else record.model_dump(mode="json")


def record_change(
    session: Session,
    actor: Actor,
    model: GovModel,
    action: str,
    *,
    subject: str | None = None,
    before: dict[str, object] | None = None,
    after: dict[str, object] | None = None,
    at: datetime | None = None,
) -> None:
    """Stamp the model as updated and append the change to its audit chain (same transaction)."""
    model.updated_at = stamp(at)
    session.add(model)
    session.flush()
    audit.append(
        session,
        actor=actor.name,
        person=actor.person,
        chain=model.name,
        action=action,
        subject=subject or f"model:{model.name}",
        before=before,
        after=after,
        at=at,
    )
