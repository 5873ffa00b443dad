"""Model versions (technical record, validation report, LLM links) and aliases."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from registry.governance.access import (
    aliases_by_version,
    dump,
    find_version,
    readable_model,
    record_change,
    versions_of,
    writable_model,
)
from registry.governance.errors import Conflict, NotFound
from registry.governance.independence import check_independent
from registry.governance.records import ValidationReport
from registry.governance.schemas import VersionIn, VersionOut
from registry.governance.specs import LlmLinks, VersionSpec
from registry.governance.tables import GovAlias, GovModel, GovModelVersion
from registry.governance.types import Actor, stamp

ALIAS_PATTERN = r"^[a-z][a-z0-9_-]{0,99}$"


def _out(session: Session, model: GovModel, row: GovModelVersion) -> VersionOut:
    return VersionOut.from_row(model, row, aliases_by_version(session, model).get(row.id or -1, []))


def _check_closed(model: GovModel) -> None:
    if model.status == "decommissioned":
        raise Conflict(f"model {model.name!r} is decommissioned")


def register_version(
    session: Session, actor: Actor, name: str, data: VersionIn, now: datetime | None = None
) -> VersionOut:
    model = writable_model(session, actor, name)
    _check_closed(model)
    if data.spec.llm is not None and model.kind != "llm":
        raise Conflict(f"model {name!r} is {model.kind!r}: LLM links only apply to kind 'llm'")
    at = stamp(now)
    row = GovModelVersion(
        model_id=model.id,
        version=data.version,
        spec=dump(data.spec),
        created_by=actor.name,
        created_at=at,
        status_changed_at=at,
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError as exc:
        raise Conflict(f"model {name!r} already has version {data.version!r}") from exc
    subject = f"model:{name}@{data.version}"
    record_change(session, actor, model, "version.create", subject=subject, after=data.model_dump(mode="json"), at=at)
    return _out(session, model, row)


def get_version(session: Session, actor: Actor, name: str, version: str) -> VersionOut:
    model = readable_model(session, actor, name)
    return _out(session, model, find_version(session, model, resolve(session, model, version)))


def list_versions(session: Session, actor: Actor, name: str) -> list[VersionOut]:
    model = readable_model(session, actor, name)
    aliases = aliases_by_version(session, model)
    return [VersionOut.from_row(model, row, aliases.get(row.id or -1, [])) for row in versions_of(session, model)]


def update_version_spec(
    session: Session, actor: Actor, name: str, version: str, spec: VersionSpec, now: datetime | None = None
) -> VersionOut:
    """Only a version still in development may change: what was validated must stay what is served."""
    model = writable_model(session, actor, name)
    row = find_version(session, model, version)
    if row.status != "development":
        raise Conflict(f"version {version!r} of {name!r} is {row.status!r}: only 'development' versions are editable")
    before, row.spec = row.spec, dump(spec) or {}
    session.add(row)
    record_change(
        session,
        actor,
        model,
        "version.update",
        subject=f"model:{name}@{version}",
        before=before,
        after=row.spec,
        at=now,
    )
    return _out(session, model, row)


def set_llm_links(
    session: Session, actor: Actor, name: str, version: str, links: LlmLinks, now: datetime | None = None
) -> VersionOut:
    """Gateway deployments and prompt versions move over a version's life, so they stay editable."""
    model = writable_model(session, actor, name)
    if model.kind != "llm":
        raise Conflict(f"model {name!r} is {model.kind!r}: LLM links only apply to kind 'llm'")
    row = find_version(session, model, version)
    before = row.spec.get("llm")
    row.spec = {**row.spec, "llm": dump(links)}
    session.add(row)
    subject = f"model:{name}@{version}"
    record_change(
        session, actor, model, "version.llm_links", subject=subject, before=before, after=row.spec["llm"], at=now
    )
    return _out(session, model, row)


def set_validation_report(
    session: Session, actor: Actor, name: str, version: str, report: ValidationReport, now: datetime | None = None
) -> VersionOut:
    model = writable_model(session, actor, name)
    row = find_version(session, model, version)
    check_independent(session, actor, model, row, "file its validation report")
    before, row.validation_report = row.validation_report, dump(report)
    session.add(row)
    subject = f"model:{name}@{version}"
    record_change(
        session,
        actor,
        model,
        "version.validation_report",
        subject=subject,
        before=before,
        after=row.validation_report,
        at=now,
    )
    return _out(session, model, row)


def resolve(session: Session, model: GovModel, version_or_alias: str) -> str:
    """An alias name resolves to its version; anything else is taken as a version string."""
    alias = session.get(GovAlias, (model.id, version_or_alias))
    if alias is None:
        return version_or_alias
    target = session.get(GovModelVersion, alias.version_id)
    assert target is not None
    return target.version


def set_alias(
    session: Session, actor: Actor, name: str, alias: str, version: str, now: datetime | None = None
) -> VersionOut:
    """Point `alias` at `version`: one row insert or update, so readers see the old or the new target, never none."""
    if not re.fullmatch(ALIAS_PATTERN, alias):
        raise Conflict(f"alias {alias!r} must match {ALIAS_PATTERN}")
    model = writable_model(session, actor, name)
    _check_closed(model)
    target = find_version(session, model, version)
    if target.status in ("archived", "decommissioned"):
        raise Conflict(f"version {version!r} of {name!r} is {target.status!r} and cannot carry alias {alias!r}")
    row = session.get(GovAlias, (model.id, alias))
    before = None
    if row is None:
        row = GovAlias(model_id=model.id, alias=alias, version_id=target.id)
    else:
        before = {"alias": alias, "version": find_version_by_id(session, row.version_id).version}
        row.version_id, row.updated_at = target.id, stamp(now)
    session.add(row)
    after = {"alias": alias, "version": version}
    record_change(
        session, actor, model, "alias.set", subject=f"model:{name}#{alias}", before=before, after=after, at=now
    )
    from registry.governance.rollout import follow_alias  # noqa: PLC0415 - rollout imports this module

    follow_alias(session, actor, model, alias, version, now)
    return _out(session, model, target)


def remove_alias(session: Session, actor: Actor, name: str, alias: str, now: datetime | None = None) -> None:
    model = writable_model(session, actor, name)
    row = session.get(GovAlias, (model.id, alias))
    if row is None:
        raise NotFound(f"model {name!r} has no alias {alias!r}")
    before = {"alias": alias, "version": find_version_by_id(session, row.version_id).version}
    session.delete(row)
    record_change(session, actor, model, "alias.remove", subject=f"model:{name}#{alias}", before=before, at=now)


def find_version_by_id(session: Session, version_id: int) -> GovModelVersion:
    row = session.get(GovModelVersion, version_id)
    if row is None:
        raise NotFound(f"version id {version_id!r} does not exist")
    return row


def aliases_of(session: Session, model: GovModel) -> dict[str, str]:
    rows = session.exec(select(GovAlias).where(GovAlias.model_id == model.id))
    return {row.alias: find_version_by_id(session, row.version_id).version for row in rows}
