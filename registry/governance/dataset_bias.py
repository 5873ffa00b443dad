"""Storing a data-bias analysis on a recorded dataset version: permission-checked and audited like an amendment."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from registry.governance.access import writable_model
from registry.governance.bias_records import DatasetBias
from registry.governance.datasets import _index, _replace
from registry.governance.records import DatasetVersion
from registry.governance.schemas import ModelOut
from registry.governance.types import Actor


def set_dataset_bias(
    session: Session, actor: Actor, name: str, dataset: str, version: str, bias: DatasetBias,
    now: datetime | None = None,
) -> ModelOut:
    """Attach `bias` to `dataset@version` of model `name` (replacing an earlier analysis); the trail keeps both."""
    model = writable_model(session, actor, name)
    index = _index(model, dataset, version)
    current = DatasetVersion.model_validate(model.datasets[index])
    return _replace(session, actor, model, index, current.model_copy(update={"bias": bias}), "model.dataset.bias", now)
