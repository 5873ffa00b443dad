"""Dataset versions recorded on a model: amend one (a card or quality report added later) or retire it.

A recorded dataset is never deleted: amending keeps (name, version) and the audit trail holds the record before and
after; retiring keeps the record, flagged, so the data-preparation gate no longer asks for its documentation.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from registry.governance.access import dump, record_change, writable_model
from registry.governance.errors import NotFound
from registry.governance.records import DatasetVersion
from registry.governance.schemas import ModelOut
from registry.governance.tables import GovModel
from registry.governance.types import Actor


def _index(model: GovModel, dataset: str, version: str) -> int:
    for i, row in enumerate(model.datasets):
        if (row["name"], row["version"]) == (dataset, version):
            return i
    raise NotFound(f"model {model.name!r} has no dataset {dataset!r} version {version!r}")


def _replace(
    session: Session, actor: Actor, model: GovModel, index: int, after: DatasetVersion, action: str, at: datetime | None
) -> ModelOut:
    before = model.datasets[index]
    rows = list(model.datasets)
    rows[index] = dump(after)
    model.datasets = rows  # a new list, so the JSON column is written back
    subject = f"model:{model.name}/dataset:{after.name}@{after.version}"
    record_change(session, actor, model, action, subject=subject, before=before, after=rows[index], at=at)
    return ModelOut.from_row(model)


def amend_dataset_version(
    session: Session, actor: Actor, name: str, dataset: DatasetVersion, now: datetime | None = None
) -> ModelOut:
    """Replace the record of `dataset.name@dataset.version` (e.g. to add its data card); it must exist."""
    model = writable_model(session, actor, name)
    index = _index(model, dataset.name, dataset.version)
    return _replace(session, actor, model, index, dataset, "model.dataset.amend", now)


def retire_dataset_version(
    session: Session, actor: Actor, name: str, dataset: str, version: str, now: datetime | None = None
) -> ModelOut:
    """Mark a dataset version as no longer in use (recorded by mistake, or superseded by a newer version)."""
    model = writable_model(session, actor, name)
    index = _index(model, dataset, version)
    current = DatasetVersion.model_validate(model.datasets[index])
    retired = current.model_copy(update={"retired": True})
    return _replace(session, actor, model, index, retired, "model.dataset.retire", now)
