"""Phase 3 deliverable: how a version's predictions are explained (method, global feature importances, artefact)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

SHA256 = r"^[0-9a-f]{64}$"
InterpretabilityMethod = Literal[
    "shap", "lime", "permutation", "integrated_gradients", "attention", "counterfactual", "other"
]


class FeatureImportance(BaseModel):
    """One feature's global importance; `std` is its spread over repeats or samples, when the method has one."""

    model_config = ConfigDict(extra="forbid")

    feature: str = Field(min_length=1)
    importance: float
    std: float | None = Field(default=None, ge=0)


class InterpretabilityRecord(BaseModel):
    """An interpretability analysis attached to a version: typed from a SHAP/LIME run, or computed by Warden
    (`warden models explain`, permutation importances, where `generated_by`, `metric` and `data_sha256` are set)."""

    model_config = ConfigDict(extra="forbid")

    method: InterpretabilityMethod
    importances: list[FeatureImportance] = Field(min_length=1)
    """Global importances, most important first."""
    author: str = Field(min_length=1)
    recorded_on: date
    artifact_uri: str | None = Field(default=None, min_length=1)
    """Where the full analysis lives (SHAP values, plots, notebook)."""
    artifact_sha256: str | None = Field(default=None, pattern=SHA256)
    summary: str | None = None
    generated_by: str | None = None
    metric: str | None = None
    """For permutation importances: the metric whose drop each importance is."""
    data_sha256: str | None = Field(default=None, pattern=SHA256)
    rows: int | None = Field(default=None, ge=1)
    repeats: int | None = Field(default=None, ge=1)
    seed: int | None = None

    @model_validator(mode="after")
    def _distinct(self) -> InterpretabilityRecord:
        names = [i.feature for i in self.importances]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"feature {repeated[0]!r} is listed more than once in importances")
        return self

    def ranked(self) -> list[FeatureImportance]:
        return sorted(self.importances, key=lambda i: -abs(i.importance))
