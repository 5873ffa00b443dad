"""The model inventory: register, read (team-scoped), update, and attach each phase's deliverable."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from registry.governance.access import dump, readable_model, record_change, writable_model
from registry.governance.card import ModelCard, RiskSection
from registry.governance.classification import mark_significant_change
from registry.governance.errors import Conflict, PermissionDenied
from registry.governance.records import (
    DatasetVersion,
    DecommissionPlan,
    DeploymentRecord,
    ExperimentRef,
    MonitoringPlan,
    ProjectCharter,
)
from registry.governance.schemas import ModelIn, ModelOut, ModelUpdate
from registry.governance.tables import GovModel
from registry.governance.types import Actor, LifecyclePhase, ModelKind, RiskTier, stamp


def register_model(session: Session, actor: Actor, data: ModelIn, now: datetime | None = None) -> ModelOut:
    if not actor.can_see_team(data.team):
        raise PermissionDenied(f"{actor.name!r} may not register models for team {data.team!r}")
    at = stamp(now)
    row = GovModel(**data.model_dump(), created_by=actor.name, created_at=at, updated_at=at)
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError as exc:
        raise Conflict(f"model {data.name!r} is already registered") from exc
    # Never classified: it is due for classification from day one.
    row.review_due_at, row.review_reasons = at, ["never classified"]
    record_change(session, actor, row, "model.create", after=data.model_dump(mode="json"), at=at)
    return ModelOut.from_row(row)


def get_model(session: Session, actor: Actor, name: str) -> ModelOut:
    return ModelOut.from_row(readable_model(session, actor, name))


def list_models(
    session: Session,
    actor: Actor,
    *,
    team: str | None = None,
    kind: ModelKind | None = None,
    tier: RiskTier | None = None,
    phase: LifecyclePhase | None = None,
    status: str | None = None,
) -> list[ModelOut]:
    """Models the actor may see, optionally narrowed to one team / kind / tier / phase / status."""
    query = select(GovModel)
    if not actor.admin:
        query = query.where(col(GovModel.team).in_(sorted(actor.teams)))
    filters = {"team": team, "kind": kind, "risk_tier": tier, "phase": phase, "status": status}
    for field, value in filters.items():
        if value is not None:
            query = query.where(getattr(GovModel, field) == value)
    return [ModelOut.from_row(row) for row in session.exec(query.order_by(col(GovModel.name)))]


def update_model(session: Session, actor: Actor, name: str, data: ModelUpdate, now: datetime | None = None) -> ModelOut:
    row = writable_model(session, actor, name)
    changes = data.model_dump(exclude_none=True)
    before = {key: getattr(row, key) for key in changes}
    changes = {key: value for key, value in changes.items() if before[key] != value}
    if not changes:
        return ModelOut.from_row(row)
    if "team" in changes and not actor.can_see_team(changes["team"]):
        raise PermissionDenied(f"{actor.name!r} may not move model {name!r} to team {changes['team']!r}")
    for key, value in changes.items():
        setattr(row, key, value)
    before = {key: before[key] for key in changes}
    record_change(session, actor, row, "model.update", before=before, after=changes, at=now)
    if "use_case" in changes:
        mark_significant_change(session, actor, row, f"use case changed to {changes['use_case']!r}", now)
    return ModelOut.from_row(row)


def _set_record(
    session: Session, actor: Actor, name: str, field: str, record: BaseModel | None, now: datetime | None
) -> ModelOut:
    row = writable_model(session, actor, name)
    before = getattr(row, field)
    setattr(row, field, dump(record))
    record_change(session, actor, row, f"model.{field}.set", before=before, after=getattr(row, field), at=now)
    return ModelOut.from_row(row)


def set_charter(
    session: Session, actor: Actor, name: str, charter: ProjectCharter, now: datetime | None = None
) -> ModelOut:
    return _set_record(session, actor, name, "charter", charter, now)


def set_model_card(session: Session, actor: Actor, name: str, card: ModelCard, now: datetime | None = None) -> ModelOut:
    return _set_record(session, actor, name, "model_card", card, now)


def set_deployment_record(
    session: Session, actor: Actor, name: str, record: DeploymentRecord, now: datetime | None = None
) -> ModelOut:
    return _set_record(session, actor, name, "deployment", record, now)


def set_monitoring_plan(
    session: Session, actor: Actor, name: str, plan: MonitoringPlan, now: datetime | None = None
) -> ModelOut:
    return _set_record(session, actor, name, "monitoring_plan", plan, now)


def set_decommission_plan(
    session: Session, actor: Actor, name: str, plan: DecommissionPlan, now: datetime | None = None
) -> ModelOut:
    return _set_record(session, actor, name, "decommission_plan", plan, now)


def add_dataset_version(
    session: Session, actor: Actor, name: str, dataset: DatasetVersion, now: datetime | None = None
) -> ModelOut:
    """Append a dataset version; (name, version) pairs are immutable once recorded."""
    row = writable_model(session, actor, name)
    if any((d["name"], d["version"]) == (dataset.name, dataset.version) for d in row.datasets):
        raise Conflict(f"dataset {dataset.name!r} version {dataset.version!r} is already recorded on {name!r}")
    row.datasets = [*row.datasets, dataset.model_dump(mode="json")]
    subject = f"model:{name}/dataset:{dataset.name}@{dataset.version}"
    record_change(session, actor, row, "model.dataset.add", subject=subject, after=dump(dataset), at=now)
    return ModelOut.from_row(row)


def list_dataset_versions(session: Session, actor: Actor, name: str) -> list[DatasetVersion]:
    return [DatasetVersion.model_validate(d) for d in readable_model(session, actor, name).datasets]


def add_experiment(
    session: Session, actor: Actor, name: str, experiment: ExperimentRef, now: datetime | None = None
) -> ModelOut:
    row = writable_model(session, actor, name)
    row.experiments = [*row.experiments, experiment.model_dump(mode="json")]
    subject = f"model:{name}/experiment:{experiment.name}"
    record_change(session, actor, row, "model.experiment.add", subject=subject, after=dump(experiment), at=now)
    return ModelOut.from_row(row)


def list_experiments(session: Session, actor: Actor, name: str) -> list[ExperimentRef]:
    return [ExperimentRef.model_validate(e) for e in readable_model(session, actor, name).experiments]


def get_model_card(session: Session, actor: Actor, name: str) -> ModelCard | None:
    """The stored card with its risk section filled from the model's current classification."""
    row = readable_model(session, actor, name)
    return card_with_classification(row)


def card_with_classification(row: GovModel) -> ModelCard | None:
    if row.model_card is None:
        return None
    card = ModelCard.model_validate(row.model_card)
    if row.classification is None:
        return card
    result = row.classification["result"]
    risk = {"tier": result["tier"], "eu_ai_act": row.eu_class, "justification": result["justification"]}
    # The registry's classification is authoritative: a stale tier typed into the card must not survive.
    return card.model_copy(update={"risk_classification": RiskSection.model_validate(risk)})
