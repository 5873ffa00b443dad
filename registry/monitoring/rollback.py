"""A rollback on demand (`warden models rollback`, `POST /registry/models/{name}/rollback`): the monitor's
emergency action taken by a person, through the same governance adapters, so it is audited the same way."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session

from registry.governance import Actor, Conflict
from registry.governance.access import find_version, writable_model
from registry.governance.serving import DEFAULT_ALIAS
from registry.monitoring.actions import Rollback, roll_back
from registry.monitoring.governance_link import GovernanceAliasSwitcher, GovernanceAuditSink


class RollbackIn(BaseModel):
    """Take traffic off `from_version` (default: the version the serving alias points at) and send it to
    `to_version` (default: the previous production version), or end the rollout `from_version` is the candidate of."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1)
    from_version: str | None = None
    to_version: str | None = None


def rollback_model(session: Session, actor: Actor, name: str, data: RollbackIn) -> Rollback:
    model = writable_model(session, actor, name)
    if data.to_version is not None and find_version(session, model, data.to_version).status != "production":
        raise Conflict(f"version {data.to_version!r} of {name!r} is not in production: it cannot take the traffic")
    engine = session.get_bind()
    switcher = GovernanceAliasSwitcher(engine, actor=actor).bind(session)  # type: ignore[arg-type]
    audit = GovernanceAuditSink(engine, actor=actor.name, person=actor.person).bind(session)  # type: ignore[arg-type]
    failing = data.from_version or switcher.current_version(name, DEFAULT_ALIAS)
    if failing is None:
        raise Conflict(f"no version of {name!r} serves through alias {DEFAULT_ALIAS!r} or a rollout plan: name one")
    done = roll_back(switcher, audit, actor.name, name, DEFAULT_ALIAS, failing, data.to_version, data.reason)
    if done is None:
        raise Conflict(
            f"nothing to roll back: version {failing!r} of {name!r} is neither served by the alias nor a rollout "
            "candidate, or no other production version can take its traffic"
        )
    return done
