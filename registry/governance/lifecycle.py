"""Lifecycle phases of a model and status transitions of its versions, both guarded by the tier's gates."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlmodel import Session, col

from registry.governance.access import find_version, record_change, writable_model
from registry.governance.classification import mark_significant_change
from registry.governance.errors import Conflict, GateError
from registry.governance.gates import phase_gaps, production_gaps
from registry.governance.policy import DEFAULT_POLICY, PolicyTable
from registry.governance.privacy import privacy_gaps
from registry.governance.rollout import routing_to
from registry.governance.schemas import ModelOut, VersionOut
from registry.governance.specs import VersionSpec
from registry.governance.tables import GovAlias, GovModel, GovModelVersion
from registry.governance.types import Actor, LifecyclePhase, VersionStatus, as_utc, stamp
from registry.governance.versions import get_version

TRANSITIONS: dict[VersionStatus, tuple[VersionStatus, ...]] = {
    "development": ("staging", "production", "archived"),
    "staging": ("development", "production", "archived"),
    "production": ("staging", "archived"),
    "archived": ("staging", "production"),
    "decommissioned": (),
}


def advance_phase(
    session: Session,
    actor: Actor,
    name: str,
    phase: LifecyclePhase,
    policy: PolicyTable = DEFAULT_POLICY,
    now: datetime | None = None,
) -> ModelOut:
    """Move the model to `phase`; going forward needs the deliverables of every phase left behind."""
    model = writable_model(session, actor, name)
    if phase == "decommissioning" and model.phase != "decommissioning":
        # Phase 7 starts with a notice to the stakeholders, which only the decommissioning workflow sends.
        raise GateError(f"moving {name!r} to phase 'decommissioning' (7)", [
            f"a decommissioning notice for the whole model: `warden models decommission start {name}` "
            f"(POST /registry/models/{name}/decommission/start) enters phase 7"
        ])
    if phase == "decommissioning":
        return ModelOut.from_row(model)  # already there
    if model.phase == "decommissioning":
        raise Conflict("the decommissioning phase (7) is left only by finishing the decommissioning workflow")
    gaps = phase_gaps(session, model, phase, policy)
    if gaps:
        raise GateError(f"moving {name!r} to phase {phase!r}", gaps)
    before, model.phase = model.phase, phase
    record_change(session, actor, model, "model.phase", before={"phase": before}, after={"phase": phase}, at=now)
    return ModelOut.from_row(model)


def promote(
    session: Session,
    actor: Actor,
    name: str,
    version: str,
    status: VersionStatus,
    policy: PolicyTable = DEFAULT_POLICY,
    now: datetime | None = None,
) -> VersionOut:
    """Change a version's status; `production` is refused until every gate of the tier holds."""
    at = stamp(now)
    model = writable_model(session, actor, name)
    row = find_version(session, model, version)
    if status not in TRANSITIONS[row.status]:  # type: ignore[index]
        raise Conflict(f"version {version!r} of {name!r} cannot go from {row.status!r} to {status!r}")
    if model.prohibited and status == "staging":  # production is refused by its gate, with every other gap
        raise Conflict(f"model {name!r} is classified EU AI Act 'unacceptable': no version may go to 'staging'")
    routed = routing_to(session, model.id, version)
    if routed and (status == "archived" or row.status == "production"):
        raise Conflict(f"version {version!r} of {name!r} still receives traffic ({'; '.join(routed)}): change the plan")
    if status == "staging":
        # Staging serves real inputs too: personal data needs its lawful basis before any traffic.
        privacy = privacy_gaps(model, VersionSpec.model_validate(row.spec))
        if privacy:
            raise GateError(f"promoting {name!r} version {version!r} to staging", privacy)
    if status == "production":
        gaps = production_gaps(session, model, row, policy, at)
        if gaps:
            raise GateError(f"promoting {name!r} version {version!r} to production", gaps)
    before = row.status
    row.status, row.status_changed_at = status, at
    session.add(row)
    if status == "archived":
        # An archived version must not stay reachable through an alias.
        stale = delete(GovAlias).where(col(GovAlias.model_id) == model.id, col(GovAlias.version_id) == row.id)
        session.execute(stale)
    subject = f"model:{name}@{version}"
    record_change(
        session,
        actor,
        model,
        "version.promote",
        subject=subject,
        before={"status": before},
        after={"status": status},
        at=at,
    )
    if status == "production" and not _classified_after(model, row):
        mark_significant_change(session, actor, model, f"new production version {version!r}", at)
    return get_version(session, actor, name, version)


def _classified_after(model: GovModel, version: GovModelVersion) -> bool:
    """A classification made after the version was registered already weighed it: promoting it changes nothing
    the risk officer has not seen, so it must not make the model overdue again."""
    if model.classification is None:
        return False
    classified_at = as_utc(datetime.fromisoformat(model.classification["classified_at"]))
    return classified_at > as_utc(version.created_at)
