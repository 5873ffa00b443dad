"""Which expectations hold for each version at ingest: the monitor config's for the model, with the features the
version spec declares (`expectations:` in `warden models version --spec`) taking their place (the spec wins per
feature, so a version that changed a feature's range carries its own)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, col, select

from registry.monitoring.expectations import FeatureExpectation

Expectations = dict[str, FeatureExpectation]


def version_expectations(session: Session, model_name: str, versions: Iterable[str],
                         configured: Expectations | None) -> dict[str, Expectations]:
    """Per version of the batch; a version unknown to the registry keeps the configured expectations alone."""
    from registry.governance.specs import VersionSpec
    from registry.governance.tables import GovModel, GovModelVersion

    wanted = sorted(set(versions))
    rows = session.exec(select(GovModelVersion.version, GovModelVersion.spec).join(
        GovModel, col(GovModel.id) == col(GovModelVersion.model_id)).where(
        GovModel.name == model_name, col(GovModelVersion.version).in_(wanted))).all()
    declared = {version: VersionSpec.model_validate(spec).expectations for version, spec in rows}
    return {v: {**(configured or {}), **declared.get(v, {})} for v in wanted}
