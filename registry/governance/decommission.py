"""Decommissioning: notice -> migration check -> archive -> cleanup (no more routing) -> post-mortem.

Each step is recorded in `GovModel.decommission` and audited. Cleanup is a gate: it names every missing step.
A decommissioning retires one version (`DecommissionStart.version`) while the others keep serving, or the whole
model; retiring the last live version retires the model too. Once a version's cleanup is done, the next
decommissioning may start.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlmodel import Session, col

from registry.governance.access import dump, find_version, record_change, versions_of, writable_model
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
from registry.governance.rollout import routing_to
from registry.governance.serving import check_servable
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
    if model.decommission is not None and not _finished_version(model):
        raise Conflict(f"decommissioning of {name!r} has already started")
    if data.version is not None:
        retiring = find_version(session, model, data.version)
        if retiring.status == "decommissioned":
            raise Conflict(f"version {data.version!r} of {name!r} is already decommissioned")
    notice_days = (data.effective_on - at.date()).days
    if not NOTICE_MIN_DAYS <= notice_days <= NOTICE_MAX_DAYS:
        raise Conflict(
            f"effective date {data.effective_on.isoformat()!r} is {notice_days} days ahead; "
            f"notice must be {NOTICE_MIN_DAYS}-{NOTICE_MAX_DAYS} days"
        )
    if data.replacement is not None:
        _check_replacement(session, name, data.version, data.replacement)
    notice = DecommissionNotice(
        model=name,
        version=data.version,
        criteria=data.criteria,
        justification=data.justification,
        effective_on=data.effective_on,
        replacement=data.replacement,
        stakeholders=data.stakeholders,
    )
    notify(notice)  # a failing webhook aborts the transaction: no decommissioning without a delivered notice
    if data.version is None:
        _enter_phase(session, actor, model, at)
    return _save(session, actor, model, DecommissionState(start=data, notified_at=at), "notice", at)


def _finished_version(model: GovModel) -> bool:
    state = DecommissionState.model_validate(model.decommission)
    return state.start.version is not None and state.cleaned_up_at is not None and model.status == "active"


def _check_replacement(session: Session, name: str, version: str | None, replacement: str) -> None:
    """`model` or `model@version`: it must exist and be servable now, and not be what is being retired."""
    target, _, target_version = replacement.partition("@")
    if target == name and (version is None or target_version in ("", version)):
        raise Conflict(f"replacement {replacement!r} is what is being decommissioned")
    verdict = check_servable(session, target, target_version or None)
    if not verdict.ok:
        raise Conflict(f"replacement {replacement!r} is not servable: {verdict.reason}")


def _enter_phase(session: Session, actor: Actor, model: GovModel, at: datetime) -> None:
    before, model.phase = model.phase, "decommissioning"
    after = {"phase": "decommissioning"}
    record_change(session, actor, model, "model.phase", before={"phase": before}, after=after, at=at)


def dependents(session: Session, model: GovModel, version: str | None = None) -> list[str]:
    """Gateway deployments and prompt versions that still point at the model (or at `version` of it)."""
    found: list[str] = []
    for row in versions_of(session, model):
        if row.status == "decommissioned" or version not in (None, row.version):
            continue
        llm = VersionSpec.model_validate(row.spec).llm
        if llm is not None:
            found += [f"deployment:{d} -> {row.version}" for d in llm.gateway_deployments]
            found += [f"prompt:{p.name}@{p.commit} -> {row.version}" for p in llm.prompt_versions]
    return found


def check_migration(
    session: Session, actor: Actor, name: str, usage: UsageLookup, now: datetime | None = None
) -> MigrationCheck:
    """Passes when no request arrived in the lookup's window and no rollout plan still routes to what is retired."""
    at = stamp(now)
    model = writable_model(session, actor, name)
    state = _state(model)
    version = state.start.version
    last, count = usage(name, version)
    routing = routing_to(session, model.id, version)
    check = MigrationCheck(
        checked_at=at,
        last_request_at=last,
        requests_last_n_days=count,
        dependents=dependents(session, model, version),
        routing=routing,
        ok=count == 0 and not routing,
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
    """Stop all routing to what is retired: its versions decommissioned, their aliases (and for a whole model the
    rollout plan) removed; the model is decommissioned when no live version is left."""
    at = stamp(now)
    model = writable_model(session, actor, name)
    state = _state(model)
    version = state.start.version
    missing: list[str] = []
    if at.date() < state.start.effective_on:
        missing.append(f"the effective date {state.start.effective_on.isoformat()} (notice period still running)")
    if state.migration is None or not state.migration.ok:
        missing.append("a passing migration check (no traffic in the usage window, no rollout plan routing to it)")
    missing += routing_to(session, model.id, version)  # a plan set after the check counts too
    if state.archive is None:
        missing.append("an archive record")
    if missing:
        raise GateError(f"cleaning up {name!r}" + (f" version {version!r}" if version else ""), missing)
    retired = _retire_versions(session, model, version, at)
    if not [row for row in versions_of(session, model) if row.status != "decommissioned"]:
        session.execute(delete(GovRollout).where(col(GovRollout.model_id) == model.id))
        if model.phase != "decommissioning":
            _enter_phase(session, actor, model, at)
        model.status = "decommissioned"
    state = state.model_copy(update={"cleaned_up_at": at})
    record_change(session, actor, model, "decommission.versions", after={"decommissioned": retired}, at=at)
    return _save(session, actor, model, state, "cleanup", at)


def _retire_versions(session: Session, model: GovModel, version: str | None, at: datetime) -> list[str]:
    retired = []
    for row in versions_of(session, model):
        if row.status != "decommissioned" and version in (None, row.version):
            row.status, row.status_changed_at = "decommissioned", at
            session.add(row)
            session.execute(delete(GovAlias).where(col(GovAlias.version_id) == row.id))
            retired.append(row.version)
    return retired


def record_postmortem(
    session: Session, actor: Actor, name: str, postmortem: PostMortem, now: datetime | None = None
) -> DecommissionState:
    at = stamp(now)
    model = writable_model(session, actor, name)
    state = _state(model)
    if state.cleaned_up_at is None:
        raise Conflict(f"post-mortem of {name!r} comes after cleanup")
    return _save(session, actor, model, state.model_copy(update={"postmortem": postmortem}), "postmortem", at)
