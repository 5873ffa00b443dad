"""Decommissioning: notice -> migration check -> archive -> cleanup (no more routing) -> post-mortem.

Each step is recorded in `GovModel.decommission` and audited. Cleanup is a gate: it names every missing step.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlmodel import Session, col

from registry.governance.access import dump, record_change, versions_of, writable_model
from registry.governance.decommission_records import (
    NOTICE_MAX_DAYS,
    NOTICE_MIN_DAYS,
    ArchiveIn,
    ArchiveRecord,
    DecommissionNotice,
    DecommissionStart,
    DecommissionState,
    MigrationCheck,
    Notifier,
    PostMortem,
    UsageLookup,
)
from registry.governance.errors import Conflict, GateError
from registry.governance.gates import effective_policy
from registry.governance.policy import DEFAULT_POLICY, PolicyTable
from registry.governance.specs import VersionSpec
from registry.governance.tables import GovAlias, GovModel, GovRollout
from registry.governance.types import Actor, stamp


def _state(model: GovModel) -> DecommissionState:
    if model.decommission is None:
        raise Conflict(f"decommissioning of {model.name!r} has not started")
    return DecommissionState.model_validate(model.decommission)


def _save(
    session: Session, actor: Actor, model: GovModel, state: DecommissionState, step: str, at: datetime
) -> DecommissionState:
    before, model.decommission = model.decommission, dump(state)
    record_change(
        session,
        actor,
        model,
        f"decommission.{step}",
        subject=f"model:{model.name}/decommission",
        before=before,
        after=model.decommission,
        at=at,
    )
    return state


def start_decommission(
    session: Session, actor: Actor, name: str, data: DecommissionStart, notify: Notifier, now: datetime | None = None
) -> DecommissionState:
    """Record the criteria and the effective date (30-60 days ahead) and notify the stakeholders."""
    at = stamp(now)
    model = writable_model(session, actor, name)
    if model.decommission is not None:
        raise Conflict(f"decommissioning of {name!r} has already started")
    notice_days = (data.effective_on - at.date()).days
    if not NOTICE_MIN_DAYS <= notice_days <= NOTICE_MAX_DAYS:
        raise Conflict(
            f"effective date {data.effective_on.isoformat()!r} is {notice_days} days ahead; "
            f"notice must be {NOTICE_MIN_DAYS}-{NOTICE_MAX_DAYS} days"
        )
    notice = DecommissionNotice(
        model=name,
        criteria=data.criteria,
        justification=data.justification,
        effective_on=data.effective_on,
        replacement=data.replacement,
        stakeholders=data.stakeholders,
    )
    notify(notice)  # a failing webhook aborts the transaction: no decommissioning without a delivered notice
    phase_before, model.phase = model.phase, "decommissioning"
    record_change(
        session, actor, model, "model.phase", before={"phase": phase_before}, after={"phase": "decommissioning"}, at=at
    )
    return _save(session, actor, model, DecommissionState(start=data, notified_at=at), "notice", at)


def dependents(session: Session, model: GovModel) -> list[str]:
    """Gateway deployments, prompt versions and rollout plans that still point at the model."""
    found: list[str] = []
    for row in versions_of(session, model):
        if row.status == "decommissioned":
            continue
        llm = VersionSpec.model_validate(row.spec).llm
        if llm is not None:
            found += [f"deployment:{d} -> {row.version}" for d in llm.gateway_deployments]
            found += [f"prompt:{p.name}@{p.commit} -> {row.version}" for p in llm.prompt_versions]
    if session.get(GovRollout, model.id) is not None:
        found.append("rollout plan")
    return found


def check_migration(
    session: Session, actor: Actor, name: str, usage: UsageLookup, now: datetime | None = None
) -> MigrationCheck:
    """Read the gateway's usage: the check passes when no request arrived in the lookup's window."""
    at = stamp(now)
    model = writable_model(session, actor, name)
    state = _state(model)
    last, count = usage(name)
    check = MigrationCheck(
        checked_at=at,
        last_request_at=last,
        requests_last_n_days=count,
        dependents=dependents(session, model),
        ok=count == 0,
    )
    _save(session, actor, model, state.model_copy(update={"migration": check}), "migration_check", at)
    return check


def archive_model(
    session: Session,
    actor: Actor,
    name: str,
    data: ArchiveIn,
    policy: PolicyTable = DEFAULT_POLICY,
    now: datetime | None = None,
) -> ArchiveRecord:
    """Record what is kept and where; it is kept for the tier's archive retention."""
    at = stamp(now)
    model = writable_model(session, actor, name)
    state = _state(model)
    retain = effective_policy(model, policy).archive_retention_days
    record = ArchiveRecord(**data.model_dump(), archived_at=at, retain_until=(at + timedelta(days=retain)).date())
    _save(session, actor, model, state.model_copy(update={"archive": record}), "archive", at)
    return record


def cleanup_model(session: Session, actor: Actor, name: str, now: datetime | None = None) -> DecommissionState:
    """Stop all routing: every version decommissioned, aliases and rollout removed, model status decommissioned."""
    at = stamp(now)
    model = writable_model(session, actor, name)
    state = _state(model)
    missing: list[str] = []
    if at.date() < state.start.effective_on:
        missing.append(f"the effective date {state.start.effective_on.isoformat()} (notice period still running)")
    if state.migration is None or not state.migration.ok:
        missing.append("a passing migration check (no traffic in the usage window)")
    if state.archive is None:
        missing.append("an archive record")
    if missing:
        raise GateError(f"cleaning up {name!r}", missing)
    retired = []
    for row in versions_of(session, model):
        if row.status != "decommissioned":
            row.status, row.status_changed_at = "decommissioned", at
            session.add(row)
            retired.append(row.version)
    session.execute(delete(GovAlias).where(col(GovAlias.model_id) == model.id))
    session.execute(delete(GovRollout).where(col(GovRollout.model_id) == model.id))
    model.status = "decommissioned"
    state = state.model_copy(update={"cleaned_up_at": at})
    record_change(session, actor, model, "decommission.versions", after={"decommissioned": retired}, at=at)
    return _save(session, actor, model, state, "cleanup", at)


def record_postmortem(
    session: Session, actor: Actor, name: str, postmortem: PostMortem, now: datetime | None = None
) -> DecommissionState:
    at = stamp(now)
    model = writable_model(session, actor, name)
    state = _state(model)
    if state.cleaned_up_at is None:
        raise Conflict(f"post-mortem of {name!r} comes after cleanup")
    return _save(session, actor, model, state.model_copy(update={"postmortem": postmortem}), "postmortem", at)
