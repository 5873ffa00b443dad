"""What the gateway asks before routing: may this version serve, and which versions are routable at all."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict
from sqlmodel import Session, select

from registry.governance.access import versions_of
from registry.governance.tables import GovModel
from registry.governance.types import VersionStatus
from registry.governance.versions import resolve

DEFAULT_ALIAS = "champion"


class Servability(BaseModel):
    """`ok` or the reason it is not (the gateway answers 403 with `reason`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    ok: bool
    reason: str | None = None
    version: str | None = None
    status: VersionStatus | None = None


def _model(session: Session, name: str) -> GovModel | None:
    return session.exec(select(GovModel).where(GovModel.name == name)).first()


def check_servable(
    session: Session,
    model_name: str,
    version: str | None = None,
    required_statuses: Sequence[VersionStatus] = ("production",),
) -> Servability:
    """`version` may be an alias; `None` means the `champion` alias (or the only production version)."""
    model = _model(session, model_name)
    if model is None:
        return Servability(ok=False, reason=f"model {model_name!r} is not registered")
    if model.status != "active":
        return Servability(ok=False, reason=f"model {model_name!r} is {model.status!r}")
    if model.prohibited:
        return Servability(ok=False, reason=f"model {model_name!r} is classified EU AI Act 'unacceptable'")
    rows = versions_of(session, model)
    if version is None:
        version = resolve(session, model, DEFAULT_ALIAS)
        if version == DEFAULT_ALIAS:
            live = [v.version for v in rows if v.status == "production"]
            if len(live) != 1:
                return Servability(
                    ok=False,
                    reason=f"model {model_name!r} has no {DEFAULT_ALIAS!r} alias and {len(live)} production versions",
                )
            version = live[0]
    else:
        version = resolve(session, model, version)
    row = next((v for v in rows if v.version == version), None)
    if row is None:
        return Servability(ok=False, reason=f"model {model_name!r} has no version {version!r}")
    if row.status not in required_statuses:
        wanted = ", ".join(required_statuses)
        return Servability(
            ok=False,
            reason=f"version {version!r} of {model_name!r} is {row.status!r}, not {wanted}",
            version=version,
            status=row.status,
        )  # type: ignore[arg-type]
    return Servability(ok=True, version=version, status=row.status)  # type: ignore[arg-type]


def routable_versions(session: Session, model_name: str) -> list[str]:
    """Versions the gateway may route to: production versions of an active, permitted model."""
    model = _model(session, model_name)
    if model is None or model.status != "active" or model.prohibited:
        return []
    return [v.version for v in versions_of(session, model) if v.status == "production"]


def is_routable(session: Session, model_name: str, version: str) -> bool:
    return version in routable_versions(session, model_name)
