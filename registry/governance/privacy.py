"""The privacy gate: a version whose spec uses a dataset whose data card says `contains_personal_data` is promoted
(staging or production) only once that dataset carries its DPIA and lawful basis (`records.DpiaRecord`). It holds
at every tier: GDPR does not scale with risk."""

from __future__ import annotations

from registry.governance.records import DatasetVersion
from registry.governance.specs import VersionSpec
from registry.governance.tables import GovModel


def privacy_gaps(model: GovModel, spec: VersionSpec) -> list[str]:
    recorded = {(d["name"], d["version"]): DatasetVersion.model_validate(d) for d in model.datasets}
    gaps: list[str] = []
    for ref in spec.datasets:
        found = recorded.get((ref.name, ref.version))
        personal = found is not None and found.data_card is not None and found.data_card.contains_personal_data
        if personal and found is not None and found.dpia is None:
            gaps.append(f"DPIA and lawful basis for dataset {ref.name}@{ref.version} (it contains personal data)")
    return gaps
