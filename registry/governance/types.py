"""Closed vocabularies of the governance model and the `Actor` every service call takes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

ModelKind = Literal["llm", "classical"]
LifecyclePhase = Literal[
    "problem_framing",
    "data_preparation",
    "development",
    "validation",
    "deployment",
    "monitoring",
    "decommissioning",
]
PHASES: tuple[LifecyclePhase, ...] = (
    "problem_framing",
    "data_preparation",
    "development",
    "validation",
    "deployment",
    "monitoring",
    "decommissioning",
)
VersionStatus = Literal["development", "staging", "production", "archived", "decommissioned"]
RiskTier = Literal[1, 2, 3, 4]
ImpactLevel = Literal["low", "medium", "high"]
Automation = Literal["informative", "assistive", "decisive", "autonomous"]
EUClass = Literal["minimal", "limited", "high", "unacceptable"]
ReviewerRole = Literal[
    "chair", "data_science_lead", "business_owner", "risk_compliance", "legal", "ethics", "peer", "owner"
]
ReviewStage = Literal["technical_review", "business_risk_review", "awaiting_decision", "decided"]
Decision = Literal["approved", "approved_with_reservations", "rejected"]
DecommissionCriterion = Literal["replaced", "use_case_gone", "irreversible_degradation", "cost", "non_compliance"]
Frequency = Literal["realtime", "daily", "weekly", "monthly"]
Cadence = Literal["weekly", "monthly", "quarterly", "ad_hoc"]
Severity = Literal["info", "warning", "critical"]

# Lower rank = more frequent / more severe; gates compare ranks rather than names.
FREQUENCY_RANK: dict[Frequency, int] = {"realtime": 0, "daily": 1, "weekly": 2, "monthly": 3}
CADENCE_RANK: dict[Cadence, int] = {"weekly": 0, "monthly": 1, "quarterly": 2, "ad_hoc": 3}
SEVERITY_RANK: dict[Severity, int] = {"critical": 0, "warning": 1, "info": 2}


class Actor(BaseModel):
    """Who performs a call: the audit trail records `name` (and `person`); `teams` scope reads and writes; `admin` bypasses scoping."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    person: str | None = None
    """The person holding the key `name` stands for; the audit trail shows both."""
    teams: frozenset[str] = frozenset()
    admin: bool = False

    def can_see_team(self, team: str) -> bool:
        return self.admin or team in self.teams


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """Aware UTC (what SQLModel's datetime columns store); a naive value is taken to be UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def stamp(now: datetime | None) -> datetime:
    """The time of an operation: the injected `now` (tests, replays) or the current UTC time."""
    return utcnow() if now is None else as_utc(now)
