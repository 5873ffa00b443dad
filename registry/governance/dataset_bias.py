"""Storing a data-bias analysis on a recorded dataset version, and board waivers of its gaps: permission-checked and
audited like an amendment."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from registry.governance.access import find_model, writable_model
from registry.governance.bias_records import BiasWaiver, BiasWaiverIn, DatasetBias
from registry.governance.datasets import _index, _replace
from registry.governance.errors import Conflict, NotFound, PermissionDenied
from registry.governance.records import DatasetVersion
from registry.governance.review import reviewer_roles
from registry.governance.schemas import ModelOut
from registry.governance.types import Actor, stamp


def set_dataset_bias(
    session: Session, actor: Actor, name: str, dataset: str, version: str, bias: DatasetBias,
    now: datetime | None = None,
) -> ModelOut:
    """Attach `bias` to `dataset@version` of model `name` (replacing an earlier analysis); the trail keeps both."""
    model = writable_model(session, actor, name)
    index = _index(model, dataset, version)
    current = DatasetVersion.model_validate(model.datasets[index])
    return _replace(session, actor, model, index, current.model_copy(update={"bias": bias}), "model.dataset.bias", now)


def waive_bias(session: Session, actor: Actor, name: str, dataset: str, version: str, waiver: BiasWaiverIn,
               now: datetime | None = None) -> ModelOut:
    """Record a board member's acceptance of one group's gap in the current analysis (audited as
    `model.dataset.bias_waiver`); the actor must hold the waiver's role, whatever team the model belongs to."""
    held = reviewer_roles(session, actor.name)
    if waiver.role not in held:
        raise PermissionDenied(f"{actor.name!r} does not hold the board role {waiver.role!r} (holds {sorted(held)!r}) "
                               f"needed to waive a bias gap")
    model = find_model(session, name)
    index = _index(model, dataset, version)
    current = DatasetVersion.model_validate(model.datasets[index])
    if current.bias is None:
        raise Conflict(f"dataset {dataset!r} version {version!r} of {name!r} has no bias analysis to waive")
    if not any((g.column, g.value) == (waiver.column, waiver.value) for g in current.bias.groups):
        raise NotFound(f"the bias analysis of {dataset}@{version} has no group {waiver.column}={waiver.value!r}")
    recorded = BiasWaiver(**waiver.model_dump(), approved_by=actor.person or actor.name,
                          approved_on=stamp(now).date(), analysis_sha256=current.bias.sha256)
    after = current.model_copy(update={"bias_waivers": [*current.bias_waivers, recorded]})
    return _replace(session, actor, model, index, after, "model.dataset.bias_waiver", now)
