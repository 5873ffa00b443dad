"""The data-bias analysis of a training set, stored on its dataset version record (phase 2)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


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
