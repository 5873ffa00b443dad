"""Structured model cards and their completeness check per tier.

`complete` needs every section below except `external_audit`; `complete_external_audit` (tier 1) adds it.
`simplified` (tier 3) is the documented subset `SIMPLIFIED_SECTIONS`: details, intended use, out-of-scope use,
limitations and risks, risk classification.
"""

from __future__ import annotations

from datetime import date

from pydantic import Field, HttpUrl

from registry.governance.policy import CardRequirement
from registry.governance.records import MetricValue, Record
from registry.governance.types import EUClass, RiskTier


class CardDetails(Record):
    name: str = Field(min_length=1)
    version: str = Field(min_length=1)
    owners: list[str] = Field(min_length=1)
    model_type: str = Field(min_length=1)
    card_date: date | None = None
    license: str | None = None


class IntendedUse(Record):
    primary_uses: list[str] = Field(min_length=1)
    users: list[str] = Field(min_length=1)


class TrainingData(Record):
    datasets: list[str] = Field(min_length=1)
    known_biases: list[str] = Field(min_length=1)
    preprocessing: str | None = None


class RiskSection(Record):
    tier: RiskTier
    eu_ai_act: EUClass
    justification: list[str] = Field(min_length=1)


class ExternalAudit(Record):
    auditor: str = Field(min_length=1)
    audited_on: date
    report_url: HttpUrl
    summary: str | None = None


class ModelCard(Record):
    """A model card; any section may be missing while drafting, the completeness check says which ones."""

    details: CardDetails | None = None
    intended_use: IntendedUse | None = None
    out_of_scope_use: list[str] = []
    training_data: TrainingData | None = None
    metrics_by_segment: list[MetricValue] = []
    limitations_and_risks: list[str] = []
    ethical_considerations: list[str] = []
    risk_classification: RiskSection | None = None
    external_audit: ExternalAudit | None = None


SIMPLIFIED_SECTIONS: tuple[str, ...] = (
    "details",
    "intended_use",
    "out_of_scope_use",
    "limitations_and_risks",
    "risk_classification",
)
COMPLETE_SECTIONS: tuple[str, ...] = (
    "details",
    "intended_use",
    "out_of_scope_use",
    "training_data",
    "metrics_by_segment",
    "limitations_and_risks",
    "ethical_considerations",
    "risk_classification",
)
_REQUIRED: dict[CardRequirement, tuple[str, ...]] = {
    "none": (),
    "simplified": SIMPLIFIED_SECTIONS,
    "complete": COMPLETE_SECTIONS,
    "complete_external_audit": (*COMPLETE_SECTIONS, "external_audit"),
}


class CardCheck(Record):
    requirement: CardRequirement
    missing: list[str]

    @property
    def ok(self) -> bool:
        return not self.missing


def check_card(card: ModelCard | None, requirement: CardRequirement) -> CardCheck:
    """Name the sections the requirement needs that are absent or empty."""
    required = _REQUIRED[requirement]
    if card is None:
        return CardCheck(requirement=requirement, missing=list(required))
    missing = [section for section in required if not getattr(card, section)]
    return CardCheck(requirement=requirement, missing=missing)
