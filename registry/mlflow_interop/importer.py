"""`warden models import --mlflow URI`: MLflow's registered models and versions into the registry, idempotently.

A model missing from the registry is registered (team, owner and use case from the MLflow model's `warden.*` tags or
the command's defaults). A version missing is registered with its run's parameters, metrics and artefact URIs; a
version still in development is updated when MLflow changed; a version past development is left as it is (what was
validated stays what is served) and reported as `frozen` when MLflow differs. Every change goes through the same
functions as the API, so it lands in the audit trail. MLflow stages and aliases are recorded on the version's lineage,
never applied to Warden's aliases: promotion stays behind Warden's gates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from sqlmodel import Session

from registry.governance import ModelIn, VersionIn, inventory, versions
from registry.governance.access import dump, find_model, find_version
from registry.governance.errors import NotFound
from registry.governance.specs import VersionSpec
from registry.governance.types import Actor
from registry.mlflow_interop.client import MlflowClient, MlflowError, MlflowModel, MlflowVersion
from registry.mlflow_interop.mapping import merged_spec

Action = Literal["created", "updated", "unchanged", "frozen", "skipped"]


@dataclass(frozen=True)
class ModelDefaults:
    """Used for a model the registry does not have yet, when its MLflow tags do not say."""

    team: str | None = None
    owner: str | None = None
    use_case: str | None = None
    kind: Literal["llm", "classical"] = "classical"


@dataclass
class VersionResult:
    version: str
    action: Action
    detail: str = ""


@dataclass
class ModelResult:
    model: str
    created: bool
    versions: list[VersionResult] = field(default_factory=list)


def _missing_fields(session: Session, source: MlflowModel, defaults: ModelDefaults) -> dict[str, str | None]:
    """The fields a model new to the registry takes (from its tags or the defaults); {} for a known model."""
    try:
        find_model(session, source.name)
        return {}
    except NotFound:
        pass
    return {
        "team": source.tags.get("warden.team") or defaults.team,
        "owner": source.tags.get("warden.owner") or defaults.owner,
        "use_case": source.tags.get("warden.use_case") or defaults.use_case,
    }


def _check_new_models(session: Session, sources: list[MlflowModel], defaults: ModelDefaults) -> None:
    """Refuse before anything is written: an import lands whole or not at all, on every database."""
    for source in sources:
        values = _missing_fields(session, source, defaults)
        missing = [k for k, v in values.items() if not v]
        if missing:
            flags = ", ".join(f"--{k.replace('_', '-')}" for k in missing)
            raise MlflowError(
                f"MLflow model {source.name!r} is not in the registry and has no "
                + ", ".join(f"warden.{k}" for k in missing) + f" tag: give {flags}"
            )


def _ensure_model(session: Session, actor: Actor, source: MlflowModel, defaults: ModelDefaults) -> bool:
    values = _missing_fields(session, source, defaults)
    if not values:
        return False
    kind = source.tags.get("warden.kind", defaults.kind)
    data = ModelIn.model_validate({"name": source.name, "kind": kind, "description": source.description, **values})
    inventory.register_model(session, actor, data)
    return True


def _sync_version(session: Session, actor: Actor, client: MlflowClient, source: MlflowVersion) -> VersionResult:
    if source.status != "READY":
        return VersionResult(source.version, "skipped", f"MLflow status {source.status}")
    run = client.run(source.run_id) if source.run_id else None
    model = find_model(session, source.name)
    try:
        row = find_version(session, model, source.version)
    except NotFound:
        spec = merged_spec(None, source, run)
        versions.register_version(session, actor, source.name, VersionIn(version=source.version, spec=spec))
        return VersionResult(source.version, "created", f"run {source.run_id}" if source.run_id else "no run")
    current = VersionSpec.model_validate(row.spec)
    wanted = merged_spec(current, source, run)
    if dump(wanted) == dump(current):
        return VersionResult(source.version, "unchanged")
    if row.status != "development":
        return VersionResult(source.version, "frozen",
                             f"MLflow differs but the version is {row.status!r}: register a new version instead")
    versions.update_version_spec(session, actor, source.name, source.version, wanted)
    return VersionResult(source.version, "updated")


def import_models(
    session: Session, actor: Actor, client: MlflowClient, name: str | None = None,
    defaults: ModelDefaults = ModelDefaults(),
) -> list[ModelResult]:
    sources = client.registered_models(name)
    if name and not sources:
        raise MlflowError(f"MLflow at {client.uri} has no registered model {name!r}")
    _check_new_models(session, sources, defaults)
    results = []
    for source in sources:
        result = ModelResult(source.name, _ensure_model(session, actor, source, defaults))
        for version in client.versions(source.name):
            result.versions.append(_sync_version(session, actor, client, version))
        results.append(result)
    return results
