"""Per-version model cards: a version carries its own sections (training data, metrics, limitations, external
audit), the model keeps the shared ones (details, intended use, out-of-scope use, ethics, risk classification).
The card of a version is the model's card with the version's sections laid over it and `details.version` set."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Session

from registry.governance.access import dump, find_version, readable_model, record_change, writable_model
from registry.governance.card import ExternalAudit, ModelCard, TrainingData
from registry.governance.inventory import card_with_classification
from registry.governance.records import MetricValue, Record
from registry.governance.tables import GovModel, GovModelVersion
from registry.governance.types import Actor

VERSION_SECTIONS: tuple[str, ...] = ("training_data", "metrics_by_segment", "limitations_and_risks", "external_audit")


class VersionCard(Record):
    """The version-level part of a model card; the rest is shared by every version of the model."""

    training_data: TrainingData | None = None
    metrics_by_segment: list[MetricValue] = []
    limitations_and_risks: list[str] = []
    external_audit: ExternalAudit | None = None
    card_date: date | None = None


def compose(model: GovModel, version: GovModelVersion) -> ModelCard | None:
    """The card of `version`: shared sections from the model (risk from its classification), its own on top."""
    shared = card_with_classification(model)
    own = VersionCard.model_validate(version.model_card) if version.model_card is not None else None
    if shared is None and own is None:
        return None
    card = shared or ModelCard()
    update: dict[str, object] = {} if own is None else {s: getattr(own, s) for s in VERSION_SECTIONS if getattr(own, s)}
    if card.details is not None:
        dated = {"card_date": own.card_date} if own is not None and own.card_date is not None else {}
        update["details"] = card.details.model_copy(update={"version": version.version, **dated})
    return card.model_copy(update=update)


def set_version_card(
    session: Session, actor: Actor, name: str, version: str, card: VersionCard, now: datetime | None = None
) -> ModelCard | None:
    """Record `version`'s own card sections (audited as `version.card`); returns the composed card."""
    model = writable_model(session, actor, name)
    row = find_version(session, model, version)
    before, row.model_card = row.model_card, dump(card)
    session.add(row)
    record_change(session, actor, model, "version.card", subject=f"model:{name}@{version}", before=before,
                  after=row.model_card, at=now)
    return compose(model, row)


def get_version_card(session: Session, actor: Actor, name: str, version: str) -> ModelCard | None:
    model = readable_model(session, actor, name)
    return compose(model, find_version(session, model, version))
