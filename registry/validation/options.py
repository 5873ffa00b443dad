"""The options of a validation run and the input files, kept free of numpy and pandas so the CLI and the API can
declare their commands and routes without loading the computation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

DataFormat = Literal["csv", "parquet", "jsonl"]
SUFFIXES: dict[str, DataFormat] = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet", ".jsonl": "jsonl",
                                   ".ndjson": "jsonl"}


class ValidationInputError(ValueError):
    """The evaluation data or the options cannot be used; the message names the offending value."""


class ValidationOptions(BaseModel):
    """Column names and knobs of one validation run (the version's `ValidationSpec` adds its declared columns)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    label: str = "label"
    prediction: str = "prediction"
    score: str = "score"
    query: str = "query_id"
    cutoff: float = Field(default=0.5, ge=0, le=1)
    segments: list[str] = []
    sensitive: list[str] = []
    filter: str | None = None
    bootstrap: int = Field(default=200, ge=0, le=2000)
    bootstrap_rows: int = Field(default=10_000, ge=100)
    seed: int = 0
    bins: int = Field(default=4, ge=2, le=20)
    max_categories: int = Field(default=20, ge=2)


@dataclass(frozen=True, slots=True)
class DataFile:
    """The bytes of an uploaded or local file (its checksum is the data's identity in the report)."""

    raw: bytes
    format: DataFormat
    source: str


def format_of(name: str) -> DataFormat:
    for suffix, fmt in SUFFIXES.items():
        if name.lower().endswith(suffix):
            return fmt
    raise ValidationInputError(f"cannot tell the format of {name!r}: use a .csv, .parquet or .jsonl file")
