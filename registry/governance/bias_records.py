"""The data-bias analysis of a training set, stored on its dataset version record (phase 2)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

BiasGapKind = Literal["label_rate_gap", "representation"]
WAIVER_ROLES = ("chair", "risk_compliance", "ethics")
"""Board roles whose holders may accept a bias gap on the organisation's behalf."""


class GroupShare(BaseModel):
    """One value of a sensitive column or segment: how many rows carry it, their share and their label rate."""

    model_config = ConfigDict(extra="forbid")

    column: str = Field(min_length=1)
    value: str
    count: int = Field(ge=0)
    share: float = Field(ge=0, le=1)
    label_rate: float | None = None
    """Mean of the (0/1) label over the group's rows; None when no label column was given."""
    label_gap: float | None = None
    """`label_rate` minus the overall label rate."""


class DatasetBias(BaseModel):
    """Representation of each sensitive group and segment, and the label rate per group, of one dataset file."""

    model_config = ConfigDict(extra="forbid")

    source: str = Field(min_length=1)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    rows: int = Field(ge=1)
    label: str | None = None
    overall_label_rate: float | None = None
    groups: list[GroupShare] = []
    """Sensitive groups first (column order as asked), then segments; values sorted by descending count."""
    sensitive: list[str] = []
    """The sensitive columns asked (the bias gate judges their groups); empty on analyses stored before it was
    recorded, where every group is judged."""


class BiasWaiverIn(BaseModel):
    """A board member's acceptance of one group's gap, with the reason (`warden models dataset waive-bias`)."""

    model_config = ConfigDict(extra="forbid")

    column: str = Field(min_length=1)
    value: str
    kind: BiasGapKind
    reason: str = Field(min_length=1)
    role: Literal["chair", "risk_compliance", "ethics"]
    expires_on: date | None = None


class BiasWaiver(BiasWaiverIn):
    """A recorded waiver: it holds for the analysis it was granted on (a new analysis needs a new waiver)."""

    approved_by: str = Field(min_length=1)
    approved_on: date
    analysis_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
