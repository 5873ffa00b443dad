"""Independent validation: where the tier policy asks for it, the developer of a version (whoever registered it)
may neither file its validation report nor vote on its review. "Who" is the key's person when keys name one, so
a second key held by the same person does not make the developer independent."""

from __future__ import annotations

from sqlmodel import Session

from registry.governance.errors import PermissionDenied
from registry.governance.policy import DEFAULT_POLICY, PolicyTable
from registry.governance.tables import GovModel, GovModelVersion
from registry.governance.types import Actor
from registry.tables import ApiKey


def person_of(session: Session, actor_name: str) -> str | None:
    """The person holding the key an audit name stands for (`key_ab12@risk` -> its `person`), if any."""
    key = session.get(ApiKey, actor_name.split("@", 1)[0])
    return None if key is None else key.person


def is_developer(session: Session, actor: Actor, version: GovModelVersion) -> bool:
    if actor.name == version.created_by:
        return True
    return actor.person is not None and actor.person == person_of(session, version.created_by)


def check_independent(
    session: Session,
    actor: Actor,
    model: GovModel,
    version: GovModelVersion,
    act: str,
    policy: PolicyTable = DEFAULT_POLICY,
) -> None:
    """Refuse `act` (e.g. "file its validation report") when the tier wants an independent validator and the
    actor developed the version."""
    if model.risk_tier is None or not policy.for_tier(model.risk_tier).validation.independent_validation:  # type: ignore[arg-type]
        return
    if is_developer(session, actor, version):
        who = repr(actor.name) if actor.person is None else f"{actor.person} ({actor.name})"
        raise PermissionDenied(
            f"{who} registered version {version.version!r} of {model.name!r} and cannot {act}: tier "
            f"{model.risk_tier} requires a validator independent of the developer"
        )
