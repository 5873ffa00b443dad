"""Storing a version's interpretability record: permission-checked and audited (`version.interpretability`).

It stays writable after development: explaining a served model better changes no prediction."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from registry.governance.access import dump, find_version, readable_model, record_change, writable_model
from registry.governance.interpretability_records import InterpretabilityRecord
from registry.governance.types import Actor
from registry.governance.versions import resolve


def set_interpretability(
    session: Session, actor: Actor, name: str, version: str, record: InterpretabilityRecord,
    now: datetime | None = None,
) -> InterpretabilityRecord:
    model = writable_model(session, actor, name)
    row = find_version(session, model, resolve(session, model, version))
    before, row.interpretability = row.interpretability, dump(record)
    session.add(row)
    record_change(session, actor, model, "version.interpretability", subject=f"model:{name}@{row.version}",
                  before=before, after=row.interpretability, at=now)
    return record


def get_interpretability(session: Session, actor: Actor, name: str, version: str) -> InterpretabilityRecord | None:
    model = readable_model(session, actor, name)
    row = find_version(session, model, resolve(session, model, version))
    return None if row.interpretability is None else InterpretabilityRecord.model_validate(row.interpretability)
