"""`warden models export --mlflow URI`: Warden's governance status written back as MLflow tags, so the people who
live in MLflow's UI see which versions Warden approved, serves or retired. Only versions imported from MLflow (their
lineage names the MLflow model and version) are written; writing the same status twice changes nothing."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from registry.governance.access import aliases_by_version, versions_of
from registry.governance.specs import VersionSpec
from registry.governance.tables import GovModel
from registry.governance.types import Actor
from registry.mlflow_interop.client import MlflowClient


@dataclass
class ExportedVersion:
    model: str
    version: str
    mlflow_model: str
    mlflow_version: str
    tags: dict[str, str]


def _validation(report: dict[str, object] | None) -> str:
    if report is None:
        return "missing"
    return "passed" if report.get("passed") else "failed"


def model_tags(model: GovModel) -> dict[str, str]:
    return {
        "warden.phase": model.phase,
        "warden.status": model.status,
        "warden.risk_tier": "" if model.risk_tier is None else str(model.risk_tier),
        "warden.eu_class": model.eu_class or "",
        "warden.team": model.team,
    }


def export_models(session: Session, actor: Actor, client: MlflowClient, name: str | None = None) -> list[ExportedVersion]:
    query = select(GovModel).order_by(col(GovModel.name))
    if name:
        query = query.where(GovModel.name == name)
    exported = []
    for model in session.exec(query):
        if not actor.can_see_team(model.team):
            continue
        aliases = aliases_by_version(session, model)
        pending: list[ExportedVersion] = []
        for row in versions_of(session, model):
            ref = VersionSpec.model_validate(row.spec).lineage.mlflow
            if ref is None:
                continue
            tags = {
                "warden.version_status": row.status,
                "warden.validation": _validation(row.validation_report),
                "warden.aliases": ",".join(sorted(aliases.get(row.id or -1, []))),
            }
            pending.append(ExportedVersion(model.name, row.version, ref.model, ref.version, tags))
        for item in pending:
            for key, value in item.tags.items():
                client.set_version_tag(item.mlflow_model, item.mlflow_version, key, value)
        for mlflow_model in dict.fromkeys(p.mlflow_model for p in pending):
            for key, value in model_tags(model).items():
                client.set_model_tag(mlflow_model, key, value)
        exported.extend(pending)
    return exported
